/**
 * Security contexts of the C GSSAPI provider (MIT, Heimdal): `gss_init_sec_context` and
 * `gss_accept_sec_context` (RFC 2743 section 2.2, RFC 2744 section 5).
 *
 * @module
 */
import { callScope } from '../../internal/call-scope.js';
import { GSSError } from '../gss-error.js';
import { OwnedHandle, whileHeld } from '../handle.js';
import { OID } from '../oid.js';
import type {
  ContextImpl,
  CredentialsImpl,
  InitiatorInput,
  NameImpl,
  StepOutcome,
} from '../provider-types.js';
import * as raw from '../raw/index.js';
import { GssCredentials } from './gss-credentials.js';
import { GssName } from './gss-name.js';

const release = ((handle: bigint) => raw.deleteSecContext(handle as raw.ContextHandle)) as (
  handle: bigint,
) => raw.Status;

const credHandle = (creds: CredentialsImpl | null) =>
  (creds as GssCredentials | null)?.handle ?? raw.NO_CREDENTIAL;

/**
 * A `gss_ctx_id_t`, on either side; made by the first step.
 *
 * @example
 * ```ts
 * const ctx = GssContext.initiator({ target, creds: null, mech: OID.SPNEGO, flags, lifetime: 0, bindings: null, negotiableMechs: null });
 * const { output } = await ctx.step(null, null);
 * ctx.dispose();
 * ```
 */
export class GssContext implements ContextImpl {
  readonly #handle: OwnedHandle;
  readonly #initiator: InitiatorInput | null;
  readonly #creds: CredentialsImpl | null;
  readonly #bindings: raw.ChannelBindingsInput | null;

  private constructor(
    initiator: InitiatorInput | null,
    creds: CredentialsImpl | null,
    bindings: raw.ChannelBindingsInput | null,
  ) {
    this.#initiator = initiator;
    this.#creds = creds;
    this.#bindings = bindings;
    this.#handle = new OwnedHandle(this, 0n, release);
  }

  static initiator(input: InitiatorInput): GssContext {
    return new GssContext(input, input.creds, input.bindings);
  }

  static acceptor(input: {
    readonly creds: CredentialsImpl | null;
    readonly bindings: raw.ChannelBindingsInput | null;
  }): GssContext {
    return new GssContext(null, input.creds, input.bindings);
  }

  async step(token: Uint8Array | null, mech: OID | null): Promise<StepOutcome> {
    const initiator = this.#initiator;
    // The credentials and the target name stay valid until the call returns, even if their
    // owner disposes them meanwhile (an auth disposed while a call it gave up on still waits
    // for the KDC): see whileHeld.
    return whileHeld([this.#creds, initiator?.target ?? null], () =>
      initiator ? this.#initStep(initiator, token, mech) : this.#acceptStep(token!, mech),
    );
  }

  async #initStep(
    initiator: InitiatorInput,
    token: Uint8Array | null,
    mech: OID | null,
  ): Promise<StepOutcome> {
    const target = initiator.target as GssName;
    const r = await raw.initSecContext({
      cred: credHandle(this.#creds),
      context: this.#handle.value as raw.ContextHandle,
      target: target.handle,
      mech: initiator.mech?.bytes ?? null,
      flags: initiator.flags,
      lifetime: initiator.lifetime,
      bindings: this.#bindings,
      input: token,
    });
    return this.#settle(
      'gss_init_sec_context',
      r,
      mech ?? initiator.mech,
      token !== null,
      () => `target ${target.display()}`,
    );
  }

  async #acceptStep(token: Uint8Array, mech: OID | null): Promise<StepOutcome> {
    // An acceptor never waits for a KDC (the keytab and the replay cache are local): it may take
    // the call limiter's reserved slot, so a server in this process keeps accepting while client
    // calls wait for a dead KDC (see callScope).
    const r = await callScope.run({ ...callScope.getStore(), fast: true }, () =>
      raw.acceptSecContext({
        context: this.#handle.value as raw.ContextHandle,
        cred: credHandle(this.#creds),
        input: token,
        bindings: this.#bindings,
      }),
    );
    const failed = raw.isError(r.major);
    // Keep the initiator's name the call returned on completion, rather than releasing it and
    // asking gss_inquire_context for it again when initiatorName is read.
    let initiatorName: GssName | null = null;
    if (r.sourceName) {
      if (!failed && (r.major & raw.CONTINUE_NEEDED) === 0) initiatorName = GssName.adopt(r.sourceName);
      else raw.releaseName(r.sourceName);
    }
    let delegated: GssCredentials | null = null;
    if (r.delegatedCred && !failed) delegated = await GssCredentials.adopt(r.delegatedCred, 'initiate');
    else if (r.delegatedCred) raw.releaseCred(r.delegatedCred);
    try {
      return { ...this.#settle('gss_accept_sec_context', r, mech, true), delegated, initiatorName };
    } catch (error) {
      initiatorName?.dispose();
      delegated?.dispose();
      throw error;
    }
  }

  #settle(
    operation: string,
    r: raw.Status & {
      context: raw.ContextHandle;
      mech: Uint8Array | null;
      output: Uint8Array | null;
      flags: number;
      lifetime: number;
    },
    knownMech: OID | null,
    peerToken: boolean,
    context?: () => string,
  ): StepOutcome {
    this.#handle.replace(this, r.context);
    const mech = r.mech ? OID.fromDer(r.mech) : null;
    if (raw.isError(r.major)) {
      this.#handle.dispose();
      throw new GSSError(operation, r, {
        mech: mech ?? knownMech,
        token: r.output,
        peerToken,
        ...(context ? { context: context() } : {}),
      });
    }
    return {
      output: r.output,
      mech,
      flags: r.flags,
      lifetime: r.lifetime === raw.INDEFINITE ? null : r.lifetime,
      complete: (r.major & raw.CONTINUE_NEEDED) === 0,
    };
  }

  initiatorName(): NameImpl | null {
    return this.#inquireName('source');
  }

  targetName(): NameImpl | null {
    return this.#inquireName('target');
  }

  /** One name from `gss_inquire_context`, asking only for it (see raw `inquireContext`). */
  #inquireName(which: 'source' | 'target'): GssName | null {
    const r = raw.inquireContext(this.#handle.value as raw.ContextHandle, { [which]: true });
    if (raw.isError(r.major)) throw new GSSError('gss_inquire_context', r);
    const handle = which === 'source' ? r.sourceName : r.targetName;
    return handle ? GssName.adopt(handle) : null;
  }

  dispose(): void {
    this.#handle.dispose();
  }
}
