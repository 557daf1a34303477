/**
 * Credentials (RFC 2743 section 2.1, RFC 2744 section 5): the calls every GSSAPI library has,
 * like python-gssapi's `gssapi/raw/creds.pyx`. The extensions that acquire from a credential
 * store or a password are in `ext-cred-store.ts` and `ext-password.ts`.
 *
 * @module
 */
import { bindFunctions } from './bind-functions.js';
import { callAsync, type GssFunction } from './call-limiter.js';
import type { CredHandle, NameHandle, Status } from './handles.js';
import { takeOidSet } from './library-memory.js';
import { withArena } from './memory.js';

const functions = bindFunctions({
  acquire_cred:
    'uint32_t gss_acquire_cred(_Out_ uint32_t *minor, void *name, uint32_t time, void *mechs, int usage, _Out_ void **cred, _Out_ void **actual, _Out_ uint32_t *rec)',
  inquire_cred:
    'uint32_t gss_inquire_cred(_Out_ uint32_t *minor, void *cred, _Out_ void **name, _Out_ uint32_t *lifetime, _Out_ int *usage, _Out_ void **mechs)',
  release_cred: 'uint32_t gss_release_cred(_Out_ uint32_t *minor, _Inout_ void **cred)',
});

/**
 * What every credential acquisition takes. `mechs` null means `GSS_C_NO_OID_SET`.
 *
 * @example
 * ```ts
 * const input: AcquireCredInput = { name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.INITIATE };
 * ```
 */
export interface AcquireCredInput {
  readonly name: NameHandle;
  /** Seconds; `INDEFINITE` for no limit. */
  readonly lifetime: number;
  readonly mechs: readonly Uint8Array[] | null;
  /** `CredUsage.*`. */
  readonly usage: number;
}

/**
 * What every credential acquisition returns.
 *
 * @example
 * ```ts
 * const { major, cred, lifetime }: AcquireCredResult = await acquireCred(input);
 * ```
 */
export type AcquireCredResult = Status & {
  readonly cred: CredHandle;
  readonly mechs: Uint8Array[];
  readonly lifetime: number;
};

/**
 * Runs one of the acquire calls, whose C signatures differ only in the inputs after `minor`:
 * all end with the same three outputs (credential, actual mechanisms, time received).
 * Internal: the extension modules use it; not exported from `http-gssapi/gssapi/raw`.
 *
 * @example
 * ```ts
 * return acquireWith(fn, [input.name, input.lifetime >>> 0, arena.oidSet(input.mechs), input.usage]);
 * ```
 */
export async function acquireWith(fn: GssFunction, inputs: unknown[]): Promise<AcquireCredResult> {
  const minor = [0];
  const cred = [0n];
  const actual = [0n];
  const rec = [0];
  const major = await callAsync(fn, [minor, ...inputs, cred, actual, rec]);
  return {
    major,
    minor: minor[0]!,
    cred: (cred[0] ?? 0n) as CredHandle,
    mechs: takeOidSet(actual[0] ?? 0n),
    lifetime: rec[0]!,
  };
}

/**
 * `gss_acquire_cred`.
 *
 * @example
 * ```ts
 * const { major, cred } = await acquireCred({ name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.INITIATE });
 * ```
 */
export function acquireCred(input: AcquireCredInput): Promise<AcquireCredResult> {
  return withArena((arena) =>
    acquireWith(functions().acquire_cred, [
      input.name,
      input.lifetime >>> 0,
      arena.oidSet(input.mechs),
      input.usage,
    ]),
  );
}

/**
 * `gss_inquire_cred` (async: it may read a ccache or keytab from disk).
 *
 * @example
 * ```ts
 * const { name, lifetime } = await inquireCred(cred); // release `name` with releaseName
 * ```
 */
export async function inquireCred(cred: CredHandle): Promise<
  Status & {
    readonly name: NameHandle;
    readonly lifetime: number;
    readonly usage: number;
    readonly mechs: Uint8Array[];
  }
> {
  const minor = [0];
  const name = [0n];
  const lifetime = [0];
  const usage = [0];
  const mechs = [0n];
  const major = await callAsync(functions().inquire_cred, [minor, cred, name, lifetime, usage, mechs]);
  return {
    major,
    minor: minor[0]!,
    name: (name[0] ?? 0n) as NameHandle,
    lifetime: lifetime[0]!,
    usage: usage[0]!,
    mechs: takeOidSet(mechs[0] ?? 0n),
  };
}

/**
 * `gss_release_cred`.
 *
 * @example
 * ```ts
 * releaseCred(cred);
 * ```
 */
export function releaseCred(cred: CredHandle): Status {
  const minor = [0];
  const major = functions().release_cred(minor, [cred]);
  return { major, minor: minor[0]! };
}
