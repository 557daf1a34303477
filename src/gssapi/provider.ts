/**
 * Which implementation stands behind the `gssapi` layer, chosen once per process: the C GSSAPI
 * (MIT krb5 or Heimdal, through `raw/`) or Windows SSPI (secur32.dll, through `sspi/raw/`).
 * Everything that differs between them (name forms, credential sources, status codes, context
 * attributes, delegation flags) is decided by the classes of this layer from this choice; the
 * client flow and the adapters never ask.
 *
 * @module
 */
import { GssapiLibraryError, loadGssapiLibrary } from './raw/library.js';
import { refuseStore } from './sspi/sspi-credentials.js';

/**
 * A provider: `'gssapi'` (MIT, Heimdal, or the library HTTP_GSSAPI_LIBRARY names) or `'sspi'`
 * (Windows secur32.dll).
 *
 * @example
 * ```ts
 * const kind: GssapiProviderKind = process.platform === 'win32' ? 'sspi' : 'gssapi';
 * ```
 */
export type GssapiProviderKind = 'gssapi' | 'sspi';

const KINDS: readonly GssapiProviderKind[] = ['gssapi', 'sspi'];

let chosen: GssapiProviderKind | undefined;
let used = false;

function fromEnvironment(): GssapiProviderKind {
  const value = process.env['HTTP_GSSAPI_PROVIDER']?.trim().toLowerCase();
  if (!value) return process.platform === 'win32' ? 'sspi' : 'gssapi';
  if ((KINDS as readonly string[]).includes(value)) return value as GssapiProviderKind;
  throw new GssapiLibraryError(
    'ERR_GSSAPI_UNSUPPORTED',
    `HTTP_GSSAPI_PROVIDER is ${JSON.stringify(value)}; it must be 'gssapi' or 'sspi'`,
    "unset it to get the platform's default (sspi on Windows, gssapi elsewhere)",
  );
}

/**
 * The provider in use: the one {@link selectGssapiProvider} chose, else `HTTP_GSSAPI_PROVIDER`,
 * else `sspi` on Windows and `gssapi` elsewhere. Fixed by the first call.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` when HTTP_GSSAPI_PROVIDER names no provider.
 * @example
 * ```ts
 * import { gssapiProvider } from 'http-gssapi/gssapi';
 * console.log(gssapiProvider()); // 'sspi' on Windows
 * ```
 */
export function gssapiProvider(): GssapiProviderKind {
  chosen ??= fromEnvironment();
  used = true;
  return chosen;
}

/**
 * Chooses the provider explicitly, before any Name, Credentials or SecurityContext is made (a
 * name or a handle of one provider means nothing to the other). Choosing the one already in use
 * again is allowed.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` when another provider is already in use.
 * @example
 * ```ts
 * import { selectGssapiProvider } from 'http-gssapi/gssapi';
 * selectGssapiProvider('gssapi'); // MIT Kerberos for Windows instead of SSPI
 * ```
 */
export function selectGssapiProvider(kind: GssapiProviderKind): void {
  if (!KINDS.includes(kind)) throw new TypeError(`provider must be 'gssapi' or 'sspi', got ${String(kind)}`);
  if (used && chosen !== kind) {
    throw new GssapiLibraryError(
      'ERR_GSSAPI_UNSUPPORTED',
      `the ${chosen} provider is already in use; choose the provider before making any Name, Credentials or SecurityContext`,
    );
  }
  chosen = kind;
}

/**
 * What the provider in use can do, asked by name by the few callers (the client's credential
 * source and mechanism policy) that must adapt without knowing which provider they have.
 *
 * @example
 * ```ts
 * if (providerCapabilities().limitMechsAfterAcquisition) creds.setNegotiableMechs([OID.KRB5]);
 * ```
 */
export interface ProviderCapabilities {
  /**
   * An acquired credential handle can be limited to some mechanisms for SPNEGO
   * (`gss_set_neg_mechs`, RFC 4178 section 3): MIT. Without it the limit is taken at acquisition
   * ({@link limitMechsAtAcquisition}) and the NTLM token check is the guard for credentials
   * acquired without it.
   */
  readonly limitMechsAfterAcquisition: boolean;
  /**
   * The limit is taken when credentials are acquired (`negotiableMechs` of
   * `Credentials.acquire`): SSPI's Negotiate package list, or, for a GSSAPI library without
   * `gss_set_neg_mechs` (Heimdal 7), the desired mechanisms, which Heimdal's SPNEGO offers and
   * nothing else (measured with 7.8: with an NTLM user file, the default credentials get an NTLM
   * element, credentials acquired for SPNEGO and Kerberos do not).
   */
  readonly limitMechsAtAcquisition: boolean;
  /**
   * A password login is done once per mechanism asked for (MIT's
   * gss_acquire_cred_with_password): the client logs in for Kerberos alone, into a memory
   * ccache. Else the provider logs in once whatever the mechanisms.
   */
  readonly loginPerMechanism: boolean;
  /**
   * Credentials come from a ccache (which can be read again into a second handle) and can be
   * got from a client keytab. SSPI has neither: Windows keeps tickets in the logon session.
   */
  readonly ccacheAndKeytab: boolean;
  /**
   * A refused password login shows at the first context step (Windows logs in inside the first
   * InitializeSecurityContextW), not only at the acquisition.
   */
  readonly refusalAtFirstStep: boolean;
}

const SSPI_CAPABILITIES: ProviderCapabilities = Object.freeze({
  limitMechsAfterAcquisition: false,
  // SSPI's Negotiate takes its package list in AcquireCredentialsHandleW only.
  limitMechsAtAcquisition: true,
  // SSPI only records the identity and logs in when a context first needs a ticket (Wine: in
  // the acquisition), once whatever the packages.
  loginPerMechanism: false,
  ccacheAndKeytab: false,
  refusalAtFirstStep: true,
});

let gssCapabilities: ProviderCapabilities | undefined;

/**
 * The capabilities of the provider in use; for the GSSAPI provider, of the library loaded
 * (probed once, see `GssapiLibraryInfo.capabilities`).
 *
 * @throws {GssapiLibraryError} when no GSSAPI library can be loaded.
 * @example
 * ```ts
 * import { providerCapabilities } from 'http-gssapi/gssapi';
 * console.log(providerCapabilities().limitMechsAfterAcquisition); // true with MIT, false with Heimdal 7
 * ```
 */
export function providerCapabilities(): ProviderCapabilities {
  if (gssapiProvider() === 'sspi') return SSPI_CAPABILITIES;
  gssCapabilities ??= gssLibraryCapabilities(loadGssapiLibrary().info.capabilities.setNegMechs);
  return gssCapabilities;
}

/** A GSSAPI library's capabilities, given whether it exports `gss_set_neg_mechs`. */
export function gssLibraryCapabilities(setNegMechs: boolean): ProviderCapabilities {
  return Object.freeze({
    limitMechsAfterAcquisition: setNegMechs,
    limitMechsAtAcquisition: !setNegMechs,
    loginPerMechanism: true,
    ccacheAndKeytab: true,
    refusalAtFirstStep: false,
  });
}

/**
 * Checks, when a client is configured, that the provider can use the credential sources named
 * (SSPI has no ccache and cannot log in from a keytab), so that the mistake is an error at
 * construction rather than a 401 on every request.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` naming the option.
 * @example
 * ```ts
 * checkCredentialSources({ keytab: '/etc/app.keytab' }); // throws on Windows (SSPI)
 * ```
 */
export function checkCredentialSources(sources: {
  readonly ccache?: string;
  readonly keytab?: string;
}): void {
  if (gssapiProvider() !== 'sspi') return;
  if (sources.keytab !== undefined) refuseStore({ client_keytab: sources.keytab }, 'creds.keytab');
  if (sources.ccache !== undefined) refuseStore({ ccache: sources.ccache }, 'creds.ccache');
}
