/**
 * Free loopback ports for the third-party servers of the integration tests ({@link ApacheServer},
 * {@link SquidProxy}).
 *
 * @module
 */
import { createServer } from 'node:net';

/**
 * A port the kernel chose as free on one address, or `null` when that address cannot be bound at
 * all (e.g. `::1` on a host without IPv6).
 */
function probe(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/** The loopback addresses a server should listen on, and one port free on all of them. */
export interface LoopbackPort {
  /** Free on every address in `hosts` when it was chosen. */
  readonly port: number;
  /**
   * `['127.0.0.1']`, plus `'::1'` where the host has IPv6 loopback. Listening on both makes
   * `localhost` work whichever address the client's resolver returns first: Debian's stock
   * /etc/hosts lists `::1 localhost` too, and Node (verbatim DNS order) may try `::1` first.
   */
  readonly hosts: readonly string[];
}

/**
 * Picks a port the way the tests must (never a fixed number): the kernel chooses a free one on
 * 127.0.0.1 (listen on port 0), the probe socket is closed, and the port is checked on `::1` too.
 * Another process can still take it before the server binds, so callers retry on "address in use".
 */
export async function freeLoopbackPort(): Promise<LoopbackPort> {
  const ipv6 = (await probe('::1', 0)) !== null;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await probe('127.0.0.1', 0);
    if (port === null) throw new Error('cannot listen on 127.0.0.1');
    if (!ipv6) return { port, hosts: ['127.0.0.1'] };
    if ((await probe('::1', port)) !== null) return { port, hosts: ['127.0.0.1', '::1'] };
  }
  throw new Error('no port free on both 127.0.0.1 and ::1 after 20 attempts');
}

/** `host:port` as servers' Listen directives want it (`[::1]:8080` for IPv6). */
export function listenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
