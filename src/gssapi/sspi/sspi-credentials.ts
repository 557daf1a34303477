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
import { LogonGate } from './logon-gate.js';
import { CredentialUse, isSecError } from './raw/constants.js';
import { type AuthIdentity, acquireCredentialsHandle, freeCredentialsHandle } from './raw/credentials.js';
import type { SspiHandle } from './raw/handles.js';
import { wineVersion } from './raw/library.js';
import { SSPIError } from './sspi-error.js';
import { sspiUserAndDomain } from './sspi-names.js';
import { type SspiPackage, sspiPackageFor, sspiPackageList } from './sspi-packages.js';

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
  /**
   * What Negotiate may negotiate with this handle (its `PackageList`, e.g. Kerberos alone); null
   * when unlimited: not asked for, not the Negotiate package, or under Wine (see
   * {@link negotiatePackageList}).
   */
  readonly negotiableMechs: readonly OID[] | null;
  /** For a password identity: its first logon, one step at a time (see {@link LogonGate}); else null. */
  readonly logonGate: LogonGate | null;
}

/**
 * The package list to acquire a Negotiate handle with, for `negotiableMechs` (null: none).
 * None under Wine, whose Negotiate tries Kerberos then NTLM whatever the list says, and whose
 * Kerberos package before Wine 11.16 reads a SEC_WINNT_AUTH_IDENTITY_EXW as the plain identity
 * (logging in as `@` with no password, or reading its Version as a pointer): there the token
 * check (`refuseNtlm`) is the only guard.
 *
 * @example
 * ```ts
 * negotiatePackageList('Negotiate', [OID.KRB5]); // 'Kerberos,!NTLM' on Windows
 * ```
 */
export function negotiatePackageList(
  packageName: SspiPackage,
  negotiableMechs: readonly OID[] | null | undefined,
): string | null {
  if (packageName !== 'Negotiate' || negotiableMechs == null) return null;
  const list = sspiPackageList(negotiableMechs);
  return wineVersion() === null ? list : null;
}

/**
 * `pAuthData` for an outbound handle: the explicit logon if any, with the package list if any;
 * null (no identity structure at all) for the logged-on user without a list.
 *
 * @example
 * ```ts
 * sspiAuthIdentity(null, null, 'Kerberos,!NTLM'); // the logged-on user, Kerberos only
 * ```
 */
export function sspiAuthIdentity(
  principal: string | null,
  password: string | null,
  packageList: string | null,
): AuthIdentity | null {
  if (password !== null && principal !== null)
    return { ...sspiUserAndDomain(principal), password, packageList };
  if (packageList !== null) return { user: null, domain: null, password: null, packageList };
  return null;
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
  /** Limits Negotiate to these mechanisms (a package list); null or absent: no limit. */
  readonly negotiableMechs?: readonly OID[] | null;
}): Promise<SspiCredentialRecord> {
  const packageName = packageForMechs(input.mechs);
  const packageList = negotiatePackageList(packageName, input.negotiableMechs);
  const identity = sspiAuthIdentity(input.principal, input.password, packageList);
  const explicit = identity?.user != null;
  if (explicit && packageName === 'Negotiate') await checkWineLogin(identity!, input.negotiableMechs);
  const r = await acquireCredentialsHandle({
    principal: explicit ? null : input.principal,
    packageName,
    use: CredentialUse.OUTBOUND,
    identity,
  });
  if (isSecError(r.status)) {
    throw new SSPIError('AcquireCredentialsHandleW', r.status, {
      context: `${packageName} for ${input.principal ?? 'the logged-on user'}`,
    });
  }
  const currentUser = !explicit && input.principal === null;
  // The logged-on user's credentials serve both mechanisms (a context whose package differs
  // acquires its own handle); an explicit identity serves the package it was acquired for.
  const mechs = currentUser
    ? [OID.SPNEGO, OID.KRB5]
    : packageName === 'Negotiate'
      ? [OID.SPNEGO]
      : packageName === 'Kerberos'
        ? [OID.KRB5]
        : [OID.NTLMSSP];
  return {
    handle: r.handle,
    packageName,
    currentUser,
    mechs,
    lifetime: secondsUntil(r.expiry),
    negotiableMechs: packageList === null ? null : [...input.negotiableMechs!],
    logonGate: identity?.password != null ? new LogonGate() : null,
  };
}

/**
 * Under Wine, a password login that must not fall back to NTLM is first done by the Kerberos
 * package alone. Wine logs in (an AS exchange) inside AcquireCredentialsHandleW, and its
 * Negotiate keeps only NTLM when the Kerberos login fails, reporting success: the refusal would
 * show nowhere, and (the NTLM handle expiring at once) every request would log in again, each
 * attempt counting toward the account's lockout. The Kerberos package reports the failure
 * (as STATUS_UNSUCCESSFUL, whatever krb5 said). Costs a second AS exchange per successful
 * login, under Wine only; Windows logs in at the first step and says SEC_E_LOGON_DENIED there.
 *
 * @throws {SSPIError} the Kerberos package's refusal.
 */
async function checkWineLogin(identity: AuthIdentity, negotiableMechs: readonly OID[] | null | undefined) {
  if (negotiableMechs == null || negotiableMechs.some((m) => m.equals(OID.NTLMSSP))) return;
  if (wineVersion() === null) return;
  const r = await acquireCredentialsHandle({
    principal: null,
    packageName: 'Kerberos',
    use: CredentialUse.OUTBOUND,
    identity: { ...identity, packageList: null },
  });
  if (isSecError(r.status)) {
    throw new SSPIError('AcquireCredentialsHandleW', r.status, {
      context: `Kerberos login of ${identity.user}${identity.domain ? `@${identity.domain}` : ''}`,
    });
  }
  freeCredentialsHandle(r.handle);
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
