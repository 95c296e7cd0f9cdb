import net from 'node:net';

/** A POP3 session that logs in and holds the maildrop (its lock) until released. */
export interface Pop3Holder {
  /** QUIT and close: the server lets the next session in. Calling it again waits for the same. */
  release(): Promise<void>;
}

/** USER/PASS on plain POP3; resolves once the server said +OK to PASS (the maildrop is locked). */
export async function holdMaildrop(port: number, user: string, password: string): Promise<Pop3Holder> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let received = '';
  const waitFor = (count: number): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pop3 holder: no answer in ${JSON.stringify(received)}`)), 15_000);
    const check = () => {
      const lines = received.split('\r\n').filter((line) => /^[+-]/.test(line));
      if (lines.some((line) => line.startsWith('-ERR'))) {
        clearTimeout(timer);
        reject(new Error(`pop3 holder: ${received}`));
      } else if (lines.length >= count) {
        clearTimeout(timer);
        socket.off('data', check);
        resolve();
      }
    };
    socket.on('data', check);
    check();
  });
  socket.on('data', (chunk: string) => { received += chunk; });
  socket.on('error', () => undefined);
  await waitFor(1);
  socket.write(`USER ${user}\r\n`);
  await waitFor(2);
  socket.write(`PASS ${password}\r\n`);
  await waitFor(3);
  let released: Promise<void> | undefined;
  return {
    // Once: a second call waits for the same QUIT.
    release: () => (released ??= new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end('QUIT\r\n');
      setTimeout(() => { socket.destroy(); resolve(); }, 5_000).unref();
    })),
  };
}
