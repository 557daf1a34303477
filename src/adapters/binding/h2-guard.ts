/**
 * Channel bindings over HTTP/2 for the clients that speak it through node:http2 themselves: got
 * (`http2: true`, through `http2-wrapper`) and axios (`httpVersion: 2`, its own sessions). Over
 * HTTP/2 many requests share one session and its one TLS connection, and the client picks the
 * session only when it opens the stream; the stream's HEADERS frame (with the token) goes out as
 * soon as it is opened. So the check is made where the session is known and before the stream is
 * opened:
 *
 * - got: the `http2-wrapper` request's agent hands over the session it picked; the stream is
 *   opened only when the session presented the certificate the token is bound to.
 * - axios: a session is made by our `createConnection`, which checks the certificate when its
 *   TLS handshake is done, before node:http2 sets the session up (nothing of HTTP/2 is written
 *   before that). axios keeps one pool of sessions per set of options: the function is one per
 *   certificate, so a bound token only ever goes on a session that was checked for it.
 *
 * Either way the session's certificate is what a token answering a 401 binds to (the guess for
 * its origin), as for HTTP/1.1.
 *
 * @module
 */
import type { ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { bindingMismatch, lastSeenCertificates } from './binding-guard.js';
import type { EndPointBinding } from './end-point-binding.js';
import { bindingOfSocket } from './peer-certificate.js';

/** What an `http2-wrapper` Agent offers that the guard uses (its `request` does the same). */
interface Http2WrapperAgent {
  getSession(
    origin: URL,
    options: unknown,
    listeners: readonly { resolve(session: ClientHttp2Session): void; reject(error: Error): void }[],
  ): unknown;
}

/** An `http2-wrapper` ClientRequest, as far as the guard touches it. */
interface Http2WrapperRequest {
  agent?: unknown;
  flushHeaders(): unknown;
  destroy(error?: Error): unknown;
}

/**
 * What a session's connection presented, kept on the socket itself: node:http2 hands out a proxy
 * of it (`session.socket`), which forwards property reads, so the binding read on the socket at
 * its handshake is found through the proxy too.
 */
const PRESENTED = Symbol('http-gssapi.presented');

/** What a session's socket presented (null: not TLS, or not read in time), remembered for `origin`. */
function seen(origin: string, socket: unknown): EndPointBinding | null {
  const kept = (socket as { [PRESENTED]?: EndPointBinding } | null)?.[PRESENTED];
  const presented = kept ?? bindingOfSocket(socket);
  if (presented && !kept) (socket as { [PRESENTED]?: EndPointBinding })[PRESENTED] = presented;
  if (presented) lastSeenCertificates.remember(origin, presented);
  return presented;
}

/**
 * Watches a request made by `http2-wrapper` (got's `http2: true`) for `url`: the session its
 * agent picks is checked before the stream (and so the token) is opened on it, and what it
 * presented is remembered for the origin. A request on a session of the caller's (`h2session`)
 * is checked against that session once it is connected.
 *
 * @example
 * ```ts
 * const request = await http2wrapper.auto(url, options);
 * watchHttp2Request(request, url, EndPointBinding.of(flow.boundCertificate), options.h2session);
 * ```
 */
export function watchHttp2Request(
  request: Http2WrapperRequest,
  url: URL,
  binding: EndPointBinding | null,
  ownSession?: ClientHttp2Session,
): void {
  const origin = url.origin;
  const agent = request.agent as Partial<Http2WrapperAgent> | undefined;
  if (ownSession === undefined && agent && typeof agent.getSession === 'function') {
    const inner = agent as Http2WrapperAgent;
    request.agent = new Proxy(inner, {
      get(target, property) {
        if (property === 'request') return guardedRequest(target, origin, url, binding);
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return;
  }
  if (ownSession === undefined) return;
  const flush = request.flushHeaders.bind(request);
  request.flushHeaders = async () => {
    await connected(ownSession);
    const presented = seen(origin, ownSession.socket);
    if (binding !== null && !binding.equals(presented)) {
      request.destroy(bindingMismatch(url));
      return;
    }
    return flush();
  };
}

/** The agent's `request(origin, options, headers, streamOptions)`, with the session checked first. */
function guardedRequest(agent: Http2WrapperAgent, origin: string, url: URL, binding: EndPointBinding | null) {
  return (target: URL, options: unknown, headers: unknown, streamOptions: unknown) =>
    new Promise((resolve, reject) => {
      agent.getSession(target, options, [
        {
          reject,
          resolve(session) {
            // Called with the session the agent picked, before anything of this request is sent.
            const presented = seen(origin, session.socket);
            if (binding !== null && !binding.equals(presented)) {
              // The session carries other streams: only this one is refused.
              reject(bindingMismatch(url));
              return;
            }
            try {
              resolve(session.request(headers as never, streamOptions as never));
            } catch (error) {
              reject(error);
            }
          },
        },
      ]);
    });
}

function connected(session: ClientHttp2Session): Promise<void> {
  if (!session.connecting) return Promise.resolve();
  return new Promise((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
}

/** node:http2's `createConnection(authority, options)`. */
type CreateConnection = (authority: URL, options: ConnectionOptions & Record<string, unknown>) => TLSSocket;

/** How many certificates {@link guardedHttp2Options} keeps a connection function for. */
const MAX_FUNCTIONS = 64;
/** One function per (caller's function, certificate): axios pools sessions by equal options. */
const functions = new WeakMap<object, Map<string, CreateConnection>>();
const DEFAULT = {};

/**
 * axios's `http2Options` for one attempt to an https origin over HTTP/2: the caller's, with a
 * `createConnection` that reads each new session's certificate when its TLS handshake is done
 * (remembered for the origin), and, for an attempt with a token bound to `binding`, refuses a
 * session that presented another one before HTTP/2 writes a byte on it. The function is the same
 * for every attempt with the same binding, so axios reuses the sessions it made.
 *
 * @example
 * ```ts
 * const legConfig = { ...config, http2Options: guardedHttp2Options(config.http2Options, binding) };
 * ```
 */
export function guardedHttp2Options(
  options: Record<string, unknown> | undefined,
  binding: EndPointBinding | null,
): Record<string, unknown> {
  const own = options?.createConnection as CreateConnection | undefined;
  const key = binding === null ? '' : Buffer.from(binding.certificate).toString('base64');
  let byBinding = functions.get(own ?? DEFAULT);
  if (!byBinding) {
    byBinding = new Map();
    functions.set(own ?? DEFAULT, byBinding);
  }
  let createConnection = byBinding.get(key);
  if (!createConnection) {
    createConnection = checkedConnection(own, binding);
    byBinding.set(key, createConnection);
    if (byBinding.size > MAX_FUNCTIONS) byBinding.delete(byBinding.keys().next().value as string);
  }
  return { ...options, createConnection };
}

function checkedConnection(
  own: CreateConnection | undefined,
  binding: EndPointBinding | null,
): CreateConnection {
  return (authority, options) => {
    const socket = own ? own(authority, options) : defaultConnection(authority, options);
    const origin = authority.origin;
    const check = () => {
      const presented = seen(origin, socket);
      // After node:http2's own listener has set the session up (its preface and SETTINGS only):
      // a stream's HEADERS go on a later turn ('connect' is emitted on the next tick), and the
      // session is destroyed before then, failing its streams with this error.
      if (binding !== null && !binding.equals(presented)) socket.destroy(bindingMismatch(authority));
    };
    // node:http2 adds its listener once this function returns; a handshake takes longer than a tick.
    process.nextTick(() => {
      if (socket.encrypted && socket.getFinished?.() !== undefined) check();
      else socket.once('secureConnect', check);
    });
    return socket;
  };
}

/**
 * The `createConnection` given to `http2-wrapper` (got's `http2`) for its new sessions: node:http2's
 * own connection, whose certificate is read when its handshake is done. Read later it would be
 * gone: `http2-wrapper` reads the certificate with `getPeerX509Certificate()` once the server's
 * SETTINGS arrive, which takes the certificate out of OpenSSL's peer chain (Node 20). Given this
 * option, `http2-wrapper` also does not reuse the connection it resolved ALPN on, which nothing
 * here could read before it does.
 *
 * @example
 * ```ts
 * requestOptions.createConnection ??= http2WrapperConnection; // got's options for http2-wrapper
 * ```
 */
export const http2WrapperConnection = (
  origin: URL,
  options: ConnectionOptions & Record<string, unknown>,
): TLSSocket => {
  // node:http calls a `createConnection` as (options, callback): a request that ALPN sent to
  // HTTP/1.1 without an agent. Its connection is then what node:https would make.
  if (!(origin instanceof URL)) return tlsConnect(origin as ConnectionOptions);
  const socket = defaultConnection(origin, options);
  socket.once('secureConnect', () => seen(origin.origin, socket));
  return socket;
};

/** What node:http2 does for https without a `createConnection` (ALPN `h2`, SNI unless an IP). */
function defaultConnection(authority: URL, options: ConnectionOptions & Record<string, unknown>): TLSSocket {
  const host = authority.hostname.replace(/^\[|\]$/g, '');
  const port = Number(authority.port || 443);
  return tlsConnect({
    ...options,
    host,
    port,
    ALPNProtocols: ['h2'],
    ...(isIP(host) ? {} : { servername: (options.servername as string | undefined) ?? host }),
  });
}
