/**
 * Options of {@link AdTestRealm.start} and their validation.
 *
 * @module
 */
import { checkOptionKeys } from '../internal/option-keys.js';

/**
 * Options of {@link AdTestRealm.start}. All are optional; a bad value throws a `TypeError` that
 * names the option, before anything is started.
 *
 * @example
 * ```ts
 * const realm = await AdTestRealm.start({ realm: 'CORP.TEST', lockoutThreshold: 5 });
 * ```
 */
export interface AdTestRealmOptions {
  /**
   * The AD DNS domain in upper case, which is the Kerberos realm; default `'ADTEST.LOCAL'`.
   * Its first label (at most 15 characters) becomes the NetBIOS domain name.
   */
  realm?: string;
  /** Host of the service principal `HTTP/<hostname>`; default `'localhost'`. Lower case. */
  hostname?: string;
  /**
   * Bad passwords after which an account locks (AD's `lockoutThreshold`); default 0, never.
   * Change it later with {@link AdTestRealm.setLockoutThreshold}.
   */
  lockoutThreshold?: number;
  /** Get a ticket for the user into {@link AdTestRealm.ccache} during start; default `true`. */
  kinitUser?: boolean;
  /** Receives progress lines (never a password). */
  log?: (line: string) => void;
  /** Bound on the whole start (provisioning takes about 6 s); default 90 000 ms. */
  startTimeoutMs?: number;
}

/** Options after validation, defaults filled in. */
export interface ResolvedAdTestRealmOptions {
  readonly realm: string;
  readonly domain: string;
  readonly hostname: string;
  readonly lockoutThreshold: number;
  readonly kinitUser: boolean;
  readonly log: ((line: string) => void) | undefined;
  readonly startTimeoutMs: number;
}

const KNOWN = ['realm', 'hostname', 'lockoutThreshold', 'kinitUser', 'log', 'startTimeoutMs'];

// An AD DNS domain: at least two labels, the first usable as a NetBIOS name.
const REALM = /^[A-Z][A-Z0-9-]{0,14}(?:\.[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?)+$/;
const HOSTNAME = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;

/** Validates `options` and fills in the defaults. Throws `TypeError` naming the bad option. */
export function resolveAdTestRealmOptions(
  options: AdTestRealmOptions | undefined,
): ResolvedAdTestRealmOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(options, KNOWN, 'option');
  const { realm = 'ADTEST.LOCAL', hostname = 'localhost', lockoutThreshold = 0, kinitUser = true } = options;
  const { log, startTimeoutMs = 90_000 } = options;
  if (typeof realm !== 'string' || !REALM.test(realm)) {
    throw new TypeError(
      `realm must be an upper-case DNS domain of two labels or more, the first of at most 15 characters (e.g. 'ADTEST.LOCAL'), got ${JSON.stringify(realm)}`,
    );
  }
  if (typeof hostname !== 'string' || !HOSTNAME.test(hostname)) {
    throw new TypeError(`hostname must be a lower-case host name, got ${JSON.stringify(hostname)}`);
  }
  if (!Number.isInteger(lockoutThreshold) || lockoutThreshold < 0 || lockoutThreshold > 999) {
    throw new TypeError(`lockoutThreshold must be an integer from 0 to 999, got ${String(lockoutThreshold)}`);
  }
  if (typeof kinitUser !== 'boolean')
    throw new TypeError(`kinitUser must be a boolean, got ${String(kinitUser)}`);
  if (log !== undefined && typeof log !== 'function') throw new TypeError('log must be a function');
  if (typeof startTimeoutMs !== 'number' || !Number.isFinite(startTimeoutMs) || startTimeoutMs <= 0) {
    throw new TypeError(`startTimeoutMs must be a positive number, got ${String(startTimeoutMs)}`);
  }
  return {
    realm,
    domain: realm.split('.')[0]!,
    hostname,
    lockoutThreshold,
    kinitUser,
    log,
    startTimeoutMs,
  };
}
