/**
 * The errors an exchange reports about itself: a failure wrapped with what the flow was doing,
 * and the guard's refusal of a bound token that the flow may answer by sending again bare.
 *
 * @module
 */
import { ChannelBindingError, type HttpGssapiError, SPNEGOExchangeError } from './errors.js';

/**
 * An `SPNEGOExchangeError` for `url`'s origin: `message`, the cause's message and code (once),
 * and the cause's hint.
 *
 * @example
 * ```ts
 * throw exchangeError('could not make a Negotiate token', url, gssError);
 * ```
 */
export function exchangeError(message: string, url: URL, error: unknown): HttpGssapiError {
  const cause = error as { hint?: unknown; code?: unknown; message?: unknown };
  const hint = typeof cause?.hint === 'string' ? cause.hint : undefined;
  const detail = typeof cause?.message === 'string' ? `: ${cause.message}` : '';
  // A GSSError's message already ends with its code: name it once.
  const code =
    typeof cause?.code === 'string' && !detail.endsWith(`[${cause.code}]`) ? ` [${cause.code}]` : '';
  return new SPNEGOExchangeError(`${message} for ${url.origin}${detail}${code}`, {
    cause: error,
    ...(hint ? { hint } : {}),
  });
}

/**
 * Whether a client's error for an attempt is, or is caused by, a {@link ChannelBindingError}: a
 * guard stopped the attempt's bound token before it was written (clients wrap it: fetch in a
 * `TypeError`, axios and got in their own errors, each with it as `cause`).
 *
 * @example
 * ```ts
 * if (isBindingRefusal(error)) console.error('the connection presented another certificate');
 * ```
 */
export function isBindingRefusal(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 8; depth++) {
    if (e instanceof ChannelBindingError) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
