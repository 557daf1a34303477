import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Certificate flavors, by key and signature: what RFC 5929 section 4.1 chooses a hash from. */
export const CERTIFICATE_KINDS = {
  'rsa-sha256': { args: ['-newkey', 'rsa:2048', '-sha256'], hash: 'sha256' },
  'ecdsa-sha384': {
    args: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'],
    hash: 'sha384',
  },
  /** SHA-1 becomes SHA-256; OpenSSL 3 needs `DEFAULT:@SECLEVEL=0` on both ends of a TLS connection. */
  'rsa-sha1': { args: ['-newkey', 'rsa:2048', '-sha1'], hash: 'sha256', ciphers: 'DEFAULT:@SECLEVEL=0' },
  'rsa-pss-sha512': {
    args: ['-newkey', 'rsa:2048', '-sigopt', 'rsa_padding_mode:pss', '-sha512'],
    hash: 'sha512',
  },
  'rsa-pss-sha1': {
    args: ['-newkey', 'rsa:2048', '-sigopt', 'rsa_padding_mode:pss', '-sha1'],
    hash: 'sha256',
  },
  ed25519: { args: ['-newkey', 'ed25519'], hash: 'sha512' },
  ed448: { args: ['-newkey', 'ed448'], hash: 'shake256' },
} as const;

export type CertificateKind = keyof typeof CERTIFICATE_KINDS;

/** A self-signed server certificate made at test time (openssl CLI), valid for `hostname`. */
export interface TestCertificate {
  readonly kind: CertificateKind;
  /** PEM. */
  readonly key: string;
  /** PEM; also what a client trusts (`ca`). */
  readonly cert: string;
  /** DER, what `tls-server-end-point` hashes. */
  readonly der: Uint8Array;
  /** The hash RFC 5929 section 4.1 (and our choice for RSA-PSS and EdDSA) gives it. */
  readonly hash: string;
  /** OpenSSL cipher list both ends need, when the default refuses the certificate (SHA-1). */
  readonly ciphers: string | undefined;
}

/** Makes a certificate of `kind` with the openssl command (a fresh key each time). */
export async function makeCertificate(
  kind: CertificateKind,
  hostname = 'localhost',
): Promise<TestCertificate> {
  const spec = CERTIFICATE_KINDS[kind];
  const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      ...spec.args,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${hostname}`,
      '-addext',
      `subjectAltName=DNS:${hostname}`,
    ]);
    const cert = await readFile(certFile, 'utf8');
    return {
      kind,
      key: await readFile(keyFile, 'utf8'),
      cert,
      der: new Uint8Array(new X509Certificate(cert).raw),
      hash: spec.hash,
      ciphers: 'ciphers' in spec ? spec.ciphers : undefined,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
