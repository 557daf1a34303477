/**
 * The C GSSAPI provider (MIT krb5, Heimdal, or the library HTTP_GSSAPI_LIBRARY names) behind the
 * interface of `provider-types.ts`. Its capabilities depend on the library loaded: MIT limits a
 * handle with `gss_set_neg_mechs`, Heimdal 7 has no such call and takes the limit at acquisition.
 *
 * @module
 */
import type { Provider, ProviderCapabilities } from '../provider-types.js';
import { loadGssapiLibrary } from '../raw/library.js';
import { GssContext } from './gss-context.js';
import { acquireGssCredentials, gssPasswordLogin } from './gss-credentials.js';
import { GssName } from './gss-name.js';

/**
 * A GSSAPI library's capabilities, given whether it exports `gss_set_neg_mechs`.
 *
 * @example
 * ```ts
 * gssLibraryCapabilities(false).limitMechsAtAcquisition; // true (Heimdal 7)
 * ```
 */
export function gssLibraryCapabilities(setNegMechs: boolean): ProviderCapabilities {
  return Object.freeze({
    limitMechsAfterAcquisition: setNegMechs,
    limitMechsAtAcquisition: !setNegMechs,
    // MIT's gss_acquire_cred_with_password logs in once per mechanism asked for.
    loginPerMechanism: true,
    ccacheAndKeytab: true,
    refusalAtFirstStep: false,
  });
}

let capabilities: ProviderCapabilities | undefined;

/**
 * The C GSSAPI provider; the library is loaded when first used (its capabilities, names,
 * credentials or contexts).
 *
 * @example
 * ```ts
 * const name = gssProvider.importName('HTTP@web.example.org', NameType.hostbasedService);
 * ```
 */
export const gssProvider: Provider = {
  kind: 'gssapi',
  get capabilities() {
    capabilities ??= gssLibraryCapabilities(loadGssapiLibrary().info.capabilities.setNegMechs);
    return capabilities;
  },
  importName: (value, type) => GssName.import(value, type),
  acquire: acquireGssCredentials,
  withPassword: gssPasswordLogin,
  initiator: (input) => GssContext.initiator(input),
  acceptor: (input) => GssContext.acceptor(input),
  // The KDC's own codes say why a login failed (see core/login-refusal.ts).
  unexplainedLoginFailure: () => null,
  // Every credential source exists; a missing extension is an error where it is used.
  checkCredentialSources: () => {},
};
