import type { ChannelBindings } from './channel-bindings.js';
import { Credentials } from './credentials.js';
import { Name } from './name.js';
import { OID } from './oid.js';
import { activeProvider } from './provider.js';
import type { ContextImpl, StepOutcome } from './provider-types.js';
import { ContextFlag } from './raw/constants.js';
import type { SSPIError } from './sspi/sspi-error.js';

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

/**
 * One GSSAPI security context (RFC 2743 section 2.2), on either side. Call {@link step} with
 * each token from the peer until {@link complete} is true. Each step runs on a worker thread.
 * A failed step throws at once (it never defers the error to a later call), with the
 * mechanism's error token, if any, on `GSSError.token`. The provider's context does the calls
 * (gss_init_sec_context and gss_accept_sec_context, or under SSPI, see docs/windows.md,
 * InitializeSecurityContextW: initiators only, failures are {@link SSPIError}s); this class
 * keeps the state.
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
  readonly #impl: ContextImpl;
  readonly #mech: OID | null;
  #state: State = 'new';
  #busy = false;
  #actualFlags = 0;
  #actualMech: OID | null = null;
  #lifetime: number | null = null;
  #delegated: Credentials | null = null;
  #initiatorName: Name | null = null;
  #targetName: Name | null = null;

  constructor(options: InitiatorOptions | AcceptorOptions) {
    if (options == null || (options.usage !== 'initiate' && options.usage !== 'accept')) {
      throw new TypeError("usage must be 'initiate' or 'accept'");
    }
    this.usage = options.usage;
    if (options.creds != null && !(options.creds instanceof Credentials)) {
      throw new TypeError('creds must be a Credentials object');
    }
    const creds = options.creds ?? null;
    const bindings = options.channelBindings?.toRaw() ?? null;
    if (options.usage === 'accept') {
      this.#mech = null;
      this.#impl = activeProvider().acceptor({ creds: creds?.impl ?? null, bindings });
      return;
    }
    if (!(options.name instanceof Name))
      throw new TypeError('name must be a Name (the target) for an initiator');
    if (options.mech != null && !(options.mech instanceof OID))
      throw new TypeError('mech must be an OID or null');
    const flags = options.flags ?? ContextFlag.MUTUAL | ContextFlag.SEQUENCE;
    if (!Number.isInteger(flags) || flags < 0) throw new TypeError('flags must be a non-negative integer');
    if (creds && options.mech && creds.mechs.length > 0 && !creds.mechs.some((m) => m.equals(options.mech))) {
      // MIT would not fail here: it would take the default ccache's credentials instead,
      // and the server would authenticate someone else.
      throw new ContextStateError(
        'ERR_GSSAPI_CRED_MECH',
        `the credentials have no element for mechanism ${String(options.mech)} (they have ${creds.mechs.join(', ')}); acquire them with that mechanism in mechs`,
      );
    }
    const negotiableMechs = options.negotiableMechs ?? null;
    if (
      negotiableMechs !== null &&
      (!Array.isArray(negotiableMechs) || !negotiableMechs.every((m) => m instanceof OID))
    )
      throw new TypeError('negotiableMechs must be an array of OID or null');
    this.#mech = options.mech ?? null;
    // Every check that can fail does so here, at construction, as gss_import_name would.
    this.#impl = activeProvider().initiator({
      target: options.name.impl,
      creds: creds?.impl ?? null,
      mech: this.#mech,
      flags,
      lifetime: options.lifetime ?? 0,
      bindings,
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
    return this.complete && (this.#actualFlags & ContextFlag.MUTUAL) !== 0;
  }

  /** Acceptor only: the initiator's delegated credentials, when it delegated. Owned by the caller. */
  get delegatedCreds(): Credentials | null {
    return this.#delegated;
  }

  /** The initiator's name (on an acceptor: who authenticated), once complete. */
  get initiatorName(): Name | null {
    if (!this.#initiatorName && this.#state === 'complete') {
      const impl = this.#impl.initiatorName();
      this.#initiatorName = impl && Name.fromImpl(impl);
    }
    return this.#initiatorName;
  }

  /** The acceptor's name, once complete. */
  get targetName(): Name | null {
    if (!this.#targetName && this.#state === 'complete') {
      const impl = this.#impl.targetName();
      this.#targetName = impl && Name.fromImpl(impl);
    }
    return this.#targetName;
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
    let outcome: StepOutcome;
    try {
      outcome = await this.#impl.step(token ?? null, this.#actualMech ?? this.#mech);
    } catch (error) {
      if ((this.#state as State) === 'disposed') throw this.#disposedDuringStep();
      this.#state = 'failed';
      this.#impl.dispose();
      throw error;
    } finally {
      this.#busy = false;
    }
    if ((this.#state as State) === 'disposed') {
      // dispose() ran while the worker thread was busy: release what the call produced.
      outcome.delegated?.dispose();
      outcome.initiatorName?.dispose();
      throw this.#disposedDuringStep();
    }
    if (outcome.delegated) {
      this.#delegated?.dispose();
      this.#delegated = Credentials.fromImpl(outcome.delegated);
    }
    if (outcome.initiatorName) {
      if (this.#initiatorName) outcome.initiatorName.dispose();
      else this.#initiatorName = Name.fromImpl(outcome.initiatorName);
    }
    this.#actualMech = outcome.mech ?? this.#actualMech;
    this.#actualFlags = outcome.flags;
    this.#lifetime = outcome.lifetime;
    this.#state = outcome.complete ? 'complete' : 'continue';
    return outcome.output;
  }

  #disposedDuringStep(): ContextStateError {
    this.#releaseAll();
    return new ContextStateError('ERR_GSSAPI_CONTEXT_STATE', 'the context was disposed during step()');
  }

  /** Releases the context (and names it inquired) now. Safe to call twice, even during a step. */
  dispose(): void {
    this.#state = 'disposed';
    // The worker thread still uses the handle: released when the call returns (see step).
    if (!this.#busy) this.#releaseAll();
  }

  #releaseAll(): void {
    this.#impl.dispose();
    this.#initiatorName?.dispose();
    this.#targetName?.dispose();
    this.#initiatorName = this.#targetName = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
