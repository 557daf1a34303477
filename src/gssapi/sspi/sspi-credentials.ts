/**
 * Credentials of the SSPI provider: a credential handle of one package, for the logged-on user
 * (no ticket cache to name: Windows holds the logon session's tickets) or for an explicit
 * identity (SEC_WINNT_AUTH_IDENTITY_W). What GSSAPI credential stores name (a ccache, a keytab)
 * has no SSPI counterpart and is a coded error rather than something silently ignored.
 *
 * @module
 */
import { OID } from '../oid.js';
import { GssapiLibraryError } from '../raw/library.js';
import { CredentialUse, isSecError } from './raw/constants.js';
import { acquireCredentialsHandle, freeCredentialsHandle } from './raw/credentials.js';
import type { SspiHandle } from './raw/handles.js';
import { SSPIError } from './sspi-error.js';
import { sspiUserAndDomain } from './sspi-names.js';
import { type SspiPackage, sspiPackageFor } from './sspi-packages.js';

/** What the typed `Credentials` keeps of an SSPI credential handle. */
export interface SspiCredentialRecord {
  readonly handle: SspiHandle;
  readonly packageName: SspiPackage;
  /** True for the logged-on user's credentials, which serve every package (a context acquires its own). */
  readonly currentUser: boolean;
  /** Mechanisms these credentials serve. */
  readonly mechs: readonly OID[];
  /** Seconds until the handle's expiry as the package reported it; null when unlimited or unknown. */
  readonly lifetime: number | null;
}

/** FILETIME of 1970-01-01 (100 ns ticks since 1601). */
const UNIX_EPOCH_FILETIME = 116444736000000000n;

/**
 * Seconds from now until a FILETIME; null for "never" (Windows reports 0x7FFFFFFFFFFFFFFF, or
 * nothing) and for times already past the year 30828.
 *
 * @example
 * ```ts
 * secondsUntil(0x7fffffffffffffffn); // null
 * ```
 */
export function secondsUntil(filetime: bigint, nowMs: number = Date.now()): number | null {
  if (filetime <= 0n || filetime >= 0x7fffffffffffffffn - 1n) return null;
  const ms = Number((filetime - UNIX_EPOCH_FILETIME) / 10000n);
  return Math.max(0, Math.floor((ms - nowMs) / 1000));
}

/** Keys of a GSSAPI credential store that SSPI cannot honour, with why. */
const STORE_KEYS: Readonly<Record<string, string>> = {
  ccache: 'SSPI keeps tickets in the logon session, not in a credential cache',
  client_keytab: 'SSPI cannot log in from a keytab',
  keytab: 'SSPI cannot read a keytab',
  rcache: 'SSPI has no replay cache option',
};

/**
 * Throws for any credential store option: SSPI has no ccache, keytab or replay cache to point at.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` naming the first key (or `label`).
 * @example
 * ```ts
 * refuseStore({ ccache: 'FILE:/tmp/cc' }); // throws
 * ```
 */
export function refuseStore(
  store: Readonly<Record<string, string | undefined>> | null | undefined,
  label?: string,
): void {
  if (store == null) return;
  const key = Object.keys(store).find((k) => store[k] !== undefined);
  if (key === undefined) return;
  throw new GssapiLibraryError(
    'ERR_GSSAPI_UNSUPPORTED',
    `the SSPI provider cannot use ${label ?? `store.${key}`}: ${STORE_KEYS[key] ?? 'SSPI has no credential store'}`,
    "on Windows pass no store (the logged-on user's tickets) or a principal and password; " +
      'to use MIT Kerberos for Windows instead, set HTTP_GSSAPI_PROVIDER=gssapi and HTTP_GSSAPI_LIBRARY',
  );
}

/**
 * The package for the mechanisms asked for: SPNEGO (or none) is Negotiate, which includes
 * Kerberos; otherwise the first mechanism's package.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` for a mechanism SSPI has no package for.
 * @example
 * ```ts
 * packageForMechs([OID.KRB5]); // 'Kerberos'
 * ```
 */
export function packageForMechs(mechs: readonly OID[] | null | undefined): SspiPackage {
  if (mechs == null || mechs.length === 0) return 'Negotiate';
  if (mechs.some((m) => m.equals(OID.SPNEGO))) return 'Negotiate';
  const packages = mechs.map((m) => sspiPackageFor(m));
  return packages[0]!;
}

/**
 * Acquires an outbound credential handle (AcquireCredentialsHandleW), off the event loop.
 *
 * @throws {SSPIError} when the package refuses (SEC_E_NO_CREDENTIALS, SEC_E_SECPKG_NOT_FOUND, ...).
 * @example
 * ```ts
 * const record = await acquireSspiCredentials({ principal: null, password: null, mechs: null });
 * ```
 */
export async function acquireSspiCredentials(input: {
  readonly principal: string | null;
  readonly password: string | null;
  readonly mechs: readonly OID[] | null | undefined;
}): Promise<SspiCredentialRecord> {
  const packageName = packageForMechs(input.mechs);
  const identity =
    input.password !== null && input.principal !== null
      ? { ...sspiUserAndDomain(input.principal), password: input.password }
      : null;
  const r = await acquireCredentialsHandle({
    principal: identity ? null : input.principal,
    packageName,
    use: CredentialUse.OUTBOUND,
    identity,
  });
  if (isSecError(r.status)) {
    throw new SSPIError('AcquireCredentialsHandleW', r.status, {
      context: `${packageName} for ${input.principal ?? 'the logged-on user'}`,
    });
  }
  const currentUser = identity === null && input.principal === null;
  // The logged-on user's credentials serve both mechanisms (a context whose package differs
  // acquires its own handle); an explicit identity serves the package it was acquired for.
  const mechs = currentUser
    ? [OID.SPNEGO, OID.KRB5]
    : packageName === 'Negotiate'
      ? [OID.SPNEGO]
      : packageName === 'Kerberos'
        ? [OID.KRB5]
        : [OID.NTLMSSP];
  return { handle: r.handle, packageName, currentUser, mechs, lifetime: secondsUntil(r.expiry) };
}

/**
 * Releases a credential handle (for `OwnedHandle`).
 *
 * @example
 * ```ts
 * new OwnedHandle(owner, record.handle, releaseSspiCredentials);
 * ```
 */
export function releaseSspiCredentials(handle: bigint): { major: number; minor: number } {
  return { major: 0, minor: freeCredentialsHandle(handle as SspiHandle) };
}
