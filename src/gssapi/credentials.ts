import { Name } from './name.js';
import { NameType } from './name-type.js';
import { OID } from './oid.js';
import { activeProvider } from './provider.js';
import type { CredentialsImpl, NameImpl } from './provider-types.js';
import type * as raw from './raw/index.js';
import { GssapiLibraryError } from './raw/library.js';

/** What credentials are for (RFC 2743 section 2.1.1). */
export type CredentialUsage = 'initiate' | 'accept' | 'both';

/**
 * A credential store (MIT `gss_acquire_cred_from`, see krb5's gssapi docs "Credential store
 * extensions"). Keys as MIT names them; any other key is passed through unchanged.
 */
export interface CredentialStore {
  /** Credential cache to read, or to fill when a client keytab is used (`FILE:`, `MEMORY:`, `KCM:`, ...). */
  readonly ccache?: string;
  /** Keytab used to obtain initiator tickets without kinit. */
  readonly client_keytab?: string;
  /** Keytab used to accept contexts (servers). */
  readonly keytab?: string;
  /** Replay cache for acceptors. */
  readonly rcache?: string;
  readonly [key: string]: string | undefined;
}

/** Options of {@link Credentials.acquire}. */
export interface AcquireCredentialsOptions {
  /** Whose credentials: a Name, or a principal name such as `alice@EXAMPLE.ORG`. Default: the ccache's. */
  readonly name?: Name | string | null;
  /** Default `'initiate'`. */
  readonly usage?: CredentialUsage;
  /**
   * Mechanisms wanted. Default: Kerberos and SPNEGO for initiators (see the note on
   * {@link Credentials.acquire}), the library's default set for acceptors.
   */
  readonly mechs?: readonly OID[] | null;
  /** Seconds wanted; default: as long as possible. */
  readonly lifetime?: number | null;
  /**
   * Where to get them; uses `gss_acquire_cred_from` (MIT 1.11+; Debian 12's Heimdal 7.8 lacks it).
   * Without it, `usage: 'accept'` with a store of `keytab` alone still works where the library
   * has `gsskrb5_register_acceptor_identity` (Heimdal): that sets the acceptor keytab for the
   * whole process, so the first such keytab is the only one (another is
   * `ERR_GSSAPI_KEYTAB_IN_USE`) and acceptors using default credentials read it too. Any other
   * store there is `ERR_GSSAPI_UNSUPPORTED`.
   */
  readonly store?: CredentialStore | null;
  /**
   * Limits what SPNEGO may negotiate with them (RFC 4178 section 3), e.g. `[OID.KRB5]`: Kerberos,
   * never NTLM. Under SSPI the Negotiate handle is acquired with this package list
   * (SEC_WINNT_AUTH_IDENTITY_EXW `PackageList`, as `Kerberos,!NTLM`), the only moment SSPI takes
   * it; Wine ignores package lists, so there it is not passed (docs/windows.md). With MIT, the
   * same as {@link Credentials.setNegotiableMechs} right after acquisition; with a library
   * without `gss_set_neg_mechs` (Heimdal 7), the credentials are acquired for SPNEGO and these
   * mechanisms only, which is what Heimdal's SPNEGO then offers.
   */
  readonly negotiableMechs?: readonly OID[] | null;
}

/** Options of {@link Credentials.withPassword}. */
export interface PasswordCredentialsOptions {
  /** The principal to log in as. */
  readonly name: Name | string;
  /** Copied to native memory for the call and wiped afterwards; never logged. */
  readonly password: string | Uint8Array;
  readonly usage?: CredentialUsage;
  readonly mechs?: readonly OID[] | null;
  readonly lifetime?: number | null;
  /** Limits what SPNEGO may negotiate with them, as {@link AcquireCredentialsOptions.negotiableMechs}. */
  readonly negotiableMechs?: readonly OID[] | null;
}

const USAGES: readonly CredentialUsage[] = ['initiate', 'accept', 'both'];

function checkUsage(usage: unknown): CredentialUsage {
  if (usage === undefined) return 'initiate';
  if (!USAGES.includes(usage as CredentialUsage))
    throw new TypeError(`usage must be 'initiate', 'accept' or 'both', got ${String(usage)}`);
  return usage as CredentialUsage;
}

/** `GSS_C_INDEFINITE` (RFC 2744 section 3.7): no lifetime this large can be asked for. */
const INDEFINITE = 0xffffffff;

function checkLifetime(lifetime: unknown): number | null {
  if (lifetime == null) return null;
  if (
    typeof lifetime !== 'number' ||
    !Number.isInteger(lifetime) ||
    lifetime <= 0 ||
    lifetime >= INDEFINITE
  ) {
    throw new TypeError(`lifetime must be a positive number of seconds, got ${String(lifetime)}`);
  }
  return lifetime;
}

function checkMechs(mechs: unknown): readonly OID[] | null {
  if (mechs == null) return null;
  if (!Array.isArray(mechs) || !mechs.every((m) => m instanceof OID))
    throw new TypeError('mechs must be an array of OID');
  return mechs as readonly OID[];
}

/** Resolves a name option; the caller disposes the returned name when `owned`. */
function resolveName(name: Name | string | null | undefined): { name: NameImpl | null; owned: boolean } {
  if (name == null) return { name: null, owned: false };
  if (name instanceof Name) return { name: name.impl, owned: false };
  if (typeof name === 'string')
    return { name: activeProvider().importName(name, NameType.krb5Principal), owned: true };
  throw new TypeError('name must be a Name or a principal name string');
}

/**
 * GSSAPI credentials: a user's tickets (from the default ccache, a ccache path, a client keytab
 * or a password) or a service's keys. Acquisition runs off the event loop. What they are
 * underneath (a `gss_cred_id_t`, or an SSPI credential handle) is the provider's.
 *
 * @example
 * ```ts
 * import { Credentials } from 'http-gssapi/gssapi';
 * // A service account logging in from its keytab, without kinit and without touching the user's ccache:
 * const creds = await Credentials.acquire({
 *   name: 'svc-report@EXAMPLE.ORG',
 *   store: { client_keytab: '/etc/report.keytab', ccache: 'MEMORY:report' },
 * });
 * console.log(String(creds.name), creds.lifetime);
 * creds.dispose();
 * ```
 */
export class Credentials implements Disposable {
  readonly #impl: CredentialsImpl;
  #name: Name | null = null;

  private constructor(impl: CredentialsImpl) {
    this.#impl = impl;
    this.#name = impl.name === null ? null : Name.fromImpl(impl.name);
  }

  /**
   * Internal: wraps a provider's credentials (e.g. delegated ones), which this object then owns.
   *
   * @example
   * ```ts
   * const creds = Credentials.fromImpl(impl);
   * ```
   */
  static fromImpl(impl: CredentialsImpl): Credentials {
    return new Credentials(impl);
  }

  /**
   * Acquires credentials (`gss_acquire_cred`, or `gss_acquire_cred_from` when `store` is given).
   * Initiator credentials get Kerberos and SPNEGO elements unless `mechs` says otherwise: with
   * MIT's default set, SPNEGO would ignore a keytab or password credential and use the default
   * ccache instead (measured with MIT 1.20), so the server would see another user.
   *
   * On a library without `gss_acquire_cred_from` (Heimdal 7), accept credentials from
   * `store: { keytab }` register that keytab process-wide (`gsskrb5_register_acceptor_identity`)
   * before `gss_acquire_cred`: one acceptor keytab per process, see {@link AcquireCredentialsOptions.store}.
   * @throws {GSSError} e.g. `KRB5_FCC_NOFILE` (no ccache), `KRB5_KT_NOTFOUND` (keytab lacks the principal, or is missing).
   * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` for a store the library cannot read;
   *   `ERR_GSSAPI_KEYTAB_IN_USE` for a second acceptor keytab where it is process-wide (Heimdal 7).
   *
   * @example
   * ```ts
   * // A server's acceptor credentials (MIT; Heimdal 7: one such keytab per process).
   * const creds = await Credentials.acquire({ usage: 'accept', store: { keytab: '/etc/http.keytab' } });
   * ```
   */
  static async acquire(options: AcquireCredentialsOptions = {}): Promise<Credentials> {
    const usage = checkUsage(options.usage);
    const lifetime = checkLifetime(options.lifetime);
    const negotiableMechs = checkNegotiableMechs(options.negotiableMechs);
    const mechs = checkMechs(options.mechs);
    const store = options.store == null ? null : checkStore(options.store);
    const provider = activeProvider();
    const { name, owned } = resolveName(options.name);
    try {
      const impl = await provider.acquire({ name, usage, mechs, lifetime, store, negotiableMechs });
      const creds = new Credentials(impl);
      const again = provider.capabilities.ccacheAndKeytab ? ccacheRecipe(options, usage, store) : null;
      if (again) recipes.set(creds, again);
      return creds;
    } finally {
      if (owned) name?.dispose();
    }
  }

  /**
   * Logs in with a password (`gss_acquire_cred_with_password`): tickets go to a memory ccache,
   * nothing is written to disk and no kinit is needed. With the default `mechs` (SPNEGO and
   * Kerberos) MIT logs in once per mechanism, so a wrong password counts twice against a lockout
   * policy; pass `mechs: [OID.SPNEGO]` to log in once when only SPNEGO (HTTP) will use it.
   * @throws {GSSError} e.g. `KRB5KDC_ERR_PREAUTH_FAILED` (wrong password).
   */
  static async withPassword(options: PasswordCredentialsOptions): Promise<Credentials> {
    if (options == null || options.name == null) throw new TypeError('name is required for a password login');
    const password = options.password;
    if (typeof password !== 'string' && !(password instanceof Uint8Array)) {
      throw new TypeError('password must be a string or a Uint8Array');
    }
    const usage = checkUsage(options.usage);
    const lifetime = checkLifetime(options.lifetime);
    const negotiableMechs = checkNegotiableMechs(options.negotiableMechs);
    const mechs = checkMechs(options.mechs);
    const { name, owned } = resolveName(options.name);
    try {
      const impl = await activeProvider().withPassword({
        name: name!,
        password,
        usage,
        mechs,
        lifetime,
        negotiableMechs,
      });
      return new Credentials(impl);
    } finally {
      if (owned) name?.dispose();
    }
  }

  /**
   * Internal: the provider's credentials, for the other classes of this layer (a disposed one
   * fails where its handle is used, as before the provider split: at the step).
   */
  get impl(): CredentialsImpl {
    return this.#impl;
  }

  /** Internal: the `gss_cred_id_t`, for the raw layer (C GSSAPI provider only). */
  get handle(): raw.CredHandle {
    if (this.#impl.released) throw new TypeError('these Credentials have been disposed');
    const { handle } = this.#impl as Partial<{ readonly handle: raw.CredHandle }>;
    if (handle === undefined)
      throw new GssapiLibraryError(
        'ERR_GSSAPI_UNSUPPORTED',
        'this provider has no GSSAPI credential handle: its credentials are not gss_cred_id_t',
      );
    return handle;
  }

  /** Whose credentials these are, when known. */
  get name(): Name | null {
    return this.#name;
  }

  /** Seconds left (as of the last inquiry); `null` when unknown or unlimited. */
  get lifetime(): number | null {
    return this.#impl.lifetime;
  }

  get usage(): CredentialUsage {
    return this.#impl.usage;
  }

  /** Mechanisms these credentials serve. */
  get mechs(): readonly OID[] {
    return this.#impl.mechs;
  }

  /**
   * What SPNEGO is held to with these credentials: the `negotiableMechs` they were acquired with
   * or {@link setNegotiableMechs} set, as the provider holds it; null when unlimited (under Wine,
   * which ignores SSPI package lists, always null).
   */
  get negotiableMechs(): readonly OID[] | null {
    return this.#impl.negotiableMechs;
  }

  /** Refreshes name, lifetime, usage and mechs (`gss_inquire_cred`), off the event loop. */
  async inquire(): Promise<this> {
    const before = this.#impl.name;
    await this.#impl.inquire();
    if (this.#impl.name !== before)
      this.#name = this.#impl.name === null ? null : Name.fromImpl(this.#impl.name);
    return this;
  }

  /**
   * Writes these credentials to a credential store (`gss_store_cred_into`), e.g. delegated
   * credentials to a ccache file that a child process can use through KRB5CCNAME.
   */
  async store(options: {
    readonly store: CredentialStore;
    readonly mech?: OID | null;
    readonly overwrite?: boolean;
    readonly default?: boolean;
  }): Promise<void> {
    await this.impl.store({
      store: checkStore(options.store),
      mech: options.mech ?? null,
      overwrite: options.overwrite ?? true,
      default: options.default ?? false,
    });
  }

  /**
   * Limits the mechanisms SPNEGO may negotiate with these credentials (`gss_set_neg_mechs`,
   * RFC 4178 section 3): without it, MIT's SPNEGO offers every mechanism the credentials serve,
   * NTLM included when gss-ntlmssp is installed, and falls back to it when Kerberos fails. The
   * limit stays on the handle for every later context. A cheap local call (no KDC).
   *
   * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` where the provider cannot limit a
   *   handle after acquisition (`limitMechsAfterAcquisition` false: SSPI, Heimdal 7) and the
   *   handle is not limited so already (acquired with this `negotiableMechs`, or serving no
   *   other mechanism).
   * @throws {GSSError} when the library refuses the set (e.g. `GSS_S_NO_CRED`: none of `mechs` is served).
   *
   * @example
   * ```ts
   * const creds = await Credentials.acquire({ usage: 'initiate' });
   * creds.setNegotiableMechs([OID.KRB5]); // SPNEGO offers Kerberos only, never NTLM
   * ```
   */
  setNegotiableMechs(mechs: readonly OID[]): void {
    this.impl.setNegotiableMechs(mechs);
  }

  /** Releases the credentials now. Safe to call twice. */
  dispose(): void {
    this.#name?.dispose();
    this.#name = null;
    this.#impl.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function checkNegotiableMechs(mechs: unknown): readonly OID[] | null {
  if (mechs == null) return null;
  if (!Array.isArray(mechs) || mechs.length === 0 || !mechs.every((m) => m instanceof OID))
    throw new TypeError('negotiableMechs must be a non-empty array of OID');
  return mechs as readonly OID[];
}

/** How initiator credentials acquired from a ccache can be read again (see {@link readAgain}). */
const recipes = new WeakMap<Credentials, AcquireCredentialsOptions>();

/**
 * The acquisition that reads the same ccache again into another handle, for initiator
 * credentials acquired from a ccache (the default one or a store's `ccache`), or null. Never
 * the client keytab: a second handle must not log in again. A `Name` object is not kept (its
 * owner may dispose it): only a principal given as a string, or none.
 */
function ccacheRecipe(
  options: AcquireCredentialsOptions,
  usage: CredentialUsage,
  store: Record<string, string> | null,
): AcquireCredentialsOptions | null {
  if (usage !== 'initiate') return null;
  if (options.name != null && typeof options.name !== 'string') return null;
  const { client_keytab, ...ccacheOnly } = store ?? {};
  // A client keytab with no ccache of its own logs in into one MIT picks: nothing to read again.
  if (client_keytab !== undefined && ccacheOnly['ccache'] === undefined) return null;
  return {
    name: options.name ?? null,
    usage: 'initiate',
    mechs: options.mechs ?? null,
    store: Object.keys(ccacheOnly).length ? ccacheOnly : null,
    negotiableMechs: options.negotiableMechs ?? null,
  };
}

/**
 * Internal: for credentials made by {@link Credentials.acquire} from a ccache, a function that
 * acquires another handle on the same ccache (no KDC exchange, no login), or null. The client
 * uses it when a request finds the handle busy: MIT locks a credential handle for the whole of
 * `gss_init_sec_context`, the KDC exchange included.
 *
 * @example
 * ```ts
 * const spare = readAgain(creds); // null for password credentials
 * const other = spare ? await spare() : creds;
 * ```
 */
export function readAgain(creds: Credentials): (() => Promise<Credentials>) | null {
  const recipe = recipes.get(creds);
  return recipe ? () => Credentials.acquire(recipe) : null;
}

function checkStore(store: CredentialStore): Record<string, string> {
  if (typeof store !== 'object') throw new TypeError('store must be an object of string values');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(store)) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new TypeError(`store.${key} must be a string`);
    out[key] = value;
  }
  return out;
}
