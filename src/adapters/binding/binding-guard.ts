/**
 * Channel bindings on the adapters' side (RFC 5929 `tls-server-end-point`), in one place. The
 * flow binds each token to the certificate an adapter names (`FlowOptions.peerCertificate`) and
 * says what it bound (`flow.boundCertificate`); a {@link BindingGuard}, one per transport, is
 * what adapters use for both: it names the certificate, and it watches the attempt so that a
 * bound token is written only to a connection that presented that certificate.
 *
 * - `undici-guard.ts`: everything undici sends (fetch, ky, the interceptor, axios's fetch
 *   adapter), through undici's diagnostics channels.
 * - `node-guard.ts`: node:http(s) requests (axios's http adapter, got), through the request's
 *   socket.
 *
 * What a token is bound to lives with its attempt, and what a connection presented with the
 * connection (`peer-certificate.ts`). The one thing shared between clients is the guess for a
 * token sent up front, {@link lastSeenCertificates}.
 *
 * @module
 */
import { emit } from '../../core/diagnostics.js';
import { ChannelBindingError } from '../../core/errors.js';
import type { EndPointBinding } from './end-point-binding.js';

/**
 * What every transport's guard does. `Attempt` is how the transport tells one attempt from
 * another: undici, the `Authorization` value it will write; node:http, the `ClientRequest`.
 *
 * @example
 * ```ts
 * const flow = auth.flow(url, { peerCertificate: guard.peerCertificate(url) });
 * const authorization = await flow.start();
 * const stop = guard.watch(attempt, url, EndPointBinding.of(flow.boundCertificate));
 * try { await send(attempt); } finally { stop(); }
 * ```
 */
export interface BindingGuard<Attempt> {
  /**
   * What the flow reads as `peerCertificate` for a request to `url`: the certificate last seen
   * on a connection to its origin (normally the one a 401 came on, which carries the answer),
   * a guess that {@link BindingGuard.watch} checks when the token is written.
   */
  peerCertificate(url: URL): () => Uint8Array | null;
  /**
   * Watches one attempt to `url`. When it carries a token bound to `binding`, a connection that
   * presented another certificate (or none) is destroyed with a {@link ChannelBindingError}
   * before a byte of the request is written, and the attempt fails with that error. Returns the
   * function that stops watching, once the attempt is over.
   */
  watch(attempt: Attempt, url: URL, binding: EndPointBinding | null): () => void;
}

/** How many origins {@link LastSeenCertificates} remembers. */
const MAX_ORIGINS = 512;

/**
 * The certificate last seen on a connection to each https origin, for a token that must go up
 * front before its own connection is known (opportunistic auth, learned preemption, the next
 * leg after a session cookie stops working). Only ever a guess: the guard checks the connection
 * that carries the token before the token is written. Bounded; the oldest origin goes first.
 *
 * @example
 * ```ts
 * lastSeenCertificates.remember('https://intranet.example.org', binding);
 * lastSeenCertificates.get('https://intranet.example.org')?.hash; // 'sha256'
 * ```
 */
export class LastSeenCertificates {
  readonly #byOrigin = new Map<string, EndPointBinding>();

  remember(origin: string, binding: EndPointBinding): void {
    this.#byOrigin.delete(origin);
    this.#byOrigin.set(origin, binding);
    if (this.#byOrigin.size > MAX_ORIGINS)
      this.#byOrigin.delete(this.#byOrigin.keys().next().value as string);
  }

  /** Forgets what `origin` presented (the next token up front waits for a connection). */
  forget(origin: string): void {
    this.#byOrigin.delete(origin);
  }

  get(origin: string): EndPointBinding | null {
    return this.#byOrigin.get(origin) ?? null;
  }
}

/**
 * The process's guess, shared by every client on purpose: a connection any client made to an
 * origin tells what that origin presents (an application mixing fetch and got binds its first
 * got token up front as well as its fetch ones). Never what a token is checked against.
 *
 * @example
 * ```ts
 * const guess = lastSeenCertificates.get(url.origin)?.certificate ?? null; // what a token up front binds to
 * ```
 */
export const lastSeenCertificates: LastSeenCertificates = new LastSeenCertificates();

/**
 * The error for a bound token that met a connection with another certificate (or none), after
 * reporting it (the `http-gssapi:binding` channel). The connection is left to the caller: an
 * HTTP/1.1 connection is destroyed ({@link refuseConnection}), an HTTP/2 session shared with
 * other streams only gets no stream for this token.
 *
 * @example
 * ```ts
 * if (!bound.equals(bindingOfSocket(session.socket))) throw bindingMismatch(url);
 * ```
 */
export function bindingMismatch(url: URL | string): ChannelBindingError {
  const href = String(url);
  emit({ type: 'binding', url: href, result: 'mismatch' });
  return new ChannelBindingError(
    `the connection chosen for a request to ${new URL(href).origin} presented another TLS certificate than the one its Negotiate token is bound to; the request was stopped before the token was sent`,
    {
      hint: 'the server changed certificates, or connections to this origin reach servers with different certificates; retry the request (its new token is bound anew)',
    },
  );
}

/**
 * Stops a bound token from going on a connection with another certificate: reports it (the
 * `http-gssapi:binding` channel) and destroys the connection with a {@link ChannelBindingError},
 * before the client writes the request to it; the client then fails the request with that error.
 *
 * @example
 * ```ts
 * if (!bound.equals(bindingOfSocket(socket))) refuseConnection(socket, url);
 * ```
 */
export function refuseConnection(socket: { destroy(error?: Error): void }, url: URL | string): void {
  socket.destroy(bindingMismatch(url));
}
