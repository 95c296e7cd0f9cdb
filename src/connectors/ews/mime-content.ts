/**
 * MimeContent on the wire is base64 text, and ews-javascript-api passes that text through
 * untouched in both directions (its C# byte[] conversion is commented out). So the
 * connector decodes and encodes the bytes itself, never through a string charset: a
 * message with 8-bit bytes in a legacy charset must arrive byte for byte.
 */

/** Base64 as EWS sends it: the alphabet, padding, and line breaks or other whitespace. */
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** The bytes of a MimeContent's text; undefined when there is none or it is not base64. */
export function decodeMimeContent(content: string | null | undefined): Buffer | undefined {
  if (typeof content !== 'string' || content.trim() === '' || !BASE64.test(content)) return undefined;
  return Buffer.from(content, 'base64');
}

/** The MimeContent text for `raw`. */
export function encodeMimeContent(raw: Buffer): string {
  return raw.toString('base64');
}
