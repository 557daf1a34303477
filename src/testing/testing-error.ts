/**
 * The error of `http-gssapi/testing`: a realm or proxy that could not be set up or used.
 *
 * @module
 */

/**
 * Stable codes of {@link TestingError}. Match on these, not on messages.
 *
 * | code                            | thrown when                                                      |
 * | ------------------------------- | ---------------------------------------------------------------- |
 * | `ERR_TEST_REALM_MISSING_TOOLS`  | the MIT KDC or client programs are not installed                 |
 * | `ERR_TEST_REALM_SETUP`          | the temp dir, ports, config files or `kdb5_util create` failed   |
 * | `ERR_TEST_REALM_KADMIN`         | a `kadmin.local` command failed (principal, keytab)              |
 * | `ERR_TEST_REALM_KDC_START`      | `krb5kdc` exited or did not answer in time                       |
 * | `ERR_TEST_REALM_KINIT`          | `kinit` failed (wrong password, KDC down, ...)                   |
 * | `ERR_TEST_REALM_TOOL`           | `klist` or `kdestroy` failed                                     |
 * | `ERR_TEST_REALM_STOPPED`        | a method was called after `stop()`                               |
 * | `ERR_DELAY_PROXY_START`         | the {@link DelayProxy} child process did not start listening     |
 * | `ERR_AD_REALM_ADMIN`            | an `AdTestRealm` directory change failed (user, SPN, keytab, ...) |
 *
 * @example
 * ```ts
 * import type { TestingErrorCode } from 'http-gssapi/testing';
 * const expected: TestingErrorCode = 'ERR_TEST_REALM_KINIT';
 * ```
 */
export type TestingErrorCode =
  | 'ERR_TEST_REALM_MISSING_TOOLS'
  | 'ERR_TEST_REALM_SETUP'
  | 'ERR_TEST_REALM_KADMIN'
  | 'ERR_TEST_REALM_KDC_START'
  | 'ERR_TEST_REALM_KINIT'
  | 'ERR_TEST_REALM_TOOL'
  | 'ERR_TEST_REALM_STOPPED'
  | 'ERR_DELAY_PROXY_START'
  | 'ERR_AD_REALM_ADMIN';

/**
 * Fields of a {@link TestingError} besides its code and message.
 *
 * @example
 * ```ts
 * const options: TestingErrorOptions = { tool: '/usr/bin/kinit', exitCode: 1, output: 'kinit: ...' };
 * ```
 */
export interface TestingErrorOptions {
  /** The underlying error, kept as the standard `error.cause`. */
  cause?: unknown;
  /** What to do about it, when that is known. */
  hint?: string;
  /** Absolute path of the program that failed. */
  tool?: string;
  /** Its exit code (`null` when it was killed by a signal or never started). */
  exitCode?: number | null;
  /** The last lines of its output (or of the KDC log), with every known secret redacted. */
  output?: string;
  /** For `ERR_TEST_REALM_MISSING_TOOLS`: the absolute paths that were looked for and not found. */
  missing?: readonly string[];
}

/**
 * Thrown by {@link TestRealm} and {@link DelayProxy}. The message already contains the tail of
 * the failing tool's output (it is also in `output`), because that tail is nearly always what
 * explains the failure (`Password incorrect`, `Cannot contact any KDC`, `Address already in use`).
 * Every password the realm knows is redacted to its first two characters and `…` before it gets
 * here.
 *
 * @example
 * ```ts
 * import { TestingError } from 'http-gssapi/testing';
 * try {
 *   await realm.kinit(realm.user.principal, { password: 'wrong' });
 * } catch (err) {
 *   if (err instanceof TestingError && err.code === 'ERR_TEST_REALM_KINIT') console.log(err.output);
 * }
 * ```
 */
export class TestingError extends Error {
  /** Stable code to match on; see {@link TestingErrorCode}. */
  readonly code: TestingErrorCode;
  declare readonly hint?: string;
  declare readonly tool?: string;
  declare readonly exitCode?: number | null;
  declare readonly output?: string;
  declare readonly missing?: readonly string[];

  /**
   * @param code - the stable code.
   * @param message - what failed; must already be free of secrets.
   * @param options - `cause`, `hint`, and the failing tool's path, exit code and output tail.
   */
  constructor(code: TestingErrorCode, message: string, options: TestingErrorOptions = {}) {
    const { cause, ...fields } = options;
    // Pass `cause` only when given, so that a plain error has no own `cause` property.
    super(message, 'cause' in options ? { cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
    Error.captureStackTrace?.(this, new.target);
  }
}
