/**
 * The `--allow` list of `http-gssapi proxy`: which client addresses may use it (CIDR ranges or
 * single addresses), like Px's `allow` and cntlm's `Allow`. Every client spends the user's
 * Kerberos identity, so the default is this machine only (loopback); a connection from any other
 * address is answered 403 and closed before a byte of its request is read.
 *
 * @module
 */
import net from 'node:net';
import { CliError, EXIT } from './exit-codes.js';
import { isLoopbackAddress, normalizeAddress } from './local-addresses.js';

/** Client addresses allowed to use the proxy. */
export interface AllowList {
  /** The list as given (`loopback` for the default), for messages and the start line. */
  readonly text: string;
  /** Whether the default (loopback only) is in effect. */
  readonly loopbackOnly: boolean;
  /** Whether a client at `address` may use the proxy. */
  allows(address: string): boolean;
}

/** The default: this machine only. */
export const LOOPBACK_ONLY: AllowList = {
  text: 'loopback',
  loopbackOnly: true,
  allows: (address) => isLoopbackAddress(address),
};

/**
 * Parses `--allow`: a comma-separated list of `address/prefix` or `address` entries (IPv4 or
 * IPv6); loopback is always allowed.
 *
 * @throws {CliError} `EXIT.USAGE` naming the entry that is not an address or range.
 * @example
 * ```ts
 * const allow = parseAllowList('10.0.0.0/8, 2001:db8::/32');
 * allow.allows('10.1.2.3');    // true
 * allow.allows('192.168.1.1'); // false
 * ```
 */
export function parseAllowList(value: string): AllowList {
  const blocks = new net.BlockList();
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new CliError(EXIT.USAGE, '--allow needs at least one address or CIDR range');
  for (const entry of entries) {
    const [rawAddress = '', prefix, extra] = entry.split('/');
    const address = normalizeAddress(rawAddress);
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
    const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
    const max = family === 'ipv4' ? 32 : 128;
    if (family === null || extra !== undefined || !/^\d{1,3}$/.test(String(bits)) || bits > max) {
      throw new CliError(
        EXIT.USAGE,
        `--allow: '${entry}' is not an IP address or CIDR range`,
        '--allow 192.168.1.0/24,10.1.2.3',
      );
    }
    blocks.addSubnet(address, bits, family);
  }
  return {
    text: entries.join(','),
    loopbackOnly: false,
    allows(address) {
      const bare = normalizeAddress(address);
      if (isLoopbackAddress(bare)) return true;
      return blocks.check(bare, net.isIPv4(bare) ? 'ipv4' : 'ipv6');
    },
  };
}
