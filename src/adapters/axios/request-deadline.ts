import type { InternalAxiosRequestConfig } from 'axios';
import { AxiosError, CanceledError } from 'axios';

/**
 * The deadline of one axios call, as an AbortSignal for the Negotiate flow: its `signal` and its
 * `timeout` (ms, 0 = none). axios enforces both only while its base adapter has a request in
 * flight; the flow's GSSAPI work between attempts (a ticket from a KDC that does not answer) would
 * otherwise run past them. The reasons are axios's own errors: `CanceledError` (`ERR_CANCELED`)
 * for the signal, the `ECONNABORTED` (or, with `transitional.clarifyTimeoutError`, `ETIMEDOUT`)
 * AxiosError with axios's message (or `timeoutErrorMessage`) for the timeout.
 *
 * @example
 * ```ts
 * const deadline = requestDeadline(config);
 * try { await runExchange(auth.flow(url, { signal: deadline.signal }), exchange); } finally { deadline.done(); }
 * ```
 */
export function requestDeadline(config: InternalAxiosRequestConfig): {
  readonly signal: AbortSignal | undefined;
  done(): void;
} {
  const timeout = typeof config.timeout === 'number' && config.timeout > 0 ? config.timeout : 0;
  const callerSignal = config.signal as AbortSignal | undefined;
  const hasSignal = typeof callerSignal?.addEventListener === 'function';
  if (!timeout && !hasSignal) return { signal: undefined, done() {} };
  const controller = new AbortController();
  const onAbort = () => controller.abort(new CanceledError(undefined, undefined, config));
  let timer: NodeJS.Timeout | undefined;
  if (timeout) {
    timer = setTimeout(() => {
      const message = config.timeoutErrorMessage || `timeout of ${timeout}ms exceeded`;
      const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
      controller.abort(new AxiosError(message, code, config));
    }, timeout);
  }
  if (hasSignal) {
    if (callerSignal!.aborted) onAbort();
    else callerSignal!.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      if (hasSignal) callerSignal!.removeEventListener('abort', onAbort);
    },
  };
}
