/** Self-signed certificates for the loopback test servers (Dovecot's TLS, the fake token service). */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A P-256 certificate for 127.0.0.1 and localhost in `dir` (created if missing); EC keys
 * generate in milliseconds, RSA ones do not. Pass `certFile` as the CA to trust it.
 */
export async function writeSelfSignedCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  await fs.mkdir(dir, { recursive: true });
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ]);
  await fs.chmod(keyFile, 0o600);
  return { certFile, keyFile };
}
