/**
 * The limit on blocking GSSAPI calls in flight. Calls that may reach the KDC, DNS or the disk
 * run on libuv's thread pool through koffi's `.async`, and at most {@link setMaxConcurrentCalls}
 * of them at once, so that a slow KDC never takes every thread from fs and dns.
 *
 * @module
 */
import type * as Koffi from 'koffi';
import { AsyncLimiter } from '../../internal/async-limiter.js';
import { callScope } from '../../internal/call-scope.js';

/** A bound C function, as koffi returns it. */
export type GssFunction = ReturnType<Koffi.LibraryHandle['func']>;

/**
 * One slot more for calls expected to need no KDC exchange (see `callScope`): with the default
 * pool of 4 threads, at most 3 are ever held by GSSAPI, and a token for a cached ticket never
 * waits behind two calls stuck on a dead KDC.
 */
const FAST_RESERVE = 1;

const limiter = new AsyncLimiter(Number(process.env['HTTP_GSSAPI_MAX_CONCURRENCY']) || 2, FAST_RESERVE);

/**
 * Sets how many blocking GSSAPI calls may run at once on libuv's thread pool (default 2, or
 * `HTTP_GSSAPI_MAX_CONCURRENCY`); the rest queue in order. One more slot is kept for calls
 * expected to need no KDC exchange (a ticket fetched recently). Keep `limit + 1` below
 * `UV_THREADPOOL_SIZE` (4 by default) so file system and DNS work are never starved by a slow
 * KDC; a service making many requests to many services raises both (docs/security.md).
 *
 * @example
 * ```ts
 * import { setMaxConcurrentCalls } from 'http-gssapi/gssapi/raw';
 * setMaxConcurrentCalls(4); // with UV_THREADPOOL_SIZE=8
 * ```
 */
export function setMaxConcurrentCalls(limit: number): void {
  limiter.limit = limit;
}

/**
 * How many blocking calls are running and queued now (for diagnostics and tests).
 *
 * @example
 * ```ts
 * const { running, pending, limit } = concurrentCalls();
 * ```
 */
export function concurrentCalls(): { running: number; pending: number; limit: number; reserve: number } {
  return {
    running: limiter.running,
    pending: limiter.pending,
    limit: limiter.limit,
    reserve: limiter.reserve,
  };
}

/**
 * Runs `fn(...args)` on a worker thread once a slot is free; resolves with the major status.
 * A call made for a request whose abort signal is in `callScope` gives up its place in the
 * queue when that signal aborts (a call already running cannot be stopped: it finishes on its
 * thread and its caller releases what it produced).
 *
 * @example
 * ```ts
 * const major = await callAsync(fn, [minor, cred, name, lifetime, usage, mechs]);
 * ```
 */
export function callAsync(fn: GssFunction, args: unknown[]): Promise<number> {
  return limiter.run(
    () =>
      new Promise<number>((resolve, reject) => {
        fn.async(...args, (error: unknown, result: number) => (error ? reject(error) : resolve(result)));
      }),
    callScope.getStore()?.signal,
    callScope.getStore()?.fast ?? false,
  );
}
