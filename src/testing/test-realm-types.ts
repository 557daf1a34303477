/**
 * The public shapes of a {@link TestRealm}: its user, service and environment, and the
 * arguments of its kinit and kadmin methods. Type-only, re-exported from `http-gssapi/testing`.
 *
 * @module
 */

/**
 * The realm's user principal, `user@REALM`. `password` is random per realm and is not
 * enumerable, so logging or serialising the object does not print it.
 *
 * @example
 * ```ts
 * await realm.kinit(realm.user.principal, { keytab: realm.user.keytab });
 * ```
 */
export interface TestRealmUser {
  /** `user@REALM`. */
  readonly principal: string;
  /** The user's password (random, 24 characters). */
  readonly password: string;
  /** A keytab holding the keys derived from that password (`kinit -k -t` works with it). */
  readonly keytab: string;
}

/**
 * The realm's HTTP service principal, `HTTP/<hostname>@REALM`, with a random key.
 *
 * @example
 * ```ts
 * const creds = await Credentials.acquire({ usage: 'accept', store: { keytab: realm.service.keytab } });
 * ```
 */
export interface TestRealmService {
  /** `HTTP/<hostname>@REALM`. */
  readonly principal: string;
  /** The host part, same as {@link TestRealm.hostname}. */
  readonly hostname: string;
  /** The service keytab (also `KRB5_KTNAME` in {@link TestRealm.env}). */
  readonly keytab: string;
}

/**
 * The environment variables that point Kerberos programs and libgssapi_krb5 at a realm.
 *
 * `KRB5_CLIENT_KTNAME` is deliberately absent. With it, MIT's initiator fetches a new TGT from
 * the user keytab whenever the ccache is missing *or expired* (measured with 1.20.1, even for a
 * ccache filled by a password kinit), so "no ticket" and "expired ticket" tests would pass
 * through a silent re-login instead of reaching the failure they test. Add it where that
 * re-login is wanted: ``realm.applyEnv({ KRB5_CLIENT_KTNAME: `FILE:${realm.user.keytab}` })``.
 *
 * @example
 * ```ts
 * spawn('curl', ['--negotiate', '-u', ':', url], { env: { ...process.env, ...realm.env } });
 * ```
 */
export interface TestRealmEnv {
  /** The realm's krb5.conf. */
  readonly KRB5_CONFIG: string;
  /** The realm's kdc.conf (read by the KDC programs only). */
  readonly KRB5_KDC_PROFILE: string;
  /** The default ccache, `FILE:<dir>/ccache`. */
  readonly KRB5CCNAME: string;
  /** The service keytab, for acceptors. */
  readonly KRB5_KTNAME: string;
  /** Replay cache directory inside the realm's dir, so tests never share or litter /var/tmp. */
  readonly KRB5RCACHEDIR: string;
}

/**
 * The variables that point Kerberos clients (MIT programs, libgssapi_krb5) at a realm: those of
 * {@link TestRealmEnv} without the KDC's own profile. What an Active Directory realm
 * (`AdTestRealm.env`) sets, since its KDC is Samba's.
 *
 * @example
 * ```ts
 * const env: Krb5ClientEnv = realm.env;
 * spawn('kinit', ['-k', '-t', keytab, principal], { env: { ...process.env, ...env } });
 * ```
 */
export type Krb5ClientEnv = Omit<TestRealmEnv, 'KRB5_KDC_PROFILE'>;

/**
 * How {@link TestRealm.kinit} proves the principal's identity.
 *
 * @example
 * ```ts
 * const secret: KinitSecret = { keytab: realm.user.keytab };
 * ```
 */
export type KinitSecret = { password: string } | { keytab: string };

/**
 * Options of {@link TestRealm.kinit}.
 *
 * @example
 * ```ts
 * await realm.kinit(realm.user.principal, { password: realm.user.password }, { ccache: 'FILE:/tmp/cc', lifetime: '5m' });
 * ```
 */
export interface KinitOptions {
  /** Where to store the ticket; default {@link TestRealm.ccache}. */
  ccache?: string;
  /** Ask for a forwardable ticket (needed for delegation); default `true`. */
  forwardable?: boolean;
  /** Requested lifetime, a krb5 duration (`'5m'`); the KDC caps it at the realm's `maxLife`. */
  lifetime?: string;
  /** Requested renewable lifetime, a krb5 duration; default: not renewable. */
  renewableLife?: string;
}

/**
 * The key of a principal created by {@link TestRealm.addPrincipal}: derived from a password, or
 * random (services).
 *
 * @example
 * ```ts
 * const key: PrincipalKey = { randkey: true };
 * ```
 */
export type PrincipalKey = { password: string } | { randkey: true };

/**
 * Attributes of a principal created by {@link TestRealm.addPrincipal}.
 *
 * @example
 * ```ts
 * await realm.addPrincipal('HTTP/trusted.localhost', { randkey: true }, { okAsDelegate: true });
 * ```
 */
export interface AddPrincipalOptions {
  /** Set `ok_as_delegate`: the KDC marks tickets to this service as fit for delegation. */
  okAsDelegate?: boolean;
  /** Require pre-authentication (as Active Directory does); adds a round trip to every kinit. */
  requiresPreauth?: boolean;
  /** The principal's own max ticket life (krb5 duration); default the realm's. */
  maxLife?: string;
  /** The principal's own max renewable life (krb5 duration); default the realm's. */
  maxRenewableLife?: string;
}
