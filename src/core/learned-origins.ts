/** Origins remembered for learned preemption; a bounded set so a crawler cannot grow it forever. */
const MAX_LEARNED_ORIGINS = 1024;

/**
 * The origins that answered with a Negotiate challenge, so later requests to them carry a token
 * up front (learned preemption, `learnedPreemption`: a round trip saved per request). Bounded:
 * the oldest origin is forgotten first.
 *
 * @example
 * ```ts
 * const learned = new LearnedOrigins(true);
 * learned.learn('https://intranet.example.org');
 * learned.has('https://intranet.example.org'); // true
 * ```
 */
export class LearnedOrigins {
  readonly #enabled: boolean;
  readonly #origins = new Set<string>();

  /** @param enabled - false makes this a set that learns nothing. */
  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  has(origin: string): boolean {
    return this.#origins.has(origin);
  }

  /** Remembers that `origin` asked for Negotiate. */
  learn(origin: string): void {
    if (!this.#enabled || this.#origins.has(origin)) return;
    if (this.#origins.size >= MAX_LEARNED_ORIGINS) this.#origins.delete(this.#origins.values().next().value!);
    this.#origins.add(origin);
  }

  clear(): void {
    this.#origins.clear();
  }
}
