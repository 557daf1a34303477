import { emit } from './diagnostics.js';
import type { HttpGssapiError } from './errors.js';
import { redactUrl } from './redact.js';

const reasons = new WeakMap<object, HttpGssapiError>();

/**
 * Why a response came back unauthenticated: the error of the Negotiate exchange that failed for
 * it (no ticket, unknown service principal, KDC down, a corrupt server token, ...), or
 * `undefined` when none did. The error's `cause` is the GSSError with its `code` and `hint`.
 * Takes the client's own response object (a fetch `Response`, an axios or got response) or, for
 * the undici interceptor, `res.context.negotiate`.
 *
 * @example
 * ```ts
 * import { createFetch, negotiateErrorOf } from 'http-gssapi';
 * const res = await createFetch()('https://intranet.example.org/api');
 * if (res.status === 401) console.error(negotiateErrorOf(res)?.cause); // GSSError KRB5_FCC_NOFILE: run kinit
 * ```
 */
export function negotiateErrorOf(response: object): HttpGssapiError | undefined {
  return reasons.get(response);
}

/**
 * Internal: records why the responses in `subjects` come back unauthenticated (for
 * {@link negotiateErrorOf}), publishes the `error` diagnostics event and calls `onError`.
 */
export function reportExchangeError(
  error: HttpGssapiError,
  url: URL,
  subjects: readonly (object | undefined)[],
  onError: ((error: HttpGssapiError, info: { readonly url: string }) => void) | undefined,
): void {
  for (const subject of subjects) if (subject) reasons.set(subject, error);
  const cause = error.cause as { code?: unknown; hint?: unknown } | undefined;
  emit({
    type: 'error',
    url: url.href,
    code: typeof cause?.code === 'string' ? cause.code : error.code,
    message: error.message,
    hint: error.hint ?? (typeof cause?.hint === 'string' ? cause.hint : undefined),
  });
  // The URL as a log line may print it: no userinfo (a password in the URL).
  onError?.(error, { url: redactUrl(url.href) });
}

/**
 * Internal: makes {@link negotiateErrorOf} answer `error` for `subject` too, for an object that
 * stands for a response the exchange already reported on (the error of a refused CONNECT tunnel,
 * the fetch Response made from an undici response). Reports nothing again.
 */
export function recordNegotiateError(subject: object, error: HttpGssapiError): void {
  reasons.set(subject, error);
}
