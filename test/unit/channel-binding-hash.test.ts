import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { ChannelBindings } from '../../src/gssapi/index.js';
import {
  CERTIFICATE_KINDS,
  type CertificateKind,
  makeCertificate,
  type TestCertificate,
} from '../helpers/test-certificates.js';

// RFC 5929 section 4.1: the certificate's signature hash, MD5 and SHA-1 becoming SHA-256; RSA-PSS
// and EdDSA as OpenSSL 3's X509_digest_sig answers them (docs/channel-bindings.md).

const PREFIX = Buffer.from('tls-server-end-point:');

describe('tls-server-end-point hash per signature algorithm', () => {
  const certificates = new Map<CertificateKind, TestCertificate>();
  before(async () => {
    for (const kind of Object.keys(CERTIFICATE_KINDS) as CertificateKind[]) {
      certificates.set(kind, await makeCertificate(kind));
    }
  });

  for (const [kind, { hash }] of Object.entries(CERTIFICATE_KINDS)) {
    test(`${kind}: ${hash}`, () => {
      const { der } = certificates.get(kind as CertificateKind)!;
      assert.equal(ChannelBindings.endPointHash(der), hash);
      const digest =
        hash === 'shake256'
          ? createHash('shake256', { outputLength: 64 }).update(der).digest()
          : createHash(hash).update(der).digest();
      const data = ChannelBindings.tlsServerEndPoint(der).applicationData!;
      assert.deepEqual(Buffer.from(data), Buffer.concat([PREFIX, digest]));
    });
  }

  test('bytes that are no certificate: SHA-256, no throw', () => {
    assert.equal(ChannelBindings.endPointHash(new Uint8Array([0x30, 0x82, 0xff])), 'sha256');
    assert.equal(ChannelBindings.endPointHash(new Uint8Array()), 'sha256');
  });
});
