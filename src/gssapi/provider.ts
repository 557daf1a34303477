/**
 * Which provider stands behind the `gssapi` layer, chosen once per process: the C GSSAPI (MIT
 * krb5 or Heimdal, `gss/` over `raw/`) or Windows SSPI (secur32.dll, `sspi/` over `sspi/raw/`).
 * Both implement one interface (`provider-types.ts`); `Name`, `Credentials` and
 * `SecurityContext` delegate to the one chosen here, and the client asks for capabilities by
 * name ({@link providerCapabilities}), never for the provider.
 *
 * @module
 */
import { gssProvider } from './gss/gss-provider.js';
import type { GssapiProviderKind, Provider, ProviderCapabilities } from './provider-types.js';
import { GssapiLibraryError } from './raw/library.js';
import { sspiProvider } from './sspi/sspi-provider.js';

export type { GssapiProviderKind, ProviderCapabilities } from './provider-types.js';

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
 * The implementation of the provider in use (see {@link gssapiProvider}), for the classes of
 * this layer.
 *
 * @example
 * ```ts
 * const name = activeProvider().importName('HTTP@web.example.org', NameType.hostbasedService);
 * ```
 */
export function activeProvider(): Provider {
  return gssapiProvider() === 'sspi' ? sspiProvider : gssProvider;
}

/**
 * What the provider in use can do (see {@link ProviderCapabilities}); for the GSSAPI provider,
 * the library loaded (probed once, see `GssapiLibraryInfo.capabilities`).
 *
 * @throws {GssapiLibraryError} when no GSSAPI library can be loaded.
 * @example
 * ```ts
 * import { providerCapabilities } from 'http-gssapi/gssapi';
 * console.log(providerCapabilities().limitMechsAfterAcquisition); // true with MIT, false with Heimdal 7
 * ```
 */
export function providerCapabilities(): ProviderCapabilities {
  return activeProvider().capabilities;
}

/**
 * For a failed login that the provider reports without saying why (Wine's Kerberos package),
 * the words that say so; else null, and the KDC's code says why.
 *
 * @example
 * ```ts
 * const unexplained = unexplainedLoginFailure(error); // "Wine's Kerberos package, which does not say why"
 * ```
 */
export function unexplainedLoginFailure(error: unknown): string | null {
  // Asked of each provider: only the one that raised an error recognizes it (an SSPIError is
  // the SSPI provider's), whichever is in use.
  return sspiProvider.unexplainedLoginFailure(error) ?? gssProvider.unexplainedLoginFailure(error);
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
  activeProvider().checkCredentialSources(sources);
}
