/**
 * The upstream proxy of `http-gssapi proxy`: `--upstream URL` for every request, or the
 * environment's `HTTPS_PROXY`/`HTTP_PROXY` (lower case first, an https request without an https
 * proxy through the http one, as the library's `ProxySelector` reads them), and the hosts
 * reached directly (`--no-proxy`, else `NO_PROXY`). Resolved once, at start, into fixed
 * {@link ProxySettings}: the command's own environment usually points at the local proxy itself.
 *
 * @module
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { type ProxySettings, parseProxyUrl } from '../proxy/proxy-selector.js';
import { CliError, EXIT } from './exit-codes.js';
import type { ListenAddress } from './listen-address.js';
import { listenerCovers } from './local-addresses.js';

/** Where requests go, fixed at start. */
export interface Upstream {
  /** For {@link ProxySelector.from}. */
  readonly settings: ProxySettings;
  readonly http: URL | null;
  readonly https: URL | null;
  /** The `NO_PROXY` list in effect ('' for none). */
  readonly noProxy: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function fromEnv(env: Env, lower: string): { value: string; variable: string } | null {
  for (const variable of [lower, lower.toUpperCase()]) {
    const value = env[variable];
    if (value) return { value, variable };
  }
  return null;
}

function checked(value: string, what: string): URL {
  try {
    return parseProxyUrl(value, what);
  } catch (error) {
    throw new CliError(EXIT.USAGE, (error as Error).message, '--upstream http://proxy.corp.example:3128');
  }
}

/**
 * The upstream from `--upstream` (or the environment) and `--no-proxy` (or `NO_PROXY`).
 *
 * @throws {CliError} `EXIT.USAGE` when there is no upstream at all, or it is not an http(s) proxy URL.
 * @example
 * ```ts
 * const upstream = resolveUpstream('http://proxy.corp.example:3128', undefined, process.env);
 * ```
 */
export function resolveUpstream(
  given: string | undefined,
  noProxyFlag: string | undefined,
  env: Env,
): Upstream {
  let http: URL | null;
  let https: URL | null;
  if (given !== undefined) {
    http = https = checked(given, '--upstream');
  } else {
    const httpVar = fromEnv(env, 'http_proxy');
    const httpsVar = fromEnv(env, 'https_proxy');
    http = httpVar ? checked(httpVar.value, httpVar.variable) : null;
    https = httpsVar ? checked(httpsVar.value, httpsVar.variable) : http;
  }
  if (http === null && https === null) {
    throw new CliError(
      EXIT.USAGE,
      'no upstream proxy: give --upstream URL, or set HTTPS_PROXY/HTTP_PROXY',
      'http-gssapi proxy --upstream http://proxy.corp.example:3128',
    );
  }
  const noProxy = noProxyFlag ?? fromEnv(env, 'no_proxy')?.value ?? '';
  return {
    settings: { ...(http ? { httpProxy: http } : {}), ...(https ? { httpsProxy: https } : {}), noProxy },
    http,
    https,
    noProxy,
  };
}

/**
 * Refuses an upstream that is the local proxy itself (`HTTPS_PROXY` already pointing at it):
 * every request would loop until the sockets run out. The upstream's host is resolved and each
 * of its addresses compared with every address the listener covers: `0.0.0.0` and `::` cover
 * each interface's address, `localhost`, `0.0.0.0` and `[::ffff:127.0.0.1]` reach `127.0.0.1`.
 * A host that does not resolve now is left to fail per request. Loops this cannot see (a chain
 * of proxies that leads back here) are caught at run time by the `Via` entry (`proxy-via.ts`).
 *
 * @throws {CliError} `EXIT.USAGE` naming the loop.
 * @example
 * ```ts
 * await refuseLoop(upstream, proxy.address); // throws when the upstream resolves to the listener
 * ```
 */
export async function refuseLoop(
  upstream: Upstream,
  listening: ListenAddress,
  resolve: (host: string) => Promise<readonly string[]> = resolveAll,
): Promise<void> {
  for (const url of [upstream.http, upstream.https]) {
    if (url === null) continue;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    if (port !== listening.port) continue;
    const addresses = net.isIP(host) ? [host] : await resolve(host).catch(() => []);
    if (addresses.some((address) => listenerCovers(listening.host, address))) {
      throw new CliError(
        EXIT.USAGE,
        `the upstream proxy ${url.origin} is this proxy itself (HTTPS_PROXY/HTTP_PROXY point here)`,
        'give the real proxy with --upstream URL',
      );
    }
  }
}

/** Every address `host` resolves to (A and AAAA, as a connect would try them). */
async function resolveAll(host: string): Promise<readonly string[]> {
  return (await lookup(host, { all: true })).map((entry) => entry.address);
}
