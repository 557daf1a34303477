/**
 * Host allowlists, modeled on Chrome's `AuthServerAllowlist` and `AuthNegotiateDelegateAllowlist`
 * policies: which hosts may receive a Negotiate token at all, and which may receive delegated
 * credentials. A token lets its receiver act as the user toward that service (and can be relayed
 * to it, RFC 4559 section 6); a delegated TGT lets it act as the user anywhere in the realm.
 *
 * @module
 */
import { TokenWithheldError } from './errors.js';

/**
 * A list of host patterns, as an array or one comma-separated string (Chrome's syntax):
 * `'*'` matches every host; `'*.example.org'` or `'*example.org'` match host names ending with
 * what follows the `*`; anything else matches one host name exactly. Matching ignores case and a
 * trailing dot; IPv6 literals are written without brackets.
 *
 * @example
 * ```ts
 * const allow: HostPatterns = '*.corp.example.org, intranet';
 * ```
 */
export type HostPatterns = string | readonly string[];

/** A checked {@link HostPatterns}: matches host names. */
export interface HostMatcher {
  /** The patterns, normalized (lower case, trimmed). */
  readonly patterns: readonly string[];
  matches(hostname: string): boolean;
}

const normalize = (host: string) =>
  host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');

/**
 * Checks `value` (the option named `option`) and returns its matcher, or null when absent.
 * @throws {TypeError} naming the option, for a pattern that is empty, has a scheme, a path, a
 *   port or a `*` anywhere but at its start.
 * @example
 * ```ts
 * hostMatcher('*.example.org', 'serverAllowlist')!.matches('www.example.org'); // true
 * ```
 */
export function hostMatcher(value: HostPatterns | undefined | null, option: string): HostMatcher | null {
  if (value === undefined || value === null) return null;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) throw new TypeError(`${option} must be a string or an array of strings`);
  const patterns = list.map((entry: unknown) => {
    if (typeof entry !== 'string') throw new TypeError(`${option} entries must be strings`);
    const pattern = normalize(entry.trim());
    // A colon only in an IPv6 literal: `host:port` and `scheme://` are not host patterns.
    const port = pattern.includes(':') && !/^[0-9a-f:.]+$/.test(pattern);
    if (pattern === '' || /[/@\s]/.test(pattern) || port || pattern.indexOf('*', 1) !== -1) {
      throw new TypeError(
        `${option}: ${JSON.stringify(entry)} is not a host pattern ('*', '*.example.org', 'host.example.org'; no scheme, port or path)`,
      );
    }
    return pattern;
  });
  return {
    patterns,
    matches(hostname: string): boolean {
      const host = normalize(hostname);
      return patterns.some((p) =>
        p === '*' ? true : p.startsWith('*') ? host.endsWith(p.slice(1)) : host === p,
      );
    },
  };
}

/**
 * Why `url` may not get a token under `servers` (a {@link TokenWithheldError} with a hint), or null when it may.
 *
 * @example
 * ```ts
 * const refusal = serverRefusal(hostMatcher('*.corp', 'serverAllowlist'), new URL('http://evil.test/'));
 * ```
 */
export function serverRefusal(servers: HostMatcher | null, url: URL): TokenWithheldError | null {
  if (!servers || servers.matches(url.hostname)) return null;
  return new TokenWithheldError(`${url.hostname} is not in serverAllowlist`, {
    hint: `add it to serverAllowlist (now ${servers.patterns.join(', ')}) if it should get Negotiate tokens`,
  });
}

/**
 * The delegation to ask of a host: `delegate` as configured when no `delegateAllowlist` is set or
 * the host is on it, else none (Chrome's AuthNegotiateDelegateAllowlist).
 *
 * @example
 * ```ts
 * delegationFor(true, hostMatcher('app.corp', 'delegateAllowlist'), 'other.corp'); // false
 * ```
 */
export function delegationFor(
  delegate: boolean | 'policy',
  allowed: HostMatcher | null,
  hostname: string,
): boolean | 'policy' {
  if (delegate === false || !allowed) return delegate;
  return allowed.matches(hostname) ? delegate : false;
}
