/**
 * The deadline of one got call for the Negotiate flow's GSSAPI work, which runs inside got's hooks
 * where got's own `timeout.request` timer does not reach (measured: a KDC that never answers held
 * a call with `timeout: { request: 1000 }` for 27 s).
 *
 * @module
 */
import type { NormalizedOptions, Options } from 'got';

/**
 * A signal that aborts with the caller's `signal`, or when `timeout.request` (ms, counted from
 * `started`, the start of the got call) is over, with an error shaped as got's own request
 * timeout (`code` `'ETIMEDOUT'`, `event` `'request'`: got reports it as a RequestError with that
 * code). Call `done()` when the flow is over.
 *
 * @example
 * ```ts
 * const deadline = gotDeadline(options, started);
 * try { await flow.start(); } finally { deadline.done(); }
 * ```
 */
export function gotDeadline(
  options: NormalizedOptions | Options,
  started: number,
): { readonly signal: AbortSignal | undefined; done(): void } {
  const callerSignal = (options as { signal?: AbortSignal }).signal;
  const limit = options.timeout?.request;
  if (typeof limit !== 'number' || !(limit > 0)) return { signal: callerSignal, done() {} };
  const controller = new AbortController();
  const expire = () =>
    controller.abort(
      Object.assign(new Error(`Timeout awaiting 'request' for ${limit}ms`), {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
        event: 'request',
      }),
    );
  const timer = setTimeout(expire, Math.max(0, started + limit - Date.now()));
  timer.unref();
  const signal = callerSignal ? AbortSignal.any([callerSignal, controller.signal]) : controller.signal;
  return { signal, done: () => clearTimeout(timer) };
}
