/**
 * `http-gssapi`: HTTP Negotiate authentication (SPNEGO over GSSAPI, RFC 4559) for Node.js HTTP
 * clients. This entry point has the client-independent flow ({@link HTTPSPNEGOAuth}) and the
 * fetch wrapper ({@link createFetch}); other clients have their own subpaths.
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
export {
  type Challenge,
  type ChallengeParseMode,
  findNegotiateChallenge,
  formatNegotiateHeader,
  MAX_CHALLENGE_HEADER_LENGTH,
  type NegotiateChallenge,
  type ParseChallengesOptions,
  parseChallenges,
} from './core/challenge.js';
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
export { type Exchange, runExchange } from './core/exchange.js';
export { type NegotiateDetails, negotiateDetailsOf } from './core/exchange-details.js';
export type { FlowDecision, FlowOptions, FlowResponse } from './core/flow-types.js';
export type { HostPatterns } from './core/host-policy.js';
export { HTTPSPNEGOAuth } from './core/http-spnego-auth.js';
export type { ContextFactory, ContextRequest, NegotiateContext } from './core/negotiate-context.js';
export { NegotiateFlow } from './core/negotiate-flow.js';
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
export { sanitizedHeaders } from './core/sanitize.js';
export { Credentials } from './gssapi/credentials.js';
export { GSSError } from './gssapi/gss-error.js';
export { Name } from './gssapi/name.js';
export { NameType } from './gssapi/name-type.js';
export { OID } from './gssapi/oid.js';
export type { ProxySetting, ProxySettings } from './proxy/proxy-selector.js';
