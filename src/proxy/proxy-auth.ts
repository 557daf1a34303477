import { type HTTPSPNEGOAuth, requireAuth } from '../core/http-spnego-auth.js';

/**
 * Internal: the `auth` of a proxy leg, checked: an `HTTPSPNEGOAuth` (default a new one) whose
 * `targetName` is a service alone (`'HTTP'`), so that each proxy gets a token for its own
 * `HTTP@<proxy host>`. A fixed target (`'svc@host'`, a Name) names one service, usually the
 * origin's: a proxy must never get a token made for the origin.
 *
 * @throws {TypeError} naming `what` for anything else.
 */
export function requireProxyAuth(auth: unknown, what = 'auth'): HTTPSPNEGOAuth {
  const checked = requireAuth(auth);
  const target = checked.options.targetName;
  if (typeof target !== 'string' || target.includes('@')) {
    throw new TypeError(
      `${what} for a proxy must have a service targetName such as 'HTTP' (the token is for HTTP@<proxy host>), not a fixed name: give the proxy its own HTTPSPNEGOAuth`,
    );
  }
  return checked;
}

/** How long a proxy client waits for a tunnel by default: a proxy that never answers must not hang a request. */
export const DEFAULT_TUNNEL_TIMEOUT = 30_000;

/**
 * Internal: the `tunnelTimeout` option (milliseconds, default {@link DEFAULT_TUNNEL_TIMEOUT}), checked.
 *
 * @throws {TypeError} for anything but a positive integer.
 */
export function checkTunnelTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TUNNEL_TIMEOUT;
  if (!Number.isInteger(value) || (value as number) <= 0) {
    throw new TypeError('tunnelTimeout must be a positive integer (milliseconds)');
  }
  return value as number;
}
