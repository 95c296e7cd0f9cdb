/**
 * A tiny XML string builder for responses. Real Exchange answers compact XML (no
 * indentation), and ews-javascript-api's XML-to-object reader treats whitespace-only text
 * as noise, so compact output is both faithful and safe.
 */

/** Escapes text content and attribute values. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * One element. `content` is either already-built child XML (an array of strings, joined)
 * or a text value (a string, escaped). Attributes whose value is undefined are left out.
 */
export function el(name: string, attributes: Attributes = {}, content?: string | readonly string[]): string {
  let attrs = '';
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) attrs += ` ${key}="${escapeXml(String(value))}"`;
  }
  if (content === undefined) return `<${name}${attrs}/>`;
  const inner = typeof content === 'string' ? escapeXml(content) : content.join('');
  if (inner === '' && typeof content !== 'string') return `<${name}${attrs}/>`;
  return `<${name}${attrs}>${inner}</${name}>`;
}

/** Shorthand for an element with only text. */
export function text(name: string, value: string | number | boolean): string {
  return el(name, {}, String(value));
}

/** xs:dateTime the way Exchange writes it: UTC, whole seconds, `Z`. */
export function xsDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
