import { statSync } from 'node:fs';
import {
  type AcquireCredentialsOptions,
  Credentials,
  type PasswordCredentialsOptions,
  readAgain,
} from '../gssapi/credentials.js';
import { GSSError } from '../gssapi/gss-error.js';
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import { OID } from '../gssapi/oid.js';
import { providerCapabilities } from '../gssapi/provider.js';
import { type CredentialLease, CredentialLeases, type SpareHandle } from './credential-leases.js';
import type { LoginRefusedError } from './errors.js';
import { loginAnyForm } from './login-names.js';
import { loginRefusal } from './login-refusal.js';
import type { CredentialsDescription } from './options.js';

/**
 * How long default credentials (the ccache) are reused before being acquired again. Passing no
 * credentials makes MIT acquire them inside every gss_init_sec_context (~150-200 us a token,
 * docs/benchmarks.md); a minute bounds how long a `kinit` as someone else goes unseen, and a
 * credential failure drops them at once.
 */
const DEFAULT_CREDS_TTL_MS = 60_000;

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

/**
 * The credentials every context of one {@link HTTPSPNEGOAuth} uses, from its `creds` option:
 * given `Credentials` as they are; a description acquired once, on first use (a failed
 * acquisition is not cached: the next request tries again); nothing means the default ccache,
 * acquired once and reused for up to a minute, dropped when a context fails because of them.
 *
 * @example
 * ```ts
 * const source = new CredentialSource({ keytab: '/etc/app.keytab' });
 * const creds = await source.get();
 * ```
 */
export class CredentialSource {
  readonly #option: Credentials | CredentialsDescription | null;
  #described: Promise<Credentials> | null = null;
  /** Why the KDC refused the described login: remembered, so no request tries it again. */
  #refused: LoginRefusedError | null = null;
  /** The credentials whose first step was refused (`refusalAtFirstStep`), while the refusal stands. */
  #refusedCreds: Credentials | null = null;
  /** The refused keytab file as it was then ({@link keytabStamp}): a rewritten keytab is tried again. */
  #refusedKeytab: string | null = null;
  #owned: Credentials | null = null;
  /** Reads the described login's ccache again into another handle (see {@link lease}). */
  #ownedSpare: SpareHandle | null = null;
  readonly #leases = new CredentialLeases();
  /** When the described login is done again, before its tickets expire (ms since the epoch). */
  #renewAt = Number.POSITIVE_INFINITY;
  #default: { readonly creds: Credentials; readonly until: number } | null = null;
  #defaultPending: Promise<Credentials | null> | null = null;

  readonly #acquirer: CredentialAcquirer;

  /** What SPNEGO may negotiate with credentials acquired here, for a provider that takes it at acquisition. */
  readonly #negotiableMechs: readonly OID[] | null;

  /**
   * @param option - the validated `creds` option.
   * @param acquirer - how credentials are acquired (fakes in unit tests).
   * @param negotiableMechs - the client's limit (`[OID.KRB5]` unless NTLM is allowed, see
   *   `negotiableMechsFor`). Passed to the acquisitions when the provider takes it there
   *   (`limitMechsAtAcquisition`); the others are limited per use by `limitToKerberos`.
   */
  constructor(
    option: Credentials | CredentialsDescription | null,
    negotiableMechs: readonly OID[] | null = null,
    acquirer: CredentialAcquirer = gssapiAcquirer,
  ) {
    this.#option = option;
    this.#negotiableMechs = negotiableMechs;
    this.#acquirer = acquirer;
  }

  /** The limit to acquire with, where the provider takes it at acquisition. */
  #acquireLimit(): readonly OID[] | null {
    return providerCapabilities().limitMechsAtAcquisition ? this.#negotiableMechs : null;
  }

  /** The credentials for the next context; null means GSS_C_NO_CREDENTIAL (the library's default). */
  get(): Promise<Credentials | null> {
    const option = this.#option;
    if (option === null) return this.#defaultCredentials();
    if (option instanceof Credentials) return Promise.resolve(option);
    if (this.#refused && option.keytab !== undefined && keytabStamp(option.keytab) !== this.#refusedKeytab) {
      // The keytab was rewritten since the KDC refused it (new keys exported after a password
      // reset): its new keys get their one attempt, with no restart and no retryLogin().
      this.retryLogin();
    }
    if (this.#refused) return Promise.reject(this.#refused);
    if (this.#described && Date.now() >= this.#renewAt) this.#forgetDescribed();
    if (!this.#described) {
      this.#described = acquireDescribed(this.#acquirer, option, this.#acquireLimit()).then(
        ({ creds, spare }) => {
          this.#owned = creds;
          this.#ownedSpare = spare;
          this.#renewAt = renewalTime(option, creds);
          return creds;
        },
        (error: unknown) => {
          this.#described = null;
          throw this.#remember(option, error);
        },
      );
    }
    return this.#described;
  }

  /**
   * The error to report for a context that failed with `error` using `creds`: when `creds` are
   * this source's password or keytab login and `error` is the KDC refusing it (see
   * {@link loginRefusal}: a provider with `refusalAtFirstStep` logs in at the first step),
   * the refusal is remembered as for a refused acquisition, and the {@link LoginRefusedError}
   * returned; else `error` itself.
   */
  noteRefusal(creds: Credentials | null, error: unknown): unknown {
    const option = this.#option;
    if (creds === null || option === null || option instanceof Credentials) return error;
    // Another request's step on the same handle was refused first: the same refusal.
    if (creds === this.#refusedCreds && this.#refused) return this.#refused;
    if (creds !== this.#owned) return error;
    const refused = this.#remember(option, error);
    if (refused !== error) {
      this.#refusedCreds = creds;
      this.#forgetDescribed();
    }
    return refused;
  }

  /** Remembers a refused login (the error to throw), or returns `error` when it is none. */
  #remember(option: CredentialsDescription, error: unknown): unknown {
    const refused = loginRefusal(error, option);
    if (refused === null) return error;
    this.#refusedKeytab = option.keytab === undefined ? null : keytabStamp(option.keytab);
    this.#refused = refused;
    return refused;
  }

  /**
   * After a context failed with `error` using `creds`: whether the failure is the credentials'
   * own (see {@link GSSError.credentialFailure}) and `creds` were the cached default ones. If so
   * they are dropped, and the caller may try once more with fresh ones: the ticket may have
   * expired or been renewed, or a `kinit` as another user replaced the ccache.
   */
  dropStale(creds: Credentials | null, error: unknown): boolean {
    if (!(error instanceof GSSError) || error.credentialFailure === null) return false;
    if (creds && creds === this.#owned && renews(this.#option)) {
      // A keytab or password login whose tickets expired all the same (the process slept):
      // log in again; a refusal is remembered as for the first login.
      this.#forgetDescribed();
      return true;
    }
    if (!creds || this.#default?.creds !== creds) return false;
    this.#leases.retire(creds);
    this.#default = null;
    return true;
  }

  /**
   * The handle one first step makes its context with, from `creds` (what {@link get} gave):
   * `creds` itself, or when another first step holds it (MIT locks a credential handle for the
   * whole call, KDC exchange included) a spare read from the same ccache, so that a request
   * whose ticket is cached does not wait for another's KDC exchange (see CredentialLeases).
   * Credentials given as a `Credentials` object are always shared.
   *
   * @example
   * ```ts
   * const lease = await source.lease(await source.get(), signal);
   * try { await step(lease.creds); } finally { lease.release(); }
   * ```
   */
  lease(creds: Credentials | null, signal?: AbortSignal): Promise<CredentialLease> {
    return this.#leases.take(creds, this.#spareFor(creds), signal);
  }

  #spareFor(creds: Credentials | null): SpareHandle | null {
    if (creds === null || !providerCapabilities().ccacheAndKeytab) return null;
    if (creds === this.#owned) return this.#ownedSpare;
    // Caller-given credentials: made by Credentials.acquire from a ccache, that ccache again.
    if (creds === this.#option) return readAgain(creds);
    // The default ccache (KRB5CCNAME), as the shared handle was acquired.
    if (this.isDefault(creds)) {
      const negotiableMechs = this.#acquireLimit();
      return () => this.#acquirer.acquire({ usage: 'initiate', negotiableMechs });
    }
    return null;
  }

  /**
   * Lets go of the described credentials so the next request logs in again. They are not
   * released here: contexts in flight may still use them (the gssapi layer's
   * FinalizationRegistry releases them when the last lets go).
   */
  #forgetDescribed(): void {
    this.#leases.retire(this.#owned);
    this.#described = null;
    this.#owned = null;
    this.#ownedSpare = null;
    this.#renewAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Whether `creds` are the cached default credentials, for which `GSS_C_NO_CREDENTIAL` (null)
   * is an equivalent: the same default ccache, acquired by the library inside the call.
   */
  isDefault(creds: Credentials | null): boolean {
    return creds !== null && this.#option === null && this.#default?.creds === creds;
  }

  /** Forgets a refused login, so the next request tries it once more (after the password was fixed). */
  retryLogin(): void {
    this.#refused = null;
    this.#refusedCreds = null;
  }

  /** Releases credentials acquired from a description, and the cached default credentials. */
  dispose(): void {
    this.#leases.retireAll();
    this.#owned?.dispose();
    this.#owned = null;
    this.#described = null;
    this.#default?.creds.dispose();
    this.#default = null;
  }

  /**
   * The default credentials, acquired once and reused for up to {@link DEFAULT_CREDS_TTL_MS} (or
   * until 30 s before they expire). When they cannot be acquired, null: the context then passes
   * `GSS_C_NO_CREDENTIAL` and gss_init_sec_context reports why, with the usual codes. A replaced
   * credential is not released here: contexts in flight may still use it; it is released when the
   * last of them lets go of it (the FinalizationRegistry of the gssapi layer).
   */
  #defaultCredentials(): Promise<Credentials | null> {
    const cached = this.#default;
    if (cached && Date.now() < cached.until) return Promise.resolve(cached.creds);
    this.#defaultPending ??= this.#acquirer
      .acquire({ usage: 'initiate', negotiableMechs: this.#acquireLimit() })
      .then(
        (creds) => {
          this.#leases.retire(cached?.creds ?? null);
          const lifetimeMs =
            creds.lifetime === null ? Number.POSITIVE_INFINITY : (creds.lifetime - 30) * 1000;
          this.#default = {
            creds,
            until: Date.now() + Math.max(0, Math.min(DEFAULT_CREDS_TTL_MS, lifetimeMs)),
          };
          return creds;
        },
        () => {
          this.#leases.retire(cached?.creds ?? null);
          this.#default = null;
          return null;
        },
      )
      .finally(() => {
        this.#defaultPending = null;
      });
    return this.#defaultPending;
  }
}

/**
 * Whether a description is a login of ours (keytab or password) that must be done again before
 * its tickets expire: a long-running service outlives a ticket (10 h on most realms), and MIT
 * refreshes a client keytab's tickets only for the default credentials, not for a credential
 * handle acquired with a client_keytab and a ccache (measured with 1.20.1: the TGS request then
 * goes out with the expired TGT). A ccache description is left alone: whoever fills the ccache
 * (kinit, k5start, sssd) renews it, and MIT reads the renewed tickets from it.
 */
function renews(option: Credentials | CredentialsDescription | null): option is CredentialsDescription {
  return (
    option !== null &&
    !(option instanceof Credentials) &&
    (option.keytab !== undefined || option.password !== undefined)
  );
}

/** Half-way through the tickets' life, as MIT's own client keytab refresh does; never for a ccache. */
function renewalTime(option: CredentialsDescription, creds: Credentials): number {
  // No lifetime at all when just acquired: renewing at once would log in again on every request
  // (a provider may report a handle left after a refused Kerberos login as expiring now).
  // A handle really expired fails the context, and dropStale() logs in again.
  if (!renews(option) || creds.lifetime === null || creds.lifetime <= 0) return Number.POSITIVE_INFINITY;
  return Date.now() + (creds.lifetime * 1000) / 2;
}

/**
 * A keytab file's identity and version (inode, size, mtime), or `missing`; null for a keytab
 * that is not a file (`MEMORY:`), which never changes under us.
 */
function keytabStamp(keytab: string): string | null {
  const path =
    keytab.startsWith('FILE:') || keytab.startsWith('WRFILE:')
      ? keytab.slice(keytab.indexOf(':') + 1)
      : keytab;
  if (/^[A-Z]+:/.test(path)) return null;
  try {
    const { ino, size, mtimeMs } = statSync(path);
    return `${ino}:${size}:${mtimeMs}`;
  } catch {
    return 'missing';
  }
}

let memoryCcacheCount = 0;

const memoryCcache = () => `MEMORY:http-gssapi-${process.pid}-${++memoryCcacheCount}`;

/** Described credentials, and how to read their ccache again into another handle (null: no way). */
interface Described {
  readonly creds: Credentials;
  readonly spare: SpareHandle | null;
}

async function acquireDescribed(
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
