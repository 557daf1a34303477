/**
 * The second argument of `createFetch`: a base fetch, or options that can route requests
 * through a Negotiate-authenticated forward proxy.
 *
 * @module
 */
import { negotiateErrorOf, recordNegotiateError } from '../core/error-report.js';
import { ProxyRefusedError } from '../core/errors.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { requireProxyAuth } from '../proxy/proxy-auth.js';
import { ProxySelector, type ProxySetting } from '../proxy/proxy-selector.js';

import type { FetchLike } from './fetch-like.js';

/**
 * Options of `createFetch` (its second argument; a bare fetch function there is the same as
 * `{ fetch }`).
 *
 * @example
 * ```ts
 * const options: CreateFetchOptions = { proxy: 'env', proxyAuth: new HTTPSPNEGOAuth({ creds: { keytab: '/etc/proxy-user.keytab' } }) };
 * const fetch = createFetch(auth, options);
 * ```
 */
export interface CreateFetchOptions {
  /**
   * The fetch that sends each request. Default `globalThis.fetch`; with `proxy`, undici's
   * `fetch` (from the `undici` package, an optional peer dependency then needed), since the
   * proxy route is an undici dispatcher passed as `init.dispatcher`.
   */
  readonly fetch?: FetchLike;
  /**
   * Send requests through a forward proxy that authenticates with Negotiate: a proxy URL,
   * `'env'` (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, upper or lower case, the proxies as
   * undici's `EnvHttpProxyAgent` reads them, `NO_PROXY` as curl does), or `{ httpProxy, httpsProxy, noProxy, env }`. https goes
   * through a CONNECT tunnel, plain http is forwarded; see `createProxyDispatcher` in
   * `http-gssapi/undici`. Default: no proxy.
   */
  readonly proxy?: ProxySetting;
  /**
   * The proxy's Negotiate authentication, when it differs from the origin's (other
   * credentials, another mechanism). Default: the `auth` of `createFetch`, which must then have
   * a service `targetName` (`'HTTP'`). Mutual authentication is never required of a proxy.
   */
  readonly proxyAuth?: HTTPSPNEGOAuth;
  /** Options of the undici `Agent` behind the proxy route (timeouts, `connect` TLS options for origins). */
  readonly agentOptions?: object;
  /**
   * TLS options for a proxy reached over `https:` (`ca` for a proxy with a private CA, ...),
   * apart from the origins' (`agentOptions.connect`). Needs the proxy option.
   */
  readonly proxyTls?: object;
}

interface ProxyRoute {
  readonly fetch: FetchLike;
  readonly dispatcher: { dispatch(opts: object, handler: object): boolean };
}

/**
 * Internal: the fetch `createFetch` sends each request with, from its second argument. With a
 * proxy, undici is loaded on the first request (it is an optional peer dependency), and a 407
 * of the proxy, which fetch turns into a network error, rejects with a `TypeError` whose cause
 * is a `ProxyRefusedError` carrying the reason (`negotiateErrorOf`).
 */
export function resolveBaseFetch(
  auth: HTTPSPNEGOAuth,
  given: FetchLike | CreateFetchOptions | undefined,
): FetchLike {
  if (given === undefined) return globalThis.fetch;
  if (typeof given === 'function') return given;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError(
      'baseFetch must be a fetch function or options ({ fetch, proxy, proxyAuth, agentOptions, proxyTls })',
    );
  }
  checkOptionKeys(given, ['fetch', 'proxy', 'proxyAuth', 'agentOptions', 'proxyTls'], 'createFetch option');
  if (given.fetch !== undefined && typeof given.fetch !== 'function')
    throw new TypeError('fetch must be a function');
  if (given.proxy === undefined) {
    if (given.proxyAuth !== undefined || given.agentOptions !== undefined || given.proxyTls !== undefined) {
      throw new TypeError('proxyAuth, agentOptions and proxyTls need the proxy option');
    }
    return given.fetch ?? globalThis.fetch;
  }
  // Checked now, not on the first request.
  const selector = ProxySelector.from(given.proxy);
  const proxyAuth = requireProxyAuth(given.proxyAuth ?? auth, given.proxyAuth ? 'proxyAuth' : 'auth');
  if (given.proxyTls !== undefined && (typeof given.proxyTls !== 'object' || given.proxyTls === null)) {
    throw new TypeError('proxyTls must be TLS options (an object)');
  }
  const { proxy, agentOptions, proxyTls } = given;
  let route: Promise<ProxyRoute> | null = null;
  const load = async (): Promise<ProxyRoute> => {
    // undici first: the dispatcher's module imports it too, and would fail with a bare error.
    const undici = await import('undici').catch((error: unknown) => {
      throw new Error('createFetch with a proxy needs the undici package: npm install undici', {
        cause: error,
      });
    });
    const { createProxyDispatcher } = await import('./undici/proxy-dispatcher.js');
    return {
      fetch: given.fetch ?? undici.fetch,
      dispatcher: createProxyDispatcher({
        proxy,
        auth: proxyAuth,
        ...(agentOptions ? { agentOptions: agentOptions as never } : {}),
        ...(proxyTls ? { proxyTls: proxyTls as never } : {}),
      }),
    };
  };
  return async (input: URL, init: never) => {
    // A failed load (undici missing) is not kept: installing it fixes the next request.
    route ??= load().catch((error: unknown) => {
      route = null;
      throw error;
    });
    const { fetch, dispatcher } = await route;
    // The proxy leg's exchange tells the caller's handler why a 407 came back (its context), but
    // fetch turns a 407 into a network error (Fetch standard, HTTP-network-or-cache fetch step
    // 15): what the proxy said is caught on the way.
    const seen: { context?: { proxyNegotiate?: object }; status?: number } = {};
    const seeing = {
      dispatch: (opts: object, handler: object) => dispatcher.dispatch(opts, watch(handler, seen)),
    };
    try {
      return await fetch(input, { ...(init as object), dispatcher: seeing } as never);
    } catch (error) {
      if (seen.status !== 407) throw error;
      const url = input.href;
      const info = seen.context?.proxyNegotiate;
      const reason = info ? negotiateErrorOf(info) : undefined;
      const refused = new ProxyRefusedError(
        `the proxy answered 407 to ${url}${reason ? '' : ' (it does not offer Negotiate)'}`,
        { status: 407, proxy: selector.proxyFor(new URL(url))?.origin ?? '', target: url },
        reason ? { cause: reason, ...(reason.hint ? { hint: reason.hint } : {}) } : {},
      );
      if (reason) recordNegotiateError(refused, reason);
      // As fetch reports a network error, with the reason as its cause.
      throw new TypeError('fetch failed', { cause: refused });
    }
  };
}

/**
 * The handler, noting in `seen` the context its `onRequestStart` (or old-style `onConnect`) gets
 * and the status its `onResponseStart` (or `onHeaders`) gets.
 */
function watch(handler: object, seen: { context?: object; status?: number }): object {
  return new Proxy(handler, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const call = (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args);
      if (key === 'onRequestStart' || key === 'onConnect') {
        return (...args: unknown[]) => {
          seen.context = args[1] as object;
          return call(...args);
        };
      }
      if (key === 'onResponseStart' || key === 'onHeaders') {
        return (...args: unknown[]) => {
          seen.status = Number(args[key === 'onHeaders' ? 0 : 1]);
          return call(...args);
        };
      }
      return value.bind(target);
    },
  });
}
