/**
 * The SPNEGO mechanism-list extension (MIT; Heimdal 7.8 lacks it): which mechanisms SPNEGO may negotiate
 * with a credential (RFC 4178), like python-gssapi's `gssapi/raw/ext_rfc4178.pyx`. Probed at
 * load as `capabilities.setNegMechs`.
 *
 * @module
 */
import { bindExtension } from './bind-functions.js';
import type { CredHandle, Status } from './handles.js';
import { withArenaSync } from './memory.js';

const setNegMechsFn = bindExtension(
  'uint32_t gss_set_neg_mechs(_Out_ uint32_t *minor, void *cred, void *mechs)',
);

/**
 * `gss_set_neg_mechs`: the mechanisms SPNEGO may offer with this credential (RFC 4178).
 *
 * @throws GssapiLibraryError `ERR_GSSAPI_UNSUPPORTED` when the library lacks it.
 *
 * @example
 * ```ts
 * setNegMechs(cred, [krb5MechOid]); // SPNEGO offers Kerberos only, never NTLM
 * ```
 */
export function setNegMechs(cred: CredHandle, mechs: readonly Uint8Array[]): Status {
  const fn = setNegMechsFn();
  return withArenaSync((arena) => {
    const minor = [0];
    const major = fn(minor, cred, arena.oidSet(mechs));
    return { major, minor: minor[0]! };
  });
}
