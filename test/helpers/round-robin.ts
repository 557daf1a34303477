/**
 * A TCP front that hands each new connection to the next of several back ends in turn: two
 * servers behind one name, as a load balancer without affinity puts them. Bytes are relayed as
 * they are (TLS goes end to end), so each connection presents the certificate of its back end.
 *
 * @module
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export class RoundRobin {
  readonly port: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Connections handed to each back end so far, by index. */
  readonly connections: number[];

  private constructor(server: Server, backends: number) {
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.connections = new Array<number>(backends).fill(0);
  }

  /** Starts a front on 127.0.0.1 for back ends on these loopback ports. */
  static async start(ports: readonly number[]): Promise<RoundRobin> {
    let next = 0;
    let self: RoundRobin | undefined;
    const server = createServer((client) => {
      const index = next++ % ports.length;
      self!.connections[index]!++;
      const backend = connect(ports[index]!, '127.0.0.1');
      for (const socket of [client, backend]) {
        self!.#sockets.add(socket);
        socket.once('close', () => self!.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          backend.destroy();
        });
      }
      client.pipe(backend).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new RoundRobin(server, ports.length);
    return self;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
