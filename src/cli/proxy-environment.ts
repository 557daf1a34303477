/**
 * The proxy the usual environment variables select for a URL (`https_proxy`, `http_proxy`,
 * `all_proxy`, `no_proxy`, lower case first, as curl reads them), for `doctor`.
 *
 * @module
 */

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
 * Whether `no_proxy` entry `entry` covers `host` (`*`, an exact host, a domain suffix with or
 * without a leading dot, optionally with `:port`).
 */
function bypasses(entry: string, host: string, port: string): boolean {
  const [name, entryPort] = entry.startsWith('[')
    ? [entry.replace(/\]:?\d*$/, ']'), /\]:(\d+)$/.exec(entry)?.[1]]
    : entry.split(':');
  if (entryPort && entryPort !== port) return false;
  const domain = (name ?? '').toLowerCase().replace(/^\*?\./, '');
  if (domain === '*') return true;
  return host === domain || host.endsWith(`.${domain}`);
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
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const noProxy = fromEnv(env, 'no_proxy')?.[1] ?? '';
  for (const entry of noProxy.split(/[\s,]+/).filter(Boolean)) {
    if (bypasses(entry, host, port)) return { proxy: null, variable: chosen[0], bypassedBy: entry };
  }
  return { proxy: chosen[1], variable: chosen[0], bypassedBy: null };
}
