/**
 * What a GSSAPI failure means for `doctor`: a one-line diagnosis and the fix, by the error code
 * `GSSError` gives (krb5 error names and GSSAPI routine errors, src/gssapi/gss-error.ts). Codes
 * not listed fall back to the error's own hint.
 *
 * @module
 */

/** The failures `doctor` names, by code; `{spn}` and `{realm}` are filled in. */
const ADVICE: Readonly<Record<string, { diagnosis: string; fix?: string }>> = {
  KRB5_FCC_NOFILE: { diagnosis: 'no credential cache: nobody has run kinit here' },
  KRB5_CC_NOTFOUND: { diagnosis: 'the credential cache has no usable ticket-granting ticket' },
  GSS_S_NO_CRED: { diagnosis: 'no credentials: no ticket in the credential cache' },
  KRB5KRB_AP_ERR_TKT_EXPIRED: { diagnosis: 'the ticket has expired' },
  GSS_S_CREDENTIALS_EXPIRED: { diagnosis: 'the ticket has expired' },
  KRB5_KDC_UNREACH: { diagnosis: 'no KDC of realm {realm} answered' },
  KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: { diagnosis: 'the KDC does not know the service principal {spn}' },
  KRB5KRB_AP_ERR_SKEW: {
    diagnosis: "this machine's clock and the KDC's differ by more than the allowed skew",
  },
  KRB5_KDCREP_SKEW: { diagnosis: "this machine's clock and the KDC's differ by more than the allowed skew" },
  KRB5KDC_ERR_ETYPE_NOSUPP: {
    diagnosis: 'the KDC and this client share no encryption type for {spn}',
    fix: 'check permitted_enctypes / default_tkt_enctypes / default_tgs_enctypes in krb5.conf and the keys of the service principal (AD: msDS-SupportedEncryptionTypes); AES is what both sides should have',
  },
  KRB5_CC_NOT_KTYPE: {
    diagnosis:
      'krb5.conf allows no encryption type of the tickets in the ccache (default_tgs_enctypes, permitted_enctypes)',
  },
  KRB5_REALM_UNKNOWN: { diagnosis: 'no realm is known for the host of {spn}' },
  KRB5_CONFIG_NODEFREALM: { diagnosis: 'krb5.conf sets no default_realm' },
  KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN: { diagnosis: 'the KDC does not know the client principal' },
  KRB5KDC_ERR_PREAUTH_FAILED: { diagnosis: 'the KDC refused the password or key' },
  KRB5KDC_ERR_CLIENT_REVOKED: { diagnosis: 'the KDC refuses the account (disabled or locked out)' },
  KRB5KDC_ERR_KEY_EXP: { diagnosis: 'the password has expired' },
  GSS_S_BAD_MECH: { diagnosis: 'the mechanism is not available in this GSSAPI library' },
  GSS_S_BAD_NAME: { diagnosis: 'the service name could not be parsed' },
};

/** What `doctor` says about one failure. */
export interface FailureReport {
  /** The GSSAPI or krb5 code (a library error's GSSError cause names it), when there is one. */
  readonly code: string | undefined;
  /** The error's full message. */
  readonly message: string;
  /** What went wrong, in a few words (the message when the code is not one doctor names). */
  readonly diagnosis: string;
  readonly fix: string | undefined;
}

/**
 * The diagnosis and fix for a failure: by its code when doctor names it, else the error's own
 * message and hint. A library error (`ERR_*`) is described by its GSSError cause.
 *
 * @example
 * ```ts
 * adviceFor(gssError, { spn: 'HTTP/web@EXAMPLE.ORG', realm: 'EXAMPLE.ORG' }).diagnosis;
 * // 'no KDC of realm EXAMPLE.ORG answered'
 * ```
 */
export function adviceFor(
  error: unknown,
  fill: { readonly spn: string; readonly realm: string },
): FailureReport {
  const e = error as {
    message?: unknown;
    hint?: unknown;
    code?: unknown;
    cause?: { code?: unknown; hint?: unknown };
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const ownCode = text(e?.code);
  const code = ownCode?.startsWith('ERR_') && text(e?.cause?.code) ? text(e?.cause?.code) : ownCode;
  const hint = text(e?.hint) ?? text(e?.cause?.hint);
  const message = text(e?.message) ?? String(error);
  const known = code ? ADVICE[code] : undefined;
  const put = (value: string) => value.replaceAll('{spn}', fill.spn).replaceAll('{realm}', fill.realm);
  return {
    code,
    message,
    // A GSSError's message ends with its code, which the finding shows on its own.
    diagnosis: known ? put(known.diagnosis) : message.replace(/ \[[A-Z0-9_]+\]$/, ''),
    fix: known?.fix ? put(known.fix) : hint,
  };
}
