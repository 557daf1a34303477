/**
 * `http-gssapi`: HTTP Negotiate authentication (SPNEGO over GSSAPI, RFC 4559) for Node.js HTTP
 * clients. This entry point has what a user calls: the options ({@link HTTPSPNEGOAuth}), the
 * fetch wrapper ({@link createFetch}), the errors and what explains a response
 * ({@link negotiateErrorOf}, {@link negotiateDetailsOf}), redaction, the diagnostics channels and
 * the gssapi types passed as `creds`. Other clients have their own subpaths; the kit for writing
 * an adapter for another client (`NegotiateFlow`, `runExchange`, the challenge parser) is
 * `http-gssapi/adapter-kit`.
 *
 * @example
 * ```ts
 * import { createFetch, HTTPSPNEGOAuth, OPTIONAL } from 'http-gssapi';
 * const fetch = createFetch(new HTTPSPNEGOAuth({ mutualAuthentication: OPTIONAL }));
 * const res = await fetch('https://intranet.example.org/api');
 * ```
 * @module
 */
export { createFetch } from './adapters/fetch.js';
export type { FetchLike } from './adapters/fetch-like.js';
export type { CreateFetchOptions } from './adapters/fetch-options.js';
export { DIAGNOSTICS_CHANNELS, type NegotiateEvent } from './core/diagnostics.js';
export { negotiateErrorOf } from './core/error-report.js';
export {
  type AnyHttpGssapiError,
  BodyNotReplayableError,
  ChallengeParseError,
  ChannelBindingError,
  type ErrorCode,
  HeaderTooLargeError,
  HttpGssapiError,
  type HttpGssapiErrorOptions,
  KdcTimeoutError,
  LegacyHandlerError,
  LoginRefusedError,
  MutualAuthenticationError,
  NtlmNotAllowedError,
  ProxyRefusedError,
  SPNEGOExchangeError,
  TokenWithheldError,
} from './core/errors.js';
export { type NegotiateDetails, negotiateDetailsOf } from './core/exchange-details.js';
export type { HostPatterns } from './core/host-policy.js';
export { HTTPSPNEGOAuth } from './core/http-spnego-auth.js';
export {
  type CredentialsDescription,
  DEFAULT_KDC_TIMEOUT,
  DISABLED,
  type HTTPSPNEGOAuthOptions,
  KRB5,
  type MutualAuthentication,
  OPTIONAL,
  REQUIRED,
  SPNEGO,
} from './core/options.js';
export { redactToken, redactUrl } from './core/redact.js';
export { Credentials } from './gssapi/credentials.js';
export { GSSError } from './gssapi/gss-error.js';
export { Name } from './gssapi/name.js';
export { NameType } from './gssapi/name-type.js';
export { OID } from './gssapi/oid.js';
export type { ProxySetting, ProxySettings } from './proxy/proxy-selector.js';
