import type { Credentials } from '../gssapi/credentials.js';

/**
 * Which shared credential handles have a first step (`gss_init_sec_context` without a context
 * yet) running on them. MIT krb5 locks a credential handle for the whole of such a call,
 * including the KDC exchange for a service ticket that is not cached yet (`kg_cred_resolve`
 * holds `cred->lock` until the call returns). Two requests sharing one handle therefore run one
 * after the other: measured, a request whose ticket was cached waited 558 ms behind another's
 * TGS exchange with a KDC 300 ms away, 26.7 s behind one that never answered.
 *
 * A request that finds the handle busy uses its own instead: for the default credentials that is
 * `GSS_C_NO_CREDENTIAL` (null), with which MIT acquires fresh credentials from the same default
 * ccache inside the call (~0.2 ms more, docs/benchmarks.md) under no shared lock. Credentials
 * given by the caller or logged in from a description have no such equivalent and stay shared.
 *
 * @example
 * ```ts
 * const lease = leases.take(creds, source.isDefault(creds));
 * try { await ctx.step(); } finally { lease.release(); }
 * ```
 */
export class CredentialLeases {
  readonly #busy = new Map<Credentials, number>();

  /**
   * The handle for one first step: `creds` when no other first step runs on it (or it cannot be
   * replaced), else null (the library's default credentials, acquired inside the call).
   * `release()` once the step is over (idempotent).
   */
  take(
    creds: Credentials | null,
    replaceable: boolean,
  ): { readonly creds: Credentials | null; release(): void } {
    if (creds === null) return { creds: null, release() {} };
    const count = this.#busy.get(creds) ?? 0;
    if (count > 0 && replaceable) return { creds: null, release() {} };
    this.#busy.set(creds, count + 1);
    let released = false;
    return {
      creds,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#busy.get(creds) ?? 1) - 1;
        if (left > 0) this.#busy.set(creds, left);
        else this.#busy.delete(creds);
      },
    };
  }
}
