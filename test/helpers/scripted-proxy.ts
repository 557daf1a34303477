/**
 * {@link ScriptedProxy}: a forward proxy for unit tests that answers each request (CONNECT or
 * absolute-form) with the next scripted reply, keeps the connection open between requests unless
 * told to close it, and records what it saw per connection. Raw sockets rather than node:http's
 * server: node hands a socket over after its first CONNECT, whatever the answer, and a proxy that
 * answers 407 and reads the next CONNECT on the same connection is what is being tested.
 *
 * @module
 */
import net from 'node:net';

/** One request as the proxy saw it. */
export interface SeenProxyRequest {
  /** Which connection it came on: 1 for the first the proxy accepted, 2 for the next, ... */
  readonly connection: number;
  readonly method: string;
  /** The request target: `host:port` for CONNECT, an absolute URL otherwise. */
  readonly target: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the proxy answers. */
export interface ProxyReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Close the connection after the answer. */
  readonly close?: boolean;
  /** Bytes written right after a 2xx CONNECT answer, in the same write (as a fast origin's would be). */
  readonly early?: string;
}

export type ProxyScript = (request: SeenProxyRequest) => ProxyReply;

/** A Negotiate 407 challenge, optionally with a token. */
export const negotiate407 = (extra: Partial<ProxyReply> = {}): ProxyReply => ({
  status: 407,
  headers: { 'proxy-authenticate': 'Negotiate' },
  body: 'authentication required',
  ...extra,
});

/**
 * The proxy. A 2xx CONNECT answer makes the connection a tunnel to the target (a real TCP
 * connection to it); a forwarded request gets the reply itself.
 *
 * @example
 * ```ts
 * await using proxy = await ScriptedProxy.start([() => negotiate407(), () => ({ status: 200 })]);
 * ```
 */
export class ScriptedProxy {
  readonly requests: SeenProxyRequest[] = [];
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #script: readonly ProxyScript[];
  #connections = 0;

  private constructor(server: net.Server, script: readonly ProxyScript[]) {
    this.#server = server;
    this.#script = script;
    server.on('connection', (socket) => this.#serve(socket));
  }

  /** Starts on a free port of 127.0.0.1; the n-th request gets the n-th reply (the last repeats). */
  static async start(script: readonly ProxyScript[]): Promise<ScriptedProxy> {
    const server = net.createServer();
    const proxy = new ScriptedProxy(server, script);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `http://localhost:<port>`: the token is for `HTTP@localhost`. */
  get url(): string {
    return `http://localhost:${(this.#server.address() as net.AddressInfo).port}`;
  }

  /** How many connections the proxy accepted. */
  get connections(): number {
    return this.#connections;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #serve(socket: net.Socket): void {
    const connection = ++this.#connections;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
        const [method = '', target = ''] = (lines[0] ?? '').split(' ');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const body = buffered.subarray(end + 4, end + 4 + length).toString();
        buffered = buffered.subarray(end + 4 + length);
        const seen = { connection, method, target, headers, body };
        this.requests.push(seen);
        const script = this.#script[Math.min(this.requests.length - 1, this.#script.length - 1)]!;
        const reply = script(seen);
        const replyBody = reply.body ?? '';
        const head = [
          `HTTP/1.1 ${reply.status} Scripted`,
          ...Object.entries(reply.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
          ...(method === 'CONNECT' && reply.status < 300
            ? []
            : [`content-length: ${Buffer.byteLength(replyBody)}`]),
          ...(reply.close ? ['connection: close'] : []),
          '',
          '',
        ].join('\r\n');
        if (method === 'CONNECT' && reply.status >= 200 && reply.status < 300) {
          socket.off('data', onData);
          this.#tunnel(socket, target, head, reply.early ?? '', buffered);
          return;
        }
        socket.write(head + replyBody);
        if (reply.close) {
          socket.end();
          return;
        }
      }
    };
    socket.on('data', onData);
  }

  #tunnel(socket: net.Socket, target: string, head: string, early: string, rest: Buffer): void {
    const colon = target.lastIndexOf(':');
    const upstream = net.connect(
      Number(target.slice(colon + 1)),
      target.slice(0, colon).replace(/^\[|\]$/g, ''),
    );
    this.#sockets.add(upstream);
    upstream.on('close', () => {
      this.#sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.once('connect', () => {
      socket.write(head + early);
      if (rest.length > 0) upstream.write(rest);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }
}
