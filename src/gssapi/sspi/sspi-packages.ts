/**
 * Mechanisms as SSPI packages: SPNEGO (RFC 4178) is `Negotiate`, Kerberos V5 (RFC 4121, and the
 * OID Microsoft once used for it) is `Kerberos`, NTLMSSP is `NTLM`. No other mechanism exists in
 * SSPI for HTTP authentication.
 *
 * @module
 */
import { OID } from '../oid.js';
import { GssapiLibraryError } from '../raw/library.js';

/**
 * An SSPI security package name.
 *
 * @example
 * ```ts
 * const pkg: SspiPackage = 'Negotiate';
 * ```
 */
export type SspiPackage = 'Negotiate' | 'Kerberos' | 'NTLM';

/** The Kerberos OID Windows 2000 emitted in SPNEGO (1.2.840.48018.1.2.2). */
const MS_KRB5 = OID.fromIntSeq('1.2.840.48018.1.2.2');

/**
 * The package for a mechanism; null (the library's choice) is `Negotiate`.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` for any other mechanism.
 * @example
 * ```ts
 * sspiPackageFor(OID.KRB5); // 'Kerberos'
 * ```
 */
export function sspiPackageFor(mech: OID | null): SspiPackage {
  if (mech === null || mech.equals(OID.SPNEGO)) return 'Negotiate';
  if (mech.equals(OID.KRB5) || mech.equals(MS_KRB5)) return 'Kerberos';
  if (mech.equals(OID.NTLMSSP)) return 'NTLM';
  throw new GssapiLibraryError(
    'ERR_GSSAPI_UNSUPPORTED',
    `SSPI has no package for mechanism ${String(mech)}`,
    'use OID.SPNEGO (package Negotiate), OID.KRB5 (Kerberos) or OID.NTLMSSP (NTLM)',
  );
}

/**
 * The mechanism OID of a package name as SSPI reports it (case-insensitive); null when unknown.
 *
 * @example
 * ```ts
 * mechOfPackage('Kerberos'); // OID.KRB5
 * ```
 */
export function mechOfPackage(name: string | null): OID | null {
  switch (name?.toLowerCase()) {
    case 'negotiate':
      return OID.SPNEGO;
    case 'kerberos':
      return OID.KRB5;
    case 'ntlm':
      return OID.NTLMSSP;
    default:
      return null;
  }
}

/**
 * The `PackageList` of SEC_WINNT_AUTH_IDENTITY_EXW that limits Negotiate to `mechs` (the
 * counterpart of gss_set_neg_mechs, RFC 4178 section 3): their packages, comma separated, then
 * `!NTLM` unless NTLM is one of them, so that Negotiate never falls back to it. Windows reads
 * package names case-insensitively.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` for an empty list, SPNEGO itself, or a
 *   mechanism SSPI has no package for.
 * @example
 * ```ts
 * sspiPackageList([OID.KRB5]); // 'Kerberos,!NTLM'
 * ```
 */
export function sspiPackageList(mechs: readonly OID[]): string {
  const packages = [...new Set(mechs.map((m) => sspiPackageFor(m)))];
  if (packages.length === 0 || packages.includes('Negotiate')) {
    throw new GssapiLibraryError(
      'ERR_GSSAPI_UNSUPPORTED',
      'Negotiate can be limited to Kerberos and/or NTLM only (SPNEGO cannot negotiate itself, nor nothing)',
      'pass [OID.KRB5] to allow Kerberos alone',
    );
  }
  return [...packages, ...(packages.includes('NTLM') ? [] : ['!NTLM'])].join(',');
}
