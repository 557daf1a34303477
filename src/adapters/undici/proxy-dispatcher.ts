import type tls from 'node:tls';
import { Agent, buildConnector, Dispatcher } from 'undici';
import { LegacyHandlerError } from '../../core/errors.js';
import type { HTTPSPNEGOAuth } from '../../core/http-spnego-auth.js';
import { requestIntake } from '../../core/request-intake.js';
import { checkOptionKeys } from '../../internal/option-keys.js';
import { openConnectTunnel } from '../../proxy/connect-tunnel.js';
import { checkTunnelTimeout, requireProxyAuth } from '../../proxy/proxy-auth.js';
import { ProxySelector, type ProxySetting } from '../../proxy/proxy-selector.js';
import { NegotiateHandler } from './negotiate-handler.js';
import { headerPairs, headerReader, requestUrl } from './request-target.js';

type DispatchOptions = Dispatcher.DispatchOptions;
type DispatchHandler = Dispatcher.DispatchHandler;

/**
 * Options of {@link createProxyDispatcher}.
 *
 * @example
 * ```ts
 * const options: ProxyDispatcherOptions = { proxy: 'env', auth: new HTTPSPNEGOAuth({ creds: { keytab: '/etc/app.keytab' } }) };
 * ```
 */
export interface ProxyDispatcherOptions {
  /** The proxy URL, `'env'` (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`), or `{ httpProxy, httpsProxy, noProxy, env }`. */
  readonly proxy: ProxySetting;
  /**
   * The proxy's Negotiate authentication (its own credentials and mechanism; the token is for
   * `HTTP@<proxy host>`); default `new HTTPSPNEGOAuth()`. Give it `targetName: 'HTTP'` (the
   * default): a fixed target would be one service for every proxy. Mutual authentication is
   * never required of a proxy.
   */
  readonly auth?: HTTPSPNEGOAuth;
  /** Options of the undici `Agent` that carries every request (timeouts, `connect` TLS options for origins, ...). */
  readonly agentOptions?: Agent.Options;
  /** TLS options for a proxy reached over `https:`. */
  readonly proxyTls?: tls.ConnectionOptions;
  /** Milliseconds a tunnel may take to open (proxy connection, 407 legs) before the request fails; default 30,000. */
  readonly tunnelTimeout?: number;
}

/**
 * An undici dispatcher that sends requests through a forward proxy which authenticates with
 * Negotiate (RFC 4559 for proxies: 407 and `Proxy-Authorization`), for `undici.request`,
 * `undici.fetch` (`dispatcher`), and under `createFetch(auth, { proxy })`.
 *
 * - **https** origins go through a `CONNECT` tunnel per connection ({@link openConnectTunnel}:
 *   a fresh token for `HTTP@<proxy host>`, the 407 legs, a new connection after a refused
 *   token), then TLS to the origin inside it. A proxy that refuses the tunnel fails the request
 *   with a `ProxyRefusedError` (status, and for a failed Negotiate exchange the reason as
 *   `cause` and `negotiateErrorOf(error)`); undici's own `ProxyAgent` fixes its CONNECT headers
 *   once and cannot answer a 407.
 * - **http** origins are forwarded (absolute-form request target, RFC 9112 section 3.2.2) and
 *   a 407 with a Negotiate challenge is answered like a 401: same loop cap, same body replay,
 *   same logging. A request that carries a token asks the proxy to close its connection
 *   afterwards: squid ties authentication to the connection and refuses every later token on
 *   a connection where one failed. A 407 that is not Negotiate comes back untouched; one
 *   Negotiate could not satisfy comes back with the reason on `res.context.proxyNegotiate`.
 *   They go on an `Agent` of their own, straight to the proxy (TLS with `proxyTls` and the
 *   proxy's name for an `https://` proxy): never through the tunnel the origins' connector
 *   would choose for the proxy's own address. `close()` and `destroy()` end both agents.
 * - Hosts that `NO_PROXY` (or `noProxy`) names, and schemes without a proxy, go direct.
 *
 * The origin's own Negotiate goes on top: compose {@link negotiate} on the result, and each
 * request then carries both `Authorization` (origin) and `Proxy-Authorization` (proxy) when both
 * ask. Redirects: compose undici's redirect interceptor after `negotiate()`, as without a proxy.
 *
 * @example
 * ```ts
 * import { request } from 'undici';
 * import { HTTPSPNEGOAuth } from 'http-gssapi';
 * import { createProxyDispatcher, negotiate } from 'http-gssapi/undici';
 *
 * const auth = new HTTPSPNEGOAuth();
 * const dispatcher = createProxyDispatcher({ proxy: 'env', auth }).compose(negotiate(auth));
 * const res = await request('https://intranet.example.org/api', { dispatcher });
 * ```
 */
export function createProxyDispatcher(options: ProxyDispatcherOptions): Dispatcher {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(
    options,
    ['proxy', 'auth', 'agentOptions', 'proxyTls', 'tunnelTimeout'],
    'createProxyDispatcher option',
  );
  const timeout = checkTunnelTimeout(options.tunnelTimeout);
  const selector = ProxySelector.from(options.proxy);
  const auth = requireProxyAuth(options.auth);
  const agentOptions = options.agentOptions ?? {};
  const { connect: connectOption, ...rest } = agentOptions as Agent.Options & { connect?: unknown };
  if (typeof connectOption === 'function') {
    throw new TypeError(
      'agentOptions.connect must be TLS options, not a function: the proxy dispatcher connects',
    );
  }
  const direct = buildConnector((connectOption ?? {}) as buildConnector.BuildOptions);
  // Connections to origins: https through a tunnel when a proxy is selected for it, else direct.
  // Plain http to a proxy never comes here (see `toProxies`): this connector knows only the
  // origin it is asked for, and run on a connection to an https proxy it would select that
  // proxy for the proxy itself and tunnel to it through it.
  const connect = (opts: buildConnector.Options, callback: buildConnector.Callback) => {
    const port = Number(opts.port) || 443;
    const proxy =
      opts.protocol === 'https:'
        ? selector.proxyFor(new URL(`https://${hostForUrl(opts.hostname)}:${port}`))
        : null;
    if (proxy === null) {
      direct(opts, callback);
      return;
    }
    openConnectTunnel({
      proxy,
      host: opts.hostname,
      port,
      auth,
      timeout,
      ...(options.proxyTls ? { proxyTls: options.proxyTls } : {}),
    }).then(
      (tunnel) => direct({ ...opts, httpSocket: tunnel }, callback),
      (error: Error) => callback(error, null),
    );
  };
  const toOrigins = new Agent({ ...rest, connect });
  // Forwarded plain http goes to the proxy itself, over TLS with `proxyTls` for an https proxy:
  // its own agent, so that its connections are never taken for an origin's (a proxy may also be
  // asked for as an https origin, through itself).
  const proxyConnector = buildConnector((options.proxyTls ?? {}) as buildConnector.BuildOptions);
  const toProxies = new Agent({
    ...rest,
    // SNI and the certificate check are for the proxy's name (or `proxyTls.servername`), not
    // for the target's, which undici takes from the forwarded request's Host ('' lets undici's
    // connector take `proxyTls.servername`, else the proxy's host name, none for an address).
    connect: (opts, callback) => proxyConnector({ ...opts, servername: '' }, callback),
  });
  const routed = toOrigins.compose((dispatch) =>
    forwardToProxy({ selector, auth }, dispatch, toProxies.dispatch.bind(toProxies)),
  );
  return new ProxyRoutes(routed, [toOrigins, toProxies]);
}

/**
 * The interceptor that sends plain http for which a proxy is selected to that proxy
 * (`toProxy`), answering its 407s; everything else goes on (`dispatch`).
 */
function forwardToProxy(
  { selector, auth }: { selector: ProxySelector; auth: HTTPSPNEGOAuth },
  dispatch: Dispatcher.Dispatch,
  toProxy: Dispatcher.Dispatch,
): Dispatcher.Dispatch {
  return function ForwardToProxy(opts: DispatchOptions, handler: DispatchHandler): boolean {
    const url = requestUrl(opts, null);
    if (!(url instanceof URL) || url.protocol !== 'http:' || opts.method === 'CONNECT')
      return dispatch(opts, handler);
    const proxy = selector.proxyFor(url);
    if (proxy === null) return dispatch(opts, handler);
    if (typeof handler.onRequestStart !== 'function') throw new LegacyHandlerError();
    const headers = headerPairs(opts.headers).filter(([name]) => name.toLowerCase() !== 'host');
    const forwarded: DispatchOptions = {
      ...opts,
      origin: proxy.origin,
      // RFC 9112 section 3.2.2: a request to a proxy names its target in absolute form; Host
      // is the target's (section 7.2 of RFC 9110), not the proxy's.
      path: url.href,
      headers: [...headers.flat(), 'host', url.host],
      // One name per proxy connection: undici would otherwise take the target's from Host and
      // close an https proxy's connection whenever the target changes (the connector above
      // sends the proxy's own name).
      ...({ servername: proxy.hostname } as object),
    };
    const intake = requestIntake({ header: headerReader(headers), kind: 'proxy' });
    if (intake.skip) return toProxy(forwarded, handler);
    const answering: Dispatcher.Dispatch = (attempt, attemptHandler) =>
      toProxy(
        headerPairs(attempt.headers).some(([name]) => name.toLowerCase() === 'proxy-authorization')
          ? { ...attempt, reset: true }
          : attempt,
        attemptHandler,
      );
    const setup = {
      auth,
      dispatch: answering,
      url: proxy,
      initialUrl: null,
      cookie: intake.cookie,
      origins: null,
      kind: 'proxy' as const,
    };
    new NegotiateHandler(setup, forwarded, handler).start();
    return true;
  };
}

/** The dispatcher {@link createProxyDispatcher} returns: one dispatch, two agents to close. */
class ProxyRoutes extends Dispatcher {
  readonly #routed: Dispatcher;
  readonly #agents: readonly Agent[];

  constructor(routed: Dispatcher, agents: readonly Agent[]) {
    super();
    this.#routed = routed;
    this.#agents = agents;
  }

  override dispatch(opts: DispatchOptions, handler: DispatchHandler): boolean {
    return this.#routed.dispatch(opts, handler);
  }

  override close(callback: () => void): void;
  override close(): Promise<void>;
  override close(callback?: () => void): Promise<void> | undefined {
    return settle(Promise.all(this.#agents.map((agent) => agent.close())), callback);
  }

  override destroy(err: Error | null, callback: () => void): void;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null): Promise<void>;
  override destroy(): Promise<void>;
  override destroy(
    errOrCallback?: Error | null | (() => void),
    callback?: () => void,
  ): Promise<void> | undefined {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const done = typeof errOrCallback === 'function' ? errOrCallback : callback;
    return settle(Promise.all(this.#agents.map((agent) => agent.destroy(err))), done);
  }
}

/** undici's close/destroy convention: a promise, or the callback called once done. */
function settle(all: Promise<unknown>, callback: (() => void) | undefined): Promise<void> | undefined {
  const done = all.then(() => undefined);
  if (callback === undefined) return done;
  done.then(callback, callback);
  return undefined;
}

/** A hostname as it goes in a URL: IPv6 literals in brackets. */
function hostForUrl(hostname: string): string {
  return hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
}
