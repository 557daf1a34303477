/**
 * `http-gssapi/adapter-kit`: what it takes to give another HTTP client Negotiate authentication,
 * the way this package's own adapters (fetch, undici, axios, got, ky) do. An adapter asks
 * `auth.flow(url, options)` for a {@link NegotiateFlow} per request (or redirect hop) and only
 * translates: it sends what the flow says, and hands the flow each response. Clients that can
 * await a send use {@link runExchange}; others drive {@link NegotiateFlow.start} and
 * {@link NegotiateFlow.onResponse} from their own hooks. Also here: the RFC 9110 section 11
 * challenge parser and the RFC 4559 section 4 header formatter, the headers an unauthenticated
 * error response keeps, and the context factory a test can replace with a scripted one.
 *
 * Users of the clients already supported need none of this: `http-gssapi` (the root) has what
 * they call. See docs/architecture.md, "Writing an adapter for another client".
 *
 * @example
 * ```ts
 * import { HTTPSPNEGOAuth } from 'http-gssapi';
 * import { runExchange } from 'http-gssapi/adapter-kit';
 *
 * const auth = new HTTPSPNEGOAuth();
 * const res = await runExchange(auth.flow(url), {
 *   send: (headers) => myClient.get(url, { headers }),
 *   status: (res) => res.statusCode,
 *   header: (res, name) => res.headers[name],
 *   discard: (res) => res.dump(),
 *   sanitize: (res, headers) => ({ ...res, headers, body: '' }),
 * });
 * ```
 * @module
 */
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
export { type Exchange, runExchange } from './core/exchange.js';
export type { FlowDecision, FlowOptions, FlowResponse } from './core/flow-types.js';
export type { ContextFactory, ContextRequest, NegotiateContext } from './core/negotiate-context.js';
export { NegotiateFlow } from './core/negotiate-flow.js';
export { sanitizedHeaders } from './core/sanitize.js';
