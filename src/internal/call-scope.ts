/**
 * What a blocking GSSAPI call is made for, carried from the Negotiate flow down to the call
 * limiter without threading it through every layer between (Name, SecurityContext, the raw
 * bindings):
 *
 * - `signal`: the request's deadline. A call still waiting for a worker-thread slot when its
 *   request is aborted or timed out leaves the queue at once, instead of starting work nobody
 *   waits for and holding a slot that a live request needs.
 * - `fast`: the call is expected to need no KDC exchange (its service ticket was fetched
 *   recently), so it may take the limiter's reserved slot rather than queue behind calls that
 *   wait for a slow or dead KDC.
 *
 * @example
 * ```ts
 * const token = await callScope.run({ signal: controller.signal, fast: true }, () => ctx.step());
 * ```
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CallScope {
  readonly signal?: AbortSignal | undefined;
  readonly fast?: boolean | undefined;
}

export const callScope: AsyncLocalStorage<CallScope> = new AsyncLocalStorage<CallScope>();
