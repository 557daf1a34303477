/**
 * The proxy the usual environment variables select for a URL (`https_proxy`, `http_proxy`,
 * `all_proxy`, `no_proxy`, lower case first, as curl reads them), for `doctor`.
 *
 * @module
 */
import { NoProxyList } from '../proxy/no-proxy.js';

/** What the environment says about proxying one URL. */
export interface ProxySelection {
  /** The proxy URL in effect, or null (none set, or bypassed). */
  readonly proxy: string | null;
  /** The variable it came from, or null. */
  readonly variable: string | null;
  /** The `no_proxy` entry that bypasses the proxy for this host, or null. */
  readonly bypassedBy: string | null;
}

function fromEnv(env: Readonly<Record<string, string | undefined>>, name: string): [string, string] | null {
  for (const variable of [name, name.toUpperCase()]) {
    const value = env[variable];
    if (value) return [variable, value];
  }
  return null;
}

/**
 * The proxy for `url` from `env`.
 *
 * @example
 * ```ts
 * selectProxy(new URL('https://web.example.org/'), { https_proxy: 'http://proxy:3128', no_proxy: '.internal' });
 * // { proxy: 'http://proxy:3128', variable: 'https_proxy', bypassedBy: null }
 * ```
 */
export function selectProxy(url: URL, env: Readonly<Record<string, string | undefined>>): ProxySelection {
  const scheme = url.protocol === 'https:' ? 'https_proxy' : 'http_proxy';
  const chosen = fromEnv(env, scheme) ?? fromEnv(env, 'all_proxy');
  if (!chosen) return { proxy: null, variable: null, bypassedBy: null };
  // The library's own reading of no_proxy (src/proxy/no-proxy.ts), so that doctor says what a
  // request will do.
  const bypassedBy = NoProxyList.parse(fromEnv(env, 'no_proxy')?.[1] ?? '').matching(url);
  if (bypassedBy !== null) return { proxy: null, variable: chosen[0], bypassedBy };
  return { proxy: chosen[1], variable: chosen[0], bypassedBy: null };
}
