/**
 * What one `doctor` check found.
 *
 * @module
 */

/**
 * `ok`: works; `info`: worth knowing; `warn`: may cause trouble; `problem`: Kerberos will fail
 * because of it (exit 7); `skipped`: could not be checked (offline, no URL, an earlier problem).
 */
export type FindingStatus = 'ok' | 'info' | 'warn' | 'problem' | 'skipped';

/**
 * One finding: the check's name, its status, a one-line summary, details, and for anything
 * short of `ok` the fix.
 *
 * @example
 * ```ts
 * const finding: Finding = { check: 'credentials', status: 'problem', summary: 'no ccache', code: 'KRB5_FCC_NOFILE', fix: 'run kinit' };
 * ```
 */
export interface Finding {
  readonly check: string;
  readonly status: FindingStatus;
  readonly summary: string;
  readonly details?: readonly string[];
  /** The GSSAPI or krb5 error code behind a problem, when there is one. */
  readonly code?: string;
  readonly fix?: string;
}
