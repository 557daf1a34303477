/**
 * Keeps remote clients of `http-gssapi proxy` away from this machine's own services. With a wide
 * `--listen` (and an `--allow` list that lets other hosts in) and a `NO_PROXY` that names
 * `localhost` (the usual setting), a request from another host for `http://localhost:631/` or a
 * `CONNECT 127.0.0.1:22` would be made by the proxy directly, from this machine: the other host
 * would reach services that listen on loopback precisely so that it cannot. Direct connections
 * made for a client that is not on loopback therefore refuse every address of this machine,
 * checked on the addresses the connection is actually made to (a name resolved once, by the
 * lookup the connection uses, so that a name cannot resolve to another address between a check
 * and the connect).
 *
 * @module
 */
import dns from 'node:dns';
import type net from 'node:net';
import { isLocalAddress } from './local-addresses.js';

/** The `code` of the error a refused local target fails with. */
export const LOCAL_TARGET_REFUSED = 'ERR_HTTP_GSSAPI_LOCAL_TARGET';

/** An error with code {@link LOCAL_TARGET_REFUSED}, naming the host only. */
function refusal(host: string): Error {
  return Object.assign(
    new Error(
      `${host} is this machine: a client on another host may not reach it directly through this proxy`,
    ),
    { code: LOCAL_TARGET_REFUSED },
  );
}

/**
 * The error to refuse a direct connection to `host` with when `host` is an IP literal of this
 * machine (a literal is never looked up), else null.
 *
 * @example
 * ```ts
 * localLiteralRefusal('127.0.0.1'); // Error (code ERR_HTTP_GSSAPI_LOCAL_TARGET)
 * ```
 */
export function localLiteralRefusal(host: string): Error | null {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return /^[\d.]+$|:/.test(bare) && isLocalAddress(bare) ? refusal(bare) : null;
}

/**
 * A `lookup` for `net.connect` / `http.request` that resolves as `dns.lookup` does and fails
 * with {@link LOCAL_TARGET_REFUSED} when any address is this machine's.
 *
 * @example
 * ```ts
 * net.connect({ host, port, lookup: lookupRemoteOnly });
 * ```
 */
export const lookupRemoteOnly: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    if (addresses.some(({ address }) => isLocalAddress(address))) return callback(refusal(hostname), '', 4);
    if (options.all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};
