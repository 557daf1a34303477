/**
 * Checks of the values a {@link TestRealm} puts on MIT command lines (kinit, klist, kdestroy,
 * kadmin.local queries) or on their stdin. Internal: not exported from `http-gssapi/testing`.
 *
 * Each check throws a `TypeError` naming the argument, before any program runs: these values are
 * not quoted, so one with a space, quote or line break would change the command instead of
 * failing it.
 *
 * @module
 */
import { KRB5_DURATION } from './test-realm-options.js';

// Principal names go into kadmin command lines: no quoting, no spaces, no second realm.
const PRINCIPAL = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*(?:@[A-Za-z0-9._-]+)?$/;

/**
 * A principal name, with or without `@REALM`.
 *
 * @example
 * ```ts
 * checkPrincipal('principal', 'HTTP/api.localhost'); // returns it
 * checkPrincipal('principal', 'a b'); // throws TypeError
 * ```
 */
export function checkPrincipal(name: string, value: unknown): string {
  if (typeof value !== 'string' || !PRINCIPAL.test(value)) {
    throw new TypeError(
      `${name} must be a principal name like 'user' or 'HTTP/host@REALM', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * A krb5 duration for kinit `-l`/`-r` or kadmin `-maxlife`/`-maxrenewlife`.
 *
 * @example
 * ```ts
 * args.push('-l', checkDuration('options.lifetime', '5m'));
 * ```
 */
export function checkDuration(name: string, value: unknown): string {
  if (typeof value !== 'string' || !KRB5_DURATION.test(value)) {
    throw new TypeError(
      `${name} must be a krb5 duration such as '10h' or '5s', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * A password for a prompter's stdin: one line, since each line answers one prompt.
 *
 * @example
 * ```ts
 * const input = `${checkPassword('secret.password', secret.password)}\n`;
 * ```
 */
export function checkPassword(name: string, value: unknown): string {
  // Never echo the value: it is a password.
  if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value)) {
    throw new TypeError(`${name} must be a non-empty string without line breaks`);
  }
  return value;
}

/**
 * A file or ccache path; kadmin's `ktadd -k "<path>"` puts it in double quotes.
 *
 * @example
 * ```ts
 * args.push('-c', checkPath('options.ccache', 'FILE:/tmp/realm/ccache'));
 * ```
 */
export function checkPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes('"') || /[\r\n]/.test(value)) {
    throw new TypeError(
      `${name} must be a file path without quotes or line breaks, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
