/**
 * How long after a token was made for a target the next one is expected to find the service
 * ticket in the ccache: well inside any ticket lifetime (MIT's default is a day, AD's 10 hours).
 */
const RECENT_MS = 5 * 60_000;

/** At most this many targets are remembered per auth (the oldest is forgotten first). */
const MAX_TARGETS = 1024;

/**
 * The targets (`HTTP@host`) this auth made a first token for recently, whose service ticket is
 * therefore expected in the ccache: their next first step needs no KDC exchange, and may take
 * the call limiter's reserved slot instead of queueing behind calls that wait for a slow or dead
 * KDC. A guess, never a promise: a target whose step fails is forgotten.
 *
 * @example
 * ```ts
 * const fast = recent.has(target);
 * await ctx.step();
 * recent.record(target);
 * ```
 */
export class RecentTickets {
  readonly #until = new Map<string, number>();

  has(target: string): boolean {
    const until = this.#until.get(target);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.#until.delete(target);
    return false;
  }

  /** After a successful first step: the ticket is in the ccache now. */
  record(target: string): void {
    this.#until.delete(target);
    this.#until.set(target, Date.now() + RECENT_MS);
    if (this.#until.size > MAX_TARGETS) this.#until.delete(this.#until.keys().next().value!);
  }

  /** After a failed first step: the ticket may not be there. */
  forget(target: string): void {
    this.#until.delete(target);
  }
}
