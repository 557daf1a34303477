/**
 * The base of the error hierarchy of http-gssapi: the codes ({@link ErrorCode}), the options every
 * error takes, and {@link HttpGssapiError}. The coded subclasses are in `coded-errors.ts`; import
 * both through `errors.ts`.
 *
 * Every error the library throws on purpose is an {@link HttpGssapiError} with a stable
 * {@link ErrorCode} to match on (`err.code === 'ERR_MUTUAL_AUTH'`), the underlying error as
 * `cause`, and a `hint` when the fix is known. Messages never contain a token, password or key:
 * where a header value has to be mentioned it goes through `redactToken` (see `./redact.ts`).
 *
 * @module
 */
import { hideProperty } from '../internal/hide-property.js';

/**
 * Stable error codes, one per error class. Match on these rather than on `name` or on the
 * message: codes are part of the public API and never change meaning, while messages may be
 * reworded and class names can be mangled by a minifying bundler.
 *
 * | code                      | class                             | thrown when                               |
 * | ------------------------- | --------------------------------- | ----------------------------------------- |
 * | `ERR_CHALLENGE_PARSE`     | {@link ChallengeParseError}       | a WWW-/Proxy-Authenticate value is unusable |
 * | `ERR_SPNEGO_EXCHANGE`     | {@link SPNEGOExchangeError}       | the Negotiate exchange fails              |
 * | `ERR_MUTUAL_AUTH`         | {@link MutualAuthenticationError} | the server could not be authenticated     |
 * | `ERR_BODY_NOT_REPLAYABLE` | {@link BodyNotReplayableError}    | a streamed body cannot be sent again      |
 * | `ERR_UNDICI_LEGACY_HANDLER` | {@link LegacyHandlerError}      | an undici handler of the old API          |
 * | `ERR_LOGIN_REFUSED`       | {@link LoginRefusedError}         | the KDC refused a password or key login   |
 * | `ERR_CHANNEL_BINDING`     | {@link ChannelBindingError}       | a bound token and its connection disagree |
 * | `ERR_HEADER_TOO_LARGE`    | {@link HeaderTooLargeError}       | a request with a token got 400, 413 or 431 |
 * | `ERR_PROXY_REFUSED`       | {@link ProxyRefusedError}         | a proxy refused a tunnel (or, for fetch, answered 407) |
 * | `ERR_KDC_TIMEOUT`         | {@link KdcTimeoutError}           | GSSAPI did not answer within `kdcTimeout` |
 * | `ERR_NTLM_NOT_ALLOWED`    | {@link NtlmNotAllowedError}       | a token was NTLM and `allowNtlm` is off   |
 * | `ERR_TOKEN_WITHHELD`      | {@link TokenWithheldError}        | the host policy kept a token from a host  |
 *
 * Adding a code takes three edits, and the compiler refuses the build until all three agree:
 * the literal here; a subclass declared `extends coded('ERR_NEW')` in `coded-errors.ts`
 * (`coded()` accepts only a listed code); that class in {@link AnyHttpGssapiError} in
 * `errors.ts` (checked against this list both ways, so a code without a class, or a class left
 * out of the union, is a type error). Then add its row to the table above.
 *
 * @example
 * ```ts
 * import type { ErrorCode } from 'http-gssapi';
 * const retryable: ReadonlySet<ErrorCode> = new Set(['ERR_SPNEGO_EXCHANGE']);
 * ```
 */
export type ErrorCode =
  | 'ERR_CHALLENGE_PARSE'
  | 'ERR_SPNEGO_EXCHANGE'
  | 'ERR_MUTUAL_AUTH'
  | 'ERR_BODY_NOT_REPLAYABLE'
  | 'ERR_UNDICI_LEGACY_HANDLER'
  | 'ERR_LOGIN_REFUSED'
  | 'ERR_CHANNEL_BINDING'
  | 'ERR_HEADER_TOO_LARGE'
  | 'ERR_PROXY_REFUSED'
  | 'ERR_KDC_TIMEOUT'
  | 'ERR_NTLM_NOT_ALLOWED'
  | 'ERR_TOKEN_WITHHELD';

/**
 * Options shared by every {@link HttpGssapiError}.
 *
 * @example
 * ```ts
 * const options: HttpGssapiErrorOptions = { cause: gssError, hint: 'Run kinit first.', response };
 * ```
 */
export interface HttpGssapiErrorOptions {
  /** The underlying error, kept as the standard `error.cause` (ES2022). */
  cause?: unknown;
  /** What the user can do about it, when that is known. */
  hint?: string;
  /**
   * The request involved, in the HTTP client's own type (a fetch `Request`, axios config, ...).
   * Stored as a non-enumerable property so that logging the error never dumps it.
   */
  request?: unknown;
  /**
   * The response involved, in the HTTP client's own type (a fetch `Response`, ...). Stored as a
   * non-enumerable property so that logging the error never dumps headers or body.
   */
  response?: unknown;
}

/**
 * Base class of every error http-gssapi throws on purpose.
 *
 * `name` is the subclass's name (set once here, not repeated per class); `code` is a stable
 * {@link ErrorCode}. `request` and `response`, when given, are non-enumerable: `JSON.stringify`,
 * `Object.keys`, spreading and `util.inspect` (without `showHidden`) skip them, so a logged
 * error shows its code, message and fields but never an HTTP body or an `Authorization` header.
 *
 * @example
 * ```ts
 * import { HttpGssapiError } from 'http-gssapi';
 * try {
 *   await fetch(url);
 * } catch (err) {
 *   if (err instanceof HttpGssapiError) console.error(err.code, err.message, err.hint ?? '');
 *   else throw err;
 * }
 * ```
 */
export class HttpGssapiError extends Error {
  /** Stable, documented code to match on; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** What the user can do about it, when that is known. */
  declare readonly hint?: string;
  /** The request involved (non-enumerable), in the HTTP client's own type. */
  declare readonly request?: unknown;
  /** The response involved (non-enumerable), in the HTTP client's own type. */
  declare readonly response?: unknown;

  /**
   * @param code - the stable code of the concrete subclass.
   * @param message - a human-readable message; it must not contain a token (see `redactToken`).
   * @param options - `cause`, `hint`, `request`, `response`.
   */
  constructor(code: ErrorCode, message: string, options: HttpGssapiErrorOptions = {}) {
    // Pass `cause` only when given: `{ cause: undefined }` would create an own `cause` property.
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    // `new.target` is the class actually constructed, so subclasses need no `name` boilerplate.
    this.name = new.target.name;
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.request !== undefined) hideProperty(this, 'request', options.request);
    if (options.response !== undefined) hideProperty(this, 'response', options.response);
    // Start the stack at the `new` site, not inside this constructor chain.
    Error.captureStackTrace?.(this, new.target);
  }
}

/**
 * The base of an error class with one fixed code: its constructor takes the message and the
 * common options, so a class is declared in one line (the code written once, as its type too).
 * Only a code listed in {@link ErrorCode} is accepted.
 *
 * @example
 * ```ts
 * export class KdcTimeoutError extends coded('ERR_KDC_TIMEOUT') {}
 * ```
 */
export function coded<C extends ErrorCode>(code: C) {
  return class extends HttpGssapiError {
    declare readonly code: C;

    /**
     * @param message - what went wrong; must not contain a token (see `redactToken`).
     * @param options - `cause`, `hint`, `request`, `response`.
     */
    constructor(message: string, options?: HttpGssapiErrorOptions) {
      super(code, message, options);
    }
  };
}
