/**
 * The IMAP connector builds on internals of imapflow 2.1 that are not its public API:
 * MULTIAPPEND (multi-append.ts) writes through the client's `exec`, `write` and
 * `commandParts` and imapflow's lib/tools.js helpers, and every command goes through the
 * account's back-off gate by wrapping `exec` (gated-client.ts); UNSELECT goes through
 * `exec` and sets the client's selection state (deselect.ts). The first two fall back when the
 * internals are gone (one APPEND per message; a gate per operation), so an imapflow
 * upgrade that removes them would only make mailferry slower, silently: this test is what
 * makes such an upgrade fail loudly.
 */
import { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { multiAppendSupport } from '../../src/connectors/imap/multi-append.js';

const client = () => new ImapFlow({ host: '127.0.0.1', port: 1, auth: { user: 'nobody', pass: 'x' }, logger: false });

describe('the imapflow internals mailferry builds on', () => {
  it('are all there: MULTIAPPEND is used, not the one-message-per-APPEND fallback', async () => {
    expect(await multiAppendSupport(client()), 'imapflow changed: update multi-append.ts, or pin the version that has these').toBeUndefined();
  });

  it('include exec(), through which every command passes the account\'s back-off gate', () => {
    expect(typeof (client() as unknown as { exec?: unknown }).exec, 'imapflow changed: update gated-client.ts').toBe('function');
  });

  it('include the selection state UNSELECT sets as imapflow\'s own CLOSE does (deselect.ts)', () => {
    const state = client() as unknown as { state?: unknown; states?: { AUTHENTICATED?: unknown; SELECTED?: unknown }; mailbox?: unknown; currentSelectCommand?: unknown };
    expect(state.states?.AUTHENTICATED, 'imapflow changed: update deselect.ts').toBeDefined();
    expect(state.states?.SELECTED, 'imapflow changed: update deselect.ts').toBeDefined();
    expect('state' in state && 'mailbox' in state && 'currentSelectCommand' in state, 'imapflow changed: update deselect.ts').toBe(true);
  });

  it('are reported as missing when a client lacks them', async () => {
    expect(await multiAppendSupport({} as ImapFlow)).toBe('ImapFlow lacks exec(), write(), commandParts');
  });
});
