/**
 * The limits `http-gssapi proxy` puts on its clients and tunnels, so that a slow, stuck or
 * hostile client cannot hold its sockets or the upstream's forever: how long a client may take
 * to send a request head, how long a connection or tunnel may stay silent, how long opening an
 * upstream connection or tunnel may take, and how many client connections are served at once
 * (the next ones get a 503).
 *
 * @module
 */
import { CliError, EXIT } from './exit-codes.js';
import { type FlagValues, stringFlag } from './flag-spec.js';

/** Limits on clients and tunnels, in milliseconds and connections. */
export interface ProxyLimits {
  /** Time for a client to send a complete request head (node's `headersTimeout`). */
  readonly headerTimeout: number;
  /** Silence after which a client connection, an upstream request or a tunnel is closed. */
  readonly idleTimeout: number;
  /** Time to open a tunnel upstream (the 407 legs included) or a direct connection. */
  readonly connectTimeout: number;
  /** Client connections served at once; the next get a 503 and are closed. */
  readonly maxConnections: number;
}

/**
 * The defaults: 30 s for a request head (an interactive client sends it at once), 5 minutes of
 * silence (a long `git clone` keeps bytes flowing; a stuck one does not), 30 s to open a tunnel,
 * 512 connections (a browser opens about 6 per host; 200 concurrent tunnels were measured fine).
 */
export const DEFAULT_LIMITS: ProxyLimits = {
  headerTimeout: 30_000,
  idleTimeout: 300_000,
  connectTimeout: 30_000,
  maxConnections: 512,
};

/** Seconds (decimals allowed) from `--NAME`, in milliseconds; at least 1 ms. */
function seconds(values: FlagValues, name: string, fallback: number): number {
  const text = stringFlag(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value > 0) || value > 86_400) {
    throw new CliError(EXIT.USAGE, `--${name} must be a number of seconds (0 < s <= 86400), got '${text}'`);
  }
  return Math.max(1, Math.round(value * 1000));
}

/**
 * The limits from `--header-timeout`, `--idle-timeout`, `--connect-timeout` (seconds) and
 * `--max-connections`, each defaulting to {@link DEFAULT_LIMITS}.
 *
 * @throws {CliError} `EXIT.USAGE` for a value that is not a positive number.
 * @example
 * ```ts
 * const limits = limitsFromFlags({ 'idle-timeout': '60' }); // idleTimeout 60_000, the rest default
 * ```
 */
export function limitsFromFlags(values: FlagValues): ProxyLimits {
  const maxText = stringFlag(values, 'max-connections');
  const maxConnections = maxText === undefined ? DEFAULT_LIMITS.maxConnections : Number(maxText);
  if (!/^\d{1,6}$/.test(maxText ?? '1') || !(maxConnections >= 1)) {
    throw new CliError(EXIT.USAGE, `--max-connections must be a positive whole number, got '${maxText}'`);
  }
  return {
    headerTimeout: seconds(values, 'header-timeout', DEFAULT_LIMITS.headerTimeout),
    idleTimeout: seconds(values, 'idle-timeout', DEFAULT_LIMITS.idleTimeout),
    connectTimeout: seconds(values, 'connect-timeout', DEFAULT_LIMITS.connectTimeout),
    maxConnections,
  };
}
