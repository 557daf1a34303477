import type * as raw from './raw/index.js';

/**
 * Ownership of one GSSAPI handle. `dispose()` releases it at once and exactly once; a
 * FinalizationRegistry releases handles whose owner was garbage-collected without dispose(),
 * as a safety net only (collection timing is unpredictable and may never happen).
 */
type Release = (handle: bigint) => raw.Status;

const registry = new FinalizationRegistry<{ handle: bigint; release: Release }>(({ handle, release }) => {
  live--;
  release(handle);
});

let live = 0;

/** How many GSSAPI handles this process holds now (names, credentials, contexts). For leak tests and diagnostics. */
export function liveHandleCount(): number {
  return live;
}

export class OwnedHandle {
  #handle: bigint;
  readonly #release: Release;
  readonly #token = {};

  constructor(owner: object, handle: bigint, release: Release) {
    this.#handle = handle;
    this.#release = release;
    if (handle !== 0n) {
      live++;
      registry.register(owner, { handle, release }, this.#token);
    }
  }

  get value(): bigint {
    return this.#handle;
  }

  get released(): boolean {
    return this.#handle === 0n;
  }

  /** Takes a new handle value (a context handle can be created by the first step). */
  replace(owner: object, handle: bigint): void {
    if (handle === this.#handle) return;
    this.dispose();
    this.#handle = handle;
    if (handle !== 0n) {
      live++;
      registry.register(owner, { handle, release: this.#release }, this.#token);
    }
  }

  dispose(): void {
    if (this.#handle === 0n) return;
    registry.unregister(this.#token);
    const handle = this.#handle;
    this.#handle = 0n;
    live--;
    this.#release(handle);
  }
}
