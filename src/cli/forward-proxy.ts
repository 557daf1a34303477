/**
 * {@link ForwardProxy}: the local forward proxy behind `http-gssapi proxy`. Clients that cannot
 * speak Negotiate (npm, git, pip, VS Code, a curl without GSSAPI) use it as their plain proxy;
 * it forwards to the upstream proxy and authenticates there with the user's Kerberos ticket:
 *
 * - plain http (absolute-form requests) through {@link forwardHttpRequest}: the library's
 *   `NegotiateFlow` of kind `proxy` answers the 407 legs;
 * - `CONNECT` tunnels through the library's {@link openConnectTunnel}: a fresh token per
 *   upstream connection, the 407 legs, a connection where a token failed replaced; then bytes
 *   piped both ways.
 *
 * `NO_PROXY` hosts are reached directly. Credentials are the `HTTPSPNEGOAuth`'s: with the
 * default ccache they are looked up again when missing (a failure is never cached), so a
 * `kinit` after start is picked up by the next request, without a restart.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { DIAGNOSTICS_CHANNELS } from '../core/diagnostics.js';
import { negotiateErrorOf } from '../core/error-report.js';
import { ProxyRefusedError } from '../core/errors.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { openConnectTunnel } from '../proxy/connect-tunnel.js';
import { ProxySelector } from '../proxy/proxy-selector.js';
import { forwardHttpRequest } from './forward-http-request.js';
import type { ListenAddress } from './listen-address.js';
import { logLine, type ProxyOutcome, reasonOf, sendReason, sendReasonOnSocket } from './proxy-outcome.js';
import type { Upstream } from './proxy-upstream.js';

/**
 * Options of {@link ForwardProxy.start}.
 *
 * @example
 * ```ts
 * const options: ForwardProxyOptions = { listen: DEFAULT_LISTEN, upstream, auth: new HTTPSPNEGOAuth(), log: console.error };
 * ```
 */
export interface ForwardProxyOptions {
  readonly listen: ListenAddress;
  readonly upstream: Upstream;
  /** The upstream proxy's Negotiate authentication (target `HTTP@<proxy host>`). */
  readonly auth: HTTPSPNEGOAuth;
  /** Receives one line per request. */
  readonly log: (line: string) => void;
}

/** Tokens sent within one tunnel's opening, counted from the library's `token` diagnostics events. */
const tunnelLegs = new AsyncLocalStorage<{ count: number }>();
const countLeg = () => {
  const counter = tunnelLegs.getStore();
  if (counter) counter.count += 1;
};

/** `host:port` of a CONNECT request target (RFC 9110 section 9.3.6), or null. */
function connectTarget(authority: string | undefined): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/?#@[\]]+)):(\d{1,5})$/.exec(authority ?? '');
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) return null;
  return { host: match[1] ?? match[2]!, port };
}

/**
 * A running local forward proxy. {@link ForwardProxy.start} listens; {@link ForwardProxy.close}
 * stops listening and ends every open connection and tunnel.
 *
 * @example
 * ```ts
 * const proxy = await ForwardProxy.start({ listen: { host: '127.0.0.1', port: 3128 }, upstream, auth, log: (line) => process.stderr.write(`${line}\n`) });
 * // ...
 * await proxy.close();
 * ```
 */
export class ForwardProxy {
  readonly #server: http.Server;
  readonly #options: ForwardProxyOptions;
  readonly #selector: ProxySelector;
  readonly #stopping = new AbortController();
  /** Client sockets of tunnels (node:http no longer tracks them once CONNECT hands them over) and their upstreams. */
  readonly #tunnelSockets = new Set<net.Socket>();

  private constructor(options: ForwardProxyOptions) {
    this.#options = options;
    this.#selector = ProxySelector.from(options.upstream.settings);
    // No request timeout: an upload (git push, npm publish) may take longer than node's 5 minutes.
    this.#server = http.createServer({ requestTimeout: 0 }, (req, res) => {
      this.#onRequest(req, res).catch((error: unknown) => this.#failed(req, res, error));
    });
    this.#server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      void this.#onConnect(req, socket, head);
    });
  }

  /**
   * Listens on `options.listen` and resolves once listening.
   *
   * @throws the listen error (`EADDRINUSE`, `EACCES`, ...).
   */
  static async start(options: ForwardProxyOptions): Promise<ForwardProxy> {
    const proxy = new ForwardProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(options.listen.port, options.listen.host, () => {
        proxy.#server.off('error', reject);
        resolve();
      });
    });
    subscribe(DIAGNOSTICS_CHANNELS.token, countLeg);
    return proxy;
  }

  /** The address listened on (the port the system chose for port 0). */
  get address(): ListenAddress {
    const address = this.#server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  /** Stops listening, aborts pending upstream work, and closes every connection and tunnel. */
  async close(): Promise<void> {
    this.#stopping.abort(new Error('the proxy is stopping'));
    unsubscribe(DIAGNOSTICS_CHANNELS.token, countLeg);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#tunnelSockets) socket.destroy();
    await closed;
  }

  #log(method: string, target: string, route: URL | null, outcome: ProxyOutcome, started: number): void {
    this.#options.log(logLine(method, target, route, outcome, performance.now() - started));
  }

  /** A request that failed outside the forwarding's own handling (the client gone mid-body): answered if still possible, logged. */
  #failed(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void {
    const reason = reasonOf(error, 'the request failed');
    if (!res.headersSent && !res.destroyed) sendReason(res, 502, reason);
    else res.destroy();
    this.#options.log(logLine(req.method ?? 'GET', req.url ?? '', null, { status: 502, legs: 0, reason }, 0));
  }

  async #onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    let target: URL | null = null;
    try {
      target = new URL(req.url ?? '');
    } catch {
      // An origin-form target: the client took this proxy for a server.
    }
    if (target === null || target.protocol !== 'http:') {
      const reason =
        target === null
          ? 'this is a forward proxy: configure it as the client proxy (HTTP_PROXY), do not request it directly'
          : `only http: targets are forwarded; https goes through CONNECT (got ${target.protocol})`;
      req.resume();
      sendReason(res, 400, reason);
      this.#log(method, req.url ?? '', null, { status: 400, legs: 0, reason }, started);
      return;
    }
    target.username = '';
    target.password = '';
    const proxy = this.#selector.proxyFor(target);
    const outcome = await forwardHttpRequest(req, res, target, {
      proxy,
      auth: this.#options.auth,
      signal: this.#stopping.signal,
    });
    this.#log(method, target.href, proxy, outcome, started);
  }

  async #onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    const started = performance.now();
    const authority = req.url ?? '';
    this.#track(client);
    client.on('error', () => client.destroy());
    const target = connectTarget(authority);
    if (target === null) {
      const reason = `CONNECT needs host:port, got '${authority}'`;
      sendReasonOnSocket(client, 400, reason);
      this.#log('CONNECT', authority, null, { status: 400, legs: 0, reason }, started);
      return;
    }
    const literal = net.isIPv6(target.host) ? `[${target.host}]` : target.host;
    const proxy = this.#selector.proxyFor(new URL(`https://${literal}:${target.port}`));
    const counter = { count: 0 };
    let upstream: net.Socket;
    try {
      upstream = await tunnelLegs.run(counter, () =>
        proxy
          ? openConnectTunnel({
              proxy,
              host: target.host,
              port: target.port,
              auth: this.#options.auth,
              signal: this.#stopping.signal,
            })
          : connectDirect(target.host, target.port, this.#stopping.signal),
      );
    } catch (error) {
      const refused = error instanceof ProxyRefusedError ? error : null;
      // A refusal keeps the upstream's status (407, 403, 502); anything else is our 502.
      const status = refused && refused.status >= 400 ? refused.status : 502;
      const reason =
        refused && refused.status === 407
          ? reasonOf(negotiateErrorOf(refused), 'the upstream proxy does not offer Negotiate')
          : reasonOf(error, 'the tunnel could not be opened');
      if (!client.destroyed) sendReasonOnSocket(client, status, reason);
      this.#log('CONNECT', authority, proxy, { status, legs: counter.count, reason }, started);
      return;
    }
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    this.#track(upstream);
    client.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.on('error', () => {
      upstream.destroy();
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    this.#log('CONNECT', authority, proxy, { status: 200, legs: counter.count, reason: null }, started);
  }

  #track(socket: net.Socket): void {
    this.#tunnelSockets.add(socket);
    socket.once('close', () => this.#tunnelSockets.delete(socket));
  }
}

/** A direct connection to a `NO_PROXY` host. */
function connectDirect(host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, signal });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
