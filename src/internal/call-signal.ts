/**
 * The abort signal of the request a blocking GSSAPI call is made for, carried from the Negotiate
 * flow down to the call limiter without threading it through every layer between (Name,
 * SecurityContext, the raw bindings): a call still waiting for a worker-thread slot when its
 * request is aborted or timed out leaves the queue at once, instead of starting work nobody waits
 * for and holding a slot that a live request needs.
 *
 * @example
 * ```ts
 * const token = await callSignal.run(controller.signal, () => ctx.step());
 * ```
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const callSignal: AsyncLocalStorage<AbortSignal> = new AsyncLocalStorage<AbortSignal>();
