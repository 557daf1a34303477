/**
 * Mutual authentication of the final response (RFC 4559 section 5): whether the server proved
 * it is the service our ticket was for, and what the response is worth when it did not.
 *
 * @module
 */
import { contextFlagNames } from './context-flag-names.js';
import { emit } from './diagnostics.js';
import { MutualAuthenticationError } from './errors.js';
import type { FlowResponse } from './flow-types.js';
import { readFinalToken } from './malformed-negotiate.js';
import type { NegotiateContext } from './negotiate-context.js';
import { type DISABLED, OPTIONAL, REQUIRED } from './options.js';

/**
 * A mutual authentication setting: `REQUIRED`, `OPTIONAL` or `DISABLED`.
 *
 * @example
 * ```ts
 * const setting: MutualSetting = OPTIONAL;
 * ```
 */
export type MutualSetting = typeof REQUIRED | typeof OPTIONAL | typeof DISABLED;

/**
 * Mutual authentication for a flow of this kind: the auth's, except that a proxy leg never
 * requires it (squid's negotiate_kerberos_auth never sends a final token, even when the helper
 * made one): REQUIRED becomes OPTIONAL there, so a token the proxy does send is still verified.
 *
 * @example
 * ```ts
 * mutualFor(REQUIRED, 'proxy'); // OPTIONAL
 * ```
 */
export function mutualFor(setting: MutualSetting, kind: 'server' | 'proxy'): MutualSetting {
  return kind === 'proxy' && setting === REQUIRED ? OPTIONAL : setting;
}

/**
 * What {@link verifyFinalResponse} needs besides the context.
 *
 * @example
 * ```ts
 * const check: FinalResponseCheck = { response, challengeHeader: 'www-authenticate', mutual: REQUIRED,
 *   sanitizeErrors: true, url, signal: undefined };
 * ```
 */
export interface FinalResponseCheck {
  readonly response: FlowResponse;
  /** Where the final token comes: `www-authenticate` or `proxy-authenticate`. */
  readonly challengeHeader: string;
  /** `OPTIONAL` or `REQUIRED` (a `DISABLED` flow never asks). */
  readonly mutual: MutualSetting;
  /** `sanitizeMutualErrorResponse`. */
  readonly sanitizeErrors: boolean;
  /** The request's URL, for the diagnostics event. */
  readonly url: URL;
  /** The request's deadline: a verification step abandoned by it throws its reason. */
  readonly signal: AbortSignal | undefined;
}

/**
 * Verifies the server's final token with the context that sent our last token. A token must
 * complete the context (else the server is not who it claims to be); no token passes under
 * OPTIONAL, and under REQUIRED passes only an error response (to be sanitized) or a context
 * already mutually authenticated in an earlier leg. A garbled token is a bad token under both.
 *
 * @returns whether the response must be sanitized before the caller sees it.
 * @throws {MutualAuthenticationError} when the response must not be trusted, `response` attached;
 *   the signal's reason when the request was abandoned during the verification step.
 * @example
 * ```ts
 * const { sanitize } = await verifyFinalResponse(context, { response, challengeHeader: 'www-authenticate',
 *   mutual: REQUIRED, sanitizeErrors: true, url, signal });
 * ```
 */
export async function verifyFinalResponse(
  context: NegotiateContext,
  check: FinalResponseCheck,
): Promise<{ readonly sanitize: boolean }> {
  const { response, mutual } = check;
  let tokenSize: number | null = null;
  const result = (outcome: 'verified' | 'not-required' | 'missing' | 'failed') =>
    emit({
      type: 'mutual',
      url: check.url.href,
      result: outcome,
      status: response.status,
      tokenSize,
      flagsGranted:
        context.complete && context.actualFlags !== undefined ? contextFlagNames(context.actualFlags) : null,
    });
  const fail = (message: string, options: { cause?: unknown; hint?: string } = {}) => {
    result('failed');
    return new MutualAuthenticationError(message, { ...options, response: response.response });
  };
  const final = readFinalToken(response.header(check.challengeHeader));
  if (final.kind === 'garbled') {
    // A Negotiate element too garbled to parse is a bad token, not an absent one.
    throw fail('the server sent a malformed Negotiate token', {
      cause: final.cause,
      hint: 'a proxy may be rewriting headers; do not trust this response',
    });
  }
  if (final.kind === 'token') {
    tokenSize = final.token.length;
    // RFC 4559 section 5: the final token of a successful exchange comes with the response;
    // it must complete our context, or the server is not who it claims to be.
    try {
      if (context.complete) throw new Error('the context was already complete');
      await context.step(final.token);
    } catch (error) {
      if (check.signal?.aborted) throw check.signal.reason;
      throw fail('the server token failed verification', {
        cause: error,
        hint: 'the response did not come from the service the ticket was for; do not trust it',
      });
    }
    if (!context.complete) throw fail('the server token did not complete the exchange');
    result('verified');
    return { sanitize: false };
  }
  if (context.mutualAuthenticated) {
    // The exchange finished in an earlier leg with mutual authentication granted.
    result('verified');
    return { sanitize: false };
  }
  if (response.status >= 400 || mutual === OPTIONAL) {
    result(mutual === OPTIONAL ? 'not-required' : 'missing');
    return { sanitize: mutual === REQUIRED && check.sanitizeErrors };
  }
  result('missing');
  throw new MutualAuthenticationError(
    `the server answered ${response.status} without a Negotiate token, so it could not be authenticated`,
    {
      hint: 'the server may not send the final token: use mutualAuthentication OPTIONAL or DISABLED if you trust the channel (TLS)',
      response: response.response,
    },
  );
}
