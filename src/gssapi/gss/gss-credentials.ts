/**
 * Credentials of the C GSSAPI provider (MIT, Heimdal): `gss_acquire_cred` (`_from` a store,
 * `_with_password`, or after `gsskrb5_register_acceptor_identity`), `gss_inquire_cred`, `gss_store_cred_into` and `gss_set_neg_mechs`
 * (RFC 2743 section 2.1, RFC 4178 section 3).
 *
 * @module
 */
import { GSSError } from '../gss-error.js';
import { OwnedHandle, whileHeld } from '../handle.js';
import { OID } from '../oid.js';
import type { AcquireInput, CredentialsImpl, NameImpl } from '../provider-types.js';
import * as raw from '../raw/index.js';
import { loadGssapiLibrary } from '../raw/library.js';
import { registersKeytab, withAcceptorKeytab } from './acceptor-keytab.js';
import { GssName } from './gss-name.js';

type Usage = CredentialsImpl['usage'];

const USAGES: Readonly<Record<Usage, number>> = {
  initiate: raw.CredUsage.INITIATE,
  accept: raw.CredUsage.ACCEPT,
  both: raw.CredUsage.BOTH,
};

function usageName(value: number): Usage {
  return value === raw.CredUsage.INITIATE ? 'initiate' : value === raw.CredUsage.ACCEPT ? 'accept' : 'both';
}

const release = raw.releaseCred as (handle: bigint) => raw.Status;

/** Whether the loaded library can limit a handle after its acquisition (`gss_set_neg_mechs`). */
const canSetNegMechs = () => loadGssapiLibrary().info.capabilities.setNegMechs;

/**
 * A `gss_cred_id_t` and what `gss_inquire_cred` said of it.
 *
 * @example
 * ```ts
 * const creds = await acquireGssCredentials({ name: null, usage: 'initiate', mechs: null, lifetime: null, store: null, negotiableMechs: null });
 * creds.mechs; // [SPNEGO, KRB5]
 * ```
 */
export class GssCredentials implements CredentialsImpl {
  readonly #handle: OwnedHandle;
  #name: GssName | null = null;
  #lifetime: number | null = null;
  #usage: Usage;
  #mechs: readonly OID[] = [];
  #limit: readonly OID[] | null = null;

  constructor(handle: raw.CredHandle, usage: Usage) {
    this.#handle = new OwnedHandle(this, handle, release);
    this.#usage = usage;
  }

  /** Adopts a handle the library returned (delegated credentials), inquired when it can be. */
  static async adopt(handle: raw.CredHandle, usage: Usage): Promise<GssCredentials> {
    const creds = new GssCredentials(handle, usage);
    try {
      await creds.inquire();
    } catch {
      // Some credentials cannot be inquired before first use (MIT: a client keytab whose tickets
      // have not been fetched yet). They still work; name and lifetime stay unknown until then.
    }
    return creds;
  }

  /** The handle, for the raw layer. */
  get handle(): raw.CredHandle {
    if (this.#handle.released) throw new TypeError('these Credentials have been disposed');
    return this.#handle.value as raw.CredHandle;
  }

  get released(): boolean {
    return this.#handle.released;
  }

  get name(): GssName | null {
    return this.#name;
  }

  get lifetime(): number | null {
    return this.#lifetime;
  }

  get usage(): Usage {
    return this.#usage;
  }

  get mechs(): readonly OID[] {
    return this.#mechs;
  }

  get negotiableMechs(): readonly OID[] | null {
    return this.#limit;
  }

  /** `gss_inquire_cred`, off the event loop. */
  async inquire(): Promise<void> {
    const r = await whileHeld([this], () => raw.inquireCred(this.handle));
    if (raw.isError(r.major)) {
      if (r.name) raw.releaseName(r.name);
      throw new GSSError('gss_inquire_cred', r);
    }
    this.#name?.dispose();
    this.#name = r.name ? GssName.adopt(r.name) : null;
    this.#lifetime = r.lifetime === raw.INDEFINITE ? null : r.lifetime;
    this.#usage = usageName(r.usage);
    this.#mechs = r.mechs.map((m) => OID.fromDer(m));
  }

  /** `gss_store_cred_into`. */
  async store(options: Parameters<CredentialsImpl['store']>[0]): Promise<void> {
    const r = await whileHeld([this], () =>
      raw.storeCredInto({
        cred: this.handle,
        usage: raw.CredUsage.INITIATE,
        mech: options.mech?.bytes ?? null,
        overwrite: options.overwrite,
        defaultCred: options.default,
        store: options.store,
      }),
    );
    if (raw.isError(r.major)) throw new GSSError('gss_store_cred_into', r);
  }

  /**
   * `gss_set_neg_mechs` (RFC 4178 section 3). Without the extension (Heimdal 7), a handle that
   * serves no mechanism beyond `mechs` is limited already: Heimdal's SPNEGO offers the
   * mechanisms of the handle it is given and no other (see {@link limitedAtAcquisition}).
   */
  setNegotiableMechs(mechs: readonly OID[]): void {
    if (canSetNegMechs() || !servesOnly(this.#mechs, mechs)) {
      const r = raw.setNegMechs(
        this.handle,
        mechs.map((m) => m.bytes),
      );
      if (raw.isError(r.major)) throw new GSSError('gss_set_neg_mechs', r);
    }
    this.#limit = [...mechs];
  }

  dispose(): void {
    this.#name?.dispose();
    this.#name = null;
    this.#handle.dispose();
  }
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

function mechsFor(mechs: readonly OID[] | null, usage: number): readonly Uint8Array[] | null {
  if (mechs === null) return usage === raw.CredUsage.ACCEPT ? null : defaultInitiatorMechs();
  return mechs.map((m) => m.bytes);
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
  if (negotiable === null || canSetNegMechs()) return mechs;
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
 * `gss_set_neg_mechs` on fresh credentials, released if the library refuses. Without the
 * extension the acquisition already took the limit ({@link limitedAtAcquisition}).
 */
function limitNegotiation(creds: GssCredentials, mechs: readonly OID[] | null): GssCredentials {
  if (mechs === null) return creds;
  try {
    creds.setNegotiableMechs(mechs);
  } catch (error) {
    creds.dispose();
    throw error;
  }
  return creds;
}

const nameHandle = (name: NameImpl | null) => (name as GssName | null)?.handle ?? raw.NO_NAME;

/**
 * `gss_acquire_cred`, or `gss_acquire_cred_from` when a store is given. Accept credentials from
 * a store holding only `keytab`, on a library without `gss_acquire_cred_from` (Heimdal 7):
 * `gsskrb5_register_acceptor_identity` then `gss_acquire_cred`, one keytab per process (see
 * `acceptor-keytab.ts`).
 *
 * @throws {GSSError} e.g. `KRB5_FCC_NOFILE` (no ccache), `KRB5_KT_NOTFOUND` (keytab lacks the principal).
 * @example
 * ```ts
 * const creds = await acquireGssCredentials({ name: null, usage: 'initiate', mechs: null, lifetime: null, store: { ccache: 'FILE:/tmp/cc' }, negotiableMechs: [OID.KRB5] });
 * ```
 */
export async function acquireGssCredentials(input: AcquireInput): Promise<GssCredentials> {
  const usage = USAGES[input.usage];
  const { store } = input;
  // Without gss_acquire_cred_from (Heimdal 7), an acceptor keytab is registered process-wide
  // and read by gss_acquire_cred (acceptor-keytab.ts).
  const registered = store && registersKeytab(input) ? store['keytab']! : null;
  const r = await whileHeld([input.name], () => {
    const call = {
      name: nameHandle(input.name),
      lifetime: input.lifetime ?? raw.INDEFINITE,
      mechs: limitedAtAcquisition(mechsFor(input.mechs, usage), input.negotiableMechs),
      usage,
    };
    if (registered !== null) return withAcceptorKeytab(registered, () => raw.acquireCred(call));
    return store ? raw.acquireCredFrom({ ...call, store }) : raw.acquireCred(call);
  });
  if (raw.isError(r.major)) {
    throw new GSSError(store && registered === null ? 'gss_acquire_cred_from' : 'gss_acquire_cred', r, {
      context: describeAcquire(input.name, store),
    });
  }
  return limitNegotiation(await GssCredentials.adopt(r.cred, input.usage), input.negotiableMechs);
}

/**
 * `gss_acquire_cred_with_password`: tickets go to a memory ccache, nothing is written to disk.
 *
 * @throws {GSSError} e.g. `KRB5KDC_ERR_PREAUTH_FAILED` (wrong password).
 * @example
 * ```ts
 * const creds = await gssPasswordLogin({ name, password, usage: 'initiate', mechs: [OID.KRB5], lifetime: null, negotiableMechs: null });
 * ```
 */
export async function gssPasswordLogin(input: {
  readonly name: NameImpl;
  readonly password: string | Uint8Array;
  readonly usage: Usage;
  readonly mechs: readonly OID[] | null;
  readonly lifetime: number | null;
  readonly negotiableMechs: readonly OID[] | null;
}): Promise<GssCredentials> {
  const usage = USAGES[input.usage];
  const { password } = input;
  const bytes = typeof password === 'string' ? new TextEncoder().encode(password) : password;
  try {
    const r = await whileHeld([input.name], () =>
      raw.acquireCredWithPassword({
        name: nameHandle(input.name),
        password: bytes,
        lifetime: input.lifetime ?? raw.INDEFINITE,
        mechs: limitedAtAcquisition(mechsFor(input.mechs, usage), input.negotiableMechs),
        usage,
      }),
    );
    if (raw.isError(r.major)) {
      throw new GSSError('gss_acquire_cred_with_password', r, { context: `for ${input.name.display()}` });
    }
    return limitNegotiation(await GssCredentials.adopt(r.cred, input.usage), input.negotiableMechs);
  } finally {
    // A copy made here is wiped; the caller's own bytes are the caller's.
    if (typeof password === 'string') bytes.fill(0);
  }
}

function describeAcquire(name: NameImpl | null, store: Readonly<Record<string, string>> | null): string {
  const parts = [name ? `for ${name.display()}` : 'default credentials'];
  if (store)
    parts.push(
      `from ${Object.entries(store)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  return parts.join(' ');
}
