/**
 * Which principal names a password login tries, for what users type: `alice@EXAMPLE.ORG` (a
 * Kerberos principal), `alice@example.org` (the realm in lower case, as Active Directory users
 * write their domain) or `alice@corp.example.com` (an AD user principal name whose suffix is not
 * the realm).
 *
 * @module
 */
import { GSSError } from '../gssapi/gss-error.js';
import { NameType } from '../gssapi/name-type.js';
import type { OID } from '../gssapi/oid.js';

/** One name to log in as. */
export interface LoginName {
  readonly text: string;
  readonly type: OID;
}

/**
 * The names to try, in order. A principal whose realm is already upper case (or that has none:
 * the default realm) is used as it is. Otherwise the realm is upper-cased first (Kerberos realms
 * are case-sensitive and AD realms are the DNS domain in upper case), then the name as typed is
 * tried as an enterprise name (RFC 6806 section 5: the KDC of the default realm resolves a user
 * principal name, whatever its suffix; `kinit -E`).
 *
 * @example
 * ```ts
 * loginNames('alice@corp.example'); // [{ text: 'alice@CORP.EXAMPLE', ... }, { text: 'alice@corp.example', type: NameType.krb5Enterprise }]
 * ```
 */
export function loginNames(principal: string): readonly LoginName[] {
  const at = principal.lastIndexOf('@');
  const realm = at === -1 ? '' : principal.slice(at + 1);
  if (realm === realm.toUpperCase()) return [{ text: principal, type: NameType.krb5Principal }];
  return [
    { text: `${principal.slice(0, at)}@${realm.toUpperCase()}`, type: NameType.krb5Principal },
    { text: principal, type: NameType.krb5Enterprise },
  ];
}

/**
 * Failures that happen before any KDC checked the password (no KDC for the realm, a principal
 * the KDC does not know): trying the next name form costs no bad-password attempt. Any other
 * failure ends the login, so that a wrong password is tried once.
 */
const NAME_NOT_FOUND: ReadonlySet<string> = new Set([
  'KRB5_REALM_UNKNOWN',
  'KRB5_REALM_CANT_RESOLVE',
  'KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN',
  'KRB5KDC_ERR_WRONG_REALM',
]);

/**
 * Logs in as each of {@link loginNames} until one is found: the next form is tried only after a
 * failure that checked no password. When none is found, the error says which forms were tried.
 *
 * @example
 * ```ts
 * const creds = await loginAnyForm('alice@example.org', (name) => passwordLogin(name, password));
 * ```
 */
export async function loginAnyForm<T>(principal: string, login: (name: LoginName) => Promise<T>): Promise<T> {
  const names = loginNames(principal);
  let last: unknown;
  for (const name of names) {
    try {
      return await login(name);
    } catch (error) {
      if (!(error instanceof GSSError) || !NAME_NOT_FOUND.has(error.code)) throw error;
      last = error;
    }
  }
  if (names.length === 1) throw last;
  const gss = last as GSSError;
  throw Object.assign(
    new Error(
      `no KDC knows ${principal}: tried ${names[0]!.text} and the user principal name ${principal} (enterprise name, default realm): ${gss.message}`,
      { cause: gss },
    ),
    {
      code: gss.code,
      hint: `write the principal as user@REALM with the realm in upper case as krb5.conf names it, or check that the KDC of default_realm resolves the user principal name ${principal} (Active Directory does; MIT only for its own aliases)`,
    },
  );
}
