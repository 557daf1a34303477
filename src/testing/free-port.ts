/**
 * Choosing a loopback port for a KDC. Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { TestingError } from './testing-error.js';

// Ports handed out to realms of this process that are still running. MIT krb5kdc binds with
// SO_REUSEPORT (measured with 1.20.1: a second krb5kdc on a busy port starts without complaint
// and the kernel splits requests between the two), so a clash is never reported by the KDC: it
// has to be avoided here.
const taken = new Set<number>();

function probeTcp(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

function probeUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.unref();
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: '127.0.0.1', exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * A port free on 127.0.0.1 for both TCP and UDP (the KDC serves both on one port), chosen by the
 * kernel (listen on port 0) rather than from a fixed list, and not already given to another realm
 * of this process. The port is reserved until {@link releasePort}.
 */
export async function reserveKdcPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probeTcp(0);
    if (port === null || taken.has(port)) continue;
    if (!(await probeUdp(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free loopback port for both TCP and UDP after 50 attempts');
}

/** Gives a port back once its KDC is gone for good. */
export function releasePort(port: number): void {
  taken.delete(port);
}

/**
 * Two ports reserved as by {@link reserveKdcPort} (a KDC's and its kpasswd's), or none: the first
 * is given back when the second cannot be had.
 *
 * @throws TestingError `ERR_TEST_REALM_SETUP`.
 *
 * @example
 * ```ts
 * const [kdc, kpasswd] = await reserveKdcPortPair();
 * ```
 */
export async function reserveKdcPortPair(): Promise<[number, number]> {
  const ports: number[] = [];
  try {
    ports.push(await reserveKdcPort(), await reserveKdcPort());
    return [ports[0]!, ports[1]!];
  } catch (cause) {
    for (const port of ports) releasePort(port);
    throw new TestingError('ERR_TEST_REALM_SETUP', `cannot reserve the KDC's ports: ${String(cause)}`, {
      cause,
    });
  }
}
