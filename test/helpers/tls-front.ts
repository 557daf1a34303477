/**
 * {@link TlsFront}: TLS in front of a plain-TCP proxy (a `ScriptedProxy`, a real squid), so that
 * the proxy is reached as `https://localhost:<port>`, the way an https forward proxy is. It
 * terminates TLS with a throwaway certificate for `localhost` and relays the bytes both ways;
 * the proxy behind it sees what a client of an https proxy sends inside its TLS connection.
 *
 * @module
 */
import net from 'node:net';
import tls from 'node:tls';
import { makeCertificate } from './test-certificates.js';

/**
 * A TLS terminator on a free port of 127.0.0.1, relaying to `127.0.0.1:<backend port>`.
 *
 * @example
 * ```ts
 * await using front = await TlsFront.start(new URL(proxy.url).port);
 * createFetch(auth, { proxy: front.url, proxyTls: { ca: front.ca } });
 * ```
 */
export class TlsFront {
  /** The certificate to trust (PEM, self-signed for `localhost`). */
  readonly ca: string;
  /** TLS connections accepted so far. */
  connections = 0;
  readonly #server: tls.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(server: tls.Server, ca: string) {
    this.#server = server;
    this.ca = ca;
  }

  /** Starts in front of `127.0.0.1:<port>`. */
  static async start(port: number | string): Promise<TlsFront> {
    const certificate = await makeCertificate('rsa-sha256', 'localhost');
    const server = tls.createServer({ key: certificate.key, cert: certificate.cert });
    const front = new TlsFront(server, certificate.cert);
    server.on('secureConnection', (client) => {
      front.connections++;
      const backend = net.connect(Number(port), '127.0.0.1');
      for (const socket of [client, backend]) {
        front.#sockets.add(socket);
        socket.on('close', () => front.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          backend.destroy();
        });
      }
      client.pipe(backend).pipe(client);
    });
    // A client that speaks plain http to it fails the handshake: nothing to relay.
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return front;
  }

  /** `https://localhost:<port>`: a proxy token is for `HTTP@localhost`. */
  get url(): string {
    return `https://localhost:${(this.#server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
