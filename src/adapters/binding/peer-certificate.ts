/**
 * The server certificate of each TLS connection, read once per socket when the handshake is
 * done, for RFC 5929 `tls-server-end-point` channel bindings. A certificate is only ever used
 * for tokens that go on the connection it came from, or checked against that connection before
 * a token is written to it: never taken from another host or another connection.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { EndPointBinding } from './end-point-binding.js';

/** What a TLS socket offers that this module reads. */
interface TlsPeer {
  readonly encrypted?: boolean;
  getPeerCertificate?(detailed?: boolean): { readonly raw?: Uint8Array } | null | undefined;
  isSessionReused?(): boolean;
  getSession?(): Uint8Array | undefined;
  on?(event: 'session', listener: (session: Uint8Array) => void): unknown;
}

/** What each socket's server presented, read once: state that lives and dies with the connection. */
const captured = new WeakMap<object, EndPointBinding>();

/** How many TLS sessions {@link certificateOfSession} remembers. */
const MAX_SESSIONS = 1024;

/**
 * The server certificate each TLS session was established with, by a hash of the session as
 * Node serializes it (what a client offers to resume it, and what `getSession()` then returns).
 */
const bySession = new Map<string, Uint8Array>();

const sessionKey = (session: Uint8Array) => createHash('sha256').update(session).digest('base64');

function rememberSession(session: Uint8Array | undefined, certificate: Uint8Array): void {
  if (!(session instanceof Uint8Array) || session.length === 0) return;
  const key = sessionKey(session);
  bySession.delete(key);
  bySession.set(key, certificate);
  if (bySession.size > MAX_SESSIONS) bySession.delete(bySession.keys().next().value as string);
}

/**
 * The certificate of a resumed connection: Node gives none (a client's `getPeerCertificate()`
 * reads OpenSSL's peer chain, which a resumed session does not carry), so it is the one the
 * session was first established with, on a connection this module saw (RFC 5246 section 7.3 and
 * RFC 8446 section 2.2: resumption proves the server is the one of the original handshake).
 */
function certificateOfSession(peer: TlsPeer): Uint8Array | undefined {
  if (!peer.isSessionReused?.()) return undefined;
  const session = peer.getSession?.();
  return session instanceof Uint8Array ? bySession.get(sessionKey(session)) : undefined;
}

/**
 * The binding of the certificate the server presented on this socket, read the first time it is
 * asked for (after the TLS handshake) and kept with the socket for its life: a renegotiation
 * later in the connection does not change the answer. A resumed connection has the certificate
 * its session was established with. Null for a socket that is not TLS, has no certificate yet
 * (still handshaking), or resumed a session this module never saw established.
 *
 * `getPeerCertificate()` is used because it leaves OpenSSL's peer chain alone; Node 20's
 * `getPeerX509Certificate()` removes the leaf from it, so a second read of any kind fails.
 *
 * @example
 * ```ts
 * socket.once('secureConnect', () => console.log(bindingOfSocket(socket)?.hash)); // e.g. 'sha256'
 * ```
 */
export function bindingOfSocket(socket: unknown): EndPointBinding | null {
  if (typeof socket !== 'object' || socket === null) return null;
  const known = captured.get(socket);
  if (known) return known;
  const peer = socket as TlsPeer;
  if (!peer.encrypted || typeof peer.getPeerCertificate !== 'function') return null;
  let binding: EndPointBinding | null;
  try {
    const raw = peer.getPeerCertificate(false)?.raw;
    binding = EndPointBinding.of(
      raw instanceof Uint8Array && raw.length > 0 ? raw : certificateOfSession(peer),
    );
    if (!binding) return null;
    // The sessions this connection establishes (TLS 1.2: the current one; TLS 1.3: the tickets
    // that arrive after the handshake) resume with this certificate.
    const certificate = binding.certificate;
    rememberSession(peer.getSession?.(), certificate);
    peer.on?.('session', (session) => rememberSession(session, certificate));
  } catch {
    return null;
  }
  captured.set(socket, binding);
  return binding;
}
