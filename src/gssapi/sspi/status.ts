/**
 * What a SECURITY_STATUS means for a caller of the typed layer: the same `code` vocabulary as
 * the GSSAPI provider wherever the failure is the same (an unknown SPN is
 * `KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN` whether MIT or Windows says so, a refused password is
 * `KRB5KDC_ERR_PREAUTH_FAILED`), the SEC_E_* name where GSSAPI has no match, the GSSAPI routine error
 * (RFC 2744 section 3.9.1) it corresponds to, and a hint written for Windows. Pure data.
 *
 * @module
 */
import type { Krb5ErrorName } from '../krb5-error-names.js';
import type { GSSStatusName } from '../raw/constants.js';
import { SecStatus, type SecStatusName } from './raw/constants.js';

/** How one SECURITY_STATUS is reported. */
export interface SecStatusDescription {
  /** The SEC_E_* name, or the status in hex when it is not one this library knows. */
  readonly statusName: SecStatusName | undefined;
  /** The stable code: a krb5 or GSSAPI name shared with the GSSAPI provider, else the SEC_E_* name. */
  readonly code: Krb5ErrorName | GSSStatusName | SecStatusName;
  /** The GSSAPI routine error it corresponds to (drives `GSSError.credentialFailure`). */
  readonly majorName: GSSStatusName;
  /** What the status means, in the words of the Windows documentation (shortened). */
  readonly message: string;
  readonly hint: string | undefined;
}

const NO_CREDENTIALS =
  'no usable Kerberos credentials: log on to Windows with a domain account (`klist` lists its tickets), ' +
  'or pass creds ({ principal, password }); under Wine, point KRB5CCNAME at a ccache filled by kinit';
const SPN_UNKNOWN =
  'the domain controller does not know this service principal: check the target name (HTTP/<host> with the ' +
  'canonical DNS name, not an alias or an IP address) and that the SPN is registered (`setspn -Q HTTP/<host>`)';
const SKEW =
  "this machine's clock differs from the domain controller's by more than 5 minutes: `w32tm /resync`";

type Row = readonly [SecStatusName, SecStatusDescription['code'], GSSStatusName, string, string?];

/** One row per status: name, code, routine error, message, hint. */
const ROWS: readonly Row[] = [
  [
    'SEC_E_TARGET_UNKNOWN',
    'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN',
    'GSS_S_FAILURE',
    'the target is unknown or unreachable',
    SPN_UNKNOWN,
  ],
  [
    'SEC_E_NO_CREDENTIALS',
    'GSS_S_NO_CRED',
    'GSS_S_NO_CRED',
    'no credentials are available in the security package',
    NO_CREDENTIALS,
  ],
  [
    'SEC_E_UNKNOWN_CREDENTIALS',
    'GSS_S_DEFECTIVE_CREDENTIAL',
    'GSS_S_DEFECTIVE_CREDENTIAL',
    'the credentials supplied to the package were not recognized',
    'check the user name form: `user@REALM` or `DOMAIN\\user`',
  ],
  [
    'SEC_E_LOGON_DENIED',
    'KRB5KDC_ERR_PREAUTH_FAILED',
    'GSS_S_FAILURE',
    'the logon attempt failed',
    'the domain refused the user name or password (or the account is disabled or locked out): check both',
  ],
  [
    'SEC_E_WRONG_PRINCIPAL',
    'KRB5KRB_AP_ERR_MODIFIED',
    'GSS_S_FAILURE',
    'the target principal name is incorrect',
    'the server answered as another principal than the SPN asked for: the SPN is registered on a different account than the one the service runs as (`setspn -Q HTTP/<host>`)',
  ],
  [
    'SEC_E_TIME_SKEW',
    'KRB5KRB_AP_ERR_SKEW',
    'GSS_S_FAILURE',
    'the clocks on the client and server machines are skewed',
    SKEW,
  ],
  [
    'SEC_E_BAD_BINDINGS',
    'GSS_S_BAD_BINDINGS',
    'GSS_S_BAD_BINDINGS',
    'the client and server channel bindings differ',
    'channel bindings differ between client and server: is TLS terminated by a proxy between them (IIS Extended Protection)?',
  ],
  [
    'SEC_E_NO_AUTHENTICATING_AUTHORITY',
    'KRB5_KDC_UNREACH',
    'GSS_S_FAILURE',
    'no authority could be contacted for authentication',
    'no domain controller answered: check the network, DNS (`nltest /dsgetdc:<domain>`) and firewalls (port 88)',
  ],
  [
    'SEC_E_KDC_UNKNOWN_ETYPE',
    'KRB5KDC_ERR_ETYPE_NOSUPP',
    'GSS_S_FAILURE',
    'the encryption type requested is not supported by the KDC',
    'the account or the SPN has no key of an encryption type both sides allow (AES/RC4 policy, msDS-SupportedEncryptionTypes)',
  ],
  [
    'SEC_E_INVALID_TOKEN',
    'GSS_S_DEFECTIVE_TOKEN',
    'GSS_S_DEFECTIVE_TOKEN',
    'the token supplied to the function is invalid',
    'the peer sent a token that is not valid for this package or this step',
  ],
  [
    'SEC_E_MESSAGE_ALTERED',
    'GSS_S_BAD_SIG',
    'GSS_S_BAD_SIG',
    'the message or signature supplied for verification has been altered',
    'the server token failed its integrity check: do not trust this response',
  ],
  [
    'SEC_E_MUTUAL_AUTH_FAILED',
    'SEC_E_MUTUAL_AUTH_FAILED',
    'GSS_S_FAILURE',
    'the server could not be authenticated',
    'the server could not prove its identity: do not trust this response',
  ],
  [
    'SEC_E_CONTEXT_EXPIRED',
    'GSS_S_CONTEXT_EXPIRED',
    'GSS_S_CONTEXT_EXPIRED',
    'the context has expired and can no longer be used',
  ],
  ['SEC_E_INVALID_HANDLE', 'GSS_S_NO_CONTEXT', 'GSS_S_NO_CONTEXT', 'the handle specified is invalid'],
  [
    'SEC_E_SECPKG_NOT_FOUND',
    'GSS_S_BAD_MECH',
    'GSS_S_BAD_MECH',
    'the requested security package does not exist',
    'use mech SPNEGO (package Negotiate) or KRB5 (package Kerberos)',
  ],
  [
    'SEC_E_UNSUPPORTED_FUNCTION',
    'GSS_S_UNAVAILABLE',
    'GSS_S_UNAVAILABLE',
    'the function requested is not supported',
  ],
  [
    'SEC_E_DELEGATION_POLICY',
    'SEC_E_DELEGATION_POLICY',
    'GSS_S_FAILURE',
    'the client policy does not allow credential delegation to the target server',
    'Windows policy forbids delegating to this server: ask for delegate: false, or have the SPN trusted for delegation',
  ],
  [
    'SEC_E_POLICY_NLTM_ONLY',
    'SEC_E_POLICY_NLTM_ONLY',
    'GSS_S_FAILURE',
    'the client policy does not allow delegation with NTLM-only authentication',
    'Kerberos was not available for this target, so NTLM was used and cannot delegate: fix the SPN',
  ],
  [
    'SEC_E_CROSSREALM_DELEGATION_FAILURE',
    'SEC_E_CROSSREALM_DELEGATION_FAILURE',
    'GSS_S_FAILURE',
    'the server attempted to delegate across realms and failed',
  ],
  [
    'SEC_E_KDC_INVALID_REQUEST',
    'SEC_E_KDC_INVALID_REQUEST',
    'GSS_S_FAILURE',
    'an invalid request was sent to the KDC',
  ],
  [
    'SEC_E_KDC_UNABLE_TO_REFER',
    'SEC_E_KDC_UNABLE_TO_REFER',
    'GSS_S_FAILURE',
    'the KDC was unable to generate a referral for the service requested',
    SPN_UNKNOWN,
  ],
  [
    'SEC_E_INTERNAL_ERROR',
    'SEC_E_INTERNAL_ERROR',
    'GSS_S_FAILURE',
    'the Local Security Authority cannot be contacted',
  ],
  [
    'SEC_E_INSUFFICIENT_MEMORY',
    'SEC_E_INSUFFICIENT_MEMORY',
    'GSS_S_FAILURE',
    'not enough memory is available to complete this request',
  ],
  [
    'SEC_E_BUFFER_TOO_SMALL',
    'SEC_E_BUFFER_TOO_SMALL',
    'GSS_S_FAILURE',
    'the buffers supplied to a function was too small',
  ],
  [
    'SEC_E_INVALID_PARAMETER',
    'SEC_E_INVALID_PARAMETER',
    'GSS_S_FAILURE',
    'one or more of the parameters passed to the function was invalid',
  ],
  [
    'SEC_E_OUT_OF_SEQUENCE',
    'SEC_E_OUT_OF_SEQUENCE',
    'GSS_S_FAILURE',
    'the message supplied for verification is out of sequence',
  ],
  [
    'SEC_E_SMARTCARD_LOGON_REQUIRED',
    'SEC_E_SMARTCARD_LOGON_REQUIRED',
    'GSS_S_FAILURE',
    'smart card logon is required and was not used',
    'this account must log on with its smart card; a password cannot be used',
  ],
  ['SEC_E_NO_KERB_KEY', 'SEC_E_NO_KERB_KEY', 'GSS_S_FAILURE', 'no Kerberos key was found'],
  [
    'SEC_E_DELEGATION_REQUIRED',
    'SEC_E_DELEGATION_REQUIRED',
    'GSS_S_FAILURE',
    'the requested operation requires delegation to be enabled on the machine',
  ],
  [
    'SEC_E_DOWNGRADE_DETECTED',
    'SEC_E_DOWNGRADE_DETECTED',
    'GSS_S_FAILURE',
    'the system detected a possible attempt to compromise security',
    'a weaker package was forced on the exchange: do not trust this server',
  ],
  [
    'SEC_E_UNSUPPORTED_PREAUTH',
    'SEC_E_UNSUPPORTED_PREAUTH',
    'GSS_S_FAILURE',
    'an unsupported preauthentication mechanism was presented to the Kerberos package',
  ],
  [
    'SEC_E_STRONG_CRYPTO_NOT_SUPPORTED',
    'SEC_E_STRONG_CRYPTO_NOT_SUPPORTED',
    'GSS_S_FAILURE',
    'a strong cryptographic algorithm is required and not supported',
  ],
  [
    'SEC_E_TOO_MANY_PRINCIPALS',
    'SEC_E_TOO_MANY_PRINCIPALS',
    'GSS_S_FAILURE',
    'the KDC reply contained more than one principal name',
  ],
  [
    'SEC_E_KDC_CERT_EXPIRED',
    'SEC_E_KDC_CERT_EXPIRED',
    'GSS_S_FAILURE',
    'the domain controller certificate used for smart card logon has expired',
  ],
  ['SEC_E_NO_CONTEXT', 'SEC_E_NO_CONTEXT', 'GSS_S_NO_CONTEXT', 'the security context does not exist'],
  [
    'SEC_E_NOT_OWNER',
    'SEC_E_NOT_OWNER',
    'GSS_S_FAILURE',
    'the caller is not the owner of the desired credentials',
  ],
  [
    'SEC_E_NO_IMPERSONATION',
    'SEC_E_NO_IMPERSONATION',
    'GSS_S_FAILURE',
    'no impersonation is allowed for this context',
  ],
  [
    'SEC_E_QOP_NOT_SUPPORTED',
    'GSS_S_BAD_QOP',
    'GSS_S_BAD_QOP',
    'the quality of protection attribute is not supported by this package',
  ],
  [
    'STATUS_UNSUCCESSFUL',
    'STATUS_UNSUCCESSFUL',
    'GSS_S_FAILURE',
    'the operation failed',
    "under Wine, the Kerberos package's password login failed: Wine reports every krb5 error so (a wrong password, an unknown principal, an unreachable KDC, a skewed clock); check each",
  ],
];

const BY_STATUS: ReadonlyMap<number, Row> = new Map(ROWS.map((row) => [SecStatus[row[0]] >>> 0, row]));

/**
 * Describes a failed SECURITY_STATUS. Unknown values keep their hex form and map to
 * `GSS_S_FAILURE`.
 *
 * @example
 * ```ts
 * describeSecStatus(0x80090303).code; // 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN'
 * ```
 */
export function describeSecStatus(status: number): SecStatusDescription {
  const row = BY_STATUS.get(status >>> 0);
  if (!row) {
    return {
      statusName: undefined,
      code: 'GSS_S_FAILURE',
      majorName: 'GSS_S_FAILURE',
      message: `SECURITY_STATUS 0x${(status >>> 0).toString(16).padStart(8, '0')}`,
      hint: undefined,
    };
  }
  const [statusName, code, majorName, message, hint] = row;
  return { statusName, code, majorName, message, hint };
}

/**
 * The SEC_E_* / SEC_I_* name of a status, or its hex form.
 *
 * @example
 * ```ts
 * secStatusName(0x80090322); // 'SEC_E_WRONG_PRINCIPAL'
 * ```
 */
export function secStatusName(status: number): string {
  const unsigned = status >>> 0;
  for (const [name, value] of Object.entries(SecStatus)) if (value >>> 0 === unsigned) return name;
  return `0x${unsigned.toString(16).padStart(8, '0')}`;
}
