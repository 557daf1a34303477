import { GSSError } from './gss-error.js';
import { OwnedHandle, whileHeld } from './handle.js';
import { Name } from './name.js';
import { NameType } from './name-type.js';
import { OID } from './oid.js';
import { gssapiProvider } from './provider.js';
import * as raw from './raw/index.js';
import { GssapiLibraryError, loadGssapiLibrary } from './raw/library.js';
import {
  acquireSspiCredentials,
  refuseStore,
  releaseSspiCredentials,
  type SspiCredentialRecord,
} from './sspi/sspi-credentials.js';

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
  /** Where to get them; uses `gss_acquire_cred_from` (MIT 1.11+, Heimdal 7+). */
  readonly store?: CredentialStore | null;
  /**
   * Limits what SPNEGO may negotiate with them (RFC 4178 section 3), e.g. `[OID.KRB5]`: Kerberos,
   * never NTLM. Under SSPI the Negotiate handle is acquired with this package list
   * (SEC_WINNT_AUTH_IDENTITY_EXW `PackageList`, as `Kerberos,!NTLM`), the only moment SSPI takes
   * it; Wine ignores package lists, so there it is not passed (docs/windows.md). Under the
   * GSSAPI providers, the same as {@link Credentials.setNegotiableMechs} right after acquisition.
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

const USAGES: Readonly<Record<CredentialUsage, number>> = {
  initiate: raw.CredUsage.INITIATE,
  accept: raw.CredUsage.ACCEPT,
  both: raw.CredUsage.BOTH,
};

function usageName(value: number): CredentialUsage {
  return value === raw.CredUsage.INITIATE ? 'initiate' : value === raw.CredUsage.ACCEPT ? 'accept' : 'both';
}

function checkUsage(usage: unknown): number {
  if (usage === undefined) return raw.CredUsage.INITIATE;
  const value = USAGES[usage as CredentialUsage];
  if (value === undefined)
    throw new TypeError(`usage must be 'initiate', 'accept' or 'both', got ${String(usage)}`);
  return value;
}

function checkLifetime(lifetime: unknown): number {
  if (lifetime == null) return raw.INDEFINITE;
  if (
    typeof lifetime !== 'number' ||
    !Number.isInteger(lifetime) ||
    lifetime <= 0 ||
    lifetime >= raw.INDEFINITE
  ) {
    throw new TypeError(`lifetime must be a positive number of seconds, got ${String(lifetime)}`);
  }
  return lifetime;
}

let initiatorDefault: readonly Uint8Array[] | null | undefined;

/**
 * The mechanisms an initiator credential gets when none are asked for: SPNEGO then Kerberos,
 * when the library has both. MIT's default set (`GSS_C_NO_OID_SET`) gives a password or keytab
 * credential a Kerberos element only; SPNEGO then finds no element of its own and silently falls
 * back to the default ccache, authenticating as whoever is in it. SPNEGO first: when both fail,
 * MIT reports the last mechanism's error, and Kerberos's is the one that says why.
 */
function defaultInitiatorMechs(): readonly Uint8Array[] | null {
  if (initiatorDefault !== undefined) return initiatorDefault;
  // MIT and Heimdal always build both mechanisms in. Not asked through gss_indicate_mechs: its
  // first call runs MIT's one-time mechanism loading (10-20 ms) on the event loop.
  const { provider } = loadGssapiLibrary().info;
  initiatorDefault = provider === 'custom' ? null : [OID.SPNEGO.bytes, OID.KRB5.bytes];
  return initiatorDefault;
}

function checkMechs(mechs: unknown, usage: number): readonly Uint8Array[] | null {
  if (mechs == null) return usage === raw.CredUsage.ACCEPT ? null : defaultInitiatorMechs();
  if (!Array.isArray(mechs) || !mechs.every((m) => m instanceof OID))
    throw new TypeError('mechs must be an array of OID');
  return mechs.map((m: OID) => m.bytes);
}

/** Resolves a name option; the caller disposes the returned Name when `owned`. */
function resolveName(name: Name | string | null | undefined): { name: Name | null; owned: boolean } {
  if (name == null) return { name: null, owned: false };
  if (name instanceof Name) return { name, owned: false };
  if (typeof name === 'string') return { name: new Name(name, NameType.krb5Principal), owned: true };
  throw new TypeError('name must be a Name or a principal name string');
}

const release = raw.releaseCred as (handle: bigint) => raw.Status;

/**
 * GSSAPI credentials: a user's tickets (from the default ccache, a ccache path, a client keytab
 * or a password) or a service's keys. Acquisition runs off the event loop.
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
  readonly #handle: OwnedHandle;
  #name: Name | null = null;
  #lifetime: number | null = null;
  #usage: CredentialUsage;
  #mechs: readonly OID[] = [];
  /** The SSPI provider's credential handle and package; null under the GSSAPI provider. */
  readonly #sspi: SspiCredentialRecord | null;

  private constructor(
    handle: raw.CredHandle,
    usage: CredentialUsage,
    sspi: SspiCredentialRecord | null = null,
  ) {
    this.#handle = new OwnedHandle(this, handle, sspi ? releaseSspiCredentials : release);
    this.#usage = usage;
    this.#sspi = sspi;
  }

  /**
   * SSPI provider: an outbound credential handle. SSPI has no credential store, no acceptor side
   * here, and takes the password in the acquisition itself (it logs in on first use).
   */
  static async #acquireSspi(
    usage: number,
    name: Name | string | null | undefined,
    mechs: unknown,
    password: string | null,
    negotiableMechs: readonly OID[] | null,
  ): Promise<Credentials> {
    if (usage !== raw.CredUsage.INITIATE) {
      throw new GssapiLibraryError(
        'ERR_GSSAPI_UNSUPPORTED',
        "the SSPI provider makes initiator credentials only (usage 'initiate'): AcceptSecurityContext is not wrapped",
      );
    }
    if (mechs != null && (!Array.isArray(mechs) || !mechs.every((m) => m instanceof OID)))
      throw new TypeError('mechs must be an array of OID');
    if (name != null && typeof name !== 'string' && !(name instanceof Name))
      throw new TypeError('name must be a Name or a principal name string');
    const principal = name == null ? null : String(name);
    const record = await acquireSspiCredentials({
      principal,
      password,
      mechs: mechs as OID[] | null,
      negotiableMechs,
    });
    const creds = new Credentials(record.handle as bigint as raw.CredHandle, 'initiate', record);
    creds.#name = principal === null ? null : new Name(principal, NameType.krb5Principal);
    creds.#lifetime = record.lifetime;
    creds.#mechs = record.mechs;
    return creds;
  }

  /**
   * Acquires credentials (`gss_acquire_cred`, or `gss_acquire_cred_from` when `store` is given).
   * Initiator credentials get Kerberos and SPNEGO elements unless `mechs` says otherwise: with
   * MIT's default set, SPNEGO would ignore a keytab or password credential and use the default
   * ccache instead (measured with MIT 1.20), so the server would see another user.
   * @throws {GSSError} e.g. `KRB5_FCC_NOFILE` (no ccache), `KRB5_KT_NOTFOUND` (keytab lacks the principal).
   */
  static async acquire(options: AcquireCredentialsOptions = {}): Promise<Credentials> {
    const usage = checkUsage(options.usage);
    const lifetime = checkLifetime(options.lifetime);
    const negotiable = checkNegotiableMechs(options.negotiableMechs);
    if (gssapiProvider() === 'sspi') {
      if (options.store != null) refuseStore(checkStore(options.store));
      return Credentials.#acquireSspi(usage, options.name, options.mechs, null, negotiable);
    }
    const mechs = limitedAtAcquisition(checkMechs(options.mechs, usage), negotiable);
    const store = options.store == null ? null : checkStore(options.store);
    const { name, owned } = resolveName(options.name);
    try {
      const input = { name: name?.handle ?? raw.NO_NAME, lifetime, mechs, usage };
      const r = await whileHeld([name], () =>
        store ? raw.acquireCredFrom({ ...input, store }) : raw.acquireCred(input),
      );
      if (raw.isError(r.major)) {
        throw new GSSError(store ? 'gss_acquire_cred_from' : 'gss_acquire_cred', r, {
          context: describeAcquire(name, store),
        });
      }
      const creds = limitNegotiation(await Credentials.#from(r.cred, usageName(usage)), negotiable);
      const again = ccacheRecipe(options, usage, store);
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
    const negotiable = checkNegotiableMechs(options.negotiableMechs);
    if (gssapiProvider() === 'sspi') {
      const text = typeof password === 'string' ? password : new TextDecoder().decode(password);
      return Credentials.#acquireSspi(usage, options.name, options.mechs, text, negotiable);
    }
    const mechs = limitedAtAcquisition(checkMechs(options.mechs, usage), negotiable);
    const { name, owned } = resolveName(options.name);
    const bytes = typeof password === 'string' ? new TextEncoder().encode(password) : password;
    try {
      const r = await whileHeld([name], () =>
        raw.acquireCredWithPassword({ name: name!.handle, password: bytes, lifetime, mechs, usage }),
      );
      if (raw.isError(r.major)) {
        throw new GSSError('gss_acquire_cred_with_password', r, { context: `for ${String(name)}` });
      }
      return limitNegotiation(await Credentials.#from(r.cred, usageName(usage)), negotiable);
    } finally {
      if (typeof password === 'string') bytes.fill(0);
      if (owned) name?.dispose();
    }
  }

  /** Internal: adopts a handle the library returned (e.g. delegated credentials). */
  static async fromHandle(handle: raw.CredHandle, usage: CredentialUsage): Promise<Credentials> {
    return Credentials.#from(handle, usage);
  }

  static async #from(handle: raw.CredHandle, usage: CredentialUsage): Promise<Credentials> {
    const creds = new Credentials(handle, usage);
    try {
      await creds.inquire();
    } catch {
      // Some credentials cannot be inquired before first use (MIT: a client keytab whose tickets
      // have not been fetched yet). They still work; name and lifetime stay unknown until then.
    }
    return creds;
  }

  /** Internal: the SSPI provider's record (handle, package); null under the GSSAPI provider. */
  get sspiRecord(): SspiCredentialRecord | null {
    if (this.#sspi && this.#handle.released) throw new TypeError('these Credentials have been disposed');
    return this.#sspi;
  }

  /** Internal: the handle, for the raw layer. */
  get handle(): raw.CredHandle {
    if (this.#handle.released) throw new TypeError('these Credentials have been disposed');
    return this.#handle.value as raw.CredHandle;
  }

  /** Whose credentials these are, when known. */
  get name(): Name | null {
    return this.#name;
  }

  /** Seconds left (as of the last inquiry); `null` when unknown or unlimited. */
  get lifetime(): number | null {
    return this.#lifetime;
  }

  get usage(): CredentialUsage {
    return this.#usage;
  }

  /** Mechanisms these credentials serve. */
  get mechs(): readonly OID[] {
    return this.#mechs;
  }

  /** Refreshes name, lifetime, usage and mechs (`gss_inquire_cred`), off the event loop. */
  async inquire(): Promise<this> {
    // SSPI: name, lifetime and mechanisms are known from the acquisition (Wine answers no
    // QueryCredentialsAttributesW), so there is nothing to refresh.
    if (this.#sspi) return this;
    const r = await whileHeld([this], () => raw.inquireCred(this.handle));
    if (raw.isError(r.major)) {
      if (r.name) raw.releaseName(r.name);
      throw new GSSError('gss_inquire_cred', r);
    }
    this.#name?.dispose();
    this.#name = r.name ? Name.fromHandle(r.name) : null;
    this.#lifetime = r.lifetime === raw.INDEFINITE ? null : r.lifetime;
    this.#usage = usageName(r.usage);
    this.#mechs = r.mechs.map((m) => OID.fromDer(m));
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
    if (this.#sspi) {
      refuseStore(checkStore(options.store));
      throw new GssapiLibraryError(
        'ERR_GSSAPI_UNSUPPORTED',
        'the SSPI provider cannot store credentials: Windows keeps them in the logon session',
      );
    }
    const r = await whileHeld([this], () =>
      raw.storeCredInto({
        cred: this.handle,
        usage: raw.CredUsage.INITIATE,
        mech: options.mech?.bytes ?? null,
        overwrite: options.overwrite ?? true,
        defaultCred: options.default ?? false,
        store: checkStore(options.store),
      }),
    );
    if (raw.isError(r.major)) throw new GSSError('gss_store_cred_into', r);
  }

  /**
   * Limits the mechanisms SPNEGO may negotiate with these credentials (`gss_set_neg_mechs`,
   * RFC 4178 section 3): without it, MIT's SPNEGO offers every mechanism the credentials serve,
   * NTLM included when gss-ntlmssp is installed, and falls back to it when Kerberos fails. The
   * limit stays on the handle for every later context. A cheap local call (no KDC).
   *
   * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` under SSPI unless the handle was
   *   acquired with this very limit (`negotiableMechs`), or a GSSAPI library without the extension.
   * @throws {GSSError} when the library refuses the set (e.g. `GSS_S_NO_CRED`: none of `mechs` is served).
   *
   * @example
   * ```ts
   * const creds = await Credentials.acquire({ usage: 'initiate' });
   * creds.setNegotiableMechs([OID.KRB5]); // SPNEGO offers Kerberos only, never NTLM
   * ```
   */
  setNegotiableMechs(mechs: readonly OID[]): void {
    if (this.#sspi) {
      const limit = this.#sspi.negotiableMechs;
      if (limit && limit.length === mechs.length && limit.every((m) => mechs.some((n) => n.equals(m))))
        return;
      throw new GssapiLibraryError(
        'ERR_GSSAPI_UNSUPPORTED',
        'the SSPI provider cannot limit an acquired credential handle: Negotiate takes its package list at acquisition',
        'pass negotiableMechs to Credentials.acquire or Credentials.withPassword (or choose the Kerberos package with mechs: [OID.KRB5])',
      );
    }
    if (!loadGssapiLibrary().info.capabilities.setNegMechs && servesOnly(this.#mechs, mechs)) {
      // No gss_set_neg_mechs (Heimdal 7): SPNEGO offers the mechanisms the handle serves and no
      // other (see limitedAtAcquisition), so a handle that serves none beyond `mechs` is limited.
      return;
    }
    const r = raw.setNegMechs(
      this.handle,
      mechs.map((m) => m.bytes),
    );
    if (raw.isError(r.major)) throw new GSSError('gss_set_neg_mechs', r);
  }

  /** Releases the credentials now. Safe to call twice. */
  dispose(): void {
    this.#name?.dispose();
    this.#name = null;
    this.#handle.dispose();
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

/**
 * The mechanisms to acquire for when SPNEGO is to negotiate only `negotiable` and the library
 * cannot limit a handle afterwards (no `gss_set_neg_mechs`: Heimdal 7). Heimdal's SPNEGO
 * initiator offers the mechanisms of the credential handle it is given, so a handle acquired
 * for SPNEGO and Kerberos alone never offers NTLM (measured with Heimdal 7.8 and an NTLM user
 * file: the default set got an NTLM element, this one did not). Unchanged when the library has
 * the extension ({@link limitNegotiation} then limits the handle).
 */
function limitedAtAcquisition(
  mechs: readonly Uint8Array[] | null,
  negotiable: readonly OID[] | null,
): readonly Uint8Array[] | null {
  if (negotiable === null || loadGssapiLibrary().info.capabilities.setNegMechs) return mechs;
  const wanted = mechs ?? [OID.SPNEGO.bytes, ...negotiable.map((m) => m.bytes)];
  return wanted.filter((bytes) => {
    const mech = OID.fromDer(bytes);
    return mech.equals(OID.SPNEGO) || negotiable.some((m) => m.equals(mech));
  });
}

/** Whether a handle serving `served` offers SPNEGO nothing beyond `limit`. */
function servesOnly(served: readonly OID[], limit: readonly OID[]): boolean {
  return served.every((m) => m.equals(OID.SPNEGO) || limit.some((n) => n.equals(m)));
}

/**
 * GSSAPI providers: `gss_set_neg_mechs` on fresh credentials, released if the library refuses.
 * Without the extension the acquisition already took the limit ({@link limitedAtAcquisition}).
 */
function limitNegotiation(creds: Credentials, mechs: readonly OID[] | null): Credentials {
  if (mechs === null || !loadGssapiLibrary().info.capabilities.setNegMechs) return creds;
  try {
    creds.setNegotiableMechs(mechs);
  } catch (error) {
    creds.dispose();
    throw error;
  }
  return creds;
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
  usage: number,
  store: Record<string, string> | null,
): AcquireCredentialsOptions | null {
  if (usage !== raw.CredUsage.INITIATE) return null;
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

function describeAcquire(name: Name | null, store: Record<string, string> | null): string {
  const parts = [name ? `for ${String(name)}` : 'default credentials'];
  if (store)
    parts.push(
      `from ${Object.entries(store)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  return parts.join(' ');
}
