/**
 * The `--listen` address of `http-gssapi proxy`: `host:port`, `:port` or `port`, loopback
 * (`127.0.0.1`) by default, since the proxy asks nothing of its clients and spends the user's
 * Kerberos credentials for whoever connects.
 *
 * @module
 */
import net from 'node:net';
import { CliError, EXIT } from './exit-codes.js';

/** Where the proxy listens. */
export interface ListenAddress {
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  /** Port; 0 asks the system for a free one. */
  readonly port: number;
}

/** The default: loopback only, on the port cntlm and Px users already point their tools at. */
export const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 3128 };

/**
 * Parses `--listen`: `host:port`, `[v6]:port`, `:port` or `port` (the host then 127.0.0.1).
 *
 * @throws {CliError} `EXIT.USAGE` for anything else.
 * @example
 * ```ts
 * parseListenAddress('127.0.0.1:8080'); // { host: '127.0.0.1', port: 8080 }
 * parseListenAddress('[::1]:0');        // { host: '::1', port: 0 }
 * ```
 */
export function parseListenAddress(value: string): ListenAddress {
  const text = value.trim();
  const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new CliError(
      EXIT.USAGE,
      `--listen must be host:port, [ipv6]:port or a port, got '${value}'`,
      '--listen 127.0.0.1:3128',
    );
  }
  const host = match[1] ?? match[2] ?? '';
  if (match[1] !== undefined && !net.isIPv6(match[1])) {
    throw new CliError(EXIT.USAGE, `--listen: '${match[1]}' is not an IPv6 address`);
  }
  return { host: host === '' ? DEFAULT_LISTEN.host : host, port };
}

/**
 * Whether `host` reaches this machine only: `localhost`, 127.0.0.0/8 or `::1`. Anything else
 * (`0.0.0.0`, a LAN address) lets other machines use the proxy, and with it the user's tickets.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0');   // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '::ffff:127.0.0.1') return true;
  return net.isIPv4(bare) && bare.startsWith('127.');
}
