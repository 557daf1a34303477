/**
 * The acceptor-identity extension (Heimdal `gsskrb5_register_acceptor_identity`, also exported
 * by Heimdal and MIT as `krb5_gss_register_acceptor_identity`): names the keytab that acceptor
 * credentials are read from, for the whole process. A library without `gss_acquire_cred_from`
 * (Heimdal 7) has no other way to accept with a keytab of the caller's choosing. Probed at load
 * as `capabilities.registerAcceptorIdentity`.
 *
 * @module
 */
import { bindExtension } from './bind-functions.js';
import { callAsync } from './call-limiter.js';
import { GssapiLibraryError } from './library.js';

const heimdalSpelling = bindExtension('uint32_t gsskrb5_register_acceptor_identity(const char *keytab)');
const mitSpelling = bindExtension('uint32_t krb5_gss_register_acceptor_identity(const char *keytab)');

/**
 * `gsskrb5_register_acceptor_identity` (or MIT's spelling): from now on, acceptor credentials
 * that name no keytab of their own, in this whole process, come from `keytab`. Returns the major
 * status, with no minor code: Heimdal 7.8 returns `GSS_S_FAILURE` for a keytab that is missing
 * or holds no key (measured) and nothing that says why. There is no way back to the default
 * keytab: Heimdal's entry point takes `strlen` of its argument, so NULL is not an option. Runs
 * off the event loop (Heimdal opens the keytab to check it has keys).
 *
 * @throws GssapiLibraryError `ERR_GSSAPI_UNSUPPORTED` when the library exports neither spelling.
 *
 * @example
 * ```ts
 * const major = await registerAcceptorIdentity('/etc/http.keytab');
 * if (!isError(major)) await acquireCred({ name: NO_NAME, lifetime: INDEFINITE, mechs: null, usage: CredUsage.ACCEPT });
 * ```
 */
export function registerAcceptorIdentity(keytab: string): Promise<number> {
  let fn: ReturnType<typeof heimdalSpelling>;
  try {
    fn = heimdalSpelling();
  } catch (error) {
    if (!(error instanceof GssapiLibraryError)) throw error;
    fn = mitSpelling();
  }
  return callAsync(fn, [keytab]);
}
