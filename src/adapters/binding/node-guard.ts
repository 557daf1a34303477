/**
 * The {@link BindingGuard} for requests sent by node:http(s) (axios's http adapter, got): each
 * request is watched from the moment node:http gives it a socket, before node:http writes
 * anything to it, so that a token goes only on a connection whose certificate it is bound to.
 *
 * @module
 */
import http, { type ClientRequest } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type BindingGuard, lastSeenCertificates, refuseConnection } from './binding-guard.js';
import type { EndPointBinding } from './end-point-binding.js';
import { http2WrapperConnection, watchHttp2Request } from './h2-guard.js';
import { bindingOfSocket } from './peer-certificate.js';

/**
 * node:http(s)'s guard. An attempt is its `ClientRequest`: its connection's certificate is read
 * once (at connect time for a new connection) and is the guess for its origin. When the request
 * carries a bound token, its bytes are held back (`cork`) until the TLS handshake of a new
 * connection is done, and the connection is checked. Every listener is on the request or its
 * socket, so the state goes with them.
 *
 * @example
 * ```ts
 * const request = https.request(url);
 * nodeGuard.watch(request, url, EndPointBinding.of(flow.boundCertificate));
 * ```
 */
export const nodeGuard: BindingGuard<ClientRequest> = {
  peerCertificate(url) {
    return () => lastSeenCertificates.get(url.origin)?.certificate ?? null;
  },
  watch(request, url, binding) {
    if (url.protocol !== 'https:') return () => {};
    request.once('socket', (socket: Socket) => watchSocket(socket as TLSSocket, url, binding));
    // The socket's listeners end with the request's use of it: nothing to stop.
    return () => {};
  },
};

function watchSocket(tls: TLSSocket, url: URL, binding: EndPointBinding | null): void {
  if (!tls.encrypted) {
    // A bound token over a connection that is not TLS to the origin: never.
    if (binding !== null) refuseConnection(tls, url);
    return;
  }
  const check = (): boolean => {
    const presented = bindingOfSocket(tls);
    if (presented) lastSeenCertificates.remember(url.origin, presented);
    if (binding === null || binding.equals(presented)) return true;
    refuseConnection(tls, url);
    return false;
  };
  // getFinished() is undefined until the handshake is done (a new connection).
  if (tls.getFinished?.() !== undefined) {
    check();
    return;
  }
  if (binding !== null) tls.cork();
  tls.once('secureConnect', () => {
    if (check() && binding !== null) tls.uncork();
  });
}

/** A `request(options, callback)` module such as node:https, as axios's `transport` takes it. */
interface Transport {
  request(...args: unknown[]): ClientRequest;
}

/**
 * axios's `transport` for one attempt to an https `url`: node:https (or the caller's own
 * transport), with each request it makes watched by {@link nodeGuard}.
 *
 * @example
 * ```ts
 * const config = { ...rest, transport: watchedTransport(config.transport, url, binding) };
 * ```
 */
export function watchedTransport(inner: unknown, url: URL, binding: EndPointBinding | null): Transport {
  return {
    request(...args: unknown[]) {
      // Without a transport of the caller's, axios would pick node:http(s) by the request's protocol.
      const plain = (args[0] as { protocol?: string } | undefined)?.protocol === 'http:';
      const base = (inner ?? (plain ? http : https)) as Transport;
      const request = base.request(...args);
      nodeGuard.watch(request, url, binding);
      return request;
    },
  };
}

/** Marks a request function made by {@link watchGotRequest}, with the one it wraps. */
const WRAPPED = Symbol('http-gssapi.guarded-request');

type RequestFunction = ((url: URL, ...rest: unknown[]) => unknown) & {
  [WRAPPED]?: RequestFunction | undefined;
};

/** What got's `beforeRequest` hook gives that {@link watchGotRequest} reads and sets. */
interface GotRequestOptions {
  url?: unknown;
  request?: unknown;
  http2?: boolean;
  h2session?: unknown;
  /** got's own choice without a `request` option (node:https, or `http2-wrapper`'s `auto`). */
  getFallbackRequestFunction?(): unknown;
}

/**
 * got's side of {@link nodeGuard}, from its `beforeRequest` hook: the attempt's `request`
 * function (got's `request` option, or got's own choice) wrapped so that the request it makes is
 * watched, bound to `binding` (null: the attempt carries no bound token). Over HTTP/1.1 the
 * `ClientRequest` is watched by {@link nodeGuard}; with got's `http2` option, `http2-wrapper`'s
 * request is watched by {@link watchHttp2Request} (the HTTP/2 session is checked before the
 * stream opens; a server that picks HTTP/1.1 by ALPN gets a `ClientRequest`, watched as above).
 * Only https; any other hop gets the caller's own function back.
 *
 * @example
 * ```ts
 * watchGotRequest(options, EndPointBinding.of(flow.boundCertificate)); // in beforeRequest
 * ```
 */
export function watchGotRequest(options: GotRequestOptions, binding: EndPointBinding | null): void {
  const current = options.request as RequestFunction | undefined;
  // Ours wraps the caller's function, or none (`undefined`): never wrap a wrapper.
  const inner = current !== undefined && WRAPPED in current ? current[WRAPPED] : current;
  if (!(options.url instanceof URL) || options.url.protocol !== 'https:') {
    // got keeps `request` for every hop of a redirect chain: a plain http hop after an https one
    // gets the caller's own function back (or none: got picks node:http), never an https one.
    if (current !== inner) options.request = inner;
    return;
  }
  const url = new URL(options.url.href);
  // got's own choice for this hop (with `http2`, http2-wrapper's `auto`), read while ours is not set.
  if (current !== inner) options.request = inner;
  const fallback = inner
    ? undefined
    : (options.getFallbackRequestFunction?.() as RequestFunction | undefined);
  const h2session = options.h2session as ClientHttp2Session | undefined;
  const watch = (made: unknown): unknown => {
    if (made instanceof http.ClientRequest) nodeGuard.watch(made, url, binding);
    else if (isHttp2Request(made)) watchHttp2Request(made, url, binding, h2session);
    return made;
  };
  const guarded: RequestFunction = (target, ...rest) => {
    // Chosen by the target, as got does without a `request` option.
    const base =
      fallback ??
      ((t: URL, ...r: unknown[]) =>
        (t.protocol === 'http:' ? http : https).request(t, ...(r as [https.RequestOptions])));
    const native = rest[0] as { createConnection?: unknown } | undefined;
    // http2-wrapper's sessions on connections whose certificate is read in time (h2-guard.ts).
    if (options.http2 && native && typeof native === 'object' && native.createConnection === undefined)
      native.createConnection = http2WrapperConnection;
    const made = inner ? inner(target, ...rest) : base(target, ...rest);
    // http2-wrapper's `auto` resolves ALPN first: its request comes as a promise.
    return made instanceof Promise ? made.then(watch) : watch(made);
  };
  guarded[WRAPPED] = inner;
  options.request = guarded;
}

/** An `http2-wrapper` ClientRequest (got's `http2`): not a node:http one, with its own agent. */
function isHttp2Request(
  made: unknown,
): made is { agent?: unknown; flushHeaders(): unknown; destroy(error?: Error): unknown } {
  return (
    typeof made === 'object' &&
    made !== null &&
    typeof (made as { flushHeaders?: unknown }).flushHeaders === 'function' &&
    typeof (made as { destroy?: unknown }).destroy === 'function'
  );
}
