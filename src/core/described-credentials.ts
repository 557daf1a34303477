/**
 * Credentials from a `creds` description: a password or keytab login (one KDC attempt whatever
 * the mechanisms, into a private memory ccache), or a ccache as it is; and how each can be read
 * again into a spare handle. {@link CredentialSource} decides when.
 *
 * @module
 */
import {
  type AcquireCredentialsOptions,
  Credentials,
  type PasswordCredentialsOptions,
  readAgain,
} from '../gssapi/credentials.js';
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import { OID } from '../gssapi/oid.js';
import { providerCapabilities } from '../gssapi/provider.js';
import type { SpareHandle } from './credential-leases.js';
import { loginAnyForm } from './login-names.js';
import type { CredentialsDescription } from './options.js';

/**
 * How a {@link CredentialSource} acquires credentials: `Credentials.acquire` and
 * `Credentials.withPassword` unless a test hands it fakes.
 *
 * @example
 * ```ts
 * const counted: CredentialAcquirer = { ...gssapiAcquirer, acquire: (o) => (count++, Credentials.acquire(o)) };
 * ```
 */
export interface CredentialAcquirer {
  acquire(options: AcquireCredentialsOptions): Promise<Credentials>;
  withPassword(options: PasswordCredentialsOptions): Promise<Credentials>;
}

/**
 * The acquirer of the gssapi layer.
 *
 * @example
 * ```ts
 * new CredentialSource(null, null, gssapiAcquirer); // the same as new CredentialSource(null)
 * ```
 */
export const gssapiAcquirer: CredentialAcquirer = {
  acquire: (options) => Credentials.acquire(options),
  withPassword: (options) => Credentials.withPassword(options),
};

let memoryCcacheCount = 0;

const memoryCcache = () => `MEMORY:http-gssapi-${process.pid}-${++memoryCcacheCount}`;

/**
 * Described credentials, and how to read their ccache again into another handle (null: no way).
 *
 * @example
 * ```ts
 * const { creds, spare } = await acquireDescribed(gssapiAcquirer, { ccache: 'FILE:/tmp/cc' }, null);
 * ```
 */
export interface Described {
  readonly creds: Credentials;
  readonly spare: SpareHandle | null;
}

/**
 * Acquires the credentials a `creds` description names: a password login, a keytab login into
 * the description's ccache (or a private memory one), or the ccache as it is.
 *
 * @param negotiableMechs - the client's mechanism limit, where the provider takes it at acquisition.
 * @example
 * ```ts
 * const { creds } = await acquireDescribed(gssapiAcquirer, { keytab: '/etc/app.keytab' }, [OID.KRB5]);
 * ```
 */
export async function acquireDescribed(
  acquirer: CredentialAcquirer,
  d: CredentialsDescription,
  negotiableMechs: readonly OID[] | null,
): Promise<Described> {
  if (d.password !== undefined) {
    const password = d.password;
    // `alice@example.org` and UPNs too: see loginNames.
    return loginAnyForm(d.principal!, async ({ text, type }) => {
      const name = new Name(text, type);
      try {
        return await passwordLogin(acquirer, name, password, negotiableMechs);
      } finally {
        name.dispose();
      }
    });
  }
  const name = d.principal ? new Name(d.principal, NameType.krb5Principal) : null;
  try {
    const store: Record<string, string> = {};
    if (d.keytab !== undefined) {
      store['client_keytab'] = d.keytab;
      // A private memory ccache: a keytab login must not overwrite the user's default ccache.
      store['ccache'] = d.ccache ?? memoryCcache();
      await keytabLogin(acquirer, name, store);
    } else if (d.ccache !== undefined) {
      store['ccache'] = d.ccache;
    }
    // The principal as a string, so that the acquisition can be repeated for a spare (readAgain):
    // it reads the ccache the keytab login filled, never the keytab (logging in again is the
    // renewal's job, half-way through the tickets' life, not a busy moment's).
    const creds = await acquirer.acquire({
      name: d.principal || null,
      usage: 'initiate',
      store: Object.keys(store).length ? store : null,
      negotiableMechs,
    });
    return { creds, spare: readAgain(creds) };
  } finally {
    name?.dispose();
  }
}

/**
 * Logs in from a client keytab once, for Kerberos alone, into the store's ccache, before the
 * credentials for every mechanism are acquired from it. Acquired for SPNEGO directly, a stale key
 * (the account's password was reset after the keytab was written) fails as GSS_S_NO_CRED
 * ("SPNEGO cannot find mechanisms"), which hides the KDC's refusal, so the login would be tried
 * again by every request, each attempt counting toward the account's lockout. Asking for the
 * Kerberos credential's lifetime makes MIT fetch the initial tickets now and report the KDC's
 * own error (KRB5KDC_ERR_PREAUTH_FAILED, KRB5KRB_AP_ERR_BAD_INTEGRITY).
 */
async function keytabLogin(
  acquirer: CredentialAcquirer,
  name: Name | null,
  store: Record<string, string>,
): Promise<void> {
  if (!providerCapabilities().loginPerMechanism) return;
  const login = await acquirer.acquire({ name, usage: 'initiate', store, mechs: [OID.KRB5] });
  try {
    await login.inquire();
  } finally {
    login.dispose();
  }
}

/**
 * Logs in with a password once, whatever the mechanisms: one AS exchange for Kerberos alone,
 * its ticket stored in a private memory ccache, from which credentials for every mechanism
 * (SPNEGO included) are then read without another KDC request. A login per mechanism (what
 * gss_acquire_cred_with_password does with the default mechanism set: Kerberos, then SPNEGO's
 * own Kerberos login) costs two bad-password attempts per wrong password, and Active Directory
 * locks accounts after a handful.
 */
async function passwordLogin(
  acquirer: CredentialAcquirer,
  name: Name,
  password: string,
  negotiableMechs: readonly OID[] | null,
): Promise<Described> {
  // A provider that logs in once whatever the mechanisms (`loginPerMechanism` false: at the
  // acquisition or at the first step) needs none of this, and has no ccache to store into.
  if (!providerCapabilities().loginPerMechanism)
    return { creds: await acquirer.withPassword({ name, password, negotiableMechs }), spare: null };
  const login = await acquirer.withPassword({ name, password, mechs: [OID.KRB5] });
  try {
    const ccache = memoryCcache();
    await login.store({ store: { ccache }, mech: OID.KRB5 });
    const creds = await acquirer.acquire({ name, usage: 'initiate', store: { ccache }, negotiableMechs });
    // The private memory ccache holds this login's principal only.
    return {
      creds,
      spare: () => acquirer.acquire({ usage: 'initiate', store: { ccache }, negotiableMechs }),
    };
  } finally {
    login.dispose();
  }
}
