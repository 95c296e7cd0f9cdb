import { describe, expect, it } from 'vitest';
import { categoryToKeyword } from '../../../src/connectors/exchange/category-keywords.js';
import { itemFlags, LAST_VERB, MESSAGE_FLAG, newItemState, STORABLE_FLAGS, type ItemState } from '../../../src/connectors/exchange/item-flags.js';
import { mapFlags } from '../../../src/mapping/index.js';

const plain: ItemState = { isRead: false, flagStatus: 'NotFlagged', lastVerb: undefined, categories: [] };

describe('itemFlags (Exchange -> IMAP)', () => {
  it.each<[string, Partial<ItemState>, string[]]>([
    ['nothing', {}, []],
    ['read', { isRead: true }, ['\\Seen']],
    ['flagged', { flagStatus: 'Flagged' }, ['\\Flagged']],
    ['flag complete is not \\Flagged', { flagStatus: 'Complete' }, []],
    ['reply', { lastVerb: LAST_VERB.replyToSender }, ['\\Answered']],
    ['reply all', { lastVerb: LAST_VERB.replyToAll }, ['\\Answered']],
    ['forward', { lastVerb: LAST_VERB.forward }, ['$Forwarded']],
    ['another verb', { lastVerb: 108 }, []],
    ['never sent', { isDraft: true }, ['\\Draft']],
    ['unknown read state', { isRead: undefined, flagStatus: undefined }, []],
    ['everything', { isRead: true, flagStatus: 'Flagged', lastVerb: 103, categories: ['Red category', 'Blue'] },
      ['\\Seen', '\\Answered', '\\Flagged', '$Cat_Red_20category', 'Blue']],
    ['categories differing in case once', { categories: ['Work', 'work', 'Home'] }, ['Work', 'Home']],
  ])('%s', (_label, state, flags) => {
    expect(itemFlags({ ...plain, ...state })).toEqual(flags);
  });
});

describe('newItemState (IMAP -> Exchange)', () => {
  it('sets PR_MESSAGE_FLAGS to 0 for unread mail, so it is not a draft, and 1 for read mail', () => {
    expect(newItemState([])).toEqual({ isRead: false, flagged: false, lastVerb: undefined, categories: [], messageFlags: 0 });
    expect(newItemState(['\\Seen'])).toMatchObject({ isRead: true, messageFlags: MESSAGE_FLAG.read });
    expect(newItemState(['\\seen', '\\Draft']).messageFlags).toBe(MESSAGE_FLAG.read | MESSAGE_FLAG.unsent);
  });

  it('maps \\Flagged, \\Answered and $Forwarded (answered wins: Exchange keeps one verb)', () => {
    expect(newItemState(['\\Flagged']).flagged).toBe(true);
    expect(newItemState(['\\Answered']).lastVerb).toBe(102);
    expect(newItemState(['$forwarded']).lastVerb).toBe(104);
    expect(newItemState(['$Forwarded', '\\Answered']).lastVerb).toBe(102);
  });

  it('decodes category keywords, keeps other labels as categories and drops client bookkeeping', () => {
    const state = newItemState([
      '\\Seen', '\\Deleted', '\\Recent', categoryToKeyword('Kunde (Ärger)'), 'Work', '$label1', '$Junk', 'NonJunk', '$MDNSent', '$Forwarded',
      categoryToKeyword(''), 'work', categoryToKeyword('Work'),
    ]);
    expect(state.categories).toEqual(['Kunde (Ärger)', 'Work', '$label1']);
  });

  it('round-trips every storable flag and any category through both directions', () => {
    const source: ItemState = { isRead: true, flagStatus: 'Flagged', lastVerb: 102, categories: ['A b', 'ü (x)', 'plain'] };
    const flags = itemFlags(source);
    const policy = { permanent: [...STORABLE_FLAGS], newKeywords: true };
    // What the job layer does in between: mapFlags keeps every one of them.
    expect(mapFlags(flags, policy).dropped).toEqual([]);
    const state = newItemState(mapFlags(flags, policy).flags);
    expect(itemFlags({ isRead: state.isRead, flagStatus: state.flagged ? 'Flagged' : 'NotFlagged', lastVerb: state.lastVerb, categories: state.categories })).toEqual(flags);
  });
});
