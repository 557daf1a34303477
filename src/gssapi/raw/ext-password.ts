/**
 * The password extension (MIT, Heimdal): acquiring an initiator credential from a password
 * instead of a ccache, like python-gssapi's `gssapi/raw/ext_password.pyx`. Probed at load as
 * `capabilities.acquireCredWithPassword`.
 *
 * @module
 */
import { bindExtension } from './bind-functions.js';
import { type AcquireCredInput, type AcquireCredResult, acquireWith } from './creds.js';
import { withArena } from './memory.js';

const acquireCredWithPasswordFn = bindExtension(
  'uint32_t gss_acquire_cred_with_password(_Out_ uint32_t *minor, void *name, void *password, uint32_t time, void *mechs, int usage, _Out_ void **cred, _Out_ void **actual, _Out_ uint32_t *rec)',
);

/**
 * `gss_acquire_cred_with_password`. The password is copied to native memory and wiped after.
 *
 * @throws GssapiLibraryError `ERR_GSSAPI_UNSUPPORTED` when the library lacks it.
 *
 * @example
 * ```ts
 * const { cred } = await acquireCredWithPassword({ name: user, password: new TextEncoder().encode(pw), lifetime: INDEFINITE, mechs: null, usage: CredUsage.INITIATE });
 * ```
 */
export function acquireCredWithPassword(
  input: AcquireCredInput & { readonly password: Uint8Array },
): Promise<AcquireCredResult> {
  const fn = acquireCredWithPasswordFn();
  return withArena((arena) =>
    acquireWith(fn, [
      input.name,
      arena.buffer(input.password),
      input.lifetime >>> 0,
      arena.oidSet(input.mechs),
      input.usage,
    ]),
  );
}
