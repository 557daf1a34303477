/**
 * The states of one attempt's response inside a `NegotiateHandler`: where undici's callbacks for
 * it go, and the events held back while the flow decides.
 *
 * @module
 */

type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * Where the current attempt's response is going.
 *
 * @example
 * ```ts
 * let mode: AttemptMode = 'connecting'; // then 'deciding', and 'forward' or 'drain'
 * ```
 */
export type AttemptMode =
  /** Before the response headers. */
  | 'connecting'
  /** Paused while the flow decides; events are queued. */
  | 'deciding'
  /** Handed to the caller. */
  | 'forward'
  /** A 401 being read to its end before the next leg. */
  | 'drain'
  /** The caller has had its last callback (a sanitized response); the rest is read and dropped. */
  | 'sink'
  /** Finished for the caller (failed or rejected); the rest is ignored. */
  | 'discard';

/**
 * A response event held back while the flow decides, replayed in order after.
 *
 * @example
 * ```ts
 * queue.push({ type: 'data', chunk });
 * ```
 */
export type QueuedEvent =
  | { readonly type: 'data'; readonly chunk: Buffer }
  | { readonly type: 'end'; readonly trailers: ResponseHeaders }
  | { readonly type: 'error'; readonly error: Error };
