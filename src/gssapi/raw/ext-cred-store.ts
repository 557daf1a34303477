/**
 * The credential store extension (MIT 1.11+; Debian 12's Heimdal 7.8 exports neither half): acquiring
 * credentials from, and storing them into, a named ccache or keytab instead of the process
 * defaults, like python-gssapi's `gssapi/raw/ext_cred_store.pyx`. Store keys are MIT's:
 * `ccache`, `client_keytab`, `keytab`, ... Probed at load as `capabilities.acquireCredFrom` and
 * `capabilities.storeCredInto`.
 *
 * @module
 */
import { bindExtension } from './bind-functions.js';
import { callAsync } from './call-limiter.js';
import { type AcquireCredInput, type AcquireCredResult, acquireWith } from './creds.js';
import type { CredHandle, Status } from './handles.js';
import { takeOidSet } from './library-memory.js';
import { nativeOid, withArena } from './memory.js';

const acquireCredFromFn = bindExtension(
  'uint32_t gss_acquire_cred_from(_Out_ uint32_t *minor, void *name, uint32_t time, void *mechs, int usage, void *store, _Out_ void **cred, _Out_ void **actual, _Out_ uint32_t *rec)',
);
const storeCredIntoFn = bindExtension(
  'uint32_t gss_store_cred_into(_Out_ uint32_t *minor, void *cred, int usage, void *mech, uint32_t overwrite, uint32_t dflt, void *store, _Out_ void **stored, _Out_ int *usage_stored)',
);

/**
 * `gss_acquire_cred_from` (MIT credential store extension: `ccache`, `client_keytab`, `keytab`, ...).
 *
 * @throws GssapiLibraryError `ERR_GSSAPI_UNSUPPORTED` when the library lacks it.
 *
 * @example
 * ```ts
 * const { cred } = await acquireCredFrom({ name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.ACCEPT, store: { keytab: '/etc/http.keytab' } });
 * ```
 */
export function acquireCredFrom(
  input: AcquireCredInput & { readonly store: Readonly<Record<string, string>> },
): Promise<AcquireCredResult> {
  const fn = acquireCredFromFn();
  return withArena((arena) =>
    acquireWith(fn, [
      input.name,
      input.lifetime >>> 0,
      arena.oidSet(input.mechs),
      input.usage,
      arena.keyValueSet(input.store),
    ]),
  );
}

/**
 * `gss_store_cred_into`: writes (e.g. delegated) credentials to a ccache named in `store`.
 *
 * @throws GssapiLibraryError `ERR_GSSAPI_UNSUPPORTED` when the library lacks it.
 *
 * @example
 * ```ts
 * await storeCredInto({ cred: delegatedCred, usage: CredUsage.INITIATE, mech: null, overwrite: true, defaultCred: false, store: { ccache: 'FILE:/tmp/delegated' } });
 * ```
 */
export function storeCredInto(input: {
  readonly cred: CredHandle;
  readonly usage: number;
  readonly mech: Uint8Array | null;
  readonly overwrite: boolean;
  readonly defaultCred: boolean;
  readonly store: Readonly<Record<string, string>>;
}): Promise<Status & { readonly mechs: Uint8Array[]; readonly usage: number }> {
  const fn = storeCredIntoFn();
  return withArena(async (arena) => {
    const minor = [0];
    const stored = [0n];
    const usage = [0];
    const major = await callAsync(fn, [
      minor,
      input.cred,
      input.usage,
      input.mech ? nativeOid(input.mech) : 0n,
      input.overwrite ? 1 : 0,
      input.defaultCred ? 1 : 0,
      arena.keyValueSet(input.store),
      stored,
      usage,
    ]);
    return { major, minor: minor[0]!, mechs: takeOidSet(stored[0] ?? 0n), usage: usage[0]! };
  });
}
