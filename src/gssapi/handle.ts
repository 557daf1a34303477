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

/** The handle each Name, Credentials and context object owns, for {@link whileHeld}. */
const byOwner = new WeakMap<object, OwnedHandle>();

/**
 * Runs `call` (a GSSAPI call on a worker thread, which reads the owners' handles) with the
 * handles of `owners` (Names, Credentials; null skipped) held until it settles. A `dispose()`
 * meanwhile (an auth disposed while a call it abandoned still waits for the KDC) makes the
 * object unusable at once but releases its handle only when the last call using it returns:
 * MIT would otherwise free a credential whose lock the running call holds (measured: abort in
 * `k5_mutex_unlock`, or heap corruption found at exit). An owner already disposed is not held:
 * `call` reading its `handle` throws the object's own message.
 *
 * @example
 * ```ts
 * const r = await whileHeld([creds, target], () => raw.initSecContext({ cred: creds.handle, ... }));
 * ```
 */
export async function whileHeld<T>(owners: readonly (object | null)[], call: () => Promise<T>): Promise<T> {
  const holds = owners.map((owner) => (owner === null ? null : (byOwner.get(owner)?.hold() ?? null)));
  try {
    return await call();
  } finally {
    for (const held of holds) held?.();
  }
}

export class OwnedHandle {
  #handle: bigint;
  readonly #release: Release;
  readonly #token = {};
  /** Calls using the handle now (see {@link whileHeld}). */
  #holds = 0;
  /** dispose() ran while held: released when the last hold ends. */
  #disposing = false;

  constructor(owner: object, handle: bigint, release: Release) {
    this.#handle = handle;
    this.#release = release;
    byOwner.set(owner, this);
    if (handle !== 0n) {
      live++;
      registry.register(owner, { handle, release }, this.#token);
    }
  }

  get value(): bigint {
    return this.#handle;
  }

  /** Released, or disposed and waiting for the calls that use it: not to be used any more. */
  get released(): boolean {
    return this.#handle === 0n || this.#disposing;
  }

  /** See {@link whileHeld}: null when already released; else the function ending the hold. */
  hold(): (() => void) | null {
    if (this.released) return null;
    this.#holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#holds--;
      if (this.#holds === 0 && this.#disposing) {
        this.#disposing = false;
        this.#releaseNow();
      }
    };
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
    if (this.released) return;
    registry.unregister(this.#token);
    if (this.#holds > 0) {
      this.#disposing = true;
      return;
    }
    this.#releaseNow();
  }

  #releaseNow(): void {
    const handle = this.#handle;
    this.#handle = 0n;
    live--;
    this.#release(handle);
  }
}
