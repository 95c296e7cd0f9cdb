/**
 * The pure parts of the Graph test server (test/support/graph): query parsing, ids, and the
 * JSON shape comparison the fixture test relies on. The server as a whole:
 * test/integration/graph-server.test.ts and graph-fixtures.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeId, encodeId, graphDate } from '../support/graph/ids.js';
import { compareShapes, jsonShape } from '../support/graph/json-shape.js';
import { advancedOperator, matchesFilter, parseExtendedPropertyExpand, parseFilter, preferredPageSize } from '../support/graph/odata.js';

describe('Graph test server: OData pieces', () => {
  it('parses the directory filters a migration uses and knows which are advanced queries', () => {
    const user = { mail: 'Alice@Contoso.com', accountEnabled: true, displayName: "O'Neil" } as Record<string, string | boolean>;
    const get = (name: string) => user[name];
    const endsWith = parseFilter("endswith(mail,'@contoso.com') and accountEnabled eq true");
    expect(matchesFilter(endsWith, get)).toBe(true);
    expect(advancedOperator(endsWith)).toBe('endsWith');
    expect(advancedOperator(parseFilter('accountEnabled eq true'))).toBeUndefined();
    expect(advancedOperator(parseFilter("not(displayName eq 'x')"))).toBe('not');
    expect(matchesFilter(parseFilter("displayName eq 'o''neil' or mail eq null"), get)).toBe(true);
    expect(() => parseFilter('mail gt 3')).toThrow(/Invalid filter/);
  });

  it('reads Prefer: odata.maxpagesize among other preferences, and extended property ids', () => {
    expect(preferredPageSize('outlook.body-content-type="text", odata.maxpagesize=25')).toBe(25);
    expect(preferredPageSize('odata.track-changes')).toBeUndefined();
    expect(parseExtendedPropertyExpand("singleValueExtendedProperties($filter=id eq 'Integer 0x0E08' or id eq 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color')")).toEqual([
      { type: 'Integer', tag: 0x0e08, canonical: 'Integer 0xe08' },
    ]);
    expect(parseExtendedPropertyExpand('attachments')).toBeUndefined();
  });

  it('makes opaque ids that look like Outlook ids and refuses altered ones', () => {
    const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const message = encodeId(guid, 'message', 42);
    const folder = encodeId(guid, 'folder', 7);
    expect(message).toMatch(/^AAMk[A-Za-z0-9_-]+=$/);
    expect(folder).toMatch(/^AQMk/);
    expect(decodeId(message)).toEqual({ mailboxGuid: guid.toString('hex'), kind: 'message', num: 42 });
    const altered = `${message.slice(0, 10)}${message[10] === 'A' ? 'B' : 'A'}${message.slice(11)}`;
    expect(decodeId(altered)).toBeUndefined();
    expect(decodeId('AAMkADhMGAAA=')).toBeUndefined();
    expect(graphDate(new Date('2018-09-09T03:15:08.123Z'))).toBe('2018-09-09T03:15:08Z');
  });

  it('compares JSON shapes: keys, nesting and types, with null matching anything beneath it', () => {
    const sample = { value: [{ id: 'x', from: null, flag: { flagStatus: 's' } }] };
    const ours = { value: [{ id: 'y', from: { emailAddress: { address: 'a' } }, flag: { flagStatus: 'notFlagged' }, extra: 1 }] };
    expect(compareShapes(jsonShape(ours), jsonShape(sample))).toEqual({ onlyOurs: ['value[].extra: number'], onlySample: [] });
    expect(compareShapes(jsonShape(ours), jsonShape(sample), { extra: ['value[].extra'] })).toEqual({ onlyOurs: [], onlySample: [] });
    expect(compareShapes(jsonShape({ isRead: 'true' }), jsonShape({ isRead: true })).onlyOurs).toEqual(['isRead: string']);
  });
});
