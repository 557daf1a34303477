/**
 * The server certificate of each TLS connection, read once per socket when the handshake is
 * done, for RFC 5929 `tls-server-end-point` channel bindings. A certificate is only ever used
 * for tokens that go on the connection it came from, or checked against that connection before
 * a token is written to it: never taken from another host or another connection.
 *
 * @module
 */

/** What a TLS socket offers that this module reads. */
interface TlsPeer {
  readonly encrypted?: boolean;
  getPeerCertificate?(detailed?: boolean): { readonly raw?: Uint8Array } | null | undefined;
}

const captured = new WeakMap<object, Uint8Array>();

/**
 * The DER certificate the server presented on this socket, read the first time it is asked for
 * (after the TLS handshake) and kept for the socket's life: a renegotiation later in the
 * connection does not change the answer. Null for a socket that is not TLS or has no
 * certificate yet (still handshaking).
 *
 * `getPeerCertificate()` is used because it leaves OpenSSL's peer chain alone; Node 20's
 * `getPeerX509Certificate()` removes the leaf from it, so a second read of any kind fails.
 */
export function peerCertificateOf(socket: unknown): Uint8Array | null {
  if (typeof socket !== 'object' || socket === null) return null;
  const known = captured.get(socket);
  if (known) return known;
  const peer = socket as TlsPeer;
  if (!peer.encrypted || typeof peer.getPeerCertificate !== 'function') return null;
  let raw: Uint8Array | undefined;
  try {
    raw = peer.getPeerCertificate(false)?.raw;
  } catch {
    return null;
  }
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  const der = new Uint8Array(raw);
  captured.set(socket, der);
  return der;
}

/** Whether two certificates are the same bytes. */
export function sameCertificate(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a !== null && b !== null && Buffer.from(a).equals(b);
}

/** How many origins {@link OriginCertificates} remembers. */
const MAX_ORIGINS = 512;

/**
 * The certificate last seen on a connection to each https origin, for a token that must go up
 * front before its own connection is known (opportunistic auth, learned preemption). It is a
 * guess, never trusted: the adapter checks the connection that carries the token before the
 * token is written, and fails the request rather than send it on a connection with another
 * certificate. Bounded; the oldest origin is forgotten first.
 */
export class OriginCertificates {
  readonly #byOrigin = new Map<string, Uint8Array>();

  remember(origin: string, certificate: Uint8Array): void {
    this.#byOrigin.delete(origin);
    this.#byOrigin.set(origin, certificate);
    if (this.#byOrigin.size > MAX_ORIGINS) {
      this.#byOrigin.delete(this.#byOrigin.keys().next().value as string);
    }
  }

  get(origin: string): Uint8Array | null {
    return this.#byOrigin.get(origin) ?? null;
  }
}

/** The process's last-seen certificates, filled by every adapter. */
export const originCertificates: OriginCertificates = new OriginCertificates();
