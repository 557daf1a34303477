/**
 * An HTTP/2-only TLS server (node:http2, ALPN `h2` only) that authenticates with HTTP Negotiate
 * through this library's acceptor and requires channel bindings to its own certificate, the way
 * IIS with Extended Protection "Required" does: a token bound to another certificate, or to
 * none, gets a 401. It records each request with the HTTP/2 session it came on.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ChannelBindings, Credentials, SecurityContext } from '../../src/gssapi/index.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';

export interface H2Request {
  readonly path: string;
  readonly httpVersion: string;
  /** Which HTTP/2 session (one TLS connection) it came on. */
  readonly session: string;
  readonly negotiate: boolean;
  readonly status: number;
  readonly channelBound: boolean;
  readonly user: string | null;
}

export interface H2NegotiateServerOptions {
  readonly keytab: string;
  readonly hostname: string;
  readonly key: string;
  readonly cert: string;
  /** The certificate's DER, what a token must be bound to. */
  readonly der: Uint8Array;
}

export class H2NegotiateServer {
  readonly requests: H2Request[] = [];
  readonly #server: Http2SecureServer;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly url: string;
  readonly port: number;

  private constructor(server: Http2SecureServer, url: string, port: number) {
    this.#server = server;
    this.url = url;
    this.port = port;
  }

  static async start(options: H2NegotiateServerOptions): Promise<H2NegotiateServer> {
    const creds = await Credentials.acquire({ usage: 'accept', store: { keytab: options.keytab } });
    const bindings = ChannelBindings.tlsServerEndPoint(options.der);
    const ids = new WeakMap<object, string>();
    const server = createSecureServer({ key: options.key, cert: options.cert, allowHTTP1: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const self = new H2NegotiateServer(server, `https://${options.hostname}:${port}/`, port);
    server.on('session', (session) => {
      ids.set(session, randomUUID());
      self.#sessions.add(session);
      session.once('close', () => self.#sessions.delete(session));
    });
    server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
      void self.#handle(req, res, creds, bindings, ids.get(req.stream.session!) ?? '?');
    });
    return self;
  }

  async #handle(
    req: Http2ServerRequest,
    res: Http2ServerResponse,
    creds: Credentials,
    bindings: ChannelBindings,
    session: string,
  ): Promise<void> {
    const authorization = req.headers.authorization;
    const negotiate = typeof authorization === 'string' && /^negotiate\s+\S/i.test(authorization);
    const record = (status: number, channelBound: boolean, user: string | null) =>
      this.requests.push({
        path: req.url,
        httpVersion: req.httpVersion,
        session,
        negotiate,
        status,
        channelBound,
        user,
      });
    const refuse = (reason: string | null) => {
      record(401, false, null);
      res.writeHead(401, {
        'www-authenticate': 'Negotiate',
        ...(reason ? { 'x-gss-error': reason } : {}),
      });
      res.end('{"error":"unauthorized"}');
    };
    if (!negotiate) return refuse(null);
    const ctx = new SecurityContext({ usage: 'accept', creds, channelBindings: bindings });
    try {
      let output: Uint8Array | null;
      try {
        output = await ctx.step(Buffer.from(authorization.replace(/^negotiate\s+/i, ''), 'base64'));
      } catch (error) {
        return refuse((error as { code?: string }).code ?? 'unknown');
      }
      const channelBound = (ctx.actualFlags & ContextFlag.CHANNEL_BOUND) !== 0;
      if (!ctx.complete || !channelBound) return refuse('missing-channel-bindings');
      const user = String(ctx.initiatorName);
      record(200, true, user);
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(output ? { 'www-authenticate': `Negotiate ${Buffer.from(output).toString('base64')}` } : {}),
      });
      res.end(JSON.stringify({ user, path: req.url }));
    } finally {
      ctx.dispose();
    }
  }

  requestsTo(path: string): H2Request[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Closes every open session, so that the next request makes a new connection. */
  dropSessions(): void {
    for (const session of this.#sessions) session.destroy();
  }

  async stop(): Promise<void> {
    this.dropSessions();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
