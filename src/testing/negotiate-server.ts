import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ChannelBindings } from '../gssapi/channel-bindings.js';
import { Credentials } from '../gssapi/credentials.js';
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import { OID } from '../gssapi/oid.js';
import { ContextFlag } from '../gssapi/raw/constants.js';
import { SecurityContext } from '../gssapi/security-context.js';
import { checkOptionKeys } from '../internal/option-keys.js';
import type {
  NegotiateTestServerOptions,
  NegotiateTestServerTls,
  RecordedRequest,
  TestServerBehavior,
  TestServerChannelBindings,
} from './negotiate-server-types.js';

/** What the misbehaviors that send no usable final token put in `WWW-Authenticate` instead. */
const FINAL_WITHOUT_TOKEN: Partial<Record<TestServerBehavior, string>> = {
  'final-bare-negotiate': 'Negotiate',
  'final-auth-params': 'Negotiate token="x"',
  'final-garbled-token': 'Negotiate !!not*base64!!',
};

/**
 * An HTTP server that authenticates with HTTP Negotiate through this library's acceptor, and
 * misbehaves on purpose on chosen paths (see {@link TestServerBehavior}), for integration tests
 * of Negotiate clients. Pair it with {@link TestRealm}.
 *
 * @example
 * ```ts
 * import { TestRealm, NegotiateTestServer } from 'http-gssapi/testing';
 * const realm = await TestRealm.start();
 * const restore = realm.applyEnv();
 * const server = await NegotiateTestServer.start({ keytab: realm.service.keytab });
 * const res = await createFetch()(`${server.url}ok/hello`);   // 200, body names realm.user.principal
 * console.log(server.requests.length);                        // 2: the 401 and the authenticated retry
 * await server.stop(); await realm.stop(); restore();
 *
 * // Extended Protection: https, and a token must be bound to this server's certificate.
 * const epa = await NegotiateTestServer.start({ keytab: realm.service.keytab, tls: { key, cert } });
 * await createFetch()(`${epa.url}ok/`, { dispatcher: new Agent({ connect: { ca: cert } }) });
 * console.log(epa.requests.at(-1)?.channelBound); // true
 * ```
 */
export class NegotiateTestServer {
  readonly url: string;
  readonly port: number;
  /** Every request so far, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #creds: Credentials;
  readonly #sockets: Set<Socket>;
  readonly #secondLegSeen = new Set<string>();
  /** Session id -> user, for the `session` behavior. */
  readonly #sessions = new Map<string, string>();
  /** The acceptor's channel bindings (over TLS, unless `'ignored'`), or null. */
  readonly #bindings: ChannelBindings | null;
  readonly #bindingMode: TestServerChannelBindings | null;
  /**
   * Over TLS, the DER certificate the server presents (what a client's `tls-server-end-point`
   * binding hashes); null over plain http.
   */
  readonly certificate: Uint8Array | null;

  private constructor(
    server: Server,
    creds: Credentials,
    hostname: string,
    sockets: Set<Socket>,
    tls: NegotiateTestServerTls | undefined,
  ) {
    this.#server = server;
    this.#sockets = sockets;
    this.#creds = creds;
    this.port = (server.address() as AddressInfo).port;
    this.url = `${tls ? 'https' : 'http'}://${hostname}:${this.port}/`;
    this.certificate = tls ? new Uint8Array(new X509Certificate(tls.cert).raw) : null;
    this.#bindingMode = tls ? (tls.channelBindings ?? 'required') : null;
    this.#bindings =
      this.certificate && this.#bindingMode !== 'ignored'
        ? ChannelBindings.tlsServerEndPoint(this.certificate)
        : null;
  }

  static async start(options: NegotiateTestServerOptions = {}): Promise<NegotiateTestServer> {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    checkOptionKeys(options, ['keytab', 'hostname', 'listen', 'tls'], 'NegotiateTestServer option');
    if (options.tls !== undefined) checkTls(options.tls);
    const keytab = options.keytab ?? process.env['KRB5_KTNAME'];
    if (!keytab) throw new TypeError('keytab is required (or set KRB5_KTNAME)');
    const creds = await Credentials.acquire({ usage: 'accept', store: { keytab } });
    let instance: NegotiateTestServer | undefined;
    let connections = 0;
    const ids = new WeakMap<Socket, number>();
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      instance!.#handle(req, res, ids.get(req.socket) ?? 0).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`test server error: ${(error as Error).message}`);
      });
    };
    const tls = options.tls;
    const server: Server = tls
      ? createTlsServer(
          { key: tls.key, cert: tls.cert, ...(tls.ciphers ? { ciphers: tls.ciphers } : {}) },
          listener,
        )
      : createServer(listener);
    server.keepAliveTimeout = 30_000;
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      if (!tls) ids.set(socket, ++connections);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    // Over TLS, requests come on the TLS socket wrapped around the TCP one.
    if (tls) server.on('secureConnection', (socket: TLSSocket) => ids.set(socket, ++connections));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, options.listen ?? '127.0.0.1', () => resolve());
    });
    instance = new NegotiateTestServer(server, creds, options.hostname ?? 'localhost', sockets, tls);
    return instance;
  }

  /** Ends every session of the `session` behavior: the next request with its cookie gets a 401. */
  expireSessions(): void {
    this.#sessions.clear();
  }

  /**
   * Closes every open connection, as a server's idle timeout would: clients connect again (over
   * TLS, resuming their sessions).
   */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Requests to paths starting with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  async #handle(req: IncomingMessage, res: ServerResponse, connection: number): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const behavior = (url.pathname.split('/')[1] || 'ok') as TestServerBehavior;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const authorization = req.headers.authorization ?? '';
    const negotiate = /^negotiate\s+\S/i.test(authorization);
    let user: string | null = null;
    let session = false;
    let channelBound = false;
    const finish = (status: number, headers: Record<string, string>, payload: string) => {
      this.requests.push({
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        host: req.headers.host ?? '',
        negotiate,
        otherAuthorization: authorization && !negotiate ? authorization.split(' ')[0]! : null,
        connection,
        bodyLength: body.length,
        bodySha256: createHash('sha256').update(body).digest('hex'),
        status,
        user,
        session,
        cookie: req.headers.cookie ?? null,
        channelBound,
        tlsSessionReused:
          (req.socket as Partial<Pick<TLSSocket, 'isSessionReused'>>).isSessionReused?.() ?? false,
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(payload);
    };
    const challenge = () =>
      finish(401, { 'www-authenticate': 'Negotiate' }, '{"error":"authentication required"}');

    if (behavior === 'public') return finish(200, {}, JSON.stringify({ path: url.pathname, user: null }));
    if (behavior === 'open-redirect') return redirect(url, finish);
    if (behavior === 'malformed-challenge') return finish(401, { 'www-authenticate': 'Negotiate YII' }, '{}');
    if (behavior === 'basic-only') return finish(401, { 'www-authenticate': 'Basic realm="test"' }, '{}');
    if (behavior === 'session' && !negotiate) {
      const id = /(?:^|;\s*)negotiate-session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const known = id === undefined ? undefined : this.#sessions.get(id);
      if (known !== undefined) {
        user = known;
        session = true;
        return finish(200, {}, JSON.stringify({ user, path: url.pathname, session: true }));
      }
    }
    if (!negotiate) return challenge();

    const ctx = new SecurityContext({ usage: 'accept', creds: this.#creds, channelBindings: this.#bindings });
    try {
      let output: Uint8Array | null;
      try {
        output = await ctx.step(Buffer.from(authorization.replace(/^negotiate\s+/i, ''), 'base64'));
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unknown';
        return finish(
          401,
          { 'www-authenticate': 'Negotiate', 'x-gss-error': code },
          JSON.stringify({ error: code }),
        );
      }
      if (!ctx.complete) {
        // A multi-leg mechanism: this server keeps no per-connection state, so it cannot continue.
        return finish(401, { 'www-authenticate': 'Negotiate' }, '{"error":"multi-leg not supported"}');
      }
      channelBound = (ctx.actualFlags & ContextFlag.CHANNEL_BOUND) !== 0;
      if (this.#bindingMode === 'required' && !channelBound) {
        // MIT accepts a token without bindings even when given some (RFC 2744 leaves it to the
        // mechanism), only leaving the flag unset: Extended Protection refuses it.
        return finish(
          401,
          { 'www-authenticate': 'Negotiate', 'x-gss-error': 'missing-channel-bindings' },
          '{"error":"missing-channel-bindings"}',
        );
      }
      user = String(ctx.initiatorName);
      if (behavior === 'always-401') return challenge();
      if (behavior === 'second-leg') {
        const key = `${connection}:${url.pathname}`;
        if (!this.#secondLegSeen.has(key)) {
          this.#secondLegSeen.add(key);
          user = null;
          return challenge();
        }
      }
      const final: Record<string, string> = {};
      if (
        output &&
        behavior !== 'omit-final-token' &&
        behavior !== 'error-500' &&
        !(behavior in FINAL_WITHOUT_TOKEN)
      ) {
        const token = Buffer.from(output);
        if (behavior === 'corrupt-final-token') token[token.length - 1]! ^= 0xff;
        final['www-authenticate'] = `Negotiate ${token.toString('base64')}`;
      }
      const finalInstead = FINAL_WITHOUT_TOKEN[behavior];
      if (finalInstead !== undefined) final['www-authenticate'] = finalInstead;
      if (behavior === 'error-500') {
        return finish(
          500,
          { 'x-internal-detail': 'stack trace here', server: 'negotiate-test-server' },
          'internal secret',
        );
      }
      if (behavior === 'redirect') return redirect(url, (s, h, p) => finish(s, { ...h, ...final }, p));
      if (behavior === 'session') {
        const id = randomBytes(16).toString('hex');
        this.#sessions.set(id, user);
        final['set-cookie'] = `negotiate-session=${id}; Path=/session; HttpOnly`;
      }
      const result: Record<string, unknown> = {
        user,
        path: url.pathname,
        method: req.method,
        bodyLength: body.length,
        bodySha256: createHash('sha256').update(body).digest('hex'),
        mech: String(ctx.mech),
        delegated: ctx.delegatedCreds !== null,
      };
      if (behavior === 'delegate' && ctx.delegatedCreds) {
        result['delegatedUse'] = await useDelegated(
          ctx.delegatedCreds,
          url.searchParams.get('target') ?? `HTTP@${url.hostname}`,
        );
      }
      return finish(200, final, JSON.stringify(result));
    } finally {
      ctx.delegatedCreds?.dispose();
      ctx.dispose();
    }
  }

  /** Closes the server and every open connection. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#creds.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function redirect(
  url: URL,
  finish: (status: number, headers: Record<string, string>, payload: string) => void,
): void {
  const to = url.searchParams.get('to') ?? '/public/';
  const status = Number(url.searchParams.get('status') ?? 302);
  finish(status, { location: to }, '{}');
}

/** Proves delegation: the delegated ticket gets a service token for another target. */
async function useDelegated(creds: Credentials, target: string): Promise<string> {
  const name = new Name(target, NameType.hostbasedService);
  const ctx = new SecurityContext({ usage: 'initiate', name, creds, mech: OID.KRB5 });
  try {
    const token = await ctx.step();
    return token && token.length > 0 ? 'token-obtained' : 'no-token';
  } catch (error) {
    return `failed: ${(error as { code?: string }).code ?? 'unknown'}`;
  } finally {
    ctx.dispose();
    name.dispose();
  }
}

/** Checks the `tls` option of {@link NegotiateTestServer.start}. */
function checkTls(tls: NegotiateTestServerTls): void {
  if (typeof tls !== 'object' || tls === null) throw new TypeError('tls must be an object with key and cert');
  checkOptionKeys(tls, ['key', 'cert', 'channelBindings', 'ciphers'], 'NegotiateTestServer tls option');
  for (const key of ['key', 'cert'] as const) {
    if (typeof tls[key] !== 'string' && !Buffer.isBuffer(tls[key])) {
      throw new TypeError(`tls.${key} must be a PEM string or buffer`);
    }
  }
  const mode = tls.channelBindings ?? 'required';
  if (mode !== 'required' && mode !== 'checked' && mode !== 'ignored') {
    throw new TypeError(
      `tls.channelBindings must be 'required', 'checked' or 'ignored', got ${String(mode)}`,
    );
  }
  if (tls.ciphers !== undefined && typeof tls.ciphers !== 'string') {
    throw new TypeError('tls.ciphers must be a string');
  }
}
