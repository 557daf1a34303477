import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import * as raw from './raw/index.js';

/** Fields of a channel bindings structure (RFC 2744 section 3.11). */
export interface ChannelBindingsInit {
  /** The binding proper; for HTTP over TLS, RFC 5929 data (see {@link ChannelBindings.tlsServerEndPoint}). */
  readonly applicationData?: Uint8Array;
  readonly initiatorAddressType?: number;
  readonly initiatorAddress?: Uint8Array;
  readonly acceptorAddressType?: number;
  readonly acceptorAddress?: Uint8Array;
}

/**
 * Channel bindings tie a GSSAPI exchange to the channel it runs over (RFC 2743 section 1.1.6):
 * both sides must pass the same bindings or the acceptor fails with `GSS_S_BAD_BINDINGS`.
 * For HTTP over TLS, the binding is RFC 5929 `tls-server-end-point` (what IIS "Extended
 * Protection for Authentication" checks); addresses are left empty, as NAT makes them
 * meaningless.
 *
 * @example
 * ```ts
 * import { ChannelBindings } from 'http-gssapi/gssapi';
 * import tls from 'node:tls';
 * const socket = tls.connect(443, 'web.example.org');
 * socket.once('secureConnect', () => {
 *   const cb = ChannelBindings.fromTlsSocket(socket); // pass as channelBindings to a SecurityContext
 * });
 * ```
 */
export class ChannelBindings {
  readonly applicationData: Uint8Array | undefined;
  readonly initiatorAddressType: number;
  readonly initiatorAddress: Uint8Array | undefined;
  readonly acceptorAddressType: number;
  readonly acceptorAddress: Uint8Array | undefined;

  constructor(init: ChannelBindingsInit = {}) {
    for (const key of ['applicationData', 'initiatorAddress', 'acceptorAddress'] as const) {
      if (init[key] !== undefined && !(init[key] instanceof Uint8Array)) {
        throw new TypeError(`${key} must be a Uint8Array`);
      }
    }
    this.applicationData = init.applicationData;
    this.initiatorAddressType = init.initiatorAddressType ?? raw.AddressType.UNSPEC;
    this.initiatorAddress = init.initiatorAddress;
    this.acceptorAddressType = init.acceptorAddressType ?? raw.AddressType.UNSPEC;
    this.acceptorAddress = init.acceptorAddress;
  }

  /**
   * RFC 5929 section 4 `tls-server-end-point`: the prefix followed by a hash of the server's
   * certificate, with the hash {@link ChannelBindings.endPointHash} picks.
   */
  static tlsServerEndPoint(certificateDer: Uint8Array): ChannelBindings {
    const hash = ChannelBindings.endPointHash(certificateDer);
    const digest =
      hash === 'shake256'
        ? createHash('shake256', { outputLength: 64 }).update(certificateDer).digest()
        : createHash(hash).update(certificateDer).digest();
    const prefix = new TextEncoder().encode('tls-server-end-point:');
    const data = new Uint8Array(prefix.length + digest.length);
    data.set(prefix);
    data.set(digest, prefix.length);
    return new ChannelBindings({ applicationData: data });
  }

  /**
   * The hash `tls-server-end-point` uses for a certificate (DER). RFC 5929 section 4.1: the
   * hash of the certificate's signatureAlgorithm, except MD5 and SHA-1, which become SHA-256.
   * Where section 4.1 leaves the answer open, we do what OpenSSL 3's `X509_digest_sig` does
   * (and so servers built on it):
   *
   * - RSASSA-PSS names its hash in its parameters (RFC 4055 section 3.1): that hash is the
   *   signature's one hash, so it is used (SHA-1, the parameters' default, becomes SHA-256).
   *   Python's `cryptography` (requests-kerberos, pyspnego) reads it the same way.
   * - EdDSA hashes inside the algorithm: Ed25519 gets SHA-512 and Ed448 SHAKE256 (64 bytes).
   *   requests-kerberos sends no binding for them and curl fails; Windows (SChannel, IIS) has
   *   no EdDSA server certificates, so no server that enforces bindings today sees one.
   * - Anything else that names no hash of its own: SHA-256.
   *
   * @example
   * ```ts
   * ChannelBindings.endPointHash(certificate.raw); // 'sha384' for an ecdsa-with-SHA384 certificate
   * ```
   */
  static endPointHash(certificateDer: Uint8Array): EndPointHash {
    return endPointHash(certificateDer);
  }

  /**
   * {@link ChannelBindings.tlsServerEndPoint} for the peer certificate of a connected TLS socket.
   * Reads it with `getPeerCertificate()`, which leaves the socket's certificate in place
   * (`getPeerX509Certificate()` takes it out of OpenSSL's peer chain on Node 20: a second call,
   * and every `getPeerCertificate()` after it, finds nothing). Read it once per connection, at
   * connect time: a renegotiation may change it later.
   */
  static fromTlsSocket(socket: TLSSocket): ChannelBindings {
    const raw = socket.getPeerCertificate?.()?.raw;
    if (!raw || raw.length === 0)
      throw new TypeError('the TLS socket has no peer certificate yet (wait for secureConnect)');
    return ChannelBindings.tlsServerEndPoint(raw);
  }

  /** Internal: the raw layer's form. */
  toRaw(): raw.ChannelBindingsInput {
    return {
      initiatorAddrType: this.initiatorAddressType,
      ...(this.initiatorAddress ? { initiatorAddress: this.initiatorAddress } : {}),
      acceptorAddrType: this.acceptorAddressType,
      ...(this.acceptorAddress ? { acceptorAddress: this.acceptorAddress } : {}),
      ...(this.applicationData ? { applicationData: this.applicationData } : {}),
    };
  }
}

/**
 * A hash {@link ChannelBindings.endPointHash} may pick (Node's `createHash` names; `shake256`
 * with a 64-byte output).
 *
 * @example
 * ```ts
 * const hash: EndPointHash = ChannelBindings.endPointHash(certificateDer);
 * ```
 */
export type EndPointHash = 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'shake256';

/** Signature algorithm OIDs (DER content, hex) whose hash RFC 5929 keeps. */
const SIGNATURE_HASHES: Readonly<Record<string, EndPointHash>> = {
  '2a864886f70d01010e': 'sha224', // sha224WithRSAEncryption
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d040301': 'sha224', // ecdsa-with-SHA224
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
  '2b6570': 'sha512', // id-Ed25519 (RFC 8410)
  '2b6571': 'shake256', // id-Ed448 (RFC 8410)
};

/** Hash algorithm OIDs (NIST, RFC 5754) a RSASSA-PSS signature may name. */
const PSS_HASHES: Readonly<Record<string, EndPointHash>> = {
  '608648016503040204': 'sha224',
  '608648016503040201': 'sha256',
  '608648016503040202': 'sha384',
  '608648016503040203': 'sha512',
};

/** id-RSASSA-PSS, 1.2.840.113549.1.1.10 (RFC 4055). */
const RSASSA_PSS = '2a864886f70d01010a';

/** Reads Certificate.signatureAlgorithm (RFC 5280 section 4.1.1.2) with a minimal DER walk. */
function endPointHash(der: Uint8Array): EndPointHash {
  try {
    let pos = 0;
    const header = () => {
      const tag = der[pos++]!;
      let len = der[pos++]!;
      if (len & 0x80) {
        const n = len & 0x7f;
        if (n > 4) throw new RangeError('length too long');
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[pos++]!;
      }
      if (pos + len > der.length) throw new RangeError('truncated');
      return { tag, len };
    };
    const hex = (len: number) => Buffer.from(der.subarray(pos, pos + len)).toString('hex');
    header(); // Certificate SEQUENCE
    const tbs = header(); // tbsCertificate
    pos += tbs.len;
    header(); // signatureAlgorithm SEQUENCE
    const oid = header();
    if (oid.tag !== 0x06) return 'sha256';
    const algorithm = hex(oid.len);
    pos += oid.len;
    if (algorithm !== RSASSA_PSS) return SIGNATURE_HASHES[algorithm] ?? 'sha256';
    // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] HashAlgorithm DEFAULT sha1, ... }
    if (pos >= der.length || header().tag !== 0x30) return 'sha256';
    if (der[pos] !== 0xa0) return 'sha256'; // the default, SHA-1: SHA-256 (RFC 5929 section 4.1)
    header(); // [0]
    if (header().tag !== 0x30) return 'sha256'; // AlgorithmIdentifier
    const hashOid = header();
    return hashOid.tag === 0x06 ? (PSS_HASHES[hex(hashOid.len)] ?? 'sha256') : 'sha256';
  } catch {
    return 'sha256';
  }
}
