/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order.
 * Blocking GSSAPI calls run on libuv's thread pool (4 threads by default), which fs, dns.lookup
 * and zlib share; a KDC that times out would otherwise hold every thread for seconds.
 */
export class AsyncLimiter {
  #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = AsyncLimiter.#check(limit);
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
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running >= this.#limit) {
      await new Promise<void>((resolve, reject) => {
        const waiter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.#waiting.indexOf(waiter);
          if (i !== -1) this.#waiting.splice(i, 1);
          reject(signal!.reason);
        };
        this.#waiting.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      this.#running--;
      this.#drain();
    }
  }

  #drain(): void {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      this.#running++;
      this.#waiting.shift()!();
    }
  }
}
