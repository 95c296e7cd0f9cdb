/**
 * ImapWatcher against a server without IDLE: a Dovecot whose post-login CAPABILITY leaves
 * IDLE out (`imap_capability`), so the watcher polls STATUS and reports 'polled'. Waits
 * are bounded; the only timing assertions are generous upper bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapWatcher } from '../../src/connectors/imap/index.js';
import type { WatchEvent } from '../../src/connectors/types.js';
import { ImapSideChannel } from '../contract/imap-side-channel.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const FOLDER = 'Polled';
const POLL_SECONDS = 0.5;
/** Dovecot 2.3's post-login capabilities, less IDLE. */
const WITHOUT_IDLE = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE ESEARCH LIST-STATUS MOVE STATUS=SIZE LITERAL+';

let dovecot: DovecotServer;
let proxy: TcpProxy;
let changes: ImapSideChannel;

beforeAll(async () => {
  dovecot = await startDovecot({ users: ['poll'], extraConfig: `protocol imap {\n  imap_capability = ${WITHOUT_IDLE}\n}` });
  proxy = await startTcpProxy(dovecot.imapPort);
  changes = await ImapSideChannel.open({ port: dovecot.imapPort, user: 'poll', password: dovecot.password }, FOLDER);
});

afterAll(async () => {
  await changes?.close();
  await proxy?.close();
  await dovecot?.stop();
});

async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ImapWatcher without IDLE', () => {
  it('polls STATUS: reports a change as polled, comes back after a cut with reconnected, and stops on abort', async () => {
    const watcher = new ImapWatcher({ host: '127.0.0.1', port: proxy.port, user: 'poll', password: dovecot.password, tls: 'off' });
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    let settled = false;
    const done = watcher.watch(FOLDER, { signal: controller.signal, pollSeconds: POLL_SECONDS, onChange: (event) => events.push(event) });
    void done.then(() => { settled = true; }, () => { settled = true; });
    try {
      await until(() => proxy.accepted >= 1, 5_000, 'the watcher to connect');
      // The first STATUS is the baseline; wait one poll so the append comes after it.
      await new Promise((resolve) => setTimeout(resolve, POLL_SECONDS * 1000 * 2));
      expect(watcher.push).toBe(false);
      expect(events).toEqual([]);

      const uid = await changes.append(Buffer.from('Subject: polled\r\n\r\nbody\r\n'), []);
      await until(() => events.includes('polled'), POLL_SECONDS * 1000 + 3_000, "'polled' after APPEND");

      let mark = events.length;
      await changes.setFlags(uid, ['\\Seen']);
      // CONDSTORE: a flag change moves HIGHESTMODSEQ, which STATUS shows.
      await until(() => events.slice(mark).includes('polled'), POLL_SECONDS * 1000 + 3_000, "'polled' after STORE");

      mark = events.length;
      proxy.cutAll();
      await until(() => events.slice(mark).includes('reconnected'), 10_000, "'reconnected' after the cut");
    } finally {
      controller.abort();
      await until(() => settled, 5_000, 'watch() to resolve after abort');
      await done;
    }
  });
});
