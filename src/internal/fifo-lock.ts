/**
 * A FIFO mutex whose waiters can give up: connection-bound mode holds one per origin, from the
 * first token of a handshake to its final response, so the legs of two handshakes never
 * interleave on the origin's dedicated connection; an aborted request stops waiting.
 *
 * @example
 * ```ts
 * const lock = new FifoLock();
 * const release = await lock.acquire(abortedPromise);
 * try { await handshake(); } finally { release(); }
 * ```
 */
export class FifoLock {
  #held = false;
  readonly #waiters: (() => void)[] = [];

  /**
   * Resolves with the release function once the lock is ours (call it once; later calls do
   * nothing). When `cancelled` settles first, the wait is given up and rejects with its value.
   */
  acquire(cancelled: Promise<unknown>): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const next = this.#waiters.shift();
        if (next) next();
        else this.#held = false;
      };
      const grant = () => resolve(release);
      if (!this.#held) {
        this.#held = true;
        grant();
        return;
      }
      this.#waiters.push(grant);
      cancelled.then(
        (reason) => {
          const i = this.#waiters.indexOf(grant);
          if (i !== -1) {
            this.#waiters.splice(i, 1);
            reject(reason);
          }
        },
        () => {},
      );
    });
  }
}
