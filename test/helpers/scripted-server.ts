import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ContextRequest, NegotiateContext } from '../../src/core/negotiate-context.js';
import { b64, type FakeFactory, type FakeScript, fakeContextFactory } from './fake-context.js';

/** One request as the scripted server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** The Host header: 'localhost:<port>' (host A) or '127.0.0.1:<port>' (host B). */
  readonly host: string;
  readonly authorization: string | null;
  readonly cookie: string | null;
  readonly contentType: string | null;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/** What the server answers. */
export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string;
}

export type Handler = (request: SeenRequest) => Reply;

/**
 * A local HTTP server that answers the n-th request with the n-th scripted handler (the last one
 * repeats) and records every request. One listener, two host names: `url()` is host A
 * (`localhost`), `otherHost()` is host B (`127.0.0.1`), so a redirect can change host (and SPN).
 */
export class ScriptedServer {
  readonly requests: SeenRequest[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #handlers: Handler[] = [];

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<ScriptedServer> {
    let instance: ScriptedServer | undefined;
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        host: req.headers.host ?? '',
        authorization: req.headers.authorization ?? null,
        cookie: req.headers.cookie ?? null,
        contentType: req.headers['content-type'] ?? null,
        body: Buffer.concat(chunks).toString(),
        headers: req.headers,
      };
      const self = instance!;
      self.requests.push(seen);
      const handlers = self.#handlers;
      const handler = handlers[Math.min(self.requests.length - 1, handlers.length - 1)];
      const reply = handler ? handler(seen) : { status: 500, body: 'no handler' };
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
    instance = new ScriptedServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Starts a new script: forgets earlier requests. */
  script(...handlers: Handler[]): this {
    this.requests.length = 0;
    this.#handlers = handlers;
    return this;
  }

  /** A URL on host A. */
  url(path = '/'): string {
    return `http://localhost:${this.port}${path}`;
  }

  /** A URL on host B (same server, another host name, so another SPN). */
  otherHost(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests that went to host B. */
  get toOtherHost(): SeenRequest[] {
    return this.requests.filter((r) => r.host.startsWith('127.0.0.1'));
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A 401 with a Negotiate challenge (a bare one, or one carrying a server token). */
export const challenge =
  (token?: string): Handler =>
  () => ({
    status: 401,
    headers: {
      'www-authenticate': token ? `Negotiate ${b64(token)}` : 'Negotiate',
      'content-type': 'text/plain',
    },
    body: 'denied',
  });

/** A response, by default 200 with the server's final token 'server-ok' (mutual authentication). */
export const ok =
  (token: string | null = 'server-ok', status = 200, headers: Record<string, string> = {}): Handler =>
  () => ({
    status,
    headers: {
      'content-type': 'text/plain',
      ...(token ? { 'www-authenticate': `Negotiate ${b64(token)}` } : {}),
      ...headers,
    },
    body: 'payload',
  });

/** A redirect to `location`. */
export const redirect =
  (location: string, status = 302): Handler =>
  () => ({ status, headers: { location }, body: 'moved' });

/** Echoes the request as JSON (for body checks). */
export const echo: Handler = (r) => ({
  status: 200,
  headers: { 'content-type': 'application/json', 'www-authenticate': `Negotiate ${b64('server-ok')}` },
  body: JSON.stringify({ method: r.method, body: r.body, path: r.path }),
});

/**
 * The fake context factory, with first tokens that name their target (`tok-1@HTTP@localhost`),
 * so a test can tell which host a token was made for.
 */
export function targetedContextFactory(script: FakeScript = {}): FakeFactory {
  const inner = fakeContextFactory(script);
  const factory = ((request: ContextRequest): NegotiateContext => {
    const ctx = inner(request);
    return {
      get complete() {
        return ctx.complete;
      },
      get mech() {
        return ctx.mech ?? null;
      },
      get mutualAuthenticated() {
        return ctx.mutualAuthenticated;
      },
      async step(token) {
        const out = await ctx.step(token);
        if (token == null && out)
          return Buffer.from(`${Buffer.from(out).toString()}@${String(request.target)}`);
        return out;
      },
      dispose() {
        ctx.dispose();
      },
    };
  }) as FakeFactory;
  Object.defineProperties(factory, {
    created: { get: () => inner.created },
    steps: { get: () => inner.steps },
    disposed: { get: () => inner.disposed },
  });
  return factory;
}

/** The text of a Negotiate token in an Authorization header, or null. */
export function tokenText(authorization: string | null): string | null {
  const match = /^Negotiate (\S+)$/.exec(authorization ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString() : null;
}
