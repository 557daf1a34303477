import { GSSError } from '../gssapi/gss-error.js';
import { unexplainedLoginFailure } from '../gssapi/provider.js';
import { LoginRefusedError } from './errors.js';
import type { CredentialsDescription } from './options.js';

/**
 * The KDC's answers that say the login itself was refused (RFC 4120 section 7.5.9): trying the
 * same password or key again would only count another failure toward the account's lockout.
 * A provider that logs in at the first step reports its own refusal with the first of these.
 */
const LOGIN_REFUSALS: ReadonlySet<string> = new Set([
  'KRB5KDC_ERR_PREAUTH_FAILED',
  'KRB5KRB_AP_ERR_BAD_INTEGRITY',
  'KRB5KDC_ERR_CLIENT_REVOKED',
  'KRB5KDC_ERR_KEY_EXP',
  'KRB5KDC_ERR_NAME_EXP',
]);

/**
 * The one rule for a refused login of a `creds` description, wherever the refusal shows: at the
 * acquisition (a password or keytab login there) or at the first context step (a provider with
 * `refusalAtFirstStep` logs in there). Returns the {@link LoginRefusedError} to remember when
 * `error` is such a refusal of a password or keytab login, else null (a ccache description logs
 * nobody in; other failures, such as an unreachable KDC, may pass and are tried again). A
 * failure the provider reports without saying why (`unexplainedLoginFailure`: it cannot tell a
 * wrong password from an unreachable KDC) counts as a refusal too: the login is not tried again
 * until `retryLogin()`, which after a KDC outage costs a call, but never an attempt toward the
 * account's lockout.
 *
 * @example
 * ```ts
 * const refused = loginRefusal(error, { principal: 'alice@EXAMPLE.ORG', password: 'x' });
 * if (refused) remember(refused);
 * ```
 */
export function loginRefusal(error: unknown, login: CredentialsDescription): LoginRefusedError | null {
  if (!(error instanceof GSSError)) return null;
  const unexplained = unexplainedLoginFailure(error);
  if (!LOGIN_REFUSALS.has(error.code) && unexplained === null) return null;
  if (login.password === undefined && login.keytab === undefined) return null;
  const what = `${login.password !== undefined ? 'password' : 'keytab'} login of ${login.principal ?? 'the keytab principal'}`;
  return new LoginRefusedError(
    unexplained !== null
      ? `the ${what} failed in ${unexplained}: ${error.code}`
      : `the KDC refused the ${what}: ${error.code}`,
    {
      cause: error,
      hint: `${error.hint ?? 'check the password or keytab'}; it is not tried again (each attempt counts toward the account's lockout): fix it, then call auth.retryLogin() or make a new HTTPSPNEGOAuth${login.keytab !== undefined ? ' (a rewritten keytab file is tried again by itself)' : ''}`,
    },
  );
}
