/**
 * The one rule for pointing a client's own error at the reason a response came back
 * unauthenticated, for clients that turn a 401 into an error (axios, got, ky).
 *
 * @module
 */
import { hideProperty } from '../internal/hide-property.js';
import { negotiateErrorOf } from './error-report.js';

/**
 * Sets `error.cause` to {@link negotiateErrorOf} `response` (why Negotiate could not answer it),
 * unless the error already has an `Error` as its cause (the client's own reason, or ours passed
 * through: a client error made from a thrown library error). Non-enumerable, so that logging the
 * error prints no more than before. Returns the error.
 *
 * @example
 * ```ts
 * // ky's beforeError hook, or axios's rejection of a 401:
 * attachReason(error, error.response);
 * if (error.cause instanceof HttpGssapiError) console.error(error.cause.hint);
 * ```
 */
export function attachReason<E extends object>(error: E, response: object | null | undefined): E {
  const reason = response ? negotiateErrorOf(response) : undefined;
  // got's HTTPError has an empty object as its cause; axios's and ky's have none.
  if (reason && !((error as { cause?: unknown }).cause instanceof Error))
    hideProperty(error, 'cause', reason);
  return error;
}
