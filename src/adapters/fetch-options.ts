/**
 * The second argument of `createFetch`: a base fetch, or options that can route requests
 * through a Negotiate-authenticated forward proxy.
 *
 * @module
 */
import { negotiateErrorOf, recordNegotiateError } from '../core/error-report.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { requireProxyAuth } from '../proxy/proxy-auth.js';
import { ProxySelector, type ProxySetting } from '../proxy/proxy-selector.js';

type Fetch = typeof globalThis.fetch;

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
  readonly fetch?: Fetch;
  /**
   * Send requests through a forward proxy that authenticates with Negotiate: a proxy URL,
   * `'env'` (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, upper or lower case, as undici's
   * `EnvHttpProxyAgent` reads them), or `{ httpProxy, httpsProxy, noProxy, env }`. https goes
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
}

interface ProxyRoute {
  readonly fetch: Fetch;
  readonly dispatcher: { dispatch(opts: object, handler: object): boolean };
}

/**
 * Internal: the fetch `createFetch` sends each request with, from its second argument. With a
 * proxy, undici is loaded on the first request (it is an optional peer dependency), and a 407
 * that came back from the proxy leg gets its reason on `negotiateErrorOf(res)`, as a 401 does.
 */
export function resolveBaseFetch(auth: HTTPSPNEGOAuth, given: Fetch | CreateFetchOptions | undefined): Fetch {
  if (given === undefined) return globalThis.fetch;
  if (typeof given === 'function') return given;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError('the second argument of createFetch must be a fetch function or options');
  }
  checkOptionKeys(given, ['fetch', 'proxy', 'proxyAuth', 'agentOptions'], 'createFetch option');
  if (given.fetch !== undefined && typeof given.fetch !== 'function')
    throw new TypeError('fetch must be a function');
  if (given.proxy === undefined) {
    if (given.proxyAuth !== undefined || given.agentOptions !== undefined) {
      throw new TypeError('proxyAuth and agentOptions need the proxy option');
    }
    return given.fetch ?? globalThis.fetch;
  }
  // Checked now, not on the first request.
  ProxySelector.from(given.proxy);
  const proxyAuth = requireProxyAuth(given.proxyAuth ?? auth, given.proxyAuth ? 'proxyAuth' : 'auth');
  const { proxy, agentOptions } = given;
  let route: Promise<ProxyRoute> | null = null;
  const load = async (): Promise<ProxyRoute> => {
    const [undici, { createProxyDispatcher }] = await Promise.all([
      import('undici'),
      import('./undici/proxy-dispatcher.js'),
    ]);
    return {
      fetch: given.fetch ?? (undici.fetch as unknown as Fetch),
      dispatcher: createProxyDispatcher({
        proxy,
        auth: proxyAuth,
        ...(agentOptions ? { agentOptions: agentOptions as never } : {}),
      }),
    };
  };
  return async (input, init) => {
    route ??= load();
    const { fetch, dispatcher } = await route;
    // The proxy leg's exchange tells the caller's handler why a 407 came back (its context);
    // undici's fetch makes its Response without it, so it is caught on the way.
    let context: { proxyNegotiate?: object } | undefined;
    const seeing = {
      dispatch: (opts: object, handler: object) =>
        dispatcher.dispatch(
          opts,
          seeContext(handler, (seen) => {
            context = seen as typeof context;
          }),
        ),
    };
    const response = await fetch(input, { ...init, dispatcher: seeing } as RequestInit);
    const info = context?.proxyNegotiate;
    const reason = response.status === 407 && info ? negotiateErrorOf(info) : undefined;
    if (reason) recordNegotiateError(response, reason);
    return response;
  };
}

/** The handler, with its `onRequestStart` (or old-style `onConnect`) telling `see` its context. */
function seeContext(handler: object, see: (context: unknown) => void): object {
  return new Proxy(handler, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (key === 'onRequestStart' || key === 'onConnect') {
        return (first: unknown, context: unknown, ...rest: unknown[]) => {
          see(context);
          return (value as (...args: unknown[]) => unknown).call(target, first, context, ...rest);
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}
