/**
 * `http-gssapi/proxy`: forward proxies that authenticate with Negotiate (RFC 4559 for proxies:
 * `407` + `Proxy-Authenticate: Negotiate`, answered with `Proxy-Authorization`), for clients
 * built on `node:http`: {@link createProxyAgents} (axios's `httpAgent`/`httpsAgent`, got's
 * `agent`), {@link openConnectTunnel} (an authenticated CONNECT tunnel, for your own client or
 * proxy), and {@link ProxySelector} (`HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` as undici reads them).
 * fetch and ky take a proxy through `createFetch(auth, { proxy })`; undici through
 * `createProxyDispatcher` in `http-gssapi/undici`.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createProxyAgents } from 'http-gssapi/proxy';
 * const { http: agent } = createProxyAgents({ proxy: 'http://proxy.corp.example:3128' });
 * http.get('http://example.org/', { agent }, (res) => console.log(res.statusCode));
 * ```
 * @module
 */
export { ProxyRefusedError } from '../core/errors.js';
export { type ConnectTunnelOptions, openConnectTunnel } from './connect-tunnel.js';
export { createProxyAgents, type ProxyAgents, type ProxyAgentsOptions } from './proxy-agents.js';
export { ProxySelector, type ProxySetting, type ProxySettings, parseProxyUrl } from './proxy-selector.js';
