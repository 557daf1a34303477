import { callScope } from '../internal/call-scope.js';
import type { ChannelBindings } from './channel-bindings.js';
import { Credentials } from './credentials.js';
import { GSSError } from './gss-error.js';
import { OwnedHandle, whileHeld } from './handle.js';
import { Name } from './name.js';
import { OID } from './oid.js';
import { gssapiProvider } from './provider.js';
import * as raw from './raw/index.js';
import { GssapiLibraryError } from './raw/library.js';
import { SspiInitiator } from './sspi/sspi-context.js';
import type { SSPIError } from './sspi/sspi-error.js';
import { sspiTargetName } from './sspi/sspi-names.js';
import { sspiPackageFor } from './sspi/sspi-packages.js';

/** Options for the side that starts the exchange (the HTTP client). */
export interface InitiatorOptions {
  readonly usage: 'initiate';
  /** The target, e.g. `new Name('HTTP@web.example.org', NameType.hostbasedService)`. */
  readonly name: Name;
  /** Default: the default credentials (the ccache). */
  readonly creds?: Credentials | null;
  /** Default: null, the library's default mechanism (Kerberos for MIT). */
  readonly mech?: OID | null;
  /** `ContextFlag` bits; default `MUTUAL | SEQUENCE` (as python-gssapi). */
  readonly flags?: number;
  /** Seconds wanted; default: as long as the ticket allows. */
  readonly lifetime?: number | null;
  readonly channelBindings?: ChannelBindings | null;
  /**
   * Without `creds`: the mechanisms SPNEGO may negotiate with the default credentials. Under
   * SSPI, the package list of the handle the context acquires for the logged-on user
   * (`[OID.KRB5]`: Kerberos, never NTLM). The GSSAPI providers cannot limit
   * `GSS_C_NO_CREDENTIAL` and ignore it: pass `creds` limited with
   * {@link Credentials.setNegotiableMechs} instead. Given `creds` carry their own limit.
   */
  readonly negotiableMechs?: readonly OID[] | null;
}

/** Options for the side that receives the first token (the HTTP server). */
export interface AcceptorOptions {
  readonly usage: 'accept';
  /** Default: the default acceptor credentials (KRB5_KTNAME / the system keytab). */
  readonly creds?: Credentials | null;
  readonly channelBindings?: ChannelBindings | null;
}

/** Code of {@link ContextStateError}. */
export type ContextStateErrorCode =
  | 'ERR_GSSAPI_CONTEXT_BUSY'
  | 'ERR_GSSAPI_CONTEXT_STATE'
  | 'ERR_GSSAPI_CRED_MECH';

/**
 * A SecurityContext was used out of order: `step()` while another step runs, after completion,
 * after a failure, or after `dispose()`; or it was given credentials that lack the requested
 * mechanism (`ERR_GSSAPI_CRED_MECH`).
 *
 * @example
 * ```ts
 * import { ContextStateError } from 'http-gssapi/gssapi';
 * try { await ctx.step(); } catch (e) { if (e instanceof ContextStateError) console.error(e.code); }
 * ```
 */
export class ContextStateError extends Error {
  readonly code: ContextStateErrorCode;
  constructor(code: ContextStateErrorCode, message: string) {
    super(message);
    this.name = 'ContextStateError';
    this.code = code;
  }
}

type State = 'new' | 'continue' | 'complete' | 'failed' | 'disposed';

const release = ((handle: bigint) => raw.deleteSecContext(handle as raw.ContextHandle)) as (
  handle: bigint,
) => raw.Status;

/**
 * One GSSAPI security context (RFC 2743 section 2.2), on either side. Call {@link step} with
 * each token from the peer until {@link complete} is true. Each step runs on a worker thread.
 * A failed step throws at once (it never defers the error to a later call), with the
 * mechanism's error token, if any, on `GSSError.token`. Under the SSPI provider (Windows, see
 * docs/windows.md) it is an InitializeSecurityContextW context: initiators only, failures are
 * {@link SSPIError}s.
 *
 * @example
 * ```ts
 * import { SecurityContext, Name, NameType, OID, ContextFlag } from 'http-gssapi/gssapi';
 * const ctx = new SecurityContext({
 *   usage: 'initiate',
 *   name: new Name('HTTP@web.example.org', NameType.hostbasedService),
 *   mech: OID.SPNEGO,
 *   flags: ContextFlag.MUTUAL | ContextFlag.SEQUENCE,
 * });
 * const token = await ctx.step();          // send as "Authorization: Negotiate <base64>"
 * // ... later, with the server's WWW-Authenticate token:
 * // await ctx.step(serverToken); ctx.complete === true
 * ctx.dispose();
 * ```
 */
export class SecurityContext implements Disposable {
  readonly usage: 'initiate' | 'accept';
  readonly #handle: OwnedHandle;
  readonly #target: Name | null;
  readonly #creds: Credentials | null;
  readonly #mech: OID | null;
  readonly #flags: number;
  readonly #lifetimeWanted: number;
  readonly #bindings: raw.ChannelBindingsInput | null;
  #state: State = 'new';
  #busy = false;
  #actualFlags = 0;
  #actualMech: OID | null = null;
  #lifetime: number | null = null;
  #delegated: Credentials | null = null;
  #initiatorName: Name | null = null;
  #targetName: Name | null = null;
  /** The SSPI provider's context (Windows); null under the GSSAPI provider. */
  readonly #sspi: SspiInitiator | null = null;

  constructor(options: InitiatorOptions | AcceptorOptions) {
    if (options == null || (options.usage !== 'initiate' && options.usage !== 'accept')) {
      throw new TypeError("usage must be 'initiate' or 'accept'");
    }
    this.usage = options.usage;
    if (options.creds != null && !(options.creds instanceof Credentials)) {
      throw new TypeError('creds must be a Credentials object');
    }
    this.#creds = options.creds ?? null;
    this.#bindings = options.channelBindings?.toRaw() ?? null;
    if (options.usage === 'initiate') {
      if (!(options.name instanceof Name))
        throw new TypeError('name must be a Name (the target) for an initiator');
      if (options.mech != null && !(options.mech instanceof OID))
        throw new TypeError('mech must be an OID or null');
      const flags = options.flags ?? raw.ContextFlag.MUTUAL | raw.ContextFlag.SEQUENCE;
      if (!Number.isInteger(flags) || flags < 0) throw new TypeError('flags must be a non-negative integer');
      const creds = this.#creds;
      if (
        creds &&
        options.mech &&
        creds.mechs.length > 0 &&
        !creds.mechs.some((m) => m.equals(options.mech))
      ) {
        // MIT would not fail here: it would take the default ccache's credentials instead,
        // and the server would authenticate someone else.
        throw new ContextStateError(
          'ERR_GSSAPI_CRED_MECH',
          `the credentials have no element for mechanism ${String(options.mech)} (they have ${creds.mechs.join(', ')}); acquire them with that mechanism in mechs`,
        );
      }
      this.#target = options.name;
      this.#mech = options.mech ?? null;
      this.#flags = flags;
      this.#lifetimeWanted = options.lifetime ?? 0;
      const negotiable = options.negotiableMechs ?? null;
      if (negotiable !== null && (!Array.isArray(negotiable) || !negotiable.every((m) => m instanceof OID)))
        throw new TypeError('negotiableMechs must be an array of OID or null');
      if (gssapiProvider() === 'sspi') this.#sspi = this.#sspiInitiator(options.name, creds, negotiable);
    } else {
      if (gssapiProvider() === 'sspi') {
        throw new GssapiLibraryError(
          'ERR_GSSAPI_UNSUPPORTED',
          'the SSPI provider makes initiator contexts only: AcceptSecurityContext is not wrapped',
        );
      }
      this.#target = null;
      this.#mech = null;
      this.#flags = 0;
      this.#lifetimeWanted = 0;
    }
    this.#handle = new OwnedHandle(this, 0n, release);
  }

  /**
   * The SSPI initiator for this context: the target in SSPI's `service/host` form, the package
   * for the mechanism, and the caller's credential handle. Every check that can fail does so here,
   * at construction, as gss_import_name would.
   */
  #sspiInitiator(
    name: Name,
    creds: Credentials | null,
    negotiableMechs: readonly OID[] | null,
  ): SspiInitiator {
    const value = name.sspiValue;
    if (!value) throw new TypeError('the target Name was made under another provider');
    return new SspiInitiator({
      target: sspiTargetName(value),
      packageName: sspiPackageFor(this.#mech),
      flags: this.#flags,
      creds: creds?.sspiRecord ?? null,
      bindings: this.#bindings,
      negotiableMechs,
    });
  }

  /** Whether the exchange is done (`GSS_S_COMPLETE` seen). */
  get complete(): boolean {
    return this.#state === 'complete';
  }

  /** `ContextFlag` bits the mechanism granted (after the last step). */
  get actualFlags(): number {
    return this.#actualFlags;
  }

  /** The mechanism actually used (e.g. Kerberos under SPNEGO), once known. */
  get mech(): OID | null {
    return this.#actualMech;
  }

  /** Seconds the context remains valid, as of the last step; null when unknown or unlimited. */
  get lifetime(): number | null {
    return this.#lifetime;
  }

  /** Whether mutual authentication was achieved: the peer proved its identity (RFC 2743 section 1.2.1.1). */
  get mutualAuthenticated(): boolean {
    return this.complete && (this.#actualFlags & raw.ContextFlag.MUTUAL) !== 0;
  }

  /** Acceptor only: the initiator's delegated credentials, when it delegated. Owned by the caller. */
  get delegatedCreds(): Credentials | null {
    return this.#delegated;
  }

  /** The initiator's name (on an acceptor: who authenticated), once complete. */
  get initiatorName(): Name | null {
    if (!this.#initiatorName) this.#initiatorName = this.#inquireName('source');
    return this.#initiatorName;
  }

  /** The acceptor's name, once complete. */
  get targetName(): Name | null {
    if (!this.#targetName) this.#targetName = this.#inquireName('target');
    return this.#targetName;
  }

  /** One name from `gss_inquire_context`, asking only for it (see raw `inquireContext`). */
  #inquireName(which: 'source' | 'target'): Name | null {
    if (this.#state !== 'complete') return null;
    if (this.#sspi) {
      // SSPI names the client (SECPKG_ATTR_NAMES; not under Wine); the target is the one asked for.
      const text = which === 'source' ? this.#sspi.initiatorName() : String(this.#target);
      return text === null ? null : new Name(text, which === 'source' ? null : this.#target!.type);
    }
    const r = raw.inquireContext(this.#handle.value as raw.ContextHandle, { [which]: true });
    if (raw.isError(r.major)) throw new GSSError('gss_inquire_context', r, { mech: this.#actualMech });
    const handle = which === 'source' ? r.sourceName : r.targetName;
    return handle ? Name.fromHandle(handle) : null;
  }

  /**
   * Processes the peer's token (none on an initiator's first step) and returns the token to send,
   * or null when there is nothing to send.
   * @throws {GSSError} when the mechanism fails; the context is then unusable.
   * @throws {ContextStateError} when called concurrently, after completion, failure or dispose().
   */
  async step(token?: Uint8Array | null): Promise<Uint8Array | null> {
    if (this.#busy)
      throw new ContextStateError('ERR_GSSAPI_CONTEXT_BUSY', 'a step is already running on this context');
    if (this.#state !== 'new' && this.#state !== 'continue') {
      throw new ContextStateError('ERR_GSSAPI_CONTEXT_STATE', `cannot step a context that is ${this.#state}`);
    }
    if (token != null && !(token instanceof Uint8Array)) throw new TypeError('token must be a Uint8Array');
    if (this.usage === 'accept' && token == null)
      throw new TypeError('an acceptor needs the initiator token');
    if (this.usage === 'initiate' && this.#state === 'continue' && token == null) {
      throw new TypeError('the context needs the peer token to continue');
    }
    this.#busy = true;
    try {
      // The credentials and the target name stay valid until the call returns, even if their
      // owner disposes them meanwhile (an auth disposed while a call it gave up on still waits
      // for the KDC): see whileHeld. SSPI names are strings, not handles.
      return await whileHeld([this.#creds, this.#sspi ? null : this.#target], () =>
        this.usage === 'initiate' ? this.#initStep(token ?? null) : this.#acceptStep(token!),
      );
    } finally {
      this.#busy = false;
      // Disposed while the call was queued and then given up (its request aborted): no result
      // came back for #settle to release with, so release here.
      if ((this.#state as State) === 'disposed') this.#releaseAll();
    }
  }

  async #initStep(token: Uint8Array | null): Promise<Uint8Array | null> {
    if (this.#sspi) {
      const r = await this.#sspi.step(token);
      // The SSPI context owns its handle; this object's GSSAPI handle stays empty.
      return this.#settle(
        'InitializeSecurityContextW',
        { ...r, context: raw.NO_CONTEXT },
        () => `target ${String(this.#target)}`,
      );
    }
    const r = await raw.initSecContext({
      cred: this.#creds?.handle ?? raw.NO_CREDENTIAL,
      context: this.#handle.value as raw.ContextHandle,
      target: this.#target!.handle,
      mech: this.#mech?.bytes ?? null,
      flags: this.#flags,
      lifetime: this.#lifetimeWanted,
      bindings: this.#bindings,
      input: token,
    });
    return this.#settle('gss_init_sec_context', r, () => `target ${String(this.#target)}`, token !== null);
  }

  async #acceptStep(token: Uint8Array): Promise<Uint8Array | null> {
    // An acceptor never waits for a KDC (the keytab and the replay cache are local): it may take
    // the call limiter's reserved slot, so a server in this process keeps accepting while client
    // calls wait for a dead KDC (see callScope).
    const r = await callScope.run({ ...callScope.getStore(), fast: true }, () =>
      raw.acceptSecContext({
        context: this.#handle.value as raw.ContextHandle,
        cred: this.#creds?.handle ?? raw.NO_CREDENTIAL,
        input: token,
        bindings: this.#bindings,
      }),
    );
    if (r.sourceName) {
      // Keep the initiator's name the call returned on completion, rather than releasing it and
      // asking gss_inquire_context for it again when initiatorName is read.
      const done = !raw.isError(r.major) && (r.major & raw.CONTINUE_NEEDED) === 0;
      if (done && !this.#initiatorName && this.#state !== 'disposed')
        this.#initiatorName = Name.fromHandle(r.sourceName);
      else raw.releaseName(r.sourceName);
    }
    if (r.delegatedCred && !raw.isError(r.major)) {
      this.#delegated?.dispose();
      this.#delegated = await Credentials.fromHandle(r.delegatedCred, 'initiate');
    } else if (r.delegatedCred) {
      raw.releaseCred(r.delegatedCred);
    }
    return this.#settle('gss_accept_sec_context', r);
  }

  #settle(
    operation: string,
    r: raw.Status & {
      context: raw.ContextHandle;
      mech: Uint8Array | null;
      output: Uint8Array | null;
      flags: number;
      lifetime: number;
      /** A provider that describes its own failures (SSPI) passes the error to throw. */
      error?: Error;
    },
    context?: () => string,
    peerToken = true,
  ): Uint8Array | null {
    if (this.#state === 'disposed') {
      // dispose() ran while the worker thread was busy: release what the call produced (once:
      // the handle may be the one we already own).
      this.#handle.replace(this, r.context);
      this.#releaseAll();
      throw new ContextStateError('ERR_GSSAPI_CONTEXT_STATE', 'the context was disposed during step()');
    }
    this.#handle.replace(this, r.context);
    const mech = r.mech ? OID.fromDer(r.mech) : this.#actualMech;
    if (raw.isError(r.major)) {
      this.#state = 'failed';
      this.#handle.dispose();
      this.#sspi?.dispose();
      if (r.error) throw r.error;
      throw new GSSError(operation, r, {
        mech: mech ?? this.#mech,
        token: r.output,
        peerToken,
        ...(context ? { context: context() } : {}),
      });
    }
    this.#actualMech = mech;
    this.#actualFlags = r.flags;
    this.#lifetime = r.lifetime === raw.INDEFINITE ? null : r.lifetime;
    this.#state = (r.major & raw.CONTINUE_NEEDED) !== 0 ? 'continue' : 'complete';
    return r.output;
  }

  /** Releases the context (and names it inquired) now. Safe to call twice, even during a step. */
  dispose(): void {
    if (this.#busy) {
      // The worker thread still uses the handle; #settle releases it when the call returns.
      this.#state = 'disposed';
      return;
    }
    this.#state = 'disposed';
    this.#releaseAll();
  }

  #releaseAll(): void {
    this.#handle.dispose();
    this.#sspi?.dispose();
    this.#initiatorName?.dispose();
    this.#targetName?.dispose();
    this.#initiatorName = this.#targetName = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
