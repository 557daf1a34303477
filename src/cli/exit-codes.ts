/**
 * The exit codes of the `http-gssapi` command, one per class of outcome, so scripts can tell an
 * authentication problem from a server error or a dead network without parsing output.
 *
 * @module
 */

/**
 * | code | name             | meaning                                                                      |
 * | ---- | ---------------- | ---------------------------------------------------------------------------- |
 * | 0    | `OK`             | success (a 1xx-3xx response; doctor: no problem found)                       |
 * | 1    | `INTERNAL`       | an unexpected failure (a bug): please report it                              |
 * | 2    | `USAGE`          | bad arguments or options; nothing was sent                                   |
 * | 3    | `NETWORK`        | connection refused, DNS failure, TLS failure, timeout                        |
 * | 4    | `HTTP_ERROR`     | the server answered 4xx/5xx (other than an authentication failure)           |
 * | 5    | `AUTH_FAILED`    | 401/407 in the end, or no Negotiate token could be made (`token`)            |
 * | 6    | `MUTUAL_FAILED`  | the server could not be authenticated (mutual authentication)                |
 * | 7    | `DOCTOR_PROBLEM` | `doctor` found at least one problem                                          |
 *
 * @example
 * ```ts
 * import { EXIT } from './exit-codes.js';
 * process.exitCode = EXIT.AUTH_FAILED;
 * ```
 */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  NETWORK: 3,
  HTTP_ERROR: 4,
  AUTH_FAILED: 5,
  MUTUAL_FAILED: 6,
  DOCTOR_PROBLEM: 7,
} as const;

/** One of the {@link EXIT} values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code table as `--help` shows it. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success (doctor: no problem found)
  1  unexpected internal error
  2  usage error (bad arguments); nothing was sent
  3  network error (connection refused, DNS, TLS, timeout)
  4  HTTP error: the server answered 4xx or 5xx
  5  authentication failure: 401/407 in the end, or no token could be made
  6  mutual authentication failure: the server could not be authenticated
  7  doctor found a problem`;

/**
 * A failure of the command that maps to one exit code, with an optional fix. Thrown by the
 * commands and turned into a message and an exit code by `main.ts` alone.
 *
 * @example
 * ```ts
 * throw new CliError(EXIT.USAGE, 'a URL is required', 'http-gssapi --help');
 * ```
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(exitCode: ExitCode, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}
