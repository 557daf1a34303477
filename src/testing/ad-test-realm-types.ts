/**
 * The public shapes of an {@link AdTestRealm}: its accounts and the options of
 * {@link AdTestRealm.createUser}. Type-only, re-exported from `http-gssapi/testing`.
 *
 * @module
 */

/**
 * An account of an {@link AdTestRealm} (AD user object). `password` is not enumerable, so
 * logging or serialising the account does not print it.
 *
 * @example
 * ```ts
 * const alice = await realm.createUser('alice');
 * await realm.kinit(alice.principal, { password: alice.password });
 * ```
 */
export interface AdAccount {
  /** The `sAMAccountName`, e.g. `'alice'`: what the account methods take. */
  readonly name: string;
  /** `name@REALM`, the Kerberos principal. */
  readonly principal: string;
  /** The password it was created with (random unless given). */
  readonly password: string;
}

/**
 * Options of {@link AdTestRealm.createUser}.
 *
 * @example
 * ```ts
 * const big = await realm.createUser('big', { groups: 200 }); // a PAC with 200 more group SIDs
 * ```
 */
export interface AdUserOptions {
  /** The password; default random. Any value is accepted (the realm has no password policy). */
  password?: string;
  /**
   * Groups to create with the user as their only member, in one transaction: a count
   * (`<name>-g1`, `<name>-g2`, ...) or names. Each adds a SID (about 8 bytes, more with
   * delegation) to the user's PAC, so to every ticket and token.
   */
  groups?: number | readonly string[];
  /**
   * `msDS-SupportedEncryptionTypes`: which keys the KDC encrypts service tickets for this account
   * with (0x18 = AES only). Unset, AD issues RC4 service tickets.
   */
  encryptionTypes?: number;
  /**
   * The user principal name users log in with, e.g. `'carol@corp.example'` (a UPN suffix other
   * than the realm); default `<name>@<dns domain>`. The KDC resolves it as an enterprise name.
   */
  userPrincipalName?: string;
}
