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
   * RFC 5929 section 4: `tls-server-end-point:` followed by the hash of the server's certificate,
   * with the certificate's signature hash, or SHA-256 when that is MD5, SHA-1 or not a plain hash
   * (RSASSA-PSS, EdDSA: the choice Windows and MIT peers make).
   */
  static tlsServerEndPoint(certificateDer: Uint8Array): ChannelBindings {
    const hash = endPointHash(certificateDer);
    const digest = createHash(hash).update(certificateDer).digest();
    const prefix = new TextEncoder().encode('tls-server-end-point:');
    const data = new Uint8Array(prefix.length + digest.length);
    data.set(prefix);
    data.set(digest, prefix.length);
    return new ChannelBindings({ applicationData: data });
  }

  /** {@link ChannelBindings.tlsServerEndPoint} for the peer certificate of a connected TLS socket. */
  static fromTlsSocket(socket: TLSSocket): ChannelBindings {
    const cert = socket.getPeerX509Certificate?.();
    if (!cert) throw new TypeError('the TLS socket has no peer certificate yet (wait for secureConnect)');
    return ChannelBindings.tlsServerEndPoint(cert.raw);
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

/** Signature algorithm OIDs (DER content, hex) whose hash RFC 5929 keeps. */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
};

/** Reads Certificate.signatureAlgorithm (RFC 5280 section 4.1.1.2) with a minimal DER walk. */
function endPointHash(der: Uint8Array): string {
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
      return { tag, len };
    };
    header(); // Certificate SEQUENCE
    const tbs = header(); // tbsCertificate
    pos += tbs.len;
    header(); // signatureAlgorithm SEQUENCE
    const oid = header();
    if (oid.tag !== 0x06) return 'sha256';
    const hex = Buffer.from(der.subarray(pos, pos + oid.len)).toString('hex');
    return SIGNATURE_HASHES[hex] ?? 'sha256';
  } catch {
    return 'sha256';
  }
}
