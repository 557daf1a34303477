import { statSync } from 'node:fs';
import { Credentials, readAgain } from '../gssapi/credentials.js';
import { GSSError } from '../gssapi/gss-error.js';
import type { OID } from '../gssapi/oid.js';
import { providerCapabilities } from '../gssapi/provider.js';
import { type CredentialLease, CredentialLeases, type SpareHandle } from './credential-leases.js';
import { acquireDescribed, type CredentialAcquirer, gssapiAcquirer } from './described-credentials.js';
import type { LoginRefusedError } from './errors.js';
import { loginRefusal } from './login-refusal.js';
import type { CredentialsDescription } from './options.js';

// Where acquisitions are made, named here too: tests and callers reach them with the source.
export { type CredentialAcquirer, gssapiAcquirer } from './described-credentials.js';

/**
 * How long default credentials (the ccache) are reused before being acquired again. Passing no
 * credentials makes MIT acquire them inside every gss_init_sec_context (~150-200 us a token,
 * docs/benchmarks.md); a minute bounds how long a `kinit` as someone else goes unseen, and a
 * credential failure drops them at once.
 */
const DEFAULT_CREDS_TTL_MS = 60_000;

/**
 * The credentials every context of one {@link HTTPSPNEGOAuth} uses, from its `creds` option:
 * given `Credentials` as they are; a description acquired once, on first use (a failed
 * acquisition is not cached: the next request tries again), acquired again when a context fails
 * because of them; nothing means the default ccache, acquired once and reused for up to a minute,
 * dropped when a context fails because of them.
 *
 * When credentials acquired again belong to another principal than those before (a `kinit` as
 * someone else into the ccache), `onIdentityChange` is called at once: whatever the previous
 * user's tickets earned (session cookies) must not serve the new one.
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
  /** The refused keytab file as it was then ({@link fileStamp}): a rewritten keytab is tried again. */
  #refusedKeytab: string | null = null;
  #owned: Credentials | null = null;
  /** Reads the described login's ccache again into another handle (see {@link lease}). */
  #ownedSpare: SpareHandle | null = null;
  readonly #leases = new CredentialLeases();
  /** When the described login is done again, before its tickets expire (ms since the epoch). */
  #renewAt = Number.POSITIVE_INFINITY;
  #default: { readonly creds: Credentials; readonly until: number } | null = null;
  #defaultPending: Promise<Credentials | null> | null = null;
  /** The principal of the credentials acquired last, when known (`gss_display_name`). */
  #principal: string | null = null;
  /** The ccache file as it was when the credentials were read from it ({@link fileStamp}). */
  #ccacheStamp: string | null = null;
  readonly #onIdentityChange: () => void;

  readonly #acquirer: CredentialAcquirer;

  /** What SPNEGO may negotiate with credentials acquired here, for a provider that takes it at acquisition. */
  readonly #negotiableMechs: readonly OID[] | null;

  /**
   * @param option - the validated `creds` option.
   * @param acquirer - how credentials are acquired (fakes in unit tests).
   * @param negotiableMechs - the client's limit (`[OID.KRB5]` unless NTLM is allowed, see
   *   `negotiableMechsFor`). Passed to the acquisitions when the provider takes it there
   *   (`limitMechsAtAcquisition`); the others are limited per use by `limitToKerberos`.
   * @param onIdentityChange - called when credentials acquired here belong to another principal
   *   than the ones acquired before (the auth drops its session cookies).
   */
  constructor(
    option: Credentials | CredentialsDescription | null,
    negotiableMechs: readonly OID[] | null = null,
    acquirer: CredentialAcquirer = gssapiAcquirer,
    onIdentityChange: () => void = () => {},
  ) {
    this.#option = option;
    this.#negotiableMechs = negotiableMechs;
    this.#acquirer = acquirer;
    this.#onIdentityChange = onIdentityChange;
  }

  /**
   * Remembers whose credentials were just acquired, and reports a change of principal. A name
   * that is not known (a handle that cannot be inquired before its first use) changes nothing.
   */
  #noteIdentity(creds: Credentials): void {
    const ccache = this.#ccacheFile();
    this.#ccacheStamp = ccache === null ? null : fileStamp(ccache);
    const principal = creds.name === null ? null : String(creds.name);
    if (principal === null) return;
    const before = this.#principal;
    this.#principal = principal;
    if (before !== null && before !== principal) this.#onIdentityChange();
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
    if (this.#refused && option.keytab !== undefined && fileStamp(option.keytab) !== this.#refusedKeytab) {
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
          this.#noteIdentity(creds);
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
    this.#refusedKeytab = option.keytab === undefined ? null : fileStamp(option.keytab);
    this.#refused = refused;
    return refused;
  }

  /**
   * After a context failed with `error` using `creds`: whether the failure is the credentials'
   * own (see {@link GSSError.credentialFailure}) and `creds` were the cached default ones or
   * those acquired from the `creds` description. If so they are dropped, and the caller may try
   * once more with fresh ones: the ticket may have expired or been renewed, or a `kinit` as
   * another user replaced the ccache.
   */
  dropStale(creds: Credentials | null, error: unknown): boolean {
    if (!(error instanceof GSSError) || error.credentialFailure === null) return false;
    if (creds && creds === this.#owned) {
      // A keytab or password login whose tickets expired all the same (the process slept): log
      // in again; a refusal is remembered as for the first login. A described ccache is read
      // afresh: a handle acquired from it stays tied to the principal it found there, and after
      // a `kinit` as another user into that ccache MIT fails every context made with it
      // (GSS_S_DEFECTIVE_CREDENTIAL, measured with 1.20.1) until it is acquired again.
      this.#forgetDescribed();
      return true;
    }
    if (!creds || this.#default?.creds !== creds) return false;
    this.#leases.retire(creds);
    this.#default = null;
    return true;
  }

  /**
   * Before a session cookie stands in for a token (no credentials are used then): when the ccache
   * file the credentials were read from has been rewritten since (a `kinit`, a renewal), they are
   * read again now, so that a change of principal drops the previous user's sessions before one
   * of them is reused (see `onIdentityChange`). One `stat` when nothing changed; only for a
   * `FILE:` ccache, described or named by `KRB5CCNAME` (other kinds have no file to watch: their
   * change is seen at the next acquisition).
   *
   * @returns whether the credentials were read again (a change of principal then cleared the
   *   sessions).
   * @example
   * ```ts
   * if (session.held && (await source.recheck())) held = session.held; // sessions may be gone
   * ```
   */
  async recheck(): Promise<boolean> {
    const ccache = this.#ccacheFile();
    if (ccache === null || this.#principal === null || fileStamp(ccache) === this.#ccacheStamp) return false;
    if (this.#option === null) {
      this.#leases.retire(this.#default?.creds ?? null);
      this.#default = null;
    } else {
      this.#forgetDescribed();
    }
    // Acquiring again reports a change of principal; a failure is the next token's to report.
    await this.get().catch(() => null);
    return true;
  }

  /** The ccache file to watch: a described ccache alone, or the default one named by KRB5CCNAME. */
  #ccacheFile(): string | null {
    const option = this.#option;
    if (option instanceof Credentials) return null;
    const name =
      option === null
        ? (process.env['KRB5CCNAME'] ?? null)
        : option.keytab === undefined && option.password === undefined
          ? (option.ccache ?? null)
          : null;
    if (name === null || !(name.startsWith('FILE:') || !/^[A-Za-z]+:/.test(name))) return null;
    return name;
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
          this.#noteIdentity(creds);
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
 * A keytab's or ccache's file identity and version (inode, size, mtime), or `missing`; null for
 * one that is not a file (`MEMORY:`), which never changes under us.
 */
function fileStamp(file: string): string | null {
  const path =
    file.startsWith('FILE:') || file.startsWith('WRFILE:') ? file.slice(file.indexOf(':') + 1) : file;
  if (/^[A-Z]+:/.test(path)) return null;
  try {
    // About 2 us (measured, Node 20): cheap enough for every request a session serves.
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat === undefined ? 'missing' : `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
