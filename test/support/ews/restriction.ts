/**
 * FindItem restrictions, the subset a migration needs: IsEqualTo / IsNotEqualTo on an
 * ExtendedFieldURI or a few FieldURIs against a FieldURIOrConstant/Constant, Exists, and
 * And / Or / Not around them. This is how the connector finds, after a crash, the items
 * that already carry its idempotency marker. String comparison is case-insensitive, like
 * Exchange's property restrictions on string properties.
 */
import { parseExtendedFieldUri } from './extended-props.js';
import type { ItemRecord, MailboxModel } from './mailbox.js';
import { NS } from './namespaces.js';
import { attr, children, tChild } from './xml-reader.js';

export type Predicate = (item: ItemRecord) => boolean;

/** A property value as text plus its type, or undefined when the item lacks it. */
function valueOf(mailbox: MailboxModel, item: ItemRecord, ref: Element): { type: string; value: string } | undefined {
  if (ref.localName === 'ExtendedFieldURI') {
    const parsed = parseExtendedFieldUri(ref);
    const stored = parsed && mailbox.computedProperty(item, parsed.key);
    return stored && parsed && stored.type.toLowerCase() === parsed.type.toLowerCase() ? stored : undefined;
  }
  switch (attr(ref, 'FieldURI')) {
    case 'item:ItemClass':
      return { type: 'String', value: item.itemClass };
    case 'item:Subject':
      return item.subject === undefined ? undefined : { type: 'String', value: item.subject };
    case 'message:IsRead':
      return { type: 'Boolean', value: String(item.isRead) };
    case 'item:Size':
      return { type: 'Integer', value: String(mailbox.size(item)) };
    default:
      return undefined;
  }
}

function equal(type: string, a: string, b: string): boolean {
  switch (type.toLowerCase()) {
    case 'integer':
    case 'long':
    case 'short':
    case 'double':
    case 'float':
      return Number(a) === Number(b);
    case 'systemtime':
      return Date.parse(a) === Date.parse(b);
    case 'boolean':
      return a.toLowerCase() === b.toLowerCase();
    default:
      return a.toLowerCase() === b.toLowerCase();
  }
}

/** Throws `unsupported` (the caller answers ErrorUnsupportedQueryFilter) for anything else. */
export function compileRestriction(mailbox: MailboxModel, filter: Element): Predicate {
  const unsupported = new Error('unsupported');
  const refOf = (e: Element) => children(e, NS.types).find((c) => c.localName === 'ExtendedFieldURI' || c.localName === 'FieldURI');
  switch (filter.localName) {
    case 'And':
    case 'Or': {
      const parts = children(filter, NS.types).map((c) => compileRestriction(mailbox, c));
      return filter.localName === 'And' ? (i) => parts.every((p) => p(i)) : (i) => parts.some((p) => p(i));
    }
    case 'Not': {
      const inner = children(filter, NS.types)[0];
      if (!inner) throw unsupported;
      const p = compileRestriction(mailbox, inner);
      return (i) => !p(i);
    }
    case 'Exists': {
      const ref = refOf(filter);
      if (!ref) throw unsupported;
      return (i) => valueOf(mailbox, i, ref) !== undefined;
    }
    case 'IsEqualTo':
    case 'IsNotEqualTo': {
      const ref = refOf(filter);
      const constant = tChild(tChild(filter, 'FieldURIOrConstant') ?? filter, 'Constant');
      const wanted = constant && attr(constant, 'Value');
      if (!ref || wanted === undefined) throw unsupported;
      const negate = filter.localName === 'IsNotEqualTo';
      return (i) => {
        const v = valueOf(mailbox, i, ref);
        const match = v !== undefined && equal(v.type, v.value, wanted);
        return negate ? !match : match;
      };
    }
    default:
      throw unsupported;
  }
}
