import { GSSError } from '../gssapi/gss-error.js';
import { LoginRefusedError } from './errors.js';
import type { CredentialsDescription } from './options.js';

/**
 * The KDC's answers that say the login itself was refused (RFC 4120 section 7.5.9): trying the
 * same password or key again would only count another failure toward the account's lockout.
 * The SSPI provider reports Windows' SEC_E_LOGON_DENIED with the first of these codes.
 */
const LOGIN_REFUSALS: ReadonlySet<string> = new Set([
  'KRB5KDC_ERR_PREAUTH_FAILED',
  'KRB5KRB_AP_ERR_BAD_INTEGRITY',
  'KRB5KDC_ERR_CLIENT_REVOKED',
  'KRB5KDC_ERR_KEY_EXP',
  'KRB5KDC_ERR_NAME_EXP',
]);

/**
 * Wine's Kerberos package logs a password in inside AcquireCredentialsHandleW and reports any
 * krb5 error there as STATUS_UNSUCCESSFUL: a wrong password cannot be told from an unreachable
 * KDC. The narrowest sound rule is to take that one status of that one call as a refusal: the
 * login is not tried again until `retryLogin()`, which after a KDC outage costs a call, but
 * never an attempt toward the account's lockout. (Windows logs in at the first step and says
 * SEC_E_LOGON_DENIED, which is `KRB5KDC_ERR_PREAUTH_FAILED` above.)
 */
function isWineLoginFailure(error: GSSError): boolean {
  return error.code === 'STATUS_UNSUCCESSFUL' && error.operation === 'AcquireCredentialsHandleW';
}

/**
 * The one rule for a refused login of a `creds` description, wherever the refusal shows: at the
 * acquisition (MIT logs a password or keytab in there) or at the first context step (SSPI logs
 * in inside the first InitializeSecurityContextW, and Windows answers SEC_E_LOGON_DENIED).
 * Returns the {@link LoginRefusedError} to remember when `error` is such a refusal of a password
 * or keytab login, else null (a ccache description logs nobody in; other failures, such as an
 * unreachable KDC, may pass and are tried again).
 *
 * @example
 * ```ts
 * const refused = loginRefusal(error, { principal: 'alice@EXAMPLE.ORG', password: 'x' });
 * if (refused) remember(refused);
 * ```
 */
export function loginRefusal(error: unknown, login: CredentialsDescription): LoginRefusedError | null {
  if (!(error instanceof GSSError) || !(LOGIN_REFUSALS.has(error.code) || isWineLoginFailure(error)))
    return null;
  if (login.password === undefined && login.keytab === undefined) return null;
  const what = `${login.password !== undefined ? 'password' : 'keytab'} login of ${login.principal ?? 'the keytab principal'}`;
  return new LoginRefusedError(
    isWineLoginFailure(error)
      ? `the ${what} failed in Wine's Kerberos package, which does not say why: ${error.code}`
      : `the KDC refused the ${what}: ${error.code}`,
    {
      cause: error,
      hint: `${error.hint ?? 'check the password or keytab'}; it is not tried again (each attempt counts toward the account's lockout): fix it, then call auth.retryLogin() or make a new HTTPSPNEGOAuth${login.keytab !== undefined ? ' (a rewritten keytab file is tried again by itself)' : ''}`,
    },
  );
}
