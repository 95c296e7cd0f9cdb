/** A Graph message's properties as IMAP flags, date and size: the same mapping as EWS. */
import { describe, expect, it } from 'vitest';
import { categoryToKeyword } from '../../../src/connectors/exchange/category-keywords.js';
import { messageState } from '../../../src/connectors/graph/message-state.js';

describe('messageState', () => {
  it('isRead, flagged, a reply verb, categories; receivedDateTime and PidTagMessageSize', () => {
    const state = messageState({
      id: 'AAMk1', isRead: true, isDraft: false, flag: { flagStatus: 'flagged' }, categories: ['Red category', 'ProjectX'],
      receivedDateTime: '2026-03-04T05:06:07Z', parentFolderId: 'F1',
      // Graph may answer with the tag spelled its own way.
      singleValueExtendedProperties: [{ id: 'String 0xe08', value: 'other' }, { id: 'Integer 0xe08', value: '4567' }, { id: 'Integer 0x1081', value: '102' }],
    });
    expect(state.flags).toEqual(['\\Seen', '\\Answered', '\\Flagged', categoryToKeyword('Red category'), 'ProjectX']);
    expect(state.received?.toISOString()).toBe('2026-03-04T05:06:07.000Z');
    expect(state.size).toBe(4567);
    expect(state.parentFolderId).toBe('F1');
  });

  it('complete is not \\Flagged; a forward is $Forwarded; a draft is \\Draft', () => {
    expect(messageState({ id: 'x', flag: { flagStatus: 'complete' }, singleValueExtendedProperties: [{ id: 'Integer 0x1081', value: '104' }] }).flags).toEqual(['$Forwarded']);
    expect(messageState({ id: 'x', isDraft: true, isRead: false, flag: { flagStatus: 'notFlagged' } }).flags).toEqual(['\\Draft']);
  });

  it('without the size or a readable date: an estimate, and no date (the caller decides)', () => {
    const state = messageState({ id: 'x', receivedDateTime: 'not a date' });
    expect(state.size).toBe(64 * 1024);
    expect(state.received).toBeUndefined();
    expect(state.flags).toEqual([]);
  });
});
