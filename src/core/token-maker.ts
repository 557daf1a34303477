/**
 * Token making for one flow: credentials -> context -> (bound) token, with everything that can
 * stand between them. The flow decides *when* a token is made; this module decides *how*, and is
 * the one place that calls the credential source and the mechanism policy.
 *
 * @module
 */
import { ChannelBindings } from '../gssapi/channel-bindings.js';
import type { Credentials } from '../gssapi/credentials.js';
import { describeOid } from '../gssapi/oid.js';
import { contextFlagNames } from './context-flag-names.js';
import { withinDeadline } from './deadline.js';
import { emit } from './diagnostics.js';
import { ChannelBindingError } from './errors.js';
import type { FlowOptions, FlowSetup } from './flow-types.js';
import { delegationFor } from './host-policy.js';
import { limitToKerberos, refuseNtlm } from './mechanism-policy.js';
import { type NegotiateContext, requestFlags, resolveTarget } from './negotiate-context.js';
import { redactToken } from './redact.js';

/**
 * The bindings of each certificate a connection presented (the same bytes object for every token
 * on that connection and its origin): hashed once, not per token.
 */
const bindingsCache = new WeakMap<Uint8Array, ChannelBindings>();

function bindingsOf(certificate: Uint8Array): ChannelBindings {
  let bindings = bindingsCache.get(certificate);
  if (!bindings) {
    bindings = ChannelBindings.tlsServerEndPoint(certificate);
    bindingsCache.set(certificate, bindings);
  }
  return bindings;
}

/**
 * A fresh context and the first token it made: what a flow holds while its token is out.
 *
 * @example
 * ```ts
 * const { context, token, certificate } = await maker.first();
 * // send formatNegotiateHeader(token) on a connection with `certificate`; later: context.dispose()
 * ```
 */
export interface MadeContext {
  readonly context: NegotiateContext;
  /** The first token (never empty; checked against the NTLM policy). */
  readonly token: Uint8Array;
  /** The DER certificate the context's tokens are bound to (RFC 5929), or null (unbound). */
  readonly certificate: Uint8Array | null;
  /** The flags the context was asked for (`GSS_C_*_FLAG`), for diagnostics. */
  readonly flagsRequested: number;
}

/**
 * What a {@link TokenMaker} needs to know of its flow.
 *
 * @example
 * ```ts
 * const input: TokenMakerInput = { setup, url, kind: 'server', mutual: true, refusal: null,
 *   otherHost: false, peerCertificate: undefined, signal: request.signal };
 * ```
 */
export interface TokenMakerInput {
  readonly setup: FlowSetup;
  readonly url: URL;
  readonly kind: 'server' | 'proxy';
  /** Whether to ask for mutual authentication (the flow's mutual setting is not DISABLED, or a server leg). */
  readonly mutual: boolean;
  /** Why this hop gets no token at all, or null: thrown by {@link TokenMaker.first}. */
  readonly refusal: Error | null;
  /** A redirect hop to another host than the request's: `delegate: true` becomes `'policy'`. */
  readonly otherHost: boolean;
  readonly peerCertificate: FlowOptions['peerCertificate'] | undefined;
  /** The request's deadline (`FlowOptions.signal`). */
  readonly signal: AbortSignal | undefined;
}

/**
 * Makes the tokens of one flow (one request or redirect hop): the credentials (with one retry
 * on fresh ones when cached default credentials went stale, and a refused login remembered), a
 * leased credential handle (no head-of-line blocking behind another request's KDC exchange,
 * released only when the step's worker thread is done), the channel bindings of the
 * connection, the request flags (mutual, delegation), the context, and its first token, which
 * must not be NTLM unless allowed. Later legs of a multi-leg mechanism go through
 * {@link TokenMaker.next}, checked the same way.
 *
 * @example
 * ```ts
 * const maker = new TokenMaker({ setup, url, kind: 'server', mutual: true, refusal: null,
 *   otherHost: false, peerCertificate: undefined, signal });
 * const made = await maker.first();
 * headers.authorization = formatNegotiateHeader(made.token);
 * ```
 */
export class TokenMaker {
  readonly #in: TokenMakerInput;

  constructor(input: TokenMakerInput) {
    this.#in = input;
  }

  /**
   * What to ask for delegation (nothing on a proxy leg). `delegate: true` forwards the user's
   * ticket-granting ticket (RFC 4121 section 4.1.1), with which the receiving service can act as
   * the user anywhere in the realm: the caller chose the host the request was made to, not the
   * hosts a redirect leads to. A hop to another host therefore gets only what the KDC's policy
   * allows (GSS_C_DELEG_POLICY_FLAG, RFC 5896: services marked ok-as-delegate).
   */
  get delegation(): boolean | 'policy' {
    // A proxy leg never delegates: the user's ticket-granting ticket was meant for the origin
    // the caller chose, not for every proxy on the way to it.
    if (this.#in.kind === 'proxy') return false;
    const { delegate, delegateAllowlist } = this.#in.setup.options;
    const allowed = delegationFor(delegate, delegateAllowlist, this.#in.url.hostname);
    return allowed === true && this.#in.otherHost ? 'policy' : allowed;
  }

  /**
   * Whether a token up front must wait: it would be bound to a connection that does not exist
   * yet (no certificate of the origin seen). The request then goes bare, and the 401 is answered
   * on the connection it came on, whose certificate is known by then.
   */
  async waitsForConnection(): Promise<boolean> {
    return this.#bindsTokens() && (await this.#in.peerCertificate!()) === null;
  }

  /** A fresh context and its first token; the context is the caller's to dispose. */
  async first(): Promise<MadeContext> {
    const { setup, refusal, signal } = this.#in;
    if (refusal) throw refusal;
    const source = setup.credentials;
    // Acquiring credentials may wait for the KDC (a password or keytab login) or for a worker
    // thread: under the request's deadline like every step.
    const credentials = () => withinDeadline(() => source.get(), setup.options.kdcTimeout, signal);
    const creds = await credentials();
    try {
      return await this.#firstWith(creds);
    } catch (error) {
      // Cached default credentials may have gone stale (expired, renewed, another user's kinit):
      // drop them and try once more with fresh ones before reporting anything. A login refused
      // at the step (a provider with the `refusalAtFirstStep` capability logs in there) is remembered like one refused at acquisition.
      if (!source.dropStale(creds, error)) throw source.noteRefusal(creds, error);
      const fresh = await credentials();
      return await this.#firstWith(fresh).catch((again: unknown) => {
        throw source.noteRefusal(fresh, again);
      });
    }
  }

  /**
   * The next leg of a multi-leg mechanism (RFC 4559 section 5: a token in a 401 that answers our
   * token continues the same context), checked against the NTLM policy like the first.
   */
  async next(context: NegotiateContext, serverToken: Uint8Array): Promise<Uint8Array> {
    return this.#checked(await context.step(serverToken), context);
  }

  async #firstWith(creds: Credentials | null): Promise<MadeContext> {
    const { setup, url, kind, signal } = this.#in;
    const options = setup.options;
    // Before the lease: a token that cannot be bound fails without holding a credential handle.
    const certificate = await this.#connectionCertificate();
    // The first step may wait for the KDC holding MIT's lock on the credential handle: another
    // request's first step on the same auth takes a handle of its own (see CredentialLeases).
    const lease = await setup.credentials.lease(creds, signal);
    const target = resolveTarget(options.targetName, url);
    // Mutual authentication is always asked for on a server leg, whatever mutualAuthentication
    // says (which only decides whether the server's proof is checked): MIT's acceptor
    // (mod_auth_gssapi, most Linux services) sends a KRB-ERROR token explaining a refusal
    // (kvno mismatch, clock skew) only when the AP-REQ asked for mutual authentication, and
    // answers a bare SPNEGO reject otherwise (measured with 1.20.1). curl always asks.
    const flagsRequested = requestFlags(kind === 'server' || this.#in.mutual, this.delegation);
    const recent = setup.recentTickets;
    let context: NegotiateContext | null = null;
    try {
      // Kerberos only unless allowNtlm: SPNEGO must not fall back to NTLM silently.
      limitToKerberos(lease.creds, options);
      context = setup.contextFactory({
        target,
        flags: flagsRequested,
        mech: options.mech,
        creds: lease.creds,
        signal,
        fast: recent.has(String(target)),
        channelBindings: certificate ? bindingsOf(certificate) : null,
      });
      const token = this.#checked(await context.step(null), context);
      recent.record(String(target));
      return { context, token, certificate, flagsRequested };
    } catch (error) {
      recent.forget(String(target));
      // A context that produced no token to send is nobody's: released here.
      context?.dispose();
      throw error;
    } finally {
      // Free once the call is really over: a step given up on (timeout, abort) still holds the
      // handle's lock on its worker thread.
      const settled = context?.settled?.();
      if (settled) void settled.then(lease.release);
      else lease.release();
    }
  }

  #checked(out: Uint8Array | null, context: NegotiateContext): Uint8Array {
    if (!out || out.length === 0) throw new Error('the security context produced no token to send');
    // Checked on every leg, whatever the credentials: no NTLM token leaves unless allowed.
    refuseNtlm(out, context.mech ?? null, this.#in.setup.options);
    return out;
  }

  /**
   * Whether this flow's tokens carry channel bindings: https to the server (the proxy leg and
   * plain http have no server certificate of the origin to bind to), `channelBindings` on, and
   * an adapter that tells the connection's certificate.
   */
  #bindsTokens(): boolean {
    const { kind, url, setup, peerCertificate } = this.#in;
    return (
      kind === 'server' &&
      url.protocol === 'https:' &&
      setup.options.channelBindings &&
      peerCertificate !== undefined
    );
  }

  /** The certificate the next token is bound to (RFC 5929 section 4.1), or null for an unbound token. */
  async #connectionCertificate(): Promise<Uint8Array | null> {
    if (!this.#bindsTokens()) return null;
    const certificate = await this.#in.peerCertificate!();
    if (certificate === null) {
      throw new ChannelBindingError(
        `no TLS connection to ${this.#in.url.origin} has been seen, so the token cannot be bound to one (channel bindings)`,
        {
          hint: "a streamed body that needs a token up front: send a small request to the origin first; a fetch that is not Node's or undici's (createFetch's baseFetch) uses connections http-gssapi cannot see: set channelBindings: false for it",
        },
      );
    }
    return certificate;
  }
}

/**
 * Publishes the `http-gssapi:token` event of a token that goes out (built only when someone
 * listens): the SPN, mechanism, leg, sizes, binding hash and flags, never the token beyond a
 * few characters ({@link redactToken}).
 *
 * @example
 * ```ts
 * emitTokenEvent(made, made.token, { url, options, leg: 1, preemptive: false });
 * ```
 */
export function emitTokenEvent(
  made: MadeContext,
  out: Uint8Array,
  sent: { url: URL; options: FlowSetup['options']; leg: number; preemptive: boolean },
): void {
  const { url, options, leg, preemptive } = sent;
  emit({
    type: 'token',
    build: () => ({
      type: 'token',
      url: url.href,
      target: String(resolveTarget(options.targetName, url)),
      mech: describeOid(made.context.mech ?? options.mech),
      leg,
      preemptive,
      token: redactToken(out),
      binding: made.certificate
        ? { type: 'tls-server-end-point', hash: ChannelBindings.endPointHash(made.certificate) }
        : null,
      tokenSize: out.length,
      flagsRequested: contextFlagNames(made.flagsRequested),
      flagsGranted: contextFlagNames(made.context.actualFlags ?? 0),
    }),
  });
}
