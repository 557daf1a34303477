/**
 * {@link createProxyAgents}: `node:http` and `node:https` agents that reach origins through a
 * forward proxy with Negotiate proxy authentication, for axios, got and plain `http.request`.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { openConnectTunnel } from './connect-tunnel.js';
import { checkTunnelTimeout, requireProxyAuth } from './proxy-auth.js';
import { ProxySelector, type ProxySetting } from './proxy-selector.js';

/**
 * Options of {@link createProxyAgents}.
 *
 * @example
 * ```ts
 * const options: ProxyAgentsOptions = { proxy: 'env', agentOptions: { keepAlive: true } };
 * ```
 */
export interface ProxyAgentsOptions {
  /** The proxy URL, `'env'` (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`), or `{ httpProxy, httpsProxy, noProxy, env }`. */
  readonly proxy: ProxySetting;
  /**
   * The proxy's Negotiate authentication (own credentials and mechanism, a token for
   * `HTTP@<proxy host>`); default `new HTTPSPNEGOAuth()`. Never requires mutual authentication.
   */
  readonly auth?: HTTPSPNEGOAuth;
  /** Options of both agents (`keepAlive`, `maxSockets`, ...) and, for https, TLS options for origins (`ca`, ...). */
  readonly agentOptions?: https.AgentOptions;
  /** TLS options for a proxy reached over `https:`. */
  readonly proxyTls?: tls.ConnectionOptions;
  /** Milliseconds a tunnel may take to open (proxy connection, 407 legs) before the request fails; default 30,000. */
  readonly tunnelTimeout?: number;
}

/**
 * The agent pair {@link createProxyAgents} returns, named as got's `agent` option names them.
 *
 * @example
 * ```ts
 * const { http, https } = createProxyAgents({ proxy: 'env' });
 * ```
 */
export interface ProxyAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

type ConnectionCallback = (error: Error | null, socket?: Duplex) => void;
type ConnectionOptions = http.ClientRequestArgs & tls.ConnectionOptions;

/** What both agents share: which proxy a connection goes through, and how the tunnel is opened. */
interface Route {
  readonly selector: ProxySelector;
  readonly auth: HTTPSPNEGOAuth;
  readonly proxyTls: tls.ConnectionOptions | undefined;
  readonly timeout: number;
}

/** The proxy for a connection to `host:port` over `protocol`, or null to connect directly. */
function proxyFor(route: Route, protocol: 'http:' | 'https:', options: ConnectionOptions): URL | null {
  const host = String(options.host ?? options.hostname ?? 'localhost');
  const port = Number(options.port) || (protocol === 'https:' ? 443 : 80);
  const literal = net.isIPv6(host) ? `[${host}]` : host;
  return route.selector.proxyFor(new URL(`${protocol}//${literal}:${port}`));
}

/** Opens the tunnel for a connection, then hands the socket on (through `wrap` for TLS). */
function tunnel(
  route: Route,
  proxy: URL,
  options: ConnectionOptions,
  callback: ConnectionCallback,
  wrap: (socket: net.Socket) => Duplex,
): undefined {
  openConnectTunnel({
    proxy,
    host: String(options.host ?? options.hostname),
    port: Number(options.port),
    auth: route.auth,
    timeout: route.timeout,
    ...(route.proxyTls ? { proxyTls: route.proxyTls } : {}),
  }).then(
    (socket) => {
      let wrapped: Duplex;
      try {
        wrapped = wrap(socket);
      } catch (error) {
        socket.destroy();
        callback(error as Error);
        return;
      }
      callback(null, wrapped);
    },
    (error: Error) => callback(error),
  );
  // Node's Agent waits for the callback when createConnection returns nothing.
  return undefined;
}

/** Plain http through the proxy: a CONNECT tunnel per connection, then HTTP/1.1 to the origin inside it. */
class NegotiateProxyHttpAgent extends http.Agent {
  readonly #route: Route;

  constructor(route: Route, options: http.AgentOptions) {
    super(options);
    this.#route = route;
  }

  override createConnection(
    options: ConnectionOptions,
    callback: ConnectionCallback,
  ): Duplex | null | undefined {
    const proxy = proxyFor(this.#route, 'http:', options);
    if (proxy === null) return super.createConnection(options, callback);
    return tunnel(this.#route, proxy, { ...options, port: Number(options.port) || 80 }, callback, (s) => s);
  }
}

/** https through the proxy: a CONNECT tunnel per connection, then TLS to the origin inside it. */
class NegotiateProxyHttpsAgent extends https.Agent {
  readonly #route: Route;

  constructor(route: Route, options: https.AgentOptions) {
    super(options);
    this.#route = route;
  }

  override createConnection(
    options: ConnectionOptions,
    callback: ConnectionCallback,
  ): Duplex | null | undefined {
    const proxy = proxyFor(this.#route, 'https:', options);
    if (proxy === null) return super.createConnection(options, callback);
    const host = String(options.host ?? options.hostname);
    const servername = options.servername ?? (net.isIP(host) ? undefined : host);
    return tunnel(this.#route, proxy, { ...options, port: Number(options.port) || 443 }, callback, (socket) =>
      tls.connect({ ...(options as tls.ConnectionOptions), socket, ...(servername ? { servername } : {}) }),
    );
  }
}

/**
 * Makes an `http.Agent` and an `https.Agent` that send every connection they open through a
 * forward proxy authenticating with Negotiate: each connection is a `CONNECT` tunnel
 * ({@link openConnectTunnel}: a fresh token for `HTTP@<proxy host>`, the 407 legs, a new
 * connection after a refused token), inside which the request goes as to the origin itself
 * (TLS for https), so the origin's own Negotiate works unchanged (the axios and got adapters, a
 * 401 answered inside the tunnel). Plain http is tunnelled too, as hpagent does: proxies that
 * refuse `CONNECT` to port 80 need the undici route (`createFetch(auth, { proxy })`), which
 * forwards plain http instead. With `keepAlive`, a tunnel is reused like any kept-alive
 * connection, without a new token. Hosts that `NO_PROXY` (or `noProxy`) names go direct.
 *
 * A tunnel the proxy refuses fails the request with a `ProxyRefusedError` (axios: the
 * `AxiosError`'s `cause`; got: the `RequestError`'s `cause`), whose `negotiateErrorOf()` is the
 * failed exchange's error for a 407.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import got from 'got';
 * import { HTTPSPNEGOAuth } from 'http-gssapi';
 * import { withNegotiate } from 'http-gssapi/axios';
 * import { negotiateGot } from 'http-gssapi/got';
 * import { createProxyAgents } from 'http-gssapi/proxy';
 *
 * const auth = new HTTPSPNEGOAuth();
 * const agents = createProxyAgents({ proxy: 'env', auth, agentOptions: { keepAlive: true } });
 * const client = withNegotiate(axios.create({ httpAgent: agents.http, httpsAgent: agents.https, proxy: false }), auth);
 * const gotClient = got.extend(negotiateGot(auth), { agent: agents });
 * ```
 */
export function createProxyAgents(options: ProxyAgentsOptions): ProxyAgents {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(
    options,
    ['proxy', 'auth', 'agentOptions', 'proxyTls', 'tunnelTimeout'],
    'createProxyAgents option',
  );
  const route: Route = {
    selector: ProxySelector.from(options.proxy),
    auth: requireProxyAuth(options.auth),
    proxyTls: options.proxyTls,
    timeout: checkTunnelTimeout(options.tunnelTimeout),
  };
  const agentOptions = options.agentOptions ?? {};
  if (typeof agentOptions !== 'object' || agentOptions === null) {
    throw new TypeError('agentOptions must be an object');
  }
  return {
    http: new NegotiateProxyHttpAgent(route, agentOptions),
    https: new NegotiateProxyHttpsAgent(route, agentOptions),
  };
}
