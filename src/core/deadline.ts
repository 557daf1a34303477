/**
 * The request's deadline over GSSAPI: every call a flow makes (a credential acquisition, a
 * context step) ends by `kdcTimeout` or when the request's signal aborts, whichever comes first.
 * ("Deadline", not "bound": in this code base a bound token is one with channel bindings.)
 *
 * @module
 */
import { callScope } from '../internal/call-scope.js';
import { KdcTimeoutError } from './errors.js';
import type { ContextFactory, NegotiateContext } from './negotiate-context.js';

/**
 * Puts every step of the contexts `inner` makes under the request's deadline: a step that has not returned after
 * `timeoutMs` (a KDC that does not answer: MIT krb5 1.20 waits ~27 s before giving up) or whose
 * request's `signal` aborts first settles at once, with a {@link KdcTimeoutError} or the
 * signal's reason. The context is then disposed: a call still queued for a worker thread leaves
 * the queue (see `callScope`), a call already running finishes on its thread and what it
 * produces is released unused (`SecurityContext.dispose` during a step). Nothing waits for it.
 *
 * @example
 * ```ts
 * const factory = deadlineContextFactory(gssapiContextFactory, 5000);
 * const ctx = factory({ target: 'HTTP@web.example.org', flags, mech, creds, signal });
 * const token = await ctx.step(); // rejects after 5 s or when signal aborts
 * ```
 */
export function deadlineContextFactory(inner: ContextFactory, timeoutMs: number): ContextFactory {
  return (request) => {
    const ctx = inner(request);
    // The step running underneath (even one given up on), for settled().
    let running: Promise<unknown> = Promise.resolve();
    const step = (token: Uint8Array | null) =>
      withinDeadline(
        (abandoned) => {
          const work = callScope.run({ signal: abandoned, fast: request.fast }, () => ctx.step(token));
          running = work.catch(() => {});
          return work;
        },
        timeoutMs,
        request.signal,
        // Whatever the abandoned step still produces is released with the context.
        () => ctx.dispose(),
      );
    const withDeadline: NegotiateContext = {
      get complete() {
        return ctx.complete;
      },
      get mech() {
        return ctx.mech ?? null;
      },
      get mutualAuthenticated() {
        return ctx.mutualAuthenticated;
      },
      get actualFlags() {
        return ctx.actualFlags;
      },
      step: (token) => step(token ?? null),
      dispose: () => ctx.dispose(),
      settled: () => running.then(() => {}),
    };
    return withDeadline;
  };
}

/**
 * Runs `work` (given a signal that aborts when it is abandoned) until it settles, `timeoutMs`
 * passes ({@link KdcTimeoutError}) or `signal` aborts (its reason), whichever comes first. On
 * abandon, `abandon()` runs and a late failure of `work` is swallowed: nobody waits for it.
 *
 * @example
 * ```ts
 * const creds = await withinDeadline(() => source.get(), 5000, request.signal);
 * ```
 */
export function withinDeadline<T>(
  work: (deadline: AbortSignal) => Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  abandon?: () => void,
): Promise<T> {
  signal?.throwIfAborted();
  const abandoned = new AbortController();
  const running = work(abandoned.signal);
  return new Promise<T>((resolve, reject) => {
    const giveUp = (reason: unknown) => {
      cleanup();
      abandoned.abort(reason);
      running.catch(() => {});
      abandon?.();
      reject(reason);
    };
    const onAbort = () => giveUp(signal!.reason);
    const timer = setTimeout(
      () =>
        giveUp(
          new KdcTimeoutError(`no answer from GSSAPI within ${timeoutMs} ms (kdcTimeout)`, {
            hint: 'the KDC may be unreachable or overloaded: check the kdc entries of krb5.conf (or DNS SRV records) and the network path to them, or raise kdcTimeout',
          }),
        ),
      timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    running.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
