/**
 * Races asynchronous steps against an abort that may come at any time: once {@link AbortRace.abort}
 * is called, every pending and later {@link AbortRace.run} rejects with the reason, and what an
 * abandoned step still produces is handed to its `late` callback to be released (a lock granted
 * after all, a stream buffered after all).
 *
 * @example
 * ```ts
 * const race = new AbortRace();
 * signal.addEventListener('abort', () => race.abort(signal.reason));
 * const release = await race.run(lock.acquire(race.aborted), (late) => late());
 * ```
 */
export class AbortRace {
  /** Settles with the reason once aborted; never rejects. */
  readonly aborted: Promise<Error>;
  /** Aborts with the same reason, for work that takes a signal (the Negotiate flow's GSSAPI calls). */
  readonly signal: AbortSignal;
  #abort!: (reason: Error) => void;
  readonly #controller = new AbortController();

  constructor() {
    this.aborted = new Promise((resolve) => {
      this.#abort = resolve;
    });
    this.signal = this.#controller.signal;
  }

  abort(reason: Error): void {
    this.#abort(reason);
    this.#controller.abort(reason);
  }

  /** Resolves with `work`, or rejects with the abort reason if that comes first. */
  run<T>(work: Promise<T>, late?: (value: T) => void): Promise<T> {
    return Promise.race([
      work,
      this.aborted.then((reason) => {
        work.then(
          (value) => late?.(value),
          () => {},
        );
        throw reason;
      }),
    ]);
  }
}
