/** The IMAP mirror operations' pure parts: flag groups, FETCH answers, the UIDVALIDITY check. */
import type { FetchMessageObject, MailboxObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { listAllUids } from '../../../src/connectors/imap/all-uids.js';
import { solicitedMessages } from '../../../src/connectors/imap/fetch-responses.js';
import type { ImapSession } from '../../../src/connectors/imap/imap-session.js';
import { groupByFlags } from '../../../src/connectors/imap/message-flags.js';

describe('groupByFlags', () => {
  it('puts messages with the same flags (case, order and \\Recent aside) in one group', () => {
    const groups = groupByFlags([
      { uid: 1, flags: ['\\Seen', 'Work'] },
      { uid: 2, flags: [] },
      { uid: 3, flags: ['work', '\\SEEN', '\\Recent'] },
      { uid: 4, flags: ['\\Recent'] },
      { uid: 5, flags: ['\\Flagged'] },
    ]);
    expect(groups).toEqual([
      { flags: ['\\Seen', 'Work'], uids: [1, 3] },
      { flags: [], uids: [2, 4] },
      { flags: ['\\Flagged'], uids: [5] },
    ]);
  });
});

describe('solicitedMessages', () => {
  const message = (fields: Partial<FetchMessageObject>) => ({ seq: 1, ...fields }) as FetchMessageObject;

  it('drops unsolicited flag updates without a UID and merges those with one (later flags win)', () => {
    const answer = solicitedMessages([
      message({ seq: 1, uid: 10, flags: new Set(['\\Seen']), size: 5, internalDate: new Date(0) }),
      message({ seq: 2, flags: new Set(['\\Flagged']) }),
      message({ seq: 1, uid: 10, flags: new Set(['\\Answered']) }),
    ], { uid: true, flags: true, size: true, internalDate: true });
    expect(answer).toEqual([message({ seq: 1, uid: 10, flags: new Set(['\\Answered']), size: 5, internalDate: new Date(0) })]);
  });

  it('drops a notice for a message that was not asked for (it lacks what was asked)', () => {
    const answer = solicitedMessages([
      message({ seq: 1, uid: 10, size: 5, source: Buffer.from('x') }),
      message({ seq: 3, uid: 30, flags: new Set(['\\Seen']) }),
    ], { uid: true, size: true, source: true });
    expect(answer.map((m) => m.uid)).toEqual([10]);
  });

  it('keeps flag-only answers when only flags were asked for', () => {
    const answer = solicitedMessages([message({ uid: 7, flags: new Set() }), message({ uid: 8, flags: new Set(['\\Seen']) })], { uid: true, flags: true });
    expect(answer.map((m) => m.uid)).toEqual([7, 8]);
  });
});

describe('listAllUids', () => {
  /** A session whose folder has UIDVALIDITY `validities[n]` at the n-th SELECT. */
  function sessionWith(validities: bigint[], uids: number[]) {
    let selects = 0;
    const session = {
      label: 'test@host:143',
      reopen: async () => ({ uidValidity: validities[Math.min(selects++, validities.length - 1)] }) as MailboxObject,
      searchUids: async () => uids,
    };
    return session as unknown as ImapSession;
  }

  it('answers the UIDs with the UIDVALIDITY they were read under', async () => {
    expect(await listAllUids(sessionWith([7n, 7n], [1, 2, 5]), 'INBOX')).toEqual({ uidValidity: '7', uids: [1, 2, 5] });
  });

  it('rejects with a retryable UIDVALIDITY_CHANGED when the folder changed identity while it was read', async () => {
    await expect(listAllUids(sessionWith([7n, 8n], [1, 2]), 'INBOX')).rejects.toMatchObject({
      code: 'UIDVALIDITY_CHANGED', scope: 'folder', retry: 'now',
    });
  });
});
