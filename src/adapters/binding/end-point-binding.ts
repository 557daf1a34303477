/**
 * The RFC 5929 `tls-server-end-point` binding of one server certificate, as a value: the
 * certificate, the hash section 4.1 picks for it, its packed form, and equality. No socket, no
 * state: what a token is bound to, and what a connection would bind it to, compare as values.
 *
 * @module
 */
import { ChannelBindings, type EndPointHash } from '../../gssapi/channel-bindings.js';

/**
 * One server certificate (DER) as a `tls-server-end-point` channel binding (RFC 5929 section 4).
 * Two bindings are equal when their certificates are the same bytes: the hash is a function of
 * the certificate, so equal certificates make equal application data.
 *
 * @example
 * ```ts
 * const bound = EndPointBinding.of(flow.boundCertificate);          // null: the token is unbound
 * if (bound && !bound.equals(EndPointBinding.of(connectionCertificate))) refuse();
 * bound?.hash;               // 'sha384' for an ecdsa-with-SHA384 certificate
 * bound?.channelBindings();  // the GSSAPI structure (RFC 2744 section 3.11)
 * ```
 */
export class EndPointBinding {
  /** The certificate the server presented (DER), a copy this value owns. */
  readonly certificate: Uint8Array;
  #hash: EndPointHash | undefined;

  private constructor(certificate: Uint8Array) {
    this.certificate = certificate;
  }

  /** The binding of `certificate` (copied), or null for none (an unbound token, a plain connection). */
  static of(certificate: Uint8Array | null | undefined): EndPointBinding | null {
    if (!(certificate instanceof Uint8Array) || certificate.length === 0) return null;
    return new EndPointBinding(new Uint8Array(certificate));
  }

  /** The hash RFC 5929 section 4.1 picks for the certificate (computed once, when asked). */
  get hash(): EndPointHash {
    this.#hash ??= ChannelBindings.endPointHash(this.certificate);
    return this.#hash;
  }

  /** Packed for GSSAPI: empty addresses, `tls-server-end-point:` and the hash as application data. */
  channelBindings(): ChannelBindings {
    return ChannelBindings.tlsServerEndPoint(this.certificate);
  }

  /** Whether `other` binds to the same certificate; never equal to null (no binding). */
  equals(other: EndPointBinding | null): boolean {
    return other !== null && Buffer.from(this.certificate).equals(other.certificate);
  }
}
