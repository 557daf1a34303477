/**
 * The error hierarchy of http-gssapi, in one import: the base ({@link HttpGssapiError}, the codes,
 * the options; `error-base.ts`), the coded subclasses (`coded-errors.ts`) and
 * {@link AnyHttpGssapiError}, the union to `switch (err.code)` over.
 *
 * Every error the library throws on purpose is an {@link HttpGssapiError} with a stable
 * {@link ErrorCode} to match on (`err.code === 'ERR_MUTUAL_AUTH'`), the underlying error as
 * `cause`, and a `hint` when the fix is known. Messages never contain a token, password or key:
 * where a header value has to be mentioned it goes through `redactToken` (see `./redact.ts`).
 *
 * @module
 */
import type {
  BodyNotReplayableError,
  ChallengeParseError,
  ChannelBindingError,
  HeaderTooLargeError,
  KdcTimeoutError,
  LegacyHandlerError,
  LoginRefusedError,
  MutualAuthenticationError,
  NtlmNotAllowedError,
  ProxyRefusedError,
  SPNEGOExchangeError,
  TokenWithheldError,
} from './coded-errors.js';
import type { ErrorCode } from './error-base.js';

export {
  BodyNotReplayableError,
  ChallengeParseError,
  type ChallengeParseErrorOptions,
  ChannelBindingError,
  HeaderTooLargeError,
  KdcTimeoutError,
  LegacyHandlerError,
  LoginRefusedError,
  MutualAuthenticationError,
  NtlmNotAllowedError,
  ProxyRefusedError,
  SPNEGOExchangeError,
  TokenWithheldError,
} from './coded-errors.js';
export { type ErrorCode, HttpGssapiError, type HttpGssapiErrorOptions } from './error-base.js';

/**
 * Every error class http-gssapi throws on purpose, as one discriminated union on `code`: narrow
 * a caught `HttpGssapiError` to it and `switch (err.code)` is checked for exhaustiveness (the
 * `never` in `default` stops compiling the day a code is added). The `cause` of an exchange
 * error is a `GSSError` (its own `code` union, `GSSErrorCode`).
 *
 * @example
 * ```ts
 * import { HttpGssapiError, type AnyHttpGssapiError } from 'http-gssapi';
 * function explain(err: AnyHttpGssapiError): string {
 *   switch (err.code) {
 *     case 'ERR_CHALLENGE_PARSE': return `bad header at ${err.position}`;
 *     case 'ERR_SPNEGO_EXCHANGE': return err.hint ?? err.message;
 *     case 'ERR_MUTUAL_AUTH': return 'server not authenticated';
 *     case 'ERR_BODY_NOT_REPLAYABLE': return 'send a Buffer';
 *     case 'ERR_UNDICI_LEGACY_HANDLER': return err.hint;
 *     case 'ERR_LOGIN_REFUSED': return 'fix the password, then auth.retryLogin()';
 *     case 'ERR_CHANNEL_BINDING': return 'the server changed certificates: retry';
 *     case 'ERR_HEADER_TOO_LARGE': return 'raise the server header limit';
 *     case 'ERR_PROXY_REFUSED': return `the proxy answered ${err.status}`;
 *     case 'ERR_KDC_TIMEOUT': return 'the KDC did not answer in time (kdcTimeout)';
 *     case 'ERR_NTLM_NOT_ALLOWED': return 'Kerberos failed and NTLM is off (allowNtlm)';
 *     case 'ERR_TOKEN_WITHHELD': return err.hint ?? 'the host policy kept the token';
 *     default: {
 *       const unhandled: never = err;
 *       return String(unhandled);
 *     }
 *   }
 * }
 * if (error instanceof HttpGssapiError) console.error(explain(error as AnyHttpGssapiError));
 * ```
 */
export type AnyHttpGssapiError =
  | ChallengeParseError
  | SPNEGOExchangeError
  | MutualAuthenticationError
  | BodyNotReplayableError
  | LegacyHandlerError
  | LoginRefusedError
  | ChannelBindingError
  | HeaderTooLargeError
  | ProxyRefusedError
  | KdcTimeoutError
  | NtlmNotAllowedError
  | TokenWithheldError;

// Compile-time check: the union and ErrorCode name the same codes, both ways. A code listed in
// ErrorCode with no class here, or a class left out of the union, fails the build on this line.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const codesAgree: Same<AnyHttpGssapiError['code'], ErrorCode> = true;
void codesAgree;
