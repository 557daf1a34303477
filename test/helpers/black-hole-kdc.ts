/**
 * A KDC that never answers, in-process: TCP connections are accepted and read but never
 * answered, UDP datagrams are received and dropped. What a firewalled or hung KDC looks like to
 * MIT krb5, which waits out its whole retry schedule (~27 s with one `kdc` entry) before giving
 * up. {@link BlackHoleKdc.krb5Conf} writes a copy of a realm's krb5.conf that points the realm
 * at it, so a test can switch a process between the live KDC and the black hole.
 *
 * @module
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';

export class BlackHoleKdc {
  /** TCP connections accepted so far (each a KDC request MIT sent and got no answer to). */
  tcpConnections = 0;
  /** UDP datagrams dropped so far. */
  udpDatagrams = 0;
  readonly #tcp: Server;
  #udp: UdpSocket | null;
  readonly #sockets = new Set<Socket>();
  /** While set, connections are closed as soon as they are accepted (see {@link hangUp}). */
  #refusing = false;

  private constructor(tcp: Server, udp: UdpSocket) {
    this.#tcp = tcp;
    this.#udp = udp;
    tcp.on('connection', (socket) => {
      this.tcpConnections++;
      if (this.#refusing) {
        socket.on('error', () => {});
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => this.#sockets.delete(socket));
      socket.resume();
    });
    this.#watch(udp);
  }

  #watch(udp: UdpSocket): void {
    udp.on('message', () => {
      this.udpDatagrams++;
    });
  }

  /** Listens on 127.0.0.1, the same port for TCP and UDP (as a KDC does). */
  static async start(): Promise<BlackHoleKdc> {
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer();
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(0, '127.0.0.1', resolve);
      });
      const port = (tcp.address() as { port: number }).port;
      const udp = createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, '127.0.0.1', resolve);
        });
        return new BlackHoleKdc(tcp, udp);
      } catch (error) {
        tcp.close();
        udp.close();
        if (attempt >= 5) throw error;
      }
    }
  }

  get port(): number {
    return (this.#tcp.address() as { port: number }).port;
  }

  /**
   * Writes to `target` a copy of the krb5.conf at `source` in which every `kdc = ...` line names
   * this black hole instead.
   */
  async krb5Conf(source: string, target: string): Promise<string> {
    const text = await readFile(source, 'utf8');
    const rewritten = text.replace(/^(\s*kdc\s*=\s*).*$/gm, `$1127.0.0.1:${this.port}`);
    if (rewritten === text) throw new Error(`no kdc line in ${source}`);
    await writeFile(target, rewritten);
    return target;
  }

  /**
   * Closes every connection held now and, until {@link holdAgain}, each new one at once, and
   * stops listening on UDP (datagrams are then refused by the system): the KDC clients waiting
   * give up. MIT tries again in later passes, and over UDP after TCP, so closing only the held
   * connections would leave it waiting out its schedule.
   */
  async hangUp(): Promise<void> {
    this.#refusing = true;
    for (const socket of this.#sockets) socket.destroy();
    const udp = this.#udp;
    this.#udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** Holds connections open again and drops datagrams again, answering nothing (the black hole). */
  async holdAgain(): Promise<void> {
    this.#refusing = false;
    if (this.#udp) return;
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, '127.0.0.1', resolve);
    });
    this.#watch(udp);
    this.#udp = udp;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    const udp = this.#udp;
    this.#udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
}
