/**
 * The floor for reading: one imapflow connection FETCHes BODY.PEEK[] of every message of
 * every selectable folder (`1:*`, streamed, bodies discarded), folder after folder.
 *
 * Run as a child process so its wall time and peak RSS are measured like the others:
 *   MAILFERRY_SOURCE_PASSWORD=... node bench/raw-fetch.mjs --port P --user U [--host H]
 * Prints {"messages":N,"bytes":B,"folders":F} on stdout.
 */
import { pathToFileURL } from 'node:url';
import { ImapFlow } from 'imapflow';

export async function rawFetchAll({ host = '127.0.0.1', port, user, password }) {
  const client = new ImapFlow({
    host, port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false, disableAutoIdle: true,
  });
  client.on('error', () => {});
  await client.connect();
  let messages = 0;
  let bytes = 0;
  let folders = 0;
  try {
    const list = (await client.list()).filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'));
    for (const folder of list) {
      const mailbox = await client.mailboxOpen(folder.path, { readOnly: true });
      folders += 1;
      if (mailbox.exists === 0) continue;
      for await (const msg of client.fetch('1:*', { source: true })) {
        messages += 1;
        bytes += msg.source?.length ?? 0;
      }
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return { messages, bytes, folders };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const result = await rawFetchAll({
    host: arg('host', '127.0.0.1'),
    port: Number(arg('port')),
    user: arg('user'),
    password: process.env.MAILFERRY_SOURCE_PASSWORD ?? '',
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
