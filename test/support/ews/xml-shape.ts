/**
 * The structure of an XML document without its values: one entry per element path
 * ("soap:Envelope/soap:Body/m:GetItemResponse/...") and per attribute ("...@Id"),
 * with namespaces written as short names of their URIs (so prefixes and default-namespace
 * tricks do not matter, but a wrong namespace does). Used to compare the test server's
 * answers with Microsoft's published samples in test/fixtures/ews.
 */
import { NS } from './namespaces.js';
import { parseXml } from './xml-reader.js';

const SHORT: Record<string, string> = {
  [NS.soap]: 'soap',
  [NS.messages]: 'm',
  [NS.types]: 't',
  [NS.errors]: 'e',
};

/** The newer Microsoft samples spell the namespaces https://; real servers use http://. */
export function fixHttpsNamespaces(xml: string): string {
  return xml.replace(/https:\/\/schemas\.(microsoft\.com|xmlsoap\.org)\//g, 'http://schemas.$1/');
}

export function xmlShape(xml: string): Set<string> {
  const shape = new Set<string>();
  const walk = (element: Element, parentPath: string) => {
    const ns = element.namespaceURI ?? '';
    const name = `${SHORT[ns] ?? `{${ns}}`}:${element.localName}`;
    const path = parentPath === '' ? name : `${parentPath}/${name}`;
    shape.add(path);
    for (let i = 0; i < element.attributes.length; i += 1) {
      const attribute = element.attributes.item(i);
      if (!attribute || attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) continue;
      shape.add(`${path}@${attribute.name}`);
    }
    for (let node = element.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 1) walk(node as Element, path);
    }
  };
  const root = parseXml(xml).documentElement;
  if (root) walk(root as unknown as Element, '');
  return shape;
}
