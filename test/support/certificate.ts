/** Certificates for the loopback test servers (Dovecot's TLS, the fake token service, the Graph server) and for client apps. */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
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

/** A private certificate authority for the loopback test servers (see {@link createTestCa}). */
export interface TestCa {
  /** PEM of the CA certificate, and the file holding it: the one thing a client must trust. */
  readonly caPem: Buffer;
  readonly caFile: string;
  /** A fresh P-256 server certificate for 127.0.0.1 and localhost, signed by this CA. */
  issueServerCertificate(name?: string): Promise<{ cert: Buffer; key: Buffer; certFile: string; keyFile: string }>;
}

/**
 * A private CA (EC P-256, generated in milliseconds) in `dir`. Every HTTPS test server that
 * takes its certificate from {@link TestCa.issueServerCertificate} is trusted by the one CA
 * file, as production clients trust one corporate CA rather than each server's own
 * self-signed certificate (and Node checks the chain, the CA bit and the IP SAN as it
 * would for a real service).
 */
export async function createTestCa(dir: string): Promise<TestCa> {
  await fs.mkdir(dir, { recursive: true });
  const caFile = path.join(dir, 'ca.pem');
  const caKeyFile = path.join(dir, 'ca-key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
    '-subj', '/CN=mailferry test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', caKeyFile, '-out', caFile,
  ]);
  await fs.chmod(caKeyFile, 0o600);
  const caPem = await fs.readFile(caFile);
  let issued = 0;
  return {
    caPem,
    caFile,
    async issueServerCertificate(name = 'server') {
      issued += 1;
      const certFile = path.join(dir, `${name}-${issued}.pem`);
      const keyFile = path.join(dir, `${name}-${issued}-key.pem`);
      // OpenSSL 3's `req -x509 -CA` makes the key and signs it with the CA in one step.
      await run('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
        '-CA', caFile, '-CAkey', caKeyFile, '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE',
        '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=serverAuth',
        '-keyout', keyFile, '-out', certFile,
      ]);
      await fs.chmod(keyFile, 0o600);
      const [cert, key] = await Promise.all([fs.readFile(certFile), fs.readFile(keyFile)]);
      return { cert, key, certFile, keyFile };
    },
  };
}

/** An app's certificate credential: what an Entra app registration holds and what the app keeps. */
export interface ClientCertificate {
  /** The public certificate (uploaded to the app registration). */
  readonly certificatePem: string;
  /** The app's RSA private key (PKCS#8 PEM), which signs its client assertions. */
  readonly privateKeyPem: string;
  /** SHA-1 and SHA-256 of the certificate's DER, upper-case hex as the Entra portal shows them (msal-node's `thumbprint` / `thumbprintSha256`). */
  readonly thumbprintSha1: string;
  readonly thumbprintSha256: string;
}

/**
 * An RSA 2048 key and a self-signed certificate for a client app's certificate credentials
 * (Entra takes RSA certificates for apps; msal-node signs its client assertion with RS256
 * or PS256). The files are written in `dir` and removed with it.
 */
export async function makeClientCertificate(dir: string, subject = 'mailferry test app'): Promise<ClientCertificate> {
  await fs.mkdir(dir, { recursive: true });
  const certFile = path.join(dir, 'client-cert.pem');
  const keyFile = path.join(dir, 'client-key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '365', '-subj', `/CN=${subject}`, '-keyout', keyFile, '-out', certFile,
  ]);
  await fs.chmod(keyFile, 0o600);
  const [certificatePem, privateKeyPem] = await Promise.all([fs.readFile(certFile, 'utf8'), fs.readFile(keyFile, 'utf8')]);
  const der = new X509Certificate(certificatePem).raw;
  return {
    certificatePem,
    privateKeyPem,
    thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}
