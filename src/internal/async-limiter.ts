/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order.
 * Blocking GSSAPI calls run on libuv's thread pool (4 threads by default), which fs, dns.lookup
 * and zlib share; a KDC that times out would otherwise hold every thread for seconds.
 *
 * `reserve` more slots are kept for tasks marked `fast` (a token for a service whose ticket is
 * cached: no KDC exchange, well under a millisecond of work): when every ordinary slot is held
 * by calls waiting for a slow or dead KDC, such a task still runs at once instead of queueing
 * behind them (head-of-line blocking, measured 26.7 s behind one stuck call before).
 */
export class AsyncLimiter {
  #limit: number;
  readonly #reserve: number;
  #running = 0;
  readonly #waiting: { readonly fast: boolean; readonly start: () => void }[] = [];

  constructor(limit: number, reserve = 0) {
    this.#limit = AsyncLimiter.#check(limit);
    if (!Number.isInteger(reserve) || reserve < 0)
      throw new TypeError(`reserve must be a non-negative integer, got ${String(reserve)}`);
    this.#reserve = reserve;
  }

  static #check(limit: number): number {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError(`limit must be a positive integer, got ${String(limit)}`);
    }
    return limit;
  }

  get limit(): number {
    return this.#limit;
  }

  set limit(value: number) {
    this.#limit = AsyncLimiter.#check(value);
    this.#drain();
  }

  /** Slots kept for fast tasks on top of {@link limit}. */
  get reserve(): number {
    return this.#reserve;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` once a slot is free. When `signal` aborts while the task still waits for a slot,
   * the wait is given up (the task never runs) and the promise rejects with the signal's reason.
   * A `fast` task may also take one of the reserved slots.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal, fast = false): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running < this.#capacity(fast)) {
      this.#running++;
    } else {
      await new Promise<void>((resolve, reject) => {
        const waiter = {
          fast,
          start: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const i = this.#waiting.indexOf(waiter);
          if (i !== -1) this.#waiting.splice(i, 1);
          reject(signal!.reason);
        };
        this.#waiting.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    try {
      return await task();
    } finally {
      this.#running--;
      this.#drain();
    }
  }

  #capacity(fast: boolean): number {
    return this.#limit + (fast ? this.#reserve : 0);
  }

  /** Starts waiters in order; a fast one may start while an ordinary one ahead of it cannot. */
  #drain(): void {
    for (let i = 0; i < this.#waiting.length; ) {
      const waiter = this.#waiting[i]!;
      if (this.#running < this.#capacity(waiter.fast)) {
        this.#waiting.splice(i, 1);
        this.#running++;
        waiter.start();
      } else if (this.#running >= this.#capacity(true)) {
        return;
      } else {
        i++;
      }
    }
  }
}
