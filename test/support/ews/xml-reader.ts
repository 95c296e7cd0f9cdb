/**
 * Namespace-aware helpers over @xmldom/xmldom (already a dependency of
 * ews-javascript-api). Lookups go by namespace URI + local name, so `m:GetItem`,
 * `<GetItem xmlns="...messages">` and any other prefix choice all parse alike.
 */
import { DOMParser } from '@xmldom/xmldom';
import { NS } from './namespaces.js';

export type XmlElement = Element;

/** Parses a document; throws with the parser's first complaint when it is not well-formed. */
export function parseXml(xml: string): Document {
  const problems: string[] = [];
  const record = (message: string): void => {
    problems.push(message);
  };
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: record, fatalError: record } }).parseFromString(
    xml,
    'text/xml',
  );
  if (problems.length > 0 || !doc.documentElement) {
    throw new Error(`request is not well-formed XML: ${problems[0] ?? 'no root element'}`);
  }
  return doc as unknown as Document;
}

/** Child elements, optionally only those with this namespace and local name. */
export function children(parent: Element, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    if (ns !== undefined && element.namespaceURI !== ns) continue;
    if (localName !== undefined && element.localName !== localName) continue;
    out.push(element);
  }
  return out;
}

export function child(parent: Element, ns: string, localName: string): Element | undefined {
  return children(parent, ns, localName)[0];
}

/** A child in the types namespace (`t:`), the most common lookup. */
export function tChild(parent: Element, localName: string): Element | undefined {
  return child(parent, NS.types, localName);
}

/** A child in the messages namespace (`m:`). */
export function mChild(parent: Element, localName: string): Element | undefined {
  return child(parent, NS.messages, localName);
}

/** Text content, trimmed (EWS values never carry meaningful outer whitespace). */
export function textOf(element: Element | undefined): string | undefined {
  if (!element) return undefined;
  return (element.textContent ?? '').trim();
}

/** Attribute value or undefined (xmldom answers '' for a missing attribute). */
export function attr(element: Element, name: string): string | undefined {
  return element.hasAttribute(name) ? element.getAttribute(name) ?? undefined : undefined;
}
