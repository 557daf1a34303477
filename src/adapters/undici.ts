/**
 * `http-gssapi/undici`: HTTP Negotiate (SPNEGO over GSSAPI, RFC 4559) as an undici interceptor,
 * for `Dispatcher.compose()`. Works with `undici.request`/`stream`/`pipeline` and with `fetch`
 * through its `dispatcher` option, on undici 7 and 8 (the handler API with `onRequestStart`,
 * `onResponseStart`, `onResponseData`, `onResponseEnd`, `onResponseError`).
 *
 * @example
 * ```ts
 * import { Agent, interceptors, request } from 'undici';
 * import { HTTPSPNEGOAuth } from 'http-gssapi';
 * import { negotiate } from 'http-gssapi/undici';
 *
 * // negotiate() first, redirect() after it: each redirect hop is then its own dispatch with a
 * // fresh Negotiate exchange for the hop's host.
 * const dispatcher = new Agent().compose(negotiate(new HTTPSPNEGOAuth()), interceptors.redirect({ maxRedirections: 5 }));
 * const res = await request('https://intranet.example.org/api', { dispatcher });
 * console.log(res.statusCode, await res.body.text());
 * ```
 * @module
 */
import { Client, type Dispatcher } from 'undici';
import { BodyNotReplayableError, type HttpGssapiError, MutualAuthenticationError } from '../core/errors.js';
import { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import type { FlowDecision, NegotiateFlow } from '../core/negotiate-flow.js';

type DispatchOptions = Dispatcher.DispatchOptions;
type DispatchHandler = Dispatcher.DispatchHandler;
type DispatchController = Dispatcher.DispatchController;
type Dispatch = Dispatcher.Dispatch;
type ResponseHeaders = Record<string, string | string[] | undefined>;
type RawHeaders = NonNullable<DispatchController['rawHeaders']> | null;

/** 401 bodies larger than this are not read to the end; the connection is dropped instead. */
const MAX_DRAIN = 64 * 1024;

/**
 * Options of {@link negotiate}, beyond the {@link HTTPSPNEGOAuth} options (which stay on `auth`).
 *
 * @example
 * ```ts
 * const options: NegotiateInterceptorOptions = { connectionBound: { clientOptions: { connect: { ca } } } };
 * ```
 */
export interface NegotiateInterceptorOptions {
  /**
   * Keep every leg of a Negotiate handshake on one TCP connection, for servers that bind the
   * handshake (or the authenticated state) to the connection: mod_auth_gssapi with
   * `GssapiConnectionBound On`, IIS, and multi-leg mechanisms such as NTLM inside SPNEGO.
   * `true` or {@link ConnectionBoundOptions}; default `false`. See {@link negotiate} for the design.
   */
  readonly connectionBound?: boolean | ConnectionBoundOptions;
  /**
   * The origin of the `Client` or `Pool` this interceptor is composed on: needed only under
   * undici 7, whose `compose()` does not pass it (`new Pool(origin).compose(negotiate(auth, { origin }))`);
   * an `Agent` always passes the origin, and so does `compose()` in undici 8. A Client sends every
   * request to its own origin, so a request whose options name another gets no token.
   */
  readonly origin?: string | URL;
}

/**
 * How {@link negotiate} makes the dedicated connection per origin in connection-bound mode.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const connectionBound: ConnectionBoundOptions = {
 *   clientOptions: { connect: { ca: readFileSync('/etc/ssl/corp-ca.pem') }, keepAliveTimeout: 60_000 },
 * };
 * ```
 */
export interface ConnectionBoundOptions {
  /**
   * Options for each origin's dedicated undici `Client` (TLS `connect` options, timeouts, ...):
   * use the same TLS settings as your Agent. `pipelining` is forced to 1 and `allowH2` to false.
   */
  readonly clientOptions?: Client.Options;
  /**
   * Makes the dedicated dispatcher for an origin instead of `new Client(origin, ...)`. It must
   * send every request over a single HTTP/1.1 connection, one request at a time.
   */
  readonly clientFactory?: (origin: string) => Dispatcher;
}

/**
 * What the interceptor tells the caller about one request, as `context.negotiate` (undici
 * hands the context to the caller: `res.context` of `undici.request`). An undici redirect
 * interceptor composed after `negotiate()` copies it into each hop's context.
 *
 * @example
 * ```ts
 * const res = await request(url, { dispatcher });
 * const info = (res.context as NegotiateDispatchContext | null)?.negotiate;
 * if (res.statusCode === 401) console.error(info?.error?.message, info?.error?.hint);
 * ```
 */
export interface NegotiateDispatchInfo {
  /** The request URL the exchange was for. */
  readonly url: string;
  /**
   * Why the response came back unauthenticated (no ticket, unknown service, a corrupt challenge,
   * too many 401s, a body that could not be replayed), or undefined. `negotiateErrorOf(info)`
   * returns the same error.
   */
  readonly error: HttpGssapiError | undefined;
  /** How many Negotiate tokens were sent for this request. */
  readonly tokensSent: number;
  /** Whether the tokens went through the origin's dedicated connection (connection-bound mode). */
  readonly connectionBound: boolean;
}

/**
 * The context object the interceptor passes to the caller's `onRequestStart`.
 *
 * @example
 * ```ts
 * const { context } = await request(url, { dispatcher });
 * console.log((context as NegotiateDispatchContext).negotiate.tokensSent);
 * ```
 */
export interface NegotiateDispatchContext {
  readonly negotiate: NegotiateDispatchInfo;
}

/**
 * The interceptor {@link negotiate} returns: a `Dispatcher.compose()` interceptor that also
 * owns the dedicated connections of connection-bound mode, closed by `close()`.
 *
 * @example
 * ```ts
 * const interceptor = negotiate(auth, { connectionBound: true });
 * const dispatcher = new Agent().compose(interceptor);
 * // ...
 * await interceptor.close();
 * ```
 */
export interface NegotiateInterceptor extends Dispatcher.DispatcherComposeInterceptor {
  /** Closes the dedicated per-origin connections (connection-bound mode); a no-op otherwise. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The handler given to the interceptor uses undici's old handler API (`onConnect`, `onHeaders`,
 * `onData`, `onComplete`, `onError`), which undici 8 no longer translates: typically Node's
 * bundled `fetch` (Node 22 and 24 ship undici 6 and 7) with a dispatcher made by npm undici 8.
 * Thrown synchronously by the dispatch, so the caller fails at once instead of waiting forever.
 *
 * @example
 * ```ts
 * import { Dispatcher1Wrapper } from 'undici'; // undici 8
 * try {
 *   await fetch(url, { dispatcher });
 * } catch (err) {
 *   if ((err as Error).cause instanceof LegacyHandlerError) await fetch(url, { dispatcher: new Dispatcher1Wrapper(dispatcher) });
 * }
 * ```
 */
export class LegacyHandlerError extends TypeError {
  /** Stable code to match on. */
  readonly code = 'ERR_UNDICI_LEGACY_HANDLER' as const;
  /** What to do about it. */
  readonly hint: string;

  constructor() {
    super(
      'the undici handler uses the old handler API (onConnect/onHeaders/onData/onComplete/onError); the negotiate interceptor needs onRequestStart/onResponseStart/onResponseData/onResponseEnd/onResponseError',
    );
    this.name = 'LegacyHandlerError';
    this.hint =
      "use undici's own fetch/request with this dispatcher, or wrap it for Node's bundled fetch: new Dispatcher1Wrapper(dispatcher) (undici 8)";
  }
}

/**
 * An undici interceptor that answers HTTP Negotiate challenges (RFC 4559) for
 * `Dispatcher.compose()`: `dispatch => (opts, handler) => boolean`, like undici's own
 * `interceptors.redirect()` and `interceptors.retry()`.
 *
 * Each request runs one {@link NegotiateFlow} (a fresh GSSAPI context; a token is never sent
 * twice): a 401 with a Negotiate challenge is swallowed (its body drained, or the connection
 * dropped past 64 KiB), the context stepped and the request dispatched again with the token, at
 * most twice. Authentication failures come back as the 401 itself, with the reason on
 * `res.context.negotiate.error` ({@link NegotiateDispatchInfo}), on `negotiateErrorOf` of that
 * info object and on the `onError` option; a server that fails mutual authentication makes the
 * request fail with `MutualAuthenticationError` (through `onResponseError`); an unauthenticated
 * error response is stripped to Date and Server when mutual authentication is REQUIRED. The
 * caller sees one `onRequestStart`, with a controller that stays valid across attempts (pause,
 * resume and abort reach whichever attempt is running; an abort between attempts ends the
 * request at once). A request that already has an `Authorization` header, an upgrade,
 * `CONNECT`, and a request that names another host than the one it is sent to (an absolute-form
 * path for another origin, another origin than the `origin` option's) pass through untouched.
 *
 * **Bodies.** Strings, Buffers, Uint8Arrays, FormData and Blobs are sent again as they are.
 * Streams (a `Readable`, any async or sync iterable; fetch always hands the dispatcher a one-shot
 * async iterable) are read into memory up to `maxReplayBodySize`; a larger one is sent once with
 * a token up front, or, when no token can be made, fails with `BodyNotReplayableError` before
 * anything is sent.
 *
 * **Redirects** are not followed here. Compose undici's redirect interceptor *after* this one,
 * `agent.compose(negotiate(auth), interceptors.redirect({ maxRedirections }))`: the redirect
 * interceptor is then the outer one and dispatches each hop through this interceptor, so every
 * hop gets its own flow and token for its own host, and a token never follows a redirect; a hop
 * to plain http of a request that started over https gets no token (the redirect handler's
 * `history` tells where the request started; fetch's own redirects, one dispatch per hop, do not
 * say, so use `redirect: 'manual'` or `createFetch` there). In the other order, one Negotiate
 * exchange would span all hops and the redirect interceptor would resend our `Authorization`
 * header to same-origin hops (a replayed token; undici drops it on a change of origin).
 *
 * **Connection-bound handshakes** (`connectionBound`). Some servers keep the GSSAPI context of
 * a handshake, or the authenticated state, per TCP connection (mod_auth_gssapi's
 * `GssapiConnectionBound On`, IIS, NTLM inside SPNEGO, where leg 2 answers a challenge made for
 * the connection leg 1 came on). A pooled Agent may send each leg on another connection, and
 * HTTP/2 multiplexes unrelated requests on one (RFC 9113 section 7: `HTTP_1_1_REQUIRED`). So
 * in this mode every request attempt that carries a token goes through one dedicated undici
 * `Client` per origin (a single connection, `pipelining: 1`, `allowH2: false`), and a per-origin
 * lock holds that connection from the first token of a handshake until its final response
 * arrives: the legs of two handshakes never interleave on it. Requests without a token (the
 * first, bare attempt, and everything that needs no authentication) keep using the composed
 * dispatcher and its pool, concurrently. Since learned preemption sends tokens up front once an
 * origin has asked for Negotiate, later authenticated requests to it are serialized on that
 * connection: the price of servers that authenticate connections rather than requests. The
 * dedicated Client bypasses interceptors composed inside this one. `close()` closes the
 * dedicated connections.
 *
 * **Versions.** The handler must use the new API: undici 7 translates old-style handlers in
 * `compose()`, undici 8 does not; an old-style handler fails at once with
 * {@link LegacyHandlerError} (see docs/adapters.md for the Node and undici versions that work together).
 *
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @param options - {@link NegotiateInterceptorOptions}.
 * @example
 * ```ts
 * import { Agent, fetch, request } from 'undici';
 * import { HTTPSPNEGOAuth, REQUIRED } from 'http-gssapi';
 * import { negotiate } from 'http-gssapi/undici';
 *
 * const dispatcher = new Agent().compose(negotiate(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED })));
 * const res = await request('https://intranet.example.org/api', { dispatcher });
 * const viaFetch = await fetch('https://intranet.example.org/api', { dispatcher, method: 'POST', body: '{}' });
 *
 * // IIS, NTLM inside SPNEGO, mod_auth_gssapi with GssapiConnectionBound On:
 * const bound = negotiate(new HTTPSPNEGOAuth(), { connectionBound: true });
 * const iis = new Agent().compose(bound);
 * ```
 */
export function negotiate(
  auth: HTTPSPNEGOAuth = new HTTPSPNEGOAuth(),
  options: NegotiateInterceptorOptions = {},
): NegotiateInterceptor {
  if (!(auth instanceof HTTPSPNEGOAuth)) throw new TypeError('auth must be an HTTPSPNEGOAuth');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const bound = resolveConnectionBound(options.connectionBound);
  let fallbackOrigin: string | null = null;
  if (options.origin !== undefined) {
    const parsed = URL.canParse(String(options.origin)) ? new URL(String(options.origin)) : null;
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new TypeError('origin must be an absolute http(s) URL');
    }
    fallbackOrigin = parsed.origin;
  }
  const origins = bound ? new DedicatedConnections(bound) : null;

  const interceptor = (dispatch: Dispatch): Dispatch => {
    if (typeof dispatch !== 'function') throw new TypeError('dispatch must be a function');
    return function Intercept(opts: DispatchOptions, handler: DispatchHandler): boolean {
      if (!handler || typeof handler !== 'object') throw new TypeError('handler must be an object');
      if (typeof handler.onRequestStart !== 'function') throw new LegacyHandlerError();
      // A protocol switch carries no HTTP response to authenticate.
      if (opts.upgrade || opts.method === 'CONNECT') return dispatch(opts, handler);
      const url = requestUrl(opts, fallbackOrigin);
      if (url === null) {
        throw new TypeError(
          'the negotiate interceptor needs the request origin: compose it on an Agent, or pass negotiate(auth, { origin }) for a Client or Pool (undici 7)',
        );
      }
      // The request names a host it is not sent to: no token for either.
      if (url === ELSEWHERE) return dispatch(opts, handler);
      if (headerPairs(opts.headers).some(([name]) => name.toLowerCase() === 'authorization')) {
        // The caller's own credentials are not ours to replace.
        return dispatch(opts, handler);
      }
      new NegotiateRequest(auth, dispatch, opts, handler, url, redirectStart(handler), origins).start();
      return true;
    };
  };
  const close = async () => {
    await origins?.close();
  };
  return Object.assign(interceptor, { close, [Symbol.asyncDispose]: close });
}

function resolveConnectionBound(value: unknown): ConnectionBoundOptions | null {
  if (value === undefined || value === false) return null;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('connectionBound must be a boolean or an object');
  }
  const { clientOptions, clientFactory } = value as ConnectionBoundOptions;
  if (clientFactory !== undefined && typeof clientFactory !== 'function') {
    throw new TypeError('connectionBound.clientFactory must be a function');
  }
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null)) {
    throw new TypeError('connectionBound.clientOptions must be an object');
  }
  return value as ConnectionBoundOptions;
}

/** An absolute-form request target (RFC 9112 section 3.2.2), as sent to a forward proxy. */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/** {@link requestUrl}'s answer for a request that names another origin than the one it goes to. */
const ELSEWHERE = Symbol('elsewhere');

/**
 * The request URL; null when neither the options nor the interceptor name an origin; or
 * {@link ELSEWHERE} when the request names a host other than the one it is sent to, for which a
 * token would be made for one host and handed to another:
 * - with the `origin` option (a Client or Pool, which connect to their own origin whatever the
 *   options say), options that name another origin;
 * - an absolute-form path (RFC 9112 section 3.2.2) naming another origin than the one it is
 *   dispatched to: a server there takes the request for the named host; only a forward proxy
 *   would pass it on, and the interceptor cannot tell one from the other (composed on undici's
 *   ProxyAgent instead, it sees the target origin and a relative path).
 * The path is appended to the origin, never resolved against it: `new URL('//other/x', origin)`
 * would read `other` as the host, and the token would be made for a host the request does not
 * go to.
 */
function requestUrl(opts: DispatchOptions, fallbackOrigin: string | null): URL | typeof ELSEWHERE | null {
  const named = opts?.origin ?? fallbackOrigin;
  if (named == null) return null;
  try {
    const origin = new URL(String(named)).origin;
    if (fallbackOrigin !== null && origin !== fallbackOrigin) return ELSEWHERE;
    const path = opts.path || '/';
    if (ABSOLUTE_FORM.test(path)) {
      const url = new URL(path);
      return url.origin === origin ? url : ELSEWHERE;
    }
    return new URL(`${origin}${path.startsWith('/') ? '' : '/'}${path}`);
  } catch {
    return null;
  }
}

/**
 * Where the request started, when this dispatch is a hop of undici's redirect interceptor composed
 * after this one: its handler lists the URLs followed so far in `history` (what it also hands the
 * caller as `context.history`). Null for a first request, and for redirects followed above the
 * dispatcher (fetch's own, one dispatch per hop), which this interceptor cannot tell from one.
 */
function redirectStart(handler: DispatchHandler): URL | null {
  const history = (handler as { history?: unknown }).history;
  return Array.isArray(history) && history[0] instanceof URL ? history[0] : null;
}

/** Request headers in any form undici takes, as name/value pairs. */
function headerPairs(headers: DispatchOptions['headers']): [string, string][] {
  const pairs: [string, string][] = [];
  const add = (name: unknown, value: unknown) => {
    if (value == null) return;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([String(name), String(v)]);
  };
  if (headers == null) return pairs;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as [string, unknown][]) add(name, value);
    } else {
      for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
    }
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[string, unknown]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  }
  return pairs;
}

/** The caller's headers plus our Authorization, flat (`[name, value, name, value, ...]`). */
function withAuthorization(pairs: readonly [string, string][], authorization: string | null): string[] {
  const flat: string[] = [];
  for (const [name, value] of pairs) flat.push(name, value);
  if (authorization !== null) flat.push('authorization', authorization);
  return flat;
}

// ---------------------------------------------------------------------------------------------
// Bodies

type DispatchBody = DispatchOptions['body'];

/** A body that can be sent on every attempt, or one that can be sent only once. */
type PreparedBody =
  | { readonly kind: 'replayable'; readonly body: DispatchBody }
  | { readonly kind: 'once'; readonly body: AsyncIterable<Uint8Array>; discard(): void };

const toBytes = (chunk: unknown): Uint8Array =>
  typeof chunk === 'string'
    ? Buffer.from(chunk)
    : ArrayBuffer.isView(chunk)
      ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      : Buffer.from(chunk as ArrayBuffer);

function isStreamLike(body: object): boolean {
  if (typeof Blob !== 'undefined' && body instanceof Blob) return false;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return false;
  // undici's own FormData (and other spec-alike ones) are re-extracted on each send.
  if ((body as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'FormData') return false;
  return (
    typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

/**
 * Makes the body sendable more than once: streams are read up to `cap` bytes; past it, what was
 * read and the rest of the stream are handed over once, in order, never truncated.
 */
async function prepareBody(body: DispatchBody, cap: number): Promise<PreparedBody> {
  if (body == null || typeof body !== 'object' || ArrayBuffer.isView(body) || !isStreamLike(body)) {
    return { kind: 'replayable', body };
  }
  const source = body as unknown as Partial<AsyncIterable<unknown>> & Partial<Iterable<unknown>>;
  const iterator = (source[Symbol.asyncIterator]?.() ?? source[Symbol.iterator]!()) as
    | AsyncIterator<unknown>
    | Iterator<unknown>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await iterator.next();
    if (done) return { kind: 'replayable', body: Buffer.concat(chunks) };
    const chunk = toBytes(value);
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > cap) {
      let handedOver = false;
      return {
        kind: 'once',
        body: {
          async *[Symbol.asyncIterator]() {
            handedOver = true;
            yield* chunks.splice(0);
            for (;;) {
              const next = await iterator.next();
              if (next.done) return;
              yield toBytes(next.value);
            }
          },
        },
        discard() {
          // Never sent: release the source (a Readable's iterator destroys the stream on return).
          if (!handedOver) void Promise.resolve(iterator.return?.()).catch(() => {});
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Connection-bound mode: one dedicated connection and one lock per origin

/** A FIFO mutex whose waiters can give up (an aborted request stops waiting). */
class OriginLock {
  #held = false;
  readonly #waiters: (() => void)[] = [];

  /** Resolves with the release function once the lock is ours; `signal` rejects the wait. */
  acquire(cancelled: Promise<unknown>): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const next = this.#waiters.shift();
        if (next) next();
        else this.#held = false;
      };
      const grant = () => resolve(release);
      if (!this.#held) {
        this.#held = true;
        grant();
        return;
      }
      this.#waiters.push(grant);
      cancelled.then(
        (reason) => {
          const i = this.#waiters.indexOf(grant);
          if (i !== -1) {
            this.#waiters.splice(i, 1);
            reject(reason);
          }
        },
        () => {},
      );
    });
  }
}

interface DedicatedConnection {
  readonly dispatcher: Dispatcher;
  readonly lock: OriginLock;
}

class DedicatedConnections {
  readonly #options: ConnectionBoundOptions;
  readonly #byOrigin = new Map<string, DedicatedConnection>();

  constructor(options: ConnectionBoundOptions) {
    this.#options = options;
  }

  for(origin: string): DedicatedConnection {
    let entry = this.#byOrigin.get(origin);
    if (!entry) {
      const dispatcher = this.#options.clientFactory
        ? this.#options.clientFactory(origin)
        : new Client(origin, { ...this.#options.clientOptions, pipelining: 1, allowH2: false });
      entry = { dispatcher, lock: new OriginLock() };
      this.#byOrigin.set(origin, entry);
    }
    return entry;
  }

  async close(): Promise<void> {
    const all = [...this.#byOrigin.values()];
    this.#byOrigin.clear();
    await Promise.all(all.map((e) => e.dispatcher.close().catch(() => {})));
  }
}

// ---------------------------------------------------------------------------------------------
// One request: a stable controller for the caller, and one Attempt per dispatch

/**
 * The controller the caller holds for the whole request. Each attempt has its own controller
 * from undici; this one forwards to the live attempt and keeps the caller's pause across them.
 */
class StableController implements DispatchController {
  #target: DispatchController | null = null;
  #callerPaused = false;
  /** Held by the interceptor while it decides what to do with a response. */
  #held = false;
  #aborted = false;
  #reason: Error | null = null;
  #rawHeaders: RawHeaders | undefined;
  readonly #onAbort: (reason: Error) => void;

  constructor(onAbort: (reason: Error) => void) {
    this.#onAbort = onAbort;
  }

  attach(target: DispatchController | null): void {
    this.#target = target;
    this.#rawHeaders = undefined;
    if (target && this.#callerPaused) target.pause();
  }

  get target(): DispatchController | null {
    return this.#target;
  }

  /** The interceptor pauses the attempt without the caller seeing it. */
  hold(): void {
    this.#held = true;
    this.#target?.pause();
  }

  release(): void {
    this.#held = false;
    if (!this.#callerPaused) this.#target?.resume();
  }

  /** Shows the caller these raw headers instead of the attempt's (a sanitized response). */
  overrideRawHeaders(raw: string[]): void {
    this.#rawHeaders = raw;
  }

  pause(): void {
    this.#callerPaused = true;
    this.#target?.pause();
  }

  resume(): void {
    this.#callerPaused = false;
    if (!this.#held) this.#target?.resume();
  }

  abort(reason: Error): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#onAbort(reason);
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get paused(): boolean {
    return this.#callerPaused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  get rawHeaders(): RawHeaders {
    return this.#rawHeaders !== undefined ? this.#rawHeaders : (this.#target?.rawHeaders ?? null);
  }

  set rawHeaders(value: RawHeaders) {
    if (this.#target) this.#target.rawHeaders = value ?? null;
  }

  get rawTrailers(): RawHeaders {
    return this.#target?.rawTrailers ?? null;
  }

  set rawTrailers(value: RawHeaders) {
    if (this.#target) this.#target.rawTrailers = value ?? null;
  }
}

class Info implements NegotiateDispatchInfo {
  readonly url: string;
  error: HttpGssapiError | undefined = undefined;
  tokensSent = 0;
  connectionBound = false;

  constructor(url: URL) {
    this.url = url.href;
  }
}

/** Why the interceptor itself dropped a connection (a large 401 body); never reaches the caller. */
class Dropped extends Error {}

class NegotiateRequest {
  readonly #auth: HTTPSPNEGOAuth;
  readonly #dispatch: Dispatch;
  readonly #opts: DispatchOptions;
  readonly #handler: DispatchHandler;
  readonly #url: URL;
  /** Where a redirect chain started (see {@link redirectStart}), for the hop's flow. */
  readonly #initialUrl: URL | null;
  readonly #headers: [string, string][];
  readonly #origins: DedicatedConnections | null;
  readonly #controller: StableController;
  readonly #info: Info;
  #flow: NegotiateFlow | null = null;
  #body: PreparedBody | null = null;
  #attempt: Attempt | null = null;
  #done = false;
  #release: (() => void) | null = null;
  #dedicated: DedicatedConnection | null = null;
  readonly #aborted: Promise<Error>;
  #signalAbort!: (reason: Error) => void;

  constructor(
    auth: HTTPSPNEGOAuth,
    dispatch: Dispatch,
    opts: DispatchOptions,
    handler: DispatchHandler,
    url: URL,
    initialUrl: URL | null,
    origins: DedicatedConnections | null,
  ) {
    this.#auth = auth;
    this.#dispatch = dispatch;
    this.#opts = opts;
    this.#handler = handler;
    this.#url = url;
    this.#initialUrl = initialUrl;
    this.#headers = headerPairs(opts.headers);
    this.#origins = origins;
    this.#info = new Info(url);
    this.#aborted = new Promise((resolve) => {
      this.#signalAbort = resolve;
    });
    this.#controller = new StableController((reason) => this.#onCallerAbort(reason));
  }

  start(): void {
    // One onRequestStart for the whole request, before any asynchronous work, so that the caller
    // can abort while a body is buffered, a ticket fetched or a dedicated connection awaited.
    const context: NegotiateDispatchContext = { negotiate: this.#info };
    this.#handler.onRequestStart!(this.#controller, context);
    if (this.#controller.aborted) return;
    this.#run().catch((error: unknown) => this.#fail(toError(error)));
  }

  async #run(): Promise<void> {
    this.#body = await this.#orAbort(
      prepareBody(this.#opts.body, this.#auth.options.maxReplayBodySize),
      (late) => (late.kind === 'once' ? late.discard() : undefined),
    );
    this.#flow = this.#auth.flow(this.#url, 'server', { initialUrl: this.#initialUrl });
    let authorization: string | null;
    if (this.#body.kind === 'once') {
      authorization = await this.#orAbort(this.#flow.startRequired());
    } else {
      authorization = await this.#orAbort(this.#flow.start());
    }
    await this.#send(authorization);
  }

  /** Sends one attempt; tokens go through the origin's dedicated connection in connection-bound mode. */
  async #send(authorization: string | null): Promise<void> {
    if (this.#done) return;
    let dispatch = this.#dispatch;
    if (authorization !== null && this.#origins) {
      if (!this.#release) {
        this.#dedicated = this.#origins.for(this.#url.origin);
        this.#release = await this.#orAbort(this.#dedicated.lock.acquire(this.#aborted), (release) =>
          release(),
        );
      }
      const dedicated = this.#dedicated!.dispatcher;
      dispatch = dedicated.dispatch.bind(dedicated);
      this.#info.connectionBound = true;
    }
    if (authorization !== null) this.#info.tokensSent++;
    const body = this.#body!;
    const attempt = new Attempt(this, body.kind === 'once', this.#release !== null);
    this.#attempt = attempt;
    this.#controller.attach(null);
    const opts: DispatchOptions = {
      ...this.#opts,
      // The dedicated connection must outlive each leg (`reset` would close it after this one).
      ...(this.#release !== null ? { reset: false } : {}),
      headers: withAuthorization(this.#headers, authorization),
      body: (body.body ?? null) as NonNullable<DispatchBody> | null,
    };
    try {
      dispatch(opts, attempt);
    } catch (error) {
      attempt.onResponseError(null, toError(error));
    }
  }

  // --- called by Attempt ---

  get controller(): StableController {
    return this.#controller;
  }

  get handler(): DispatchHandler {
    return this.#handler;
  }

  get done(): boolean {
    return this.#done;
  }

  isCurrent(attempt: Attempt): boolean {
    return this.#attempt === attempt && !this.#done;
  }

  /** Whether the response can be handed over without asking the flow (no token was sent, not a 401). */
  needsNoDecision(status: number): boolean {
    return status !== 401 && !this.#flow?.authenticated;
  }

  decide(status: number, headers: ResponseHeaders): Promise<FlowDecision> {
    return this.#flow!.onResponse({ status, challenges: headers['www-authenticate'] ?? null });
  }

  /** The response goes to the caller: the exchange is over, the dedicated connection free for the next. */
  finishExchange(): void {
    this.#flow?.dispose();
    this.#unlock();
  }

  report(error: HttpGssapiError): void {
    this.#info.error = error;
    this.#auth.reportError(error, this.#url, this.#info);
  }

  /** A 401 that asks for another leg, with a body we cannot send again: the 401 is the answer. */
  cannotReplay(): BodyNotReplayableError {
    return new BodyNotReplayableError(
      'the server asked for another Negotiate leg but the streamed request body cannot be sent again',
      { hint: 'raise maxReplayBodySize or send a Buffer so the body can be replayed' },
    );
  }

  /** The 401 was drained: send the next leg. */
  next(authorization: string): void {
    if (this.#done) return;
    // Not at once: undici frees a keep-alive connection (pipelining 1) in a setImmediate queued
    // after onResponseEnd returns, and a dispatch made before that would open a new connection
    // instead of reusing the one the 401 came on. Two turns of the check phase put the next leg
    // after undici's own resume.
    setImmediate(() =>
      setImmediate(() => {
        if (this.#done) return;
        if (this.#controller.aborted) {
          this.#fail(this.#controller.reason!);
          return;
        }
        this.#send(authorization).catch((error: unknown) => this.#fail(toError(error)));
      }),
    );
  }

  /** The caller got its last callback. */
  markDone(): void {
    this.#done = true;
    this.#flow?.dispose();
    this.#unlock();
  }

  // --- internals ---

  #unlock(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  #fail(failure: Error): void {
    if (this.#done) return;
    // After an abort, whatever else went wrong on the way out, the caller hears its own reason.
    const error = this.#controller.aborted ? this.#controller.reason! : failure;
    this.markDone();
    if (this.#body?.kind === 'once') this.#body.discard();
    else if (this.#body === null) destroyBody(this.#opts.body, error);
    this.#handler.onResponseError?.(this.#controller, error);
  }

  #onCallerAbort(reason: Error): void {
    this.#signalAbort(reason);
    const target = this.#controller.target;
    if (this.#attempt?.forwarding && target) {
      // The caller has the response: undici reports the abort through the attempt.
      target.abort(reason);
      return;
    }
    target?.abort(reason);
    // Between attempts (a body being buffered, a ticket fetched, a lock awaited, a 401 drained).
    queueMicrotask(() => this.#fail(reason));
  }

  /**
   * Resolves with `work`, or rejects with the abort reason once the caller aborts; `late` then
   * receives what the abandoned work produces, to release it.
   */
  #orAbort<T>(work: Promise<T>, late?: (value: T) => void): Promise<T> {
    return Promise.race([
      work,
      this.#aborted.then((reason) => {
        work.then(
          (value) => late?.(value),
          () => {},
        );
        throw reason;
      }),
    ]);
  }
}

function destroyBody(body: DispatchBody, error: Error): void {
  const stream = body as { destroy?: (e?: Error) => void; readableEnded?: boolean } | null | undefined;
  if (stream && typeof stream.destroy === 'function' && !stream.readableEnded) stream.destroy(error);
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Headers of an error response that could not be authenticated: Date and Server only. */
function sanitizedHeaders(headers: ResponseHeaders): { object: Record<string, string>; raw: string[] } {
  const object: Record<string, string> = {};
  for (const name of ['date', 'server']) {
    const value = headers[name];
    if (value !== undefined) object[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  object['content-length'] = '0';
  return { object, raw: Object.entries(object).flat() };
}

type Mode =
  /** Before the response headers. */
  | 'connecting'
  /** Paused while the flow decides; events are queued. */
  | 'deciding'
  /** Handed to the caller. */
  | 'forward'
  /** A 401 being read to its end before the next leg. */
  | 'drain'
  /** The caller has had its last callback (a sanitized response); the rest is read and dropped. */
  | 'sink'
  /** Finished for the caller (failed or rejected); the rest is ignored. */
  | 'discard';

type Queued =
  | { readonly type: 'data'; readonly chunk: Buffer }
  | { readonly type: 'end'; readonly trailers: ResponseHeaders }
  | { readonly type: 'error'; readonly error: Error };

type UpgradeArgs = Parameters<NonNullable<DispatchHandler['onRequestUpgrade']>>;

/** The handler of one dispatch: decides, per response, between handing it over and another leg. */
class Attempt implements DispatchHandler {
  readonly #request: NegotiateRequest;
  readonly #onceBody: boolean;
  /** On the dedicated connection: drain 401s whole, never drop the connection mid-handshake. */
  readonly #bound: boolean;
  #mode: Mode = 'connecting';
  #queue: Queued[] = [];
  #controller: DispatchController | null = null;
  #drained = 0;
  #nextAuthorization = '';
  #dropped: Dropped | null = null;

  constructor(request: NegotiateRequest, onceBody: boolean, bound: boolean) {
    this.#request = request;
    this.#onceBody = onceBody;
    this.#bound = bound;
  }

  get forwarding(): boolean {
    return this.#mode === 'forward';
  }

  onRequestStart(controller: DispatchController, _context: unknown): void {
    this.#controller = controller;
    if (!this.#request.isCurrent(this)) {
      controller.abort(new Dropped('request already finished'));
      return;
    }
    const stable = this.#request.controller;
    stable.attach(controller);
    if (stable.aborted) controller.abort(stable.reason!);
  }

  onRequestUpgrade(
    _controller: DispatchController,
    statusCode: number,
    headers: UpgradeArgs[2],
    socket: UpgradeArgs[3],
  ): void {
    this.#request.handler.onRequestUpgrade?.(this.#request.controller, statusCode, headers, socket);
  }

  onResponseStarted(): void {
    (this.#request.handler as { onResponseStarted?: () => void }).onResponseStarted?.();
  }

  onResponseStart(
    controller: DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
    statusMessage?: string,
  ): void {
    const request = this.#request;
    this.#controller = controller;
    if (!request.isCurrent(this)) return;
    if (statusCode < 200) {
      // 1xx informational responses belong to the caller whatever happens next.
      request.handler.onResponseStart?.(request.controller, statusCode, headers as never, statusMessage);
      return;
    }
    if (request.needsNoDecision(statusCode)) {
      // Fast path: no token went out and this is no challenge, so nothing to verify or answer.
      this.#mode = 'forward';
      request.finishExchange();
      request.handler.onResponseStart?.(request.controller, statusCode, headers as never, statusMessage);
      return;
    }
    this.#mode = 'deciding';
    request.controller.hold();
    request.decide(statusCode, headers).then(
      (decision) => this.#apply(decision, statusCode, headers, statusMessage),
      (error: unknown) => this.#rejectResponse(toError(error), statusCode, headers),
    );
  }

  onResponseData(controller: DispatchController, chunk: Buffer): void {
    switch (this.#mode) {
      case 'forward':
        this.#request.handler.onResponseData?.(this.#request.controller, chunk);
        return;
      case 'deciding':
        this.#queue.push({ type: 'data', chunk });
        return;
      case 'drain':
      case 'sink':
        this.#drained += chunk.byteLength;
        if (this.#drained > MAX_DRAIN && !(this.#bound && this.#mode === 'drain') && !this.#dropped) {
          // Not worth reading: drop the connection (never the dedicated one mid-handshake).
          this.#dropped = new Dropped('response body too large to drain');
          controller.abort(this.#dropped);
        }
        return;
      default:
        return;
    }
  }

  onResponseEnd(_controller: DispatchController, trailers: ResponseHeaders): void {
    switch (this.#mode) {
      case 'forward':
        this.#request.markDone();
        this.#request.handler.onResponseEnd?.(this.#request.controller, trailers as never);
        return;
      case 'deciding':
        this.#queue.push({ type: 'end', trailers });
        return;
      case 'drain':
        this.#mode = 'discard';
        this.#request.next(this.#nextAuthorization);
        return;
      default:
        return;
    }
  }

  onResponseError(_controller: DispatchController | null, error: Error): void {
    switch (this.#mode) {
      case 'deciding':
        this.#queue.push({ type: 'error', error });
        return;
      case 'drain':
        this.#mode = 'discard';
        if (error === this.#dropped) this.#request.next(this.#nextAuthorization);
        else this.#toCaller(error);
        return;
      case 'sink':
      case 'discard':
        return;
      default:
        if (!(error instanceof Dropped)) this.#toCaller(error);
    }
  }

  #toCaller(error: Error): void {
    const request = this.#request;
    this.#mode = 'discard';
    if (request.done) return;
    request.markDone();
    request.handler.onResponseError?.(request.controller, error);
  }

  #apply(decision: FlowDecision, statusCode: number, headers: ResponseHeaders, statusMessage?: string): void {
    const request = this.#request;
    if (request.done) return;
    if (decision.action === 'retry' && !this.#onceBody) {
      // Another leg: read this 401 to its end (keep-alive), then send the token.
      this.#mode = 'drain';
      this.#nextAuthorization = decision.authorization;
      this.#flush();
      request.controller.release();
      return;
    }
    request.finishExchange();
    const error = decision.action === 'retry' ? request.cannotReplay() : decision.error;
    if (error) request.report(error);
    try {
      if (decision.action === 'return' && decision.sanitize) {
        // Mutual authentication REQUIRED and the server did not prove itself: Date and Server only.
        const clean = sanitizedHeaders(headers);
        request.controller.overrideRawHeaders(clean.raw);
        this.#mode = 'sink';
        this.#queue = this.#queue.filter((e) => e.type !== 'data');
        request.markDone();
        request.handler.onResponseStart?.(
          request.controller,
          statusCode,
          clean.object as never,
          statusMessage,
        );
        request.handler.onResponseEnd?.(request.controller, {} as never);
      } else {
        this.#mode = 'forward';
        request.handler.onResponseStart?.(request.controller, statusCode, headers as never, statusMessage);
      }
    } catch (thrown) {
      // As undici does: a handler that throws in onResponseStart aborts the request with that error.
      const failure = toError(thrown);
      this.#controller?.abort(failure);
      if (this.#mode === 'forward') this.#toCaller(failure);
      return;
    }
    this.#flush();
    request.controller.release();
  }

  #rejectResponse(error: Error, statusCode: number, headers: ResponseHeaders): void {
    const request = this.#request;
    if (request.done) return;
    request.finishExchange();
    if (error instanceof MutualAuthenticationError) {
      // Available to a caller that asks for it, never printed by a logger (non-enumerable).
      Object.defineProperty(error, 'response', {
        value: { statusCode, headers },
        enumerable: false,
        configurable: true,
      });
    }
    this.#queue = [];
    this.#toCaller(error);
    // Nothing of this response may reach the caller: drop the connection it came on.
    this.#dropped = new Dropped('response rejected');
    this.#controller?.abort(this.#dropped);
  }

  /** Replays events that arrived while the flow was deciding. */
  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const controller = this.#controller!;
    for (const event of queue) {
      if (event.type === 'data') this.onResponseData(controller, event.chunk);
      else if (event.type === 'end') this.onResponseEnd(controller, event.trailers);
      else this.onResponseError(controller, event.error);
    }
  }
}
