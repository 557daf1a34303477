/**
 * {@link openConnectTunnel}: a `CONNECT` tunnel (RFC 9110 section 9.3.6) through a forward proxy
 * that authenticates with Negotiate (RFC 4559 applied to proxy authentication: a 407 with
 * `Proxy-Authenticate: Negotiate`, answered with `Proxy-Authorization`).
 *
 * @module
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { recordNegotiateError } from '../core/error-report.js';
import { ProxyRefusedError } from '../core/errors.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import { requireProxyAuth } from './proxy-auth.js';
import { parseProxyUrl } from './proxy-selector.js';

/**
 * Options of {@link openConnectTunnel}.
 *
 * @example
 * ```ts
 * const options: ConnectTunnelOptions = { proxy: 'http://proxy:3128', host: 'example.org', port: 443 };
 * ```
 */
export interface ConnectTunnelOptions {
  /** The proxy: `http://host:port`, or `https://host:port` for a proxy reached over TLS. */
  readonly proxy: string | URL;
  /** The tunnel's target host (a name, an IPv4 literal, or an IPv6 literal with or without brackets). */
  readonly host: string;
  /** The tunnel's target port. */
  readonly port: number;
  /**
   * The proxy's Negotiate authentication: its own credentials and mechanism; `targetName` stays
   * `'HTTP'` (the token is for `HTTP@<proxy host>`). Default `new HTTPSPNEGOAuth()`. Mutual
   * authentication is never required of a proxy (REQUIRED acts as OPTIONAL).
   */
  readonly auth?: HTTPSPNEGOAuth;
  /** Gives up (the socket destroyed, the promise rejected with the signal's reason). */
  readonly signal?: AbortSignal;
  /**
   * Gives up after this many milliseconds without a tunnel (a proxy that accepts connections but
   * never answers), with a `ProxyRefusedError` of status 0. Default: no limit.
   */
  readonly timeout?: number;
  /** More CONNECT request headers (`User-Agent`, ...); `Host` and `Proxy-Authorization` are set here. */
  readonly headers?: Readonly<Record<string, string>>;
  /** TLS options for a proxy reached over `https:` (`ca`, `servername`, ...). */
  readonly proxyTls?: tls.ConnectionOptions;
}

const OPTION_KEYS = ['proxy', 'host', 'port', 'auth', 'signal', 'timeout', 'headers', 'proxyTls'];

/** Largest 407 body read to keep its connection for the next leg; a larger one costs a reconnect. */
const MAX_SKIPPED_BODY = 64 * 1024;

interface ConnectAnswer {
  readonly response: http.IncomingMessage;
  readonly socket: net.Socket;
  readonly head: Buffer;
}

/**
 * Opens a `CONNECT` tunnel to `host:port` through a forward proxy and resolves with the
 * connected socket (a `net.Socket`, or a `tls.TLSSocket` for an `https:` proxy): bytes written
 * to it reach the target, so start TLS over it for an https origin
 * (`tls.connect({ socket, servername: host })`).
 *
 * The proxy leg is its own Negotiate exchange (a `NegotiateFlow` of kind `proxy`) with a token
 * for `HTTP@<proxy host>`, never the origin's, fresh per tunnel (a token is never sent twice:
 * squid's replay cache refuses one seen before). The first CONNECT is bare unless the proxy is
 * already known to want Negotiate (learned preemption) or `opportunisticAuth` is on. A 407 with
 * a Negotiate challenge is answered on the same connection when the proxy keeps it open and the
 * refused attempt carried no token; after a refused token the connection is replaced, because
 * squid refuses every later token on a connection where one failed. At most two 407s are
 * answered, as for a 401.
 *
 * @returns the tunnel socket, paused, with any bytes the proxy sent after its 2xx put back.
 * @throws {ProxyRefusedError} when the proxy answers anything but 2xx (a 407 that Negotiate
 *   could not satisfy: `cause` and `negotiateErrorOf(error)` say why; a 403; a 502), or the
 *   connection to it fails; `MutualAuthenticationError` when the proxy sent a final token that
 *   fails verification; the signal's reason when aborted.
 * @throws {TypeError} for bad options.
 * @example
 * ```ts
 * import tls from 'node:tls';
 * import { HTTPSPNEGOAuth } from 'http-gssapi';
 * import { openConnectTunnel } from 'http-gssapi/proxy';
 *
 * const tunnel = await openConnectTunnel({ proxy: 'http://proxy.corp.example:3128', host: 'example.org', port: 443, auth: new HTTPSPNEGOAuth() });
 * const socket = tls.connect({ socket: tunnel, servername: 'example.org' });
 * ```
 */
export async function openConnectTunnel(options: ConnectTunnelOptions): Promise<net.Socket> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(options, OPTION_KEYS, 'openConnectTunnel option');
  const proxy = parseProxyUrl(options.proxy, 'proxy');
  const authority = tunnelAuthority(options.host, options.port);
  const auth = requireProxyAuth(options.auth);
  const fields = { proxy: proxy.origin, target: authority };
  const { timeout } = options;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout <= 0)) {
    throw new TypeError('timeout must be a positive integer (milliseconds)');
  }
  options.signal?.throwIfAborted();
  const limit = new AbortController();
  const timer =
    timeout === undefined
      ? undefined
      : setTimeout(
          () =>
            limit.abort(
              new ProxyRefusedError(`the proxy ${proxy.origin} did not open a tunnel within ${timeout} ms`, {
                ...fields,
                status: 0,
              }),
            ),
          timeout,
        );
  const signal = options.signal ? AbortSignal.any([options.signal, limit.signal]) : limit.signal;
  const flow = auth.flow(proxy, { kind: 'proxy' });
  let socket: net.Socket | null = null;
  try {
    let authorization = await flow.start();
    for (;;) {
      signal?.throwIfAborted();
      socket ??= await connectToProxy(proxy, fields, options.proxyTls, signal);
      // Keep-alive asked for explicitly (node's client says `close` without an agent): squid then
      // keeps the connection after a 407, and the token goes on it without a new TCP handshake.
      const headers = {
        ...options.headers,
        host: authority,
        connection: 'keep-alive',
        ...flow.requestHeaders(authorization),
      };
      const answer: ConnectAnswer = await sendConnect(socket, authority, headers, signal).catch(
        (error: unknown) => {
          if (signal?.aborted) throw signal.reason;
          throw new ProxyRefusedError(
            `the proxy ${proxy.origin} closed the connection before answering CONNECT`,
            { ...fields, status: 0 },
            { cause: error },
          );
        },
      );
      const { response, head } = answer;
      socket = answer.socket;
      const status = response.statusCode ?? 0;
      const decision = await flow.onResponse({
        status,
        header: (name) => response.headers[name],
        response,
      });
      if (status >= 200 && status < 300) {
        if (head.length > 0) socket.unshift(head);
        const tunnel = socket;
        socket = null;
        return tunnel;
      }
      if (decision.action === 'return') {
        const error = new ProxyRefusedError(
          `the proxy ${proxy.origin} refused to open a tunnel to ${authority}: ${status} ${response.statusMessage ?? ''}`.trimEnd(),
          { ...fields, status },
          {
            ...(decision.error ? { cause: decision.error, hint: decision.error.hint } : {}),
            ...(status === 407 && !decision.error
              ? { hint: 'the proxy does not offer Negotiate (Proxy-Authenticate has another scheme)' }
              : {}),
            response: { status, headers: response.headers },
          },
        );
        if (decision.error) recordNegotiateError(error, decision.error);
        throw error;
      }
      // Another leg. Keep the connection only when the refused attempt carried no token (squid
      // refuses every later token on a connection where one failed) and its 407 body can be
      // skipped; else a new connection.
      const keep = authorization === null && (await skipBody(socket, response, head, signal));
      if (!keep) {
        socket.destroy();
        socket = null;
      }
      authorization = decision.authorization;
    }
  } finally {
    clearTimeout(timer);
    socket?.destroy();
    flow.dispose();
  }
}

/** `host:port` for the CONNECT request target and Host header (RFC 9110 section 7.2, IPv6 in brackets). */
function tunnelAuthority(host: unknown, port: unknown): string {
  if (typeof host !== 'string' || host === '' || /[\s/?#@]/.test(host)) {
    throw new TypeError('host must be a host name or IP literal');
  }
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    throw new TypeError('port must be an integer from 1 to 65535');
  }
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return `${net.isIPv6(bare) ? `[${bare}]` : bare}:${port}`;
}

/** A connection to the proxy, plain or TLS, once it is established. */
function connectToProxy(
  proxy: URL,
  fields: { readonly proxy: string; readonly target: string },
  proxyTls: tls.ConnectionOptions | undefined,
  signal?: AbortSignal,
) {
  return new Promise<net.Socket>((resolve, reject) => {
    const host = proxy.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = proxy.protocol === 'https:';
    const port = Number(proxy.port) || (secure ? 443 : 80);
    const socket = secure
      ? tls.connect({ servername: net.isIP(host) ? '' : host, ...proxyTls, host, port })
      : net.connect({ host, port });
    const onAbort = () => socket.destroy(signal!.reason as Error);
    const done = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', done);
      if (error) {
        socket.destroy();
        reject(
          signal?.aborted
            ? signal.reason
            : new ProxyRefusedError(
                `could not connect to the proxy ${proxy.origin}: ${error.message}`,
                { ...fields, status: 0 },
                { cause: error },
              ),
        );
      } else resolve(socket);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(secure ? 'secureConnect' : 'connect', () => done());
    socket.once('error', done);
  });
}

/**
 * Sends one CONNECT on `socket` and resolves with the proxy's answer. Node's HTTP client parses
 * the answer's head (llhttp) and, for CONNECT, hands over the socket after it whatever the
 * status, with the bytes read past the head.
 */
function sendConnect(
  socket: net.Socket,
  authority: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<ConnectAnswer> {
  return new Promise<ConnectAnswer>((resolve, reject) => {
    const request = http.request({
      method: 'CONNECT',
      path: authority,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    const onAbort = () => request.destroy(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('connect', (response, answered: net.Socket, head: Buffer) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ response, socket: answered, head });
    });
    request.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? signal.reason : error);
    });
    request.end();
  });
}

/**
 * Reads and drops a refused CONNECT's body so that the connection can carry the next attempt:
 * true when that worked (the proxy keeps the connection, a `Content-Length` body of at most
 * 64 KiB), false when the connection should be replaced instead.
 */
async function skipBody(
  socket: net.Socket,
  response: http.IncomingMessage,
  head: Buffer,
  signal: AbortSignal,
): Promise<boolean> {
  const connection = String(response.headers['connection'] ?? response.headers['proxy-connection'] ?? '');
  if (/\bclose\b/i.test(connection) || (response.httpVersionMinor === 0 && !/keep-alive/i.test(connection))) {
    return false;
  }
  if (response.headers['transfer-encoding'] !== undefined) return false;
  const length = Number(response.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_SKIPPED_BODY) return false;
  let left = length - head.length;
  if (left < 0) {
    // More than the body: a proxy that answers before being asked. Not a connection to keep.
    return false;
  }
  if (left === 0) return !socket.destroyed;
  return new Promise<boolean>((resolve) => {
    const finish = (ok: boolean) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      socket.pause();
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      left -= chunk.length;
      if (left < 0) finish(false);
      else if (left === 0) finish(true);
    };
    const onClose = () => finish(false);
    // Given up meanwhile: the caller's loop throws the reason.
    const onAbort = () => finish(false);
    socket.on('data', onData);
    socket.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
