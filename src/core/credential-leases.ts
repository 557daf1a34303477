import type { Credentials } from '../gssapi/credentials.js';
import { callScope } from '../internal/call-scope.js';

/**
 * Another handle on the same credentials (the same ccache, read again): what a first step uses
 * when the shared handle is busy. Reading a ccache needs no KDC exchange.
 */
export type SpareHandle = () => Promise<Credentials>;

/** One first step's use of a credential handle; `release()` once the step is over (idempotent). */
export interface CredentialLease {
  /** The handle to make the context with; null means GSS_C_NO_CREDENTIAL. */
  readonly creds: Credentials | null;
  release(): void;
}

/**
 * Idle spare handles kept per shared handle; more are released as their steps end. A step holds
 * its handle while it waits for a worker thread too, so a burst of N concurrent first steps uses
 * up to N - 1 spares: keeping only 4 made every burst with 16 in flight acquire them again
 * (~870 acquisitions for 4,000 tokens, against 15 with 32 kept). A handle on a ccache costs
 * little memory and no file descriptor.
 */
const MAX_IDLE_SPARES = 32;

interface Pool {
  /** First steps running on the shared handle itself. */
  busy: number;
  /** Spare handles no step uses now. */
  readonly idle: Credentials[];
  /** Spares out with a step. */
  out: number;
}

/**
 * Which credential handles have a first step (`gss_init_sec_context` without a context yet)
 * running on them, and spare handles for the steps that find them busy. MIT krb5 locks a
 * credential handle for the whole of such a call, including the KDC exchange for a service
 * ticket that is not cached yet (`kg_cred_resolve` holds `cred->lock` until the call returns),
 * while the ccache itself is locked only for each read or write. Two requests sharing one handle
 * therefore ran one after the other: measured, a request whose ticket was cached waited 558 ms
 * behind another's TGS exchange with a KDC 300 ms away, 26.7 s behind one that never answered.
 *
 * A step that finds the shared handle busy takes a spare: a handle acquired again from the same
 * ccache (the default one, or the private memory ccache of a password or keytab login), kept for
 * the next such step. Acquiring it is a call expected to need no KDC exchange, so it may take
 * the call limiter's reserved slot (`callScope` `fast`) and does not wait behind calls stuck on
 * a dead KDC. Credentials given by the caller as a `Credentials` object have no known ccache to
 * read again and stay shared.
 *
 * @example
 * ```ts
 * const lease = await leases.take(creds, () => Credentials.acquire({ usage: 'initiate' }));
 * try { await makeContext(lease.creds).step(); } finally { lease.release(); }
 * ```
 */
export class CredentialLeases {
  readonly #pools = new Map<Credentials, Pool>();
  /** Replaced handles: a step that still got one shares it, and no spare is made for it. */
  readonly #retired = new WeakSet<Credentials>();

  /**
   * The handle for one first step: `creds` when no other first step runs on it, else a spare
   * from `spare` (null: none can be made, the step shares `creds`). When a spare cannot be
   * acquired the step shares `creds` too; an abort of `signal` while waiting for a thread for
   * it rejects with the signal's reason.
   */
  async take(
    creds: Credentials | null,
    spare: SpareHandle | null,
    signal?: AbortSignal,
  ): Promise<CredentialLease> {
    if (creds === null) return { creds: null, release() {} };
    const pool = this.#pool(creds);
    if (pool.busy === 0 || spare === null || this.#retired.has(creds)) return this.#shared(creds, pool);
    // Counted out before any wait, so that the pool is not forgotten meanwhile (a spare given
    // back to a forgotten pool would be made again by the next busy moment, and leak).
    pool.out++;
    let handle = pool.idle.pop();
    if (!handle) {
      try {
        handle = await callScope.run({ signal, fast: true }, spare);
      } catch (error) {
        pool.out--;
        if (signal?.aborted) {
          this.#drop(creds, pool);
          throw error;
        }
        // The ccache could not be read again (removed since): wait for the shared handle.
        return this.#shared(creds, pool);
      }
    }
    return this.#spare(creds, pool, handle);
  }

  /**
   * The shared handle was replaced (renewal, expiry, a new default ccache) or disposed: its
   * idle spares are released now, those out with a step when the step ends.
   */
  retire(creds: Credentials | null): void {
    if (creds === null) return;
    this.#retired.add(creds);
    const pool = this.#pools.get(creds);
    if (!pool) return;
    for (const handle of pool.idle.splice(0)) handle.dispose();
    this.#drop(creds, pool);
  }

  /** Retires every shared handle (the auth is disposed). */
  retireAll(): void {
    for (const creds of [...this.#pools.keys()]) this.retire(creds);
  }

  #pool(creds: Credentials): Pool {
    let pool = this.#pools.get(creds);
    if (!pool) {
      pool = { busy: 0, idle: [], out: 0 };
      this.#pools.set(creds, pool);
    }
    return pool;
  }

  #shared(creds: Credentials, pool: Pool): CredentialLease {
    pool.busy++;
    return {
      creds,
      release: once(() => {
        pool.busy--;
        this.#drop(creds, pool);
      }),
    };
  }

  /** A lease of `handle`, a spare already counted in `pool.out`. */
  #spare(creds: Credentials, pool: Pool, handle: Credentials): CredentialLease {
    return {
      creds: handle,
      release: once(() => {
        pool.out--;
        if (this.#retired.has(creds) || pool.idle.length >= MAX_IDLE_SPARES) handle.dispose();
        else pool.idle.push(handle);
        this.#drop(creds, pool);
      }),
    };
  }

  /** Forgets a pool nobody uses: an idle one of a live handle stays for the next busy moment. */
  #drop(creds: Credentials, pool: Pool): void {
    const unused = pool.busy === 0 && pool.out === 0;
    if (unused && (this.#retired.has(creds) || pool.idle.length === 0)) this.#pools.delete(creds);
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
