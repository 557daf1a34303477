/**
 * The public types of `http-gssapi/undici`.
 *
 * @module
 */
import type { Client, Dispatcher } from 'undici';
import type { HttpGssapiError } from '../../core/errors.js';

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
 * How {@link negotiate} makes the dedicated connection per origin (the `connectionBound` option).
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
  /** Whether the tokens went through the origin's dedicated connection (the `connectionBound` option). */
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
  /**
   * With {@link createProxyDispatcher} below the interceptor: the proxy leg of a forwarded plain
   * http request (why a 407 came back), once one went through it.
   */
  readonly proxyNegotiate?: NegotiateDispatchInfo;
}

/**
 * The context {@link createProxyDispatcher} passes to the caller's `onRequestStart` for a plain
 * http request it forwards to a proxy: the proxy leg's exchange (407, `Proxy-Authorization`).
 * `info.error` (and `negotiateErrorOf(info)`) tell why a 407 came back.
 *
 * @example
 * ```ts
 * const res = await request('http://example.org/', { dispatcher: createProxyDispatcher({ proxy: 'env' }) });
 * if (res.statusCode === 407) console.error((res.context as ProxyNegotiateDispatchContext).proxyNegotiate.error?.message);
 * ```
 */
export interface ProxyNegotiateDispatchContext {
  readonly proxyNegotiate: NegotiateDispatchInfo;
}

/**
 * The interceptor {@link negotiate} returns: a `Dispatcher.compose()` interceptor that also
 * owns the dedicated connections of the `connectionBound` option, closed by `close()`.
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
  /** Closes the dedicated per-origin connections (the `connectionBound` option); a no-op otherwise. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
