/**
 * Certificate credentials of an Entra app (what admins prefer to client secrets): one PEM
 * file with the app's certificate and its private key, as uploaded to the app registration.
 * msal signs its client assertion with the key and names the certificate by its SHA-256
 * thumbprint; the certificate itself goes along as x5c (subject name/issuer validation).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface CertificateCredential {
  /** Hex SHA-256 of the certificate's DER, as msal wants it. */
  readonly thumbprintSha256: string;
  /** The private key as PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), msal's only accepted form. */
  readonly privateKey: string;
  /** The certificate PEM. */
  readonly x5c: string;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

/**
 * Reads the PEM text of `what` (for messages; the text itself is never quoted). Throws an
 * Error naming what is missing or unreadable.
 */
export function parseCertificateCredential(pem: string, what: string): CertificateCredential {
  const certText = CERTIFICATE.exec(pem)?.[0];
  const keyText = PRIVATE_KEY.exec(pem)?.[0];
  if (certText === undefined || keyText === undefined) {
    throw new Error(`${what} must hold the app's certificate (BEGIN CERTIFICATE) and its private key (BEGIN PRIVATE KEY) in PEM`);
  }
  if (keyText.includes('ENCRYPTED')) throw new Error(`${what}: the private key is encrypted; store it unencrypted in a file only mailferry can read (mode 0600)`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certText);
  } catch {
    throw new Error(`${what}: the certificate does not parse`);
  }
  let privateKey: string;
  try {
    privateKey = createPrivateKey(keyText).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new Error(`${what}: the private key does not parse`);
  }
  if (!certificate.checkPrivateKey(createPrivateKey(privateKey))) throw new Error(`${what}: the private key does not belong to the certificate`);
  return { thumbprintSha256: certificate.fingerprint256.replace(/:/g, '').toLowerCase(), privateKey, x5c: certText };
}
