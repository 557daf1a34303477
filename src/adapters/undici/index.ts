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
export { LegacyHandlerError } from '../../core/errors.js';
export { negotiate } from './interceptor.js';
export { createProxyDispatcher, type ProxyDispatcherOptions } from './proxy-dispatcher.js';
export type {
  ConnectionBoundOptions,
  NegotiateDispatchContext,
  NegotiateDispatchInfo,
  NegotiateInterceptor,
  NegotiateInterceptorOptions,
  ProxyNegotiateDispatchContext,
} from './types.js';
