/**
 * The checks an {@link AdTestRealm} makes on the names and values a test hands it, before any of
 * them reaches Samba, and the clients' krb5.conf of the domain. Internal: not exported from
 * `http-gssapi/testing`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { AdUserOptions } from './ad-test-realm-types.js';
import { checkPassword } from './krb5-arguments.js';
import type { SambaAdminOperation } from './samba-admin-script.js';

// sAMAccountNames go into LDAP filters (escaped there) and keytab file names: keep them plain.
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/;
const SPN = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+$/;

/**
 * A password with every character class AD's complexity rule asks for, needing no quoting.
 *
 * @example
 * ```ts
 * const password = randomAdPassword(); // 'Aa1-' and 20 base64url characters
 * ```
 */
export function randomAdPassword(): string {
  return `Aa1-${randomBytes(15).toString('base64url')}`;
}

/**
 * A `sAMAccountName` of at most 20 plain characters, or a `TypeError`.
 *
 * @example
 * ```ts
 * checkAccount('alice'); // 'alice'
 * ```
 */
export function checkAccount(value: unknown): string {
  if (typeof value !== 'string' || !ACCOUNT.test(value)) {
    throw new TypeError(
      `account must be a sAMAccountName of at most 20 letters, digits, '.', '_', '-', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * A service principal name `service/host`, or a `TypeError`.
 *
 * @example
 * ```ts
 * checkSpn('HTTP/api.localhost');
 * ```
 */
export function checkSpn(value: unknown): string {
  if (typeof value !== 'string' || !SPN.test(value)) {
    throw new TypeError(`spn must look like 'HTTP/host', got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A principal with its realm (`realm` appended when absent), or a `TypeError`.
 *
 * @example
 * ```ts
 * fullPrincipal('HTTP/localhost', 'ADTEST.LOCAL'); // 'HTTP/localhost@ADTEST.LOCAL'
 * ```
 */
export function fullPrincipal(principal: string, realm: string): string {
  const full = typeof principal === 'string' && principal.includes('@') ? principal : `${principal}@${realm}`;
  if (!/^[A-Za-z0-9._/-]+@[A-Za-z0-9._-]+$/.test(full)) {
    throw new TypeError(`principal must look like 'HTTP/host' or 'user', got ${JSON.stringify(principal)}`);
  }
  return full;
}

/**
 * The directory operations that create a user (and its groups, in the same transaction), with
 * its password: every option checked first, a bad one a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const { operations, password } = createUserOperations('bob', { groups: 2 });
 * ```
 */
export function createUserOperations(
  name: string,
  options: AdUserOptions,
): { readonly account: string; readonly password: string; readonly operations: SambaAdminOperation[] } {
  const account = checkAccount(name);
  const password = checkPassword('options.password', options.password ?? randomAdPassword());
  const { groups = [], encryptionTypes, userPrincipalName } = options;
  const groupNames =
    typeof groups === 'number'
      ? Array.from({ length: groups }, (_, i) => `${account}-g${i + 1}`)
      : [...groups];
  if (!groupNames.every((group) => ACCOUNT.test(group))) {
    throw new TypeError('options.groups must be a count or group names like account names');
  }
  if (encryptionTypes !== undefined && (!Number.isInteger(encryptionTypes) || encryptionTypes < 0)) {
    throw new TypeError('options.encryptionTypes must be a non-negative integer');
  }
  if (userPrincipalName !== undefined && !/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+$/.test(userPrincipalName)) {
    throw new TypeError(
      `options.userPrincipalName must look like 'user@dns.suffix', got ${JSON.stringify(userPrincipalName)}`,
    );
  }
  const operations: SambaAdminOperation[] = [
    {
      op: 'user',
      name: account,
      password,
      ...(encryptionTypes === undefined ? {} : { encryptionTypes }),
      ...(userPrincipalName === undefined ? {} : { userPrincipalName }),
    },
  ];
  if (groupNames.length > 0) operations.push({ op: 'groups', name: account, groups: groupNames });
  return { account, password, operations };
}

/**
 * The clients' krb5.conf. Samba writes one that finds the KDC through DNS SRV records, which
 * the test domain does not publish: this one names it by address.
 *
 * @example
 * ```ts
 * await writeFile(realm.krb5Config, adClientKrb5Conf('ADTEST.LOCAL', 'localhost', '127.0.0.1:5088', 5089));
 * ```
 */
export function adClientKrb5Conf(
  realm: string,
  hostname: string,
  kdcAddress: string,
  kpasswdPort: number,
): string {
  return [
    '[libdefaults]',
    `  default_realm = ${realm}`,
    '  dns_lookup_kdc = false',
    '  dns_lookup_realm = false',
    '  rdns = false',
    // Delegation tests need forwardable TGTs (MIT skips delegation silently without).
    '  forwardable = true',
    '',
    '[realms]',
    `  ${realm} = {`,
    `    kdc = ${kdcAddress}`,
    `    kpasswd_server = 127.0.0.1:${kpasswdPort}`,
    '  }',
    '',
    '[domain_realm]',
    `  ${hostname} = ${realm}`,
    `  .${hostname} = ${realm}`,
    '',
  ].join('\n');
}
