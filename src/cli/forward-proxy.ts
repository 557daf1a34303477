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
 * `NO_PROXY` hosts are reached directly (never this machine's own addresses for a client on
 * another host). Who may connect ({@link AllowList}), how many at once and for how long
 * ({@link ProxyLimits}) are checked here, and a request that already carries this proxy's `Via`
 * pseudonym (it went round a loop) is refused with 508. Each request and tunnel opening has its
 * own abort controller, aborted when its client leaves or the proxy stops, so that the upstream
 * side is freed with it.
 *
 * Credentials are the `HTTPSPNEGOAuth`'s: with the
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
import { type AllowList, LOOPBACK_ONLY } from './client-allow-list.js';
import { connectDirect } from './connect-direct.js';
import { forwardHttpRequest } from './forward-http-request.js';
import type { ListenAddress } from './listen-address.js';
import { isLoopbackAddress } from './local-addresses.js';
import { LOCAL_TARGET_REFUSED, localLiteralRefusal, lookupRemoteOnly } from './local-target-guard.js';
import { DEFAULT_LIMITS, type ProxyLimits } from './proxy-limits.js';
import { logLine, type ProxyOutcome, reasonOf, sendReason, sendReasonOnSocket } from './proxy-outcome.js';
import type { Upstream } from './proxy-upstream.js';
import { ViaEntry } from './proxy-via.js';

/**
 * Options of {@link ForwardProxy.start}.
 *
 * @example
 * ```ts
 * const options: ForwardProxyOptions = { listen: DEFAULT_LISTEN, upstream, auth: new HTTPSPNEGOAuth(), log: console.error, limits: DEFAULT_LIMITS };
 * ```
 */
export interface ForwardProxyOptions {
  readonly listen: ListenAddress;
  readonly upstream: Upstream;
  /** The upstream proxy's Negotiate authentication (target `HTTP@<proxy host>`). */
  readonly auth: HTTPSPNEGOAuth;
  /** Receives one line per request. */
  readonly log: (line: string) => void;
  /** Timeouts and the connection cap; default {@link DEFAULT_LIMITS}. */
  readonly limits?: ProxyLimits;
  /** Client addresses that may use the proxy; default loopback only. */
  readonly allow?: AllowList;
}

/** Bytes a client may send before its tunnel is open (a TLS ClientHello is a few hundred). */
const EARLY_DATA_LIMIT = 64 * 1024;

/** The reason a request that went round a loop gets (RFC 9110 section 7.6.3, `Via`). */
const LOOP_REASON =
  'this request has already been through this proxy (its Via names it): the upstream or a proxy after it leads back here';

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
  readonly #limits: ProxyLimits;
  readonly #allow: AllowList;
  readonly #via = new ViaEntry();
  /**
   * One controller per request or tunnel opening under way: aborted when its client leaves, and
   * all of them when the proxy stops. No listener per request on a shared stop signal: twenty
   * concurrent requests would pass node's limit of ten and print MaxListenersExceededWarning.
   */
  readonly #pending = new Set<AbortController>();
  #stopped = false;
  #connections = 0;
  /** Connections over the cap, answered 503: a request already parsed on one goes nowhere. */
  readonly #overCap = new WeakSet<net.Socket>();
  /** Client sockets of tunnels (node:http no longer tracks them once CONNECT hands them over) and their upstreams. */
  readonly #tunnelSockets = new Set<net.Socket>();

  private constructor(options: ForwardProxyOptions) {
    this.#options = options;
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#allow = options.allow ?? LOOPBACK_ONLY;
    this.#selector = ProxySelector.from(options.upstream.settings);
    const { headerTimeout, idleTimeout } = this.#limits;
    // No request timeout: an upload (git push, npm publish) may take longer than node's 5 minutes;
    // silence is limited instead (`timeout`). A request timeout of 0 would also turn node's
    // header timeout off: it is set on its own, and checked often enough to hold.
    this.#server = http.createServer(
      {
        requestTimeout: 0,
        headersTimeout: headerTimeout,
        connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(headerTimeout / 4))),
      },
      (req, res) => {
        this.#onRequest(req, res).catch((error: unknown) => this.#failed(req, res, error));
      },
    );
    this.#server.timeout = idleTimeout;
    this.#server.on('connection', (socket: net.Socket) => this.#onConnection(socket));
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
    this.#stopped = true;
    const reason = new Error('the proxy is stopping');
    for (const controller of this.#pending) controller.abort(reason);
    unsubscribe(DIAGNOSTICS_CHANNELS.token, countLeg);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#tunnelSockets) socket.destroy();
    await closed;
  }

  #log(method: string, target: string, route: URL | null, outcome: ProxyOutcome, started: number): void {
    this.#options.log(logLine(method, target, route, outcome, performance.now() - started));
  }

  /** Counts client connections; one over the cap gets a 503 and is closed at once. */
  #onConnection(socket: net.Socket): void {
    this.#connections += 1;
    socket.once('close', () => {
      this.#connections -= 1;
    });
    if (this.#connections > this.#limits.maxConnections) {
      const reason = `too many connections (--max-connections ${this.#limits.maxConnections}): try again later`;
      this.#overCap.add(socket);
      socket.on('error', () => socket.destroy());
      sendReasonOnSocket(socket, 503, reason);
      this.#options.log(logLine('-', socket.remoteAddress ?? '', null, { status: 503, legs: 0, reason }, 0));
    }
  }

  /**
   * Why a request from `client` is refused before anything is forwarded, with its status, or
   * null: a client not on the allow list (403), a request that names this proxy in `Via` (508).
   */
  #refusal(req: http.IncomingMessage): { status: number; reason: string } | null {
    const client = req.socket.remoteAddress ?? '';
    if (!this.#allow.allows(client)) {
      return {
        status: 403,
        reason: `client ${client} is not allowed to use this proxy (--allow ${this.#allow.text})`,
      };
    }
    if (this.#via.seenIn(req.headers.via)) return { status: 508, reason: LOOP_REASON };
    return null;
  }

  /** A controller for one request, in {@link ForwardProxy.#pending} until `done` is called. */
  #begin(): { controller: AbortController; done: () => void } {
    const controller = new AbortController();
    if (this.#stopped) controller.abort(new Error('the proxy is stopping'));
    this.#pending.add(controller);
    return { controller, done: () => this.#pending.delete(controller) };
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
    if (this.#overCap.has(req.socket)) {
      res.destroy();
      return;
    }
    const refused = this.#refusal(req);
    if (refused) {
      req.resume();
      sendReason(res, refused.status, refused.reason);
      this.#log(method, req.url ?? '', null, { ...refused, legs: 0 }, started);
      return;
    }
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
    const remote = !isLoopbackAddress(req.socket.remoteAddress ?? '');
    const local = proxy === null && remote ? localLiteralRefusal(target.hostname) : null;
    if (local) {
      req.resume();
      sendReason(res, 403, local.message);
      this.#log(method, target.href, null, { status: 403, legs: 0, reason: local.message }, started);
      return;
    }
    // The client gone before its answer is complete: the upstream request goes with it.
    const { controller, done } = this.#begin();
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    try {
      const outcome = await forwardHttpRequest(req, res, target, {
        proxy,
        auth: this.#options.auth,
        signal: controller.signal,
        idleTimeout: this.#limits.idleTimeout,
        via: this.#via,
        ...(proxy === null && remote ? { lookup: lookupRemoteOnly } : {}),
      });
      this.#log(method, target.href, proxy, outcome, started);
    } finally {
      res.off('close', onClose);
      done();
    }
  }

  async #onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    const started = performance.now();
    const authority = req.url ?? '';
    this.#track(client);
    client.on('error', () => client.destroy());
    if (this.#overCap.has(client)) {
      client.destroy();
      return;
    }
    const refused = this.#refusal(req);
    if (refused) {
      sendReasonOnSocket(client, refused.status, refused.reason);
      this.#log('CONNECT', authority, null, { ...refused, legs: 0 }, started);
      return;
    }
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
    const remote = !isLoopbackAddress(client.remoteAddress ?? '');
    // The client gone while the tunnel opens: the upstream connection (or the 407 legs) stop too.
    // Its end is seen only while its socket is read: what it sends early (a TLS hello) is kept
    // for the tunnel, up to 64 KiB (then reading pauses).
    const { controller, done } = this.#begin();
    const onClose = () => controller.abort(new Error('the client closed the connection'));
    const early: Buffer[] = [head];
    let earlySize = head.length;
    const onData = (chunk: Buffer) => {
      early.push(chunk);
      earlySize += chunk.length;
      if (earlySize > EARLY_DATA_LIMIT) client.pause();
    };
    client.on('data', onData);
    client.once('end', onClose);
    client.once('close', onClose);
    const { connectTimeout } = this.#limits;
    let upstream: net.Socket;
    try {
      const local = proxy === null && remote ? localLiteralRefusal(target.host) : null;
      if (local) throw local;
      upstream = await tunnelLegs.run(counter, () =>
        proxy
          ? openConnectTunnel({
              proxy,
              host: target.host,
              port: target.port,
              auth: this.#options.auth,
              signal: controller.signal,
              timeout: connectTimeout,
              headers: { via: this.#via.append(req.headers.via) },
            })
          : connectDirect(target.host, target.port, controller.signal, connectTimeout, remote),
      );
    } catch (error) {
      const refused = error instanceof ProxyRefusedError ? error : null;
      const localTarget = (error as { code?: unknown }).code === LOCAL_TARGET_REFUSED;
      // A refusal keeps the upstream's status (407, 403, 502); anything else is our 502.
      const status = localTarget ? 403 : refused && refused.status >= 400 ? refused.status : 502;
      const reason =
        refused && refused.status === 407
          ? reasonOf(negotiateErrorOf(refused), 'the upstream proxy does not offer Negotiate')
          : reasonOf(error, 'the tunnel could not be opened');
      if (!client.destroyed) sendReasonOnSocket(client, status, reason);
      this.#log('CONNECT', authority, proxy, { status, legs: counter.count, reason }, started);
      return;
    } finally {
      client.off('data', onData);
      client.off('end', onClose);
      client.off('close', onClose);
      done();
    }
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    this.#track(upstream);
    client.write('HTTP/1.1 200 Connection established\r\n\r\n');
    for (const chunk of early) if (chunk.length > 0) upstream.write(chunk);
    upstream.on('error', () => {
      upstream.destroy();
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    // A tunnel silent both ways for the idle timeout is closed; either side closing ends both.
    const idle = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.setTimeout(this.#limits.idleTimeout, idle);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    this.#log('CONNECT', authority, proxy, { status: 200, legs: counter.count, reason: null }, started);
  }

  #track(socket: net.Socket): void {
    this.#tunnelSockets.add(socket);
    socket.once('close', () => this.#tunnelSockets.delete(socket));
  }
}
