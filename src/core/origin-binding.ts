/**
 * Binding a fixed `targetName` and full delegation to the host they were first used for, for
 * routes where the adapter cannot tell a redirect hop from a new request (undici's `fetch`
 * follows redirects above the dispatcher, so each hop reaches the interceptor as a new request).
 *
 * @module
 */

import { Name } from '../gssapi/name.js';
import { TokenWithheldError } from './errors.js';
import type { HostMatcher } from './host-policy.js';

/** What {@link OriginBinding.check} decides for one request. */
export interface OriginVerdict {
  /** Why the request gets no token, or null. */
  readonly refusal: TokenWithheldError | null;
  /** True: `delegate: true` is asked as `'policy'` on this host (RFC 5896 ok-as-delegate). */
  readonly downgradeDelegation: boolean;
}

/** The options {@link OriginBinding.check} reads (a subset of the resolved options). */
export interface OriginBindingOptions {
  readonly targetName: string | Name;
  readonly delegate: boolean | 'policy';
  readonly serverAllowlist: HostMatcher | null;
  readonly delegateAllowlist: HostMatcher | null;
}

const NONE: OriginVerdict = { refusal: null, downgradeDelegation: false };

/**
 * Remembers the host of the first request that a fixed `targetName` (a `'service@host'` string
 * or a {@link Name}) or `delegate: true` was used for. A token for a fixed service name is a
 * ticket for that one service: sent to another host it lets that host relay it to the service
 * (RFC 4559 section 6); a delegated TGT lets its receiver act as the user anywhere in the realm
 * (RFC 4121 section 4.1.1). Without knowing whether a request is a redirect hop, both are kept
 * to the first host, unless the caller named the hosts: `serverAllowlist` lets a fixed
 * `targetName` go to every host on it, `delegateAllowlist` gives full delegation to every host
 * on it. Other hosts get no token (fixed name) or only policy delegation, as a redirect hop of
 * `createFetch`, axios or got does.
 *
 * @example
 * ```ts
 * const binding = new OriginBinding();
 * const options = { targetName: 'HTTP@web.corp', delegate: true, serverAllowlist: null, delegateAllowlist: null };
 * binding.check(options, new URL('https://web.corp/')); // no refusal
 * binding.check(options, new URL('https://other.corp/')).refusal; // TokenWithheldError: bound to web.corp
 * ```
 */
export class OriginBinding {
  #host: string | null = null;

  /** The verdict for a request to `url`; the first request that needs a binding sets it. */
  check(options: OriginBindingOptions, url: URL): OriginVerdict {
    const { targetName, delegate, serverAllowlist, delegateAllowlist } = options;
    const fixed = targetName instanceof Name || targetName.includes('@');
    if (!fixed && delegate !== true) return NONE;
    const host = url.hostname.toLowerCase();
    this.#host ??= host;
    if (host === this.#host) return NONE;
    const refusal =
      fixed && serverAllowlist === null
        ? new TokenWithheldError(
            `targetName names a fixed service and was first used for ${this.#host}, not ${host} (a redirect, or another host, through undici's fetch)`,
            {
              hint: `list the hosts that should get a token for ${String(targetName)} in serverAllowlist, or use a targetName per host ('HTTP'); for redirects use createFetch, or fetch with redirect: 'manual'`,
            },
          )
        : null;
    // A delegateAllowlist already limits full delegation to the hosts the caller named.
    return { refusal, downgradeDelegation: delegate === true && delegateAllowlist === null };
  }
}
