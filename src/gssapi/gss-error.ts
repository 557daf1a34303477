import { KRB5_ERROR_NAMES, KRB5_ERROR_TABLE_BASE, type Krb5ErrorName } from './krb5-error-names.js';
import type { OID } from './oid.js';
import * as raw from './raw/index.js';
import type { SecStatusName } from './sspi/raw/constants.js';

/**
 * What {@link GSSError.code} can be: a krb5 error name, a GSSAPI routine or calling error
 * name, or (SSPI provider, where no GSSAPI name fits) a SEC_E_* name. A literal union, so
 * `switch (error.code)` is checked by the compiler.
 *
 * @example
 * ```ts
 * const retryable: ReadonlySet<GSSErrorCode> = new Set(['KRB5_KDC_UNREACH']);
 * ```
 */
export type GSSErrorCode = Krb5ErrorName | raw.GSSStatusName | SecStatusName;

/**
 * Internal: a failure a provider other than the C GSSAPI has described itself (SSPI has no
 * gss_display_status), passed to {@link GSSError}'s constructor instead of being looked up.
 *
 * @example
 * ```ts
 * const described: ProvidedDescription = { majorName: 'GSS_S_NO_CRED', code: 'GSS_S_NO_CRED', messages: ['no credentials'], hint: undefined };
 * ```
 */
export interface ProvidedDescription {
  readonly majorName: raw.GSSStatusName;
  readonly code: GSSErrorCode;
  readonly messages: readonly string[];
  readonly hint: string | undefined;
}

/**
 * A GSSAPI call failed. Keeps everything the library said: the major status split into its
 * calling, routine and supplementary parts (RFC 2744 section 3.9.1), the mechanism's minor code,
 * every message `gss_display_status` gives for both, a stable {@link GSSError.code} to match on
 * and, for the failures people meet every day, a {@link GSSError.hint} with the fix.
 *
 * Tokens never appear in the message. An error token the mechanism produced (to be sent to the
 * peer, RFC 2743 section 2.2.1) is on the non-enumerable {@link GSSError.token}.
 *
 * @example
 * ```ts
 * import { SecurityContext, Name, NameType, GSSError } from 'http-gssapi/gssapi';
 * try {
 *   await new SecurityContext({ usage: 'initiate', name: new Name('HTTP@web.example.org', NameType.hostbasedService) }).step();
 * } catch (e) {
 *   if (e instanceof GSSError && e.code === 'KRB5_FCC_NOFILE') console.error(e.hint); // run kinit ...
 * }
 * ```
 */
export class GSSError extends Error {
  /**
   * The most specific stable name for this failure: the krb5 error name when the minor code is
   * one (`KRB5_KDC_UNREACH`, `KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN`, ...), else the routine error
   * (`GSS_S_NO_CRED`, `GSS_S_BAD_NAME`, ...).
   */
  readonly code: GSSErrorCode;
  /** What to do about it, when the fix is known. */
  readonly hint: string | undefined;
  /** The GSSAPI routine that failed, e.g. `gss_init_sec_context`. */
  readonly operation: string;
  readonly major: number;
  readonly minor: number;
  readonly calling: number;
  readonly routine: number;
  readonly supplementary: number;
  /** `GSS_S_*` name of the routine error, or of the calling error when there is no routine error. */
  readonly majorName: raw.GSSStatusName;
  /** The krb5 error name of the minor code, when it is one. */
  readonly minorName: Krb5ErrorName | undefined;
  /** The mechanism that reported the minor code, when known. */
  readonly mech: OID | null;
  /** Every message for the major code, in order (the display_status loop). */
  readonly majorMessages: readonly string[];
  /** Every message for the minor code, in order. */
  readonly minorMessages: readonly string[];
  /**
   * Whether the failure is the credentials' own (RFC 2743 section 1.2.1.1): `'missing'` (no
   * ticket or ccache), `'expired'`, or `'defective'`; null for every other failure. A caller that
   * cached credentials drops them on any of these and acquires afresh; the KDC, the name or the
   * peer are not the credentials' fault.
   */
  readonly credentialFailure: CredentialFailure | null;
  /** The error token to send to the peer, if the mechanism made one. Non-enumerable. */
  declare readonly token: Uint8Array | null;

  constructor(
    operation: string,
    status: raw.Status,
    options: {
      mech?: OID | null;
      token?: Uint8Array | null;
      context?: string;
      cause?: unknown;
      /** The failing call processed a token from the peer: the peer may have refused ours. */
      peerToken?: boolean;
      provided?: ProvidedDescription;
    } = {},
  ) {
    const parts = raw.splitMajor(status.major);
    const mech = options.mech ?? null;
    const provided = options.provided;
    const majorMessages = provided
      ? [...provided.messages]
      : messages(status.major, raw.StatusType.GSS_CODE, null);
    // MIT prints "Success" for a minor code that carries nothing; it only adds noise.
    const minorMessages =
      status.minor && !provided
        ? messages(status.minor, raw.StatusType.MECH_CODE, mech).filter((m) => m !== 'Success')
        : [];
    const majorName: raw.GSSStatusName =
      provided?.majorName ??
      (raw.ROUTINE_ERROR_NAMES as Record<number, raw.GSSStatusName>)[parts.routine] ??
      (raw.CALLING_ERROR_NAMES as Record<number, raw.GSSStatusName>)[parts.calling] ??
      'GSS_S_FAILURE';
    // Through SPNEGO, MIT hands back a mechglue-mapped minor code (small numbers such as 100001)
    // whose message is still the Kerberos one: name it from the message then.
    const minorName = provided ? undefined : (krb5ErrorName(status.minor) ?? nameFromMessages(minorMessages));
    const code = provided?.code ?? minorName ?? majorName;
    const detail =
      [...majorMessages, ...minorMessages].filter(Boolean).join(': ') || `major 0x${hex(status.major)}`;
    super(`${operation} failed${options.context ? ` (${options.context})` : ''}: ${detail} [${code}]`, {
      cause: options.cause,
    });
    this.name = 'GSSError';
    this.operation = operation;
    this.major = status.major;
    this.minor = status.minor;
    this.calling = parts.calling;
    this.routine = parts.routine;
    this.supplementary = parts.supplementary;
    this.majorName = majorName;
    this.minorName = minorName;
    this.mech = mech;
    this.majorMessages = majorMessages;
    this.minorMessages = minorMessages;
    this.code = code;
    this.hint = provided
      ? provided.hint
      : hintFor(operation, code, majorName, minorMessages.join(' '), options.peerToken ?? false);
    this.credentialFailure = credentialFailureOf(majorName, code);
    Object.defineProperty(this, 'token', { value: options.token ?? null, enumerable: false });
  }
}

/**
 * What is wrong with credentials that {@link GSSError.credentialFailure} names.
 *
 * @example
 * ```ts
 * if (error instanceof GSSError && error.credentialFailure === 'expired') await renewTicket();
 * ```
 */
export type CredentialFailure = 'missing' | 'expired' | 'defective';

/**
 * Classifies by the routine error (RFC 2744 section 3.9.1) and, where the mechanism says more
 * than GSS_S_FAILURE, by the krb5 code: an unreadable or empty ccache is missing credentials, an
 * expired TGT expired ones.
 */
function credentialFailureOf(majorName: string, code: string): CredentialFailure | null {
  if (majorName === 'GSS_S_CREDENTIALS_EXPIRED' || code === 'KRB5KRB_AP_ERR_TKT_EXPIRED') return 'expired';
  if (majorName === 'GSS_S_DEFECTIVE_CREDENTIAL') return 'defective';
  if (majorName === 'GSS_S_NO_CRED' || /^KRB5_F?CC_/.test(code)) return 'missing';
  return null;
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** All messages for a status code: gss_display_status until the message context is 0. */
function messages(code: number, type: 1 | 2, mech: OID | null): string[] {
  const out: string[] = [];
  let context = 0;
  // The loop is bounded: a library that never returns 0 must not hang us (RFC 2744 section 5.11).
  for (let i = 0; i < 16; i++) {
    const r = raw.displayStatus(code, type, mech?.bytes ?? null, context);
    if (raw.isError(r.major)) break;
    if (r.text) out.push(r.text);
    context = r.messageContext;
    if (context === 0) break;
  }
  return out;
}

/** The krb5 com_err name of a minor code, if it falls in that table. */
export function krb5ErrorName(minor: number): Krb5ErrorName | undefined {
  const offset = (minor | 0) - KRB5_ERROR_TABLE_BASE;
  return offset >= 0 && offset < 256 ? KRB5_ERROR_NAMES[offset] : undefined;
}

/** MIT and Heimdal messages of the krb5 errors users meet most, for mapped minor codes. */
const MESSAGE_NAMES: readonly (readonly [RegExp, Krb5ErrorName])[] = [
  [/^Server .*not found in Kerberos database/i, 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN'],
  [/^Client .*not found in Kerberos database/i, 'KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN'],
  [/^Cannot contact any KDC/i, 'KRB5_KDC_UNREACH'],
  [/^Clock skew too great/i, 'KRB5KRB_AP_ERR_SKEW'],
  [/^Ticket expired/i, 'KRB5KRB_AP_ERR_TKT_EXPIRED'],
  [/^No credentials cache found/i, 'KRB5_FCC_NOFILE'],
  [/^Matching credential not found/i, 'KRB5_CC_NOTFOUND'],
  [/^Request is a replay/i, 'KRB5KRB_AP_ERR_REPEAT'],
  [/^Decrypt integrity check failed/i, 'KRB5KRB_AP_ERR_BAD_INTEGRITY'],
  [/^Preauthentication failed/i, 'KRB5KDC_ERR_PREAUTH_FAILED'],
  [/^Cannot find KDC for requested realm/i, 'KRB5_REALM_UNKNOWN'],
  [/^Key table entry not found/i, 'KRB5_KT_NOTFOUND'],
  [/^No credentials found with supported encryption types/i, 'KRB5_CC_NOT_KTYPE'],
  [/^KDC has no support for encryption type/i, 'KRB5KDC_ERR_ETYPE_NOSUPP'],
  // Account states (RFC 4120 section 7.5.9), as the KDC names them through a mapped minor code.
  [/^Client'?s credentials have been revoked/i, 'KRB5KDC_ERR_CLIENT_REVOKED'],
  [/^Client'?s entry in database has expired/i, 'KRB5KDC_ERR_NAME_EXP'],
  [/^Password has expired/i, 'KRB5KDC_ERR_KEY_EXP'],
  [/^KDC policy rejects request/i, 'KRB5KDC_ERR_POLICY'],
  // A service whose password was reset after its keytab was exported (kvno mismatch), as the
  // acceptor's KRB-ERROR names it to the initiator, and as the acceptor itself sees it.
  [/^Key version is not available/i, 'KRB5KRB_AP_ERR_BADKEYVER'],
  [/^Key version number for principal in key table is incorrect/i, 'KRB5_KT_KVNONOTFOUND'],
  [/^Message stream modified/i, 'KRB5KRB_AP_ERR_MODIFIED'],
  [/^Requested effective lifetime is negative or too short/i, 'KRB5KDC_ERR_NEVER_VALID'],
];

function nameFromMessages(messages: readonly string[]): Krb5ErrorName | undefined {
  for (const message of messages) {
    for (const [pattern, name] of MESSAGE_NAMES) if (pattern.test(message)) return name;
  }
  return undefined;
}

const NO_TICKET =
  'no usable Kerberos ticket: run `kinit` (check with `klist`), point KRB5CCNAME at a ccache that has one, ' +
  'or pass credentials (a keytab or a password)';

/** Fixes for the failures users meet most, by code. */
const HINTS: Readonly<Record<string, string>> = {
  KRB5_FCC_NOFILE: NO_TICKET,
  KRB5_CC_NOTFOUND: NO_TICKET,
  KRB5_CC_NOSUPP: NO_TICKET,
  GSS_S_NO_CRED: NO_TICKET,
  KRB5KRB_AP_ERR_TKT_EXPIRED:
    'the Kerberos ticket has expired: renew it with `kinit -R` or get a new one with `kinit` (or a keytab)',
  GSS_S_CREDENTIALS_EXPIRED:
    'the Kerberos ticket has expired: renew it with `kinit -R` or get a new one with `kinit` (or a keytab)',
  KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
    'the KDC does not know this service principal: check the target name (HTTP@<host> uses the host name ' +
    'as requested: use the canonical DNS name, not an alias or an IP address) and that the SPN is registered ' +
    '(AD: `setspn -Q HTTP/<host>`; MIT: `kadmin getprinc HTTP/<host>`)',
  KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
    'the KDC does not know the client principal: check the user name and realm',
  KRB5KDC_ERR_CLIENT_REVOKED:
    'the KDC refuses this account: it is disabled, locked out or expired (Active Directory answers all three ' +
    'this way; locked out: too many bad passwords; MIT: allow_tix cleared or a lockout policy); an ' +
    'administrator must enable, unlock or extend it',
  KRB5KDC_ERR_NAME_EXP:
    'the account has expired (its expiration date has passed): an administrator must extend it',
  KRB5KDC_ERR_KEY_EXP:
    'the password has expired and must be changed (kpasswd, or at a Windows login); then update the ' +
    'password or keytab this program uses',
  KRB5KDC_ERR_POLICY:
    'the KDC policy refuses this request: the account may be disabled, restricted to certain hosts or times, ' +
    'or not allowed this service; ask an administrator',
  KRB5KDC_ERR_PREAUTH_FAILED:
    'the password or key was rejected by the KDC: check the password or the keytab kvno',
  KRB5_KDC_UNREACH:
    'no KDC answered for the realm: check [realms] and [domain_realm] in krb5.conf (KRB5_CONFIG), ' +
    'DNS SRV records (_kerberos._udp/_tcp) and firewalls (port 88)',
  KRB5_REALM_CANT_RESOLVE:
    'the realm has no KDC address: add it to [realms] in krb5.conf or to DNS SRV records',
  KRB5_REALM_UNKNOWN: 'unknown realm: add it to krb5.conf [realms] and map the host in [domain_realm]',
  KRB5_CONFIG_NODEFREALM:
    'krb5.conf sets no default_realm: set it in [libdefaults] or point KRB5_CONFIG at the right file',
  KRB5KRB_AP_ERR_SKEW:
    'clocks differ by more than the allowed skew (5 minutes by default): synchronize with NTP',
  KRB5_KDCREP_SKEW:
    'clocks differ by more than the allowed skew (5 minutes by default): synchronize with NTP',
  KRB5KRB_AP_ERR_REPEAT:
    'the server saw this token before (replay cache): a token must be used once; make a new context per request',
  KRB5KRB_AP_ERR_BADKEYVER:
    "the service's keytab does not hold the key version (kvno) the KDC issued the ticket for: the service " +
    'password was changed (Active Directory: reset, or the computer account rotated it) after the keytab was ' +
    'exported; export the keytab again (`ktpass`/`msktutil`, `samba-tool domain exportkeytab`, `kadmin ktadd`)',
  KRB5_KT_KVNONOTFOUND:
    "the keytab does not hold the key version (kvno) the ticket was issued for: export the service's keytab again",
  KRB5KRB_AP_ERR_MODIFIED:
    "the service's key does not match the KDC's: re-export the keytab (kvno changed?) or check the SPN",
  KRB5KRB_AP_ERR_BAD_INTEGRITY:
    "the service's key does not match the KDC's: re-export the keytab (kvno changed?) or check the SPN",
  KRB5_KT_NOTFOUND:
    'the keytab has no key for this principal: check the principal name and `klist -k <keytab>`',
  KRB5_KT_END: 'the keytab has no key for this principal: check the principal name and `klist -k <keytab>`',
  KRB5KDC_ERR_ETYPE_NOSUPP:
    'the KDC and this client share no encryption type for the ticket: compare permitted_enctypes / ' +
    'default_tgs_enctypes in krb5.conf with the keys of the principals (AD: msDS-SupportedEncryptionTypes)',
  KRB5_CC_NOT_KTYPE:
    'no ticket in the ccache has an encryption type krb5.conf allows (default_tgs_enctypes, permitted_enctypes): ' +
    'allow the type of your TGT (klist -e) or get a new ticket with an allowed one',
  GSS_S_BAD_BINDINGS:
    'channel bindings differ between client and server: is TLS terminated by a proxy between them?',
  GSS_S_DEFECTIVE_TOKEN: 'the peer sent a token that is not valid for this mechanism or this step',
  GSS_S_BAD_MECH: 'the mechanism is not available in this GSSAPI library (for NTLM install gss-ntlmssp)',
  GSS_S_BAD_NAME: 'the name could not be parsed for its name type',
  GSS_S_BAD_NAMETYPE: 'the name type is not supported by the mechanism',
};

const BAD_PASSWORD = 'the KDC rejected the password (or the principal has no password key): check both';

/**
 * SPNEGO's "failed to negotiate a mechanism" on a step that processed the server's token: the
 * server answered with a bare reject (RFC 4178 section 4.2.2, negState reject without a
 * mechanism token), so it refused our Kerberos token without saying why. Nothing is missing
 * locally, so "install a mechanism" would send the user the wrong way.
 */
const SERVER_REJECTED =
  'the server rejected our token without saying why (a bare SPNEGO reject): most likely its keytab does not ' +
  'match the KDC (the service password was reset: kvno mismatch, export the keytab again), the clocks differ ' +
  'by more than 5 minutes, or the SPN belongs to another account; the server log names the cause';

function hintFor(
  operation: string,
  code: string,
  majorName: string,
  minorText: string,
  peerToken: boolean,
): string | undefined {
  if (peerToken && operation === 'gss_init_sec_context' && code === 'GSS_S_BAD_MECH') return SERVER_REJECTED;
  // With a password, "integrity check failed" means the password derived the wrong key.
  if (
    operation === 'gss_acquire_cred_with_password' &&
    (code === 'KRB5KRB_AP_ERR_BAD_INTEGRITY' || code === 'KRB5KDC_ERR_PREAUTH_FAILED')
  ) {
    return BAD_PASSWORD;
  }
  const direct = HINTS[code];
  if (direct) return direct;
  // Some minor codes come from tables we do not name (the krb5 GSS mechanism's own): fall back
  // to their message, then to the routine error.
  if (/credential cache is empty|no credentials cache found|no kerberos credentials/i.test(minorText))
    return NO_TICKET;
  if (/ticket expired/i.test(minorText)) return HINTS['KRB5KRB_AP_ERR_TKT_EXPIRED'];
  return HINTS[majorName];
}
