/**
 * Options of {@link TestRealm.start} and their validation.
 *
 * @module
 */

import { isAbsolute } from 'node:path';
import { checkOptionKeys } from '../internal/option-keys.js';
import type { Krb5ToolPaths } from './krb5-tools.js';

/**
 * Options of {@link TestRealm.start}. All are optional; each is checked before anything is
 * started, and a bad value throws a `TypeError` that names the option.
 *
 * @example
 * ```ts
 * const options: TestRealmOptions = { realm: 'SLOW.TEST', kdcDelayMs: 300, maxLife: '10m' };
 * const realm = await TestRealm.start(options);
 * ```
 */
export interface TestRealmOptions {
  /** Realm name; default `'HTTPGSSAPI.TEST'`. Letters, digits, `.`, `-`, `_`. */
  realm?: string;
  /**
   * Host name of the service principal `HTTP/<hostname>`; default `'localhost'`. It and its
   * subdomains map to the realm in `[domain_realm]`, so `HTTP@api.<hostname>` works too once
   * that principal is added. Lower case (MIT compares host names in lower case).
   */
  hostname?: string;
  /** Longest ticket life, as a krb5 duration (`'10h'`, `'5s'`, `'1d2h'`, `'3600'`); default `'10h'`. */
  maxLife?: string;
  /** Longest renewable life, same format; default `'7d'`. */
  maxRenewableLife?: string;
  /**
   * Put a {@link DelayProxy} in front of the KDC that holds each chunk this many ms in each
   * direction, and make clients use TCP (the proxy does not carry UDP). Default: no proxy.
   */
  kdcDelayMs?: number;
  /** Get a ticket for the user into {@link TestRealm.ccache} during start; default `true`. */
  kinitUser?: boolean;
  /** Receives progress lines (never a password), e.g. `console.error` or a test's `t.diagnostic`. */
  log?: (line: string) => void;
  /**
   * Directories of the MIT programs, when they are not in `/usr/sbin` and `/usr/bin` (or the
   * Homebrew krb5 prefix). The environment variables `HTTP_GSSAPI_KRB5_SBIN` and
   * `HTTP_GSSAPI_KRB5_BIN` do the same for every realm.
   */
  toolPaths?: Krb5ToolPaths;
  /** Bound on the whole start, KDC readiness included; default 15 000 ms. */
  startTimeoutMs?: number;
}

/** Options after validation, defaults filled in. */
export interface ResolvedTestRealmOptions {
  readonly realm: string;
  readonly hostname: string;
  readonly maxLife: string;
  readonly maxRenewableLife: string;
  readonly kdcDelayMs: number | undefined;
  readonly kinitUser: boolean;
  readonly log: ((line: string) => void) | undefined;
  readonly toolPaths: Krb5ToolPaths;
  readonly startTimeoutMs: number;
}

const KNOWN = new Set([
  'realm',
  'hostname',
  'maxLife',
  'maxRenewableLife',
  'kdcDelayMs',
  'kinitUser',
  'log',
  'toolPaths',
  'startTimeoutMs',
]);

// Values end up in config files and kadmin command lines: allow only characters that need no
// quoting in either.
const REALM = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const HOSTNAME = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
/** A krb5 duration (krb5_string_to_deltat): "1d2h3m4s" (any subset, in order), "h:m[:s]", or seconds. */
export const KRB5_DURATION = /^(?:\d+|(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?|\d+:\d{1,2}(?::\d{1,2})?)$/;

function checkString(name: string, value: unknown, pattern: RegExp, what: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new TypeError(`${name} must be ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkDuration(name: string, value: unknown): string {
  const duration = checkString(name, value, KRB5_DURATION, "a krb5 duration such as '10h', '5s' or '1d2h'");
  if (/^[0:dhms]+$/.test(duration)) {
    throw new TypeError(`${name} must be longer than zero, got '${duration}'`);
  }
  return duration;
}

function checkDirectory(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isAbsolute(value)) {
    throw new TypeError(`${name} must be an absolute directory path, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates `options` and fills in the defaults. Throws `TypeError` naming the bad option. */
export function resolveTestRealmOptions(options: TestRealmOptions | undefined): ResolvedTestRealmOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  // A misspelt option (maxlife) would otherwise be ignored and the test would check nothing.
  checkOptionKeys(options, [...KNOWN], 'option');
  const realm = checkString(
    'realm',
    options.realm ?? 'HTTPGSSAPI.TEST',
    REALM,
    'a realm name of letters, digits, ".", "-", "_"',
  );
  const hostname = checkString(
    'hostname',
    options.hostname ?? 'localhost',
    HOSTNAME,
    'a lower-case host name',
  );
  const maxLife = checkDuration('maxLife', options.maxLife ?? '10h');
  const maxRenewableLife = checkDuration('maxRenewableLife', options.maxRenewableLife ?? '7d');
  const { kdcDelayMs, kinitUser = true, log, toolPaths = {}, startTimeoutMs = 15_000 } = options;
  if (
    kdcDelayMs !== undefined &&
    (typeof kdcDelayMs !== 'number' || !Number.isFinite(kdcDelayMs) || kdcDelayMs < 0 || kdcDelayMs > 60_000)
  ) {
    throw new TypeError(
      `kdcDelayMs must be a number of milliseconds from 0 to 60000, got ${String(kdcDelayMs)}`,
    );
  }
  if (typeof kinitUser !== 'boolean') {
    throw new TypeError(`kinitUser must be a boolean, got ${String(kinitUser)}`);
  }
  if (log !== undefined && typeof log !== 'function') throw new TypeError('log must be a function');
  if (typeof toolPaths !== 'object' || toolPaths === null) {
    throw new TypeError('toolPaths must be an object { sbin?, bin? }');
  }
  const sbin = checkDirectory('toolPaths.sbin', toolPaths.sbin);
  const bin = checkDirectory('toolPaths.bin', toolPaths.bin);
  if (typeof startTimeoutMs !== 'number' || !Number.isFinite(startTimeoutMs) || startTimeoutMs <= 0) {
    throw new TypeError(`startTimeoutMs must be a positive number, got ${String(startTimeoutMs)}`);
  }
  return {
    realm,
    hostname,
    maxLife,
    maxRenewableLife,
    kdcDelayMs,
    kinitUser,
    log,
    toolPaths: { ...(sbin === undefined ? {} : { sbin }), ...(bin === undefined ? {} : { bin }) },
    startTimeoutMs,
  };
}
