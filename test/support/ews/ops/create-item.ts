/**
 * CreateItem (createitem-operation-email-message.md, how-to-import-items-by-using-ews-in-
 * exchange.md): one response message per item, so one bad item does not fail the batch.
 *
 * A message is stored with the exact bytes of its t:MimeContent (base64-decoded). What a
 * MIME import sets besides the bytes:
 *   t:IsRead, t:Categories/t:String, t:Flag/t:FlagStatus,
 *   t:ExtendedProperty 0x0E07 PidTagMessageFlags (no MSGFLAG_UNSENT -> not a draft; the
 *     READ bit sets IsRead unless t:IsRead is given), 0x0E06 -> DateTimeReceived,
 *     0x0039 -> DateTimeSent, and any other extended property stored as given.
 * Without PidTagMessageFlags the message is a draft (Microsoft: "Otherwise, the email will
 * appear as a draft to clients").
 */
import { resolveFolderIn, type OpContext } from '../context.js';
import { parseExtendedFieldUri, tagKey, TAG } from '../extended-props.js';
import type { FlagStatus, StoredProperty } from '../mailbox.js';
import { NS } from '../namespaces.js';
import { failure, operationResponse, success } from '../soap.js';
import { defaultItemClass, itemIdXml } from '../writers.js';
import { attr, children, mChild, tChild, textOf } from '../xml-reader.js';
import { el } from '../xml-writer.js';

/** Item elements CreateItem accepts (the ones of NonEmptyArrayOfAllItemsType this model can hold). */
const ITEM_ELEMENTS = new Set(['Item', 'Message', 'CalendarItem', 'Contact', 'DistributionList', 'Task', 'PostItem']);
const FLAG_STATUSES = new Set<FlagStatus>(['NotFlagged', 'Flagged', 'Complete']);

interface ParsedItem {
  mime: Buffer;
  extended: Map<string, StoredProperty>;
  isRead: boolean | undefined;
  flag: FlagStatus | undefined;
  categories: string[];
  itemClass: string;
  subject: string | undefined;
}

function parseItem(spec: Element): ParsedItem | { error: string } {
  const mimeText = textOf(tChild(spec, 'MimeContent'));
  if (mimeText !== undefined && !/^[A-Za-z0-9+/=\s]*$/.test(mimeText)) return { error: 'ErrorMimeContentInvalidBase64String' };
  const extended = new Map<string, StoredProperty>();
  for (const p of children(spec, NS.types, 'ExtendedProperty')) {
    const uri = tChild(p, 'ExtendedFieldURI');
    const ref = uri && parseExtendedFieldUri(uri);
    if (!ref) return { error: 'ErrorInvalidExtendedProperty' };
    const values = tChild(p, 'Values');
    const value = values ? children(values, NS.types, 'Value').map((v) => textOf(v) ?? '').join('\n') : textOf(tChild(p, 'Value'));
    if (value === undefined) return { error: 'ErrorInvalidExtendedPropertyValue' };
    extended.set(ref.key, { type: ref.type, value });
  }
  const flagText = textOf(tChild(tChild(spec, 'Flag') ?? spec, 'FlagStatus'));
  const flag = tChild(spec, 'Flag') && flagText !== undefined && FLAG_STATUSES.has(flagText as FlagStatus) ? (flagText as FlagStatus) : undefined;
  const isReadText = textOf(tChild(spec, 'IsRead'));
  const categories = tChild(spec, 'Categories');
  return {
    mime: Buffer.from(mimeText ?? '', 'base64'),
    extended,
    isRead: isReadText === undefined ? undefined : isReadText === 'true' || isReadText === '1',
    flag,
    categories: categories ? children(categories, NS.types, 'String').map((s) => textOf(s) ?? '') : [],
    itemClass: textOf(tChild(spec, 'ItemClass')) ?? defaultItemClass(spec.localName),
    subject: textOf(tChild(spec, 'Subject')),
  };
}

function dateOf(property: StoredProperty | undefined): Date | undefined | 'invalid' {
  if (!property) return undefined;
  const ms = Date.parse(property.value);
  return Number.isNaN(ms) ? 'invalid' : new Date(ms);
}

export function createItem(ctx: OpContext, request: Element): string {
  const op = 'CreateItem';
  const disposition = attr(request, 'MessageDisposition');
  // Without SavedItemFolderId Exchange saves to Drafts.
  const folder = resolveFolderIn(ctx, mChild(request, 'SavedItemFolderId')) ?? { ok: ctx.mailbox.distinguishedFolder('drafts')! };
  const specs = children(mChild(request, 'Items') ?? request, NS.types).filter((e) => ITEM_ELEMENTS.has(e.localName));
  const messages = specs.map((spec) => {
    const fail = (code: string, message?: string) => failure(op, code, [el('m:Items')], message);
    if (folder.error !== undefined) return fail(folder.error);
    const isMessage = spec.localName === 'Message';
    if (isMessage && disposition === undefined) return fail('ErrorMessageDispositionRequired');
    if (isMessage && disposition !== 'SaveOnly') return fail('ErrorInvalidOperation', 'This test server cannot send mail; use MessageDisposition="SaveOnly".');
    const parsed = parseItem(spec);
    if ('error' in parsed) return fail(parsed.error);
    if (parsed.mime.length > ctx.maxMessageBytes) return fail('ErrorMessageSizeExceeded');
    const rejection = ctx.faults.createRejection(parsed.mime);
    if (rejection !== undefined) return fail(rejection);

    const flagsProperty = parsed.extended.get(tagKey(TAG.messageFlags));
    const messageFlags = flagsProperty === undefined ? undefined : Number(flagsProperty.value);
    if (messageFlags !== undefined && !Number.isInteger(messageFlags)) return fail('ErrorInvalidExtendedPropertyValue');
    const received = dateOf(parsed.extended.get(tagKey(TAG.messageDeliveryTime)));
    const sent = dateOf(parsed.extended.get(tagKey(TAG.clientSubmitTime)));
    if (received === 'invalid' || sent === 'invalid') return fail('ErrorInvalidExtendedPropertyValue');
    const draft = isMessage && (messageFlags === undefined || (messageFlags & 0x8) !== 0);
    const isRead = parsed.isRead ?? (messageFlags !== undefined ? (messageFlags & 0x1) !== 0 : draft);

    const item = ctx.mailbox.createItem(folder.ok, {
      mime: parsed.mime,
      itemClass: parsed.itemClass,
      subject: parsed.subject,
      isRead,
      flag: parsed.flag,
      categories: parsed.categories,
      received,
      sent,
      messageFlags,
      draft,
      extended: parsed.extended,
    });
    return success(op, [el('m:Items', {}, [el(`t:${spec.localName === 'Item' ? 'Message' : spec.localName}`, {}, [itemIdXml(ctx.mailbox, item)])])]);
  });
  return operationResponse(op, messages);
}
