/**
 * Which addresses are this machine's, for `http-gssapi proxy`: the loop check at start (an
 * upstream that resolves to an address the listener covers is the proxy itself) and the refusal
 * of local targets for remote clients (a wide `--listen` with `NO_PROXY=localhost` would let
 * another host reach this machine's loopback services through the proxy).
 *
 * Addresses are compared in one normal form: lower case, IPv6 without brackets, and an
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, RFC 4291 section 2.5.5.2) as the IPv4 address
 * it maps, since a dual-stack socket reaches the same listener through either spelling.
 *
 * @module
 */
import net from 'node:net';
import os from 'node:os';

/**
 * `address` in the one form compared here: brackets and a zone (`%eth0`) dropped, lower case,
 * IPv4-mapped IPv6 as IPv4; the unspecified addresses `0.0.0.0` and `::`, which a connect sends
 * to this machine, as the loopback address of their family.
 *
 * @example
 * ```ts
 * normalizeAddress('[::FFFF:127.0.0.1]'); // '127.0.0.1'
 * normalizeAddress('0.0.0.0');            // '127.0.0.1'
 * ```
 */
export function normalizeAddress(address: string): string {
  let bare = address
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .toLowerCase();
  const mapped =
    /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare) ?? /^0:0:0:0:0:ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) bare = mapped[1]!;
  else if (net.isIPv6(bare) && /^(0*:)*:?ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(bare)) {
    // The hex spelling of a mapped address (`::ffff:7f00:1`): the last 32 bits are the IPv4 address.
    const [high = 0, low = 0] = bare
      .split(':')
      .slice(-2)
      .map((part) => Number.parseInt(part, 16));
    bare = [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  if (bare === '0.0.0.0') return '127.0.0.1';
  if (net.isIPv6(bare) && /^[0:]+$/.test(bare)) return '::1';
  if (net.isIPv6(bare) && /^(0{1,4}:){7}0{0,3}1$/.test(bare)) return '::1';
  return bare;
}

/** Whether `address` (normalized) is a loopback address: 127.0.0.0/8 or `::1`. */
export function isLoopbackAddress(address: string): boolean {
  const bare = normalizeAddress(address);
  return bare === '::1' || (net.isIPv4(bare) && bare.startsWith('127.'));
}

/** Every address of this machine's interfaces, normalized, read now (interfaces come and go). */
export function interfaceAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) addresses.add(normalizeAddress(entry.address));
  }
  return addresses;
}

/**
 * Whether `address` is this machine's: loopback, unspecified, or an interface's.
 *
 * @example
 * ```ts
 * isLocalAddress('::ffff:127.0.0.1'); // true
 * isLocalAddress('192.0.2.10');       // false, unless an interface has it
 * ```
 */
export function isLocalAddress(address: string): boolean {
  const bare = normalizeAddress(address);
  return isLoopbackAddress(bare) || interfaceAddresses().has(bare);
}

/**
 * Whether a connection to `address` reaches a listener bound to `listenHost` (both IP literals,
 * as `server.address()` gives the latter). `0.0.0.0` covers every local IPv4 address (all of
 * 127.0.0.0/8 included); `::` every local address of both families, as Node binds it dual-stack;
 * any other listener its own address only.
 *
 * @example
 * ```ts
 * listenerCovers('0.0.0.0', '127.0.0.1'); // true
 * listenerCovers('127.0.0.1', '::ffff:127.0.0.1'); // true
 * ```
 */
export function listenerCovers(listenHost: string, address: string): boolean {
  const target = normalizeAddress(address);
  const bare = listenHost.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const wildcard4 = bare === '0.0.0.0';
  const wildcard6 = net.isIPv6(bare) && /^[0:]+$/.test(bare);
  if (!wildcard4 && !wildcard6) return normalizeAddress(bare) === target;
  if (wildcard4 && !net.isIPv4(target)) return false;
  return isLocalAddress(target);
}
