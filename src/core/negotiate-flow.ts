import { ChannelBindings } from '../gssapi/channel-bindings.js';
import type { Credentials } from '../gssapi/credentials.js';
import { ContextFlag } from '../gssapi/index.js';
import { describeOid } from '../gssapi/oid.js';
import { boundedCall } from './bounded-context.js';
import { findNegotiateChallenge, formatNegotiateHeader } from './challenge.js';
import { contextFlagNames } from './context-flag-names.js';
import { emit } from './diagnostics.js';
import { reportExchangeError } from './error-report.js';
import {
  BodyNotReplayableError,
  ChannelBindingError,
  type HttpGssapiError,
  MutualAuthenticationError,
  SPNEGOExchangeError,
} from './errors.js';
import { type NegotiateDetails, recordExchangeDetails } from './exchange-details.js';
import type { FlowDecision, FlowOptions, FlowResponse, FlowSetup } from './flow-types.js';
import { headerTooLarge } from './header-limits.js';
import { delegationFor, serverRefusal } from './host-policy.js';
import { readFinalToken } from './malformed-negotiate.js';
import { limitToKerberos, refuseNtlm } from './mechanism-policy.js';
import { hopRefusal, type NegotiateContext, requestFlags, resolveTarget } from './negotiate-context.js';
import { DISABLED, OPTIONAL, REQUIRED } from './options.js';
import { redactToken } from './redact.js';
import { RequestSession } from './request-session.js';
import { tokenRefusedError } from './token-refusal.js';

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

/** The Python original handles at most two 401s per request; so do we (RFC 4559 leaves it open). */
const MAX_CHALLENGES = 2;

const RETURN = { action: 'return', sanitize: false } as const;

/**
 * The RFC 4559 exchange for one request (or one redirect hop) to one origin, independent of any
 * HTTP client: every Negotiate decision is made here, once, for every adapter. Call
 * {@link NegotiateFlow.start} before the first attempt, then {@link NegotiateFlow.onResponse}
 * with each response until it says `return`. One fresh GSSAPI context per flow: a token is
 * never sent twice, and a flow never makes a token for another host.
 *
 * @example
 * ```ts
 * const flow = auth.flow(url);
 * let authorization = await flow.start();
 * for (;;) {
 *   const res = await send({ [flow.header]: authorization });
 *   const next = await flow.onResponse({ status: res.status, header: (name) => res.headers.get(name), response: res });
 *   if (next.action === 'return') return res;
 *   authorization = next.authorization;
 * }
 * ```
 */
export class NegotiateFlow {
  readonly url: URL;
  readonly kind: 'server' | 'proxy';
  /** The request header that carries the token: `authorization`, or `proxy-authorization`. */
  readonly header: 'authorization' | 'proxy-authorization';
  /** The response header with the challenges: `www-authenticate`, or `proxy-authenticate`. */
  readonly challengeHeader: 'www-authenticate' | 'proxy-authenticate';
  readonly #setup: FlowSetup;
  readonly #replayable: boolean;
  readonly #subject: object | undefined;
  /** This request's part in the session cookies. */
  readonly #session: RequestSession;
  readonly #connectionAuthenticated: boolean;
  readonly #peerCertificate: FlowOptions['peerCertificate'] | undefined;
  #context: NegotiateContext | null = null;
  /** The certificate the current context's tokens are bound to, or null (unbound). */
  #boundCertificate: Uint8Array | null = null;
  /** Whether any token of this flow was bound (for the hint when the server keeps refusing). */
  #bound = false;
  /** Whether any context of this flow that sent a token was granted delegation. */
  #delegated = false;
  /** The flags the current context was asked for, for diagnostics. */
  #flagsRequested = 0;
  /** Whether the last attempt carried a token of ours. */
  #sent = false;
  #challenges = 0;
  #tokens = 0;
  /** Why the preemptive token could not be made; the 401 that follows is answered with it. */
  #preemptError: unknown = undefined;
  /** Why this redirect hop gets no token at all (see {@link hopRefusal}), or null. */
  readonly #refusal: Error | null;
  /** Whether this is a redirect hop to another host than the one the request was made to. */
  readonly #otherHost: boolean;
  /** Largest token and header value sent so far, in bytes. */
  #tokenBytes = 0;
  #headerBytes = 0;
  /** What the last context that sent a token granted, kept when it is released. */
  #granted: { flags: number; mech: string | null; mutualAuthenticated: boolean } | null = null;
  /** The request's bound (FlowOptions.signal). */
  readonly #signal: AbortSignal | undefined;

  constructor(setup: FlowSetup, url: URL, options: FlowOptions = {}) {
    this.#setup = setup;
    this.url = url;
    this.kind = options.kind ?? 'server';
    this.header = this.kind === 'proxy' ? 'proxy-authorization' : 'authorization';
    this.challengeHeader = this.kind === 'proxy' ? 'proxy-authenticate' : 'www-authenticate';
    this.#replayable = options.replayable ?? true;
    this.#subject = options.subject;
    const store = options.sessions === false || this.kind === 'proxy' ? null : setup.sessions;
    this.#session = new RequestSession(store, url, options.cookie ?? null);
    this.#connectionAuthenticated = options.connectionAuthenticated ?? false;
    this.#peerCertificate = options.peerCertificate;
    const initial = options.initialUrl == null ? null : new URL(options.initialUrl);
    this.#refusal =
      serverRefusal(setup.options.serverAllowlist, url) ??
      (initial ? hopRefusal(setup.options.targetName, initial, url) : null) ??
      options.binding?.refusal ??
      null;
    this.#otherHost =
      (initial !== null && initial.hostname !== url.hostname) ||
      options.binding?.downgradeDelegation === true;
    this.#signal = options.signal;
  }

  /**
   * The DER certificate the last token is bound to (RFC 5929 `tls-server-end-point`), or null
   * when it is unbound. An adapter must send that token only on a connection that presented
   * this certificate, and stop the request otherwise (a {@link ChannelBindingError}).
   */
  get boundCertificate(): Uint8Array | null {
    return this.#boundCertificate;
  }

  /** How many tokens this flow has produced. */
  get tokensSent(): number {
    return this.#tokens;
  }

  /**
   * The header value for the first attempt: a token when `opportunisticAuth` is on or the origin
   * is known to want Negotiate (learned preemption), else null. A failure here is not fatal: the
   * request goes without a token and the server's 401 is handled as usual. For a body that
   * cannot be sent twice (`replayable: false`) a token is always made, since the answer to a
   * bare request could not be resent.
   *
   * @throws {BodyNotReplayableError} when the body cannot be sent twice and no token can be
   *   made, before anything is sent; the exchange error (with the GSSError) as cause.
   */
  async start(): Promise<string | null> {
    if (!this.#replayable) return this.#startRequired();
    // An authenticated connection or a session cookie stands in for the token: a 401 would tell
    // if the session is over.
    if (this.#connectionAuthenticated) {
      this.#session.event('reused');
      return null;
    }
    const { opportunisticAuth } = this.#setup.options;
    if (this.#refusal || !(opportunisticAuth || this.#setup.learned.has(this.url.origin))) return null;
    if (this.#session.held) return null;
    try {
      if (this.#bindsTokens() && (await this.#peerCertificate!()) === null) {
        // The token would be bound to a connection that does not exist yet: send the request
        // bare, and answer the 401 on the connection it came on, whose certificate is known then.
        emit({ type: 'binding', url: this.url.href, result: 'deferred' });
        return null;
      }
      return await this.#firstToken(true);
    } catch (error) {
      this.#throwIfAborted();
      // Keep the reason: if the server then asks for Negotiate, trying again would only repeat
      // the failure (and, with a KDC down, its timeout).
      this.#preemptError = error;
      this.#reset();
      return null;
    }
  }

  async #startRequired(): Promise<string> {
    try {
      return await this.#firstToken(true);
    } catch (error) {
      this.#reset();
      throw new BodyNotReplayableError(
        `the request body to ${this.url.origin} is a stream larger than maxReplayBodySize (${this.#setup.options.maxReplayBodySize} bytes) and no Negotiate token could be made to send with it`,
        {
          cause: this.#exchangeError('could not make a Negotiate token', error),
          hint: 'obtain a ticket first (kinit, creds), or raise maxReplayBodySize, or send a Buffer',
        },
      );
    }
  }

  /**
   * The headers an attempt carries on top of the request's own, for the header value that
   * {@link NegotiateFlow.start} or a `retry` decision gave (null: none). Adapters set them as
   * they are, so what the exchange adds to a request is decided here.
   */
  requestHeaders(authorization: string | null): Record<string, string> {
    const headers: Record<string, string> = authorization === null ? {} : { [this.header]: authorization };
    const cookie = this.#session.cookieHeader(authorization !== null);
    if (cookie !== null) headers['cookie'] = cookie;
    return headers;
  }

  /**
   * Whether a response with this status needs no decision at all: no token went out and it is
   * not a challenge. The flow is then over (its context released); the response is the
   * caller's. Synchronous, for clients that must not wait on a response that needs nothing.
   */
  passes(response: FlowResponse): boolean {
    if (this.#sent || response.status === this.#challengeStatus()) return false;
    this.#session.learn(response.header('set-cookie'), false, false);
    this.#reset();
    return true;
  }

  /**
   * Decides what to do with a response: answer a challenge, verify the server's final token,
   * or hand the response over. A failure is reported (diagnostics, `onError`,
   * `negotiateErrorOf`) and the response handed over with the error in the decision.
   * @throws {MutualAuthenticationError} when the server could not be authenticated and mutual
   *   authentication says the response must not be trusted; `response` attached to it.
   */
  async onResponse(response: FlowResponse): Promise<FlowDecision> {
    const decision = await this.#decide(response);
    return decision.action === 'return' ? this.#handOver(response, decision) : decision;
  }

  async #decide(response: FlowResponse): Promise<FlowDecision> {
    this.#session.learn(
      response.header('set-cookie'),
      this.#sent,
      response.status === this.#challengeStatus(),
    );
    const decision =
      response.status === this.#challengeStatus()
        ? await this.#onChallenge(response)
        : await this.#verifyServer(response);
    if (decision.action === 'retry' && !this.#replayable) {
      this.#reset();
      return this.#giveUp(
        new BodyNotReplayableError(
          'the server asked for another Negotiate leg but the streamed request body cannot be sent again',
          { hint: BodyNotReplayableError.REPLAY_HINT },
        ),
        response,
      );
    }
    return decision;
  }

  /** Releases the context, if the adapter stops early (abort, network error). */
  dispose(): void {
    this.#reset();
  }

  #challengeStatus(): number {
    return this.kind === 'proxy' ? 407 : 401;
  }

  async #onChallenge(response: FlowResponse): Promise<FlowDecision> {
    let challenge: ReturnType<typeof findNegotiateChallenge>;
    try {
      challenge = findNegotiateChallenge(response.header(this.challengeHeader) ?? null);
    } catch (error) {
      this.#reset();
      return this.#giveUp(
        this.#exchangeError('the server sent a malformed Negotiate challenge', error),
        response,
      );
    }
    emit({
      type: 'challenge',
      url: this.url.href,
      status: response.status,
      scheme: challenge ? 'Negotiate' : null,
      token: challenge?.token ? redactToken(challenge.token) : null,
      tokenSize: challenge?.token ? challenge.token.length : null,
      leg: this.#challenges + 1,
    });
    if (!challenge) {
      // Not ours to answer (Basic, Bearer, ...): returned untouched.
      this.#reset();
      return RETURN;
    }
    if (this.#refusal) {
      // Asked for a token this hop must not get: the 401 is the answer, with the reason.
      this.#reset();
      return this.#giveUp(this.#exchangeError('no Negotiate token may be sent', this.#refusal), response);
    }
    this.#setup.learned.learn(this.url.origin);
    if (this.#challenges >= MAX_CHALLENGES) {
      this.#reset();
      return this.#giveUp(
        tokenRefusedError({
          challenges: MAX_CHALLENGES + 1,
          bound: this.#bound,
          delegated: this.#delegated,
          mech: this.#setup.options.mech,
        }),
        response,
      );
    }
    this.#challenges++;
    try {
      if (this.#preemptError !== undefined) throw this.#preemptError;
      // A token in a 401 that answers our token continues the same context (a multi-leg
      // mechanism such as NTLM, RFC 4559 section 5); anything else starts a fresh one.
      if (this.#sent && challenge.token && this.#context && !this.#context.complete) {
        return this.#retryWith(await this.#context.step(challenge.token), false);
      }
      return { action: 'retry', authorization: await this.#firstToken(false) };
    } catch (error) {
      this.#preemptError = undefined;
      this.#reset();
      this.#throwIfAborted();
      return this.#giveUp(this.#exchangeError('could not answer the Negotiate challenge', error), response);
    }
  }

  /**
   * Mutual authentication for this flow: the auth's, except that a proxy leg never requires it
   * (squid's negotiate_kerberos_auth never sends a final token, even when the helper made one):
   * REQUIRED becomes OPTIONAL there, so a token the proxy does send is still verified.
   */
  #mutual(): typeof REQUIRED | typeof OPTIONAL | typeof DISABLED {
    const mutual = this.#setup.options.mutualAuthentication;
    return this.kind === 'proxy' && mutual === REQUIRED ? OPTIONAL : mutual;
  }

  async #verifyServer(response: FlowResponse): Promise<FlowDecision> {
    const mutual = this.#mutual();
    if (!this.#sent || mutual === DISABLED) {
      this.#reset();
      return RETURN;
    }
    const ctx = this.#context!;
    let tokenSize: number | null = null;
    const result = (outcome: 'verified' | 'not-required' | 'missing' | 'failed') =>
      emit({
        type: 'mutual',
        url: this.url.href,
        result: outcome,
        status: response.status,
        tokenSize,
        flagsGranted:
          ctx.complete && ctx.actualFlags !== undefined ? contextFlagNames(ctx.actualFlags) : null,
      });
    const fail = (message: string, options: { cause?: unknown; hint?: string } = {}) => {
      result('failed');
      return new MutualAuthenticationError(message, { ...options, response: response.response });
    };
    try {
      const final = readFinalToken(response.header(this.challengeHeader));
      if (final.kind === 'garbled') {
        // A Negotiate element too garbled to parse is a bad token, not an absent one.
        throw fail('the server sent a malformed Negotiate token', {
          cause: final.cause,
          hint: 'a proxy may be rewriting headers; do not trust this response',
        });
      }
      const token = final.kind === 'token' ? final.token : null;
      tokenSize = token?.length ?? null;
      if (!token && ctx.mutualAuthenticated) {
        // The exchange finished in an earlier leg with mutual authentication granted.
        result('verified');
        return RETURN;
      }
      if (token) {
        // RFC 4559 section 5: the final token of a successful exchange comes with the response;
        // it must complete our context, or the server is not who it claims to be.
        try {
          if (ctx.complete) throw new Error('the context was already complete');
          await ctx.step(token);
        } catch (error) {
          this.#throwIfAborted();
          throw fail('the server token failed verification', {
            cause: error,
            hint: 'the response did not come from the service the ticket was for; do not trust it',
          });
        }
        if (!ctx.complete) throw fail('the server token did not complete the exchange');
        result('verified');
        return RETURN;
      }
      if (response.status >= 400 || mutual === OPTIONAL) {
        result(mutual === OPTIONAL ? 'not-required' : 'missing');
        return {
          action: 'return',
          sanitize: mutual === REQUIRED && this.#setup.options.sanitizeMutualErrorResponse,
        };
      }
      result('missing');
      throw new MutualAuthenticationError(
        `the server answered ${response.status} without a Negotiate token, so it could not be authenticated`,
        {
          hint: 'the server may not send the final token: use mutualAuthentication OPTIONAL or DISABLED if you trust the channel (TLS)',
          response: response.response,
        },
      );
    } finally {
      this.#reset();
    }
  }

  /** Makes a fresh context and its first token. */
  async #firstToken(preemptive: boolean): Promise<string> {
    if (this.#refusal) throw this.#refusal;
    const source = this.#setup.credentials;
    // Acquiring credentials may wait for the KDC (a password or keytab login) or for a worker
    // thread: bounded like every step.
    const credentials = () => boundedCall(() => source.get(), this.#setup.options.kdcTimeout, this.#signal);
    const creds = await credentials();
    try {
      return await this.#tokenWith(creds, preemptive);
    } catch (error) {
      // Cached default credentials may have gone stale (expired, renewed, another user's kinit):
      // drop them and try once more with fresh ones before reporting anything. A login refused
      // at the step (SSPI logs in there) is remembered like one refused at acquisition.
      if (!source.dropStale(creds, error)) throw source.noteRefusal(creds, error);
      const fresh = await credentials();
      return await this.#tokenWith(fresh, preemptive).catch((again: unknown) => {
        throw source.noteRefusal(fresh, again);
      });
    }
  }

  async #tokenWith(creds: Credentials | null, preemptive: boolean): Promise<string> {
    this.#reset();
    const options = this.#setup.options;
    // Before the lease: a token that cannot be bound fails without holding a credential handle.
    const certificate = await this.#connectionCertificate();
    // The first step may wait for the KDC holding MIT's lock on the credential handle: another
    // request's first step on the same auth takes a handle of its own (see CredentialLeases).
    const lease = await this.#setup.credentials.lease(creds, this.#signal);
    const target = resolveTarget(options.targetName, this.url);
    // Mutual authentication is always asked for on a server leg, whatever mutualAuthentication
    // says (which only decides whether the server's proof is checked): MIT's acceptor
    // (mod_auth_gssapi, most Linux services) sends a KRB-ERROR token explaining a refusal
    // (kvno mismatch, clock skew) only when the AP-REQ asked for mutual authentication, and
    // answers a bare SPNEGO reject otherwise (measured with 1.20.1). curl always asks.
    this.#flagsRequested = requestFlags(
      this.kind === 'server' || this.#mutual() !== DISABLED,
      this.#delegation(),
    );
    const recent = this.#setup.recentTickets;
    let context: NegotiateContext | null = null;
    try {
      // Kerberos only unless allowNtlm: SPNEGO must not fall back to NTLM silently.
      limitToKerberos(lease.creds, options);
      context = this.#context = this.#setup.contextFactory({
        target,
        flags: this.#flagsRequested,
        mech: options.mech,
        creds: lease.creds,
        signal: this.#signal,
        fast: recent.has(String(target)),
        channelBindings: certificate ? bindingsOf(certificate) : null,
      });
      this.#boundCertificate = certificate;
      if (certificate) this.#bound = true;
      const token = await context.step(null);
      recent.record(String(target));
      return this.#retryWith(token, preemptive).authorization;
    } catch (error) {
      recent.forget(String(target));
      throw error;
    } finally {
      // Free once the call is really over: a step given up on (timeout, abort) still holds the
      // handle's lock on its worker thread.
      const settled = context?.settled?.();
      if (settled) void settled.then(lease.release);
      else lease.release();
    }
  }

  /**
   * Whether this flow's tokens carry channel bindings: https to the server (the proxy leg and
   * plain http have no server certificate of the origin to bind to), `channelBindings` on, and
   * an adapter that tells the connection's certificate.
   */
  #bindsTokens(): boolean {
    return (
      this.kind === 'server' &&
      this.url.protocol === 'https:' &&
      this.#setup.options.channelBindings &&
      this.#peerCertificate !== undefined
    );
  }

  /** The certificate the next token is bound to (RFC 5929 section 4.1), or null for an unbound token. */
  async #connectionCertificate(): Promise<Uint8Array | null> {
    if (!this.#bindsTokens()) return null;
    const certificate = await this.#peerCertificate!();
    if (certificate === null) {
      throw new ChannelBindingError(
        `no TLS connection to ${this.url.origin} has been seen, so the token cannot be bound to one (channel bindings)`,
        {
          hint: "a streamed body that needs a token up front: send a small request to the origin first; a fetch that is not Node's or undici's (createFetch's baseFetch) uses connections http-gssapi cannot see: set channelBindings: false for it",
        },
      );
    }
    return certificate;
  }

  /**
   * What to ask for delegation (nothing on a proxy leg). `delegate: true` forwards the user's ticket-granting ticket
   * (RFC 4121 section 4.1.1), with which the receiving service can act as the user anywhere in
   * the realm: the caller chose the host the request was made to, not the hosts a redirect
   * leads to. A hop to another host therefore gets only what the KDC's policy allows
   * (GSS_C_DELEG_POLICY_FLAG, RFC 5896: services marked ok-as-delegate).
   */
  #delegation(): boolean | 'policy' {
    // A proxy leg never delegates: the user's ticket-granting ticket was meant for the origin
    // the caller chose, not for every proxy on the way to it.
    if (this.kind === 'proxy') return false;
    const { delegate, delegateAllowlist } = this.#setup.options;
    const allowed = delegationFor(delegate, delegateAllowlist, this.url.hostname);
    return allowed === true && this.#otherHost ? 'policy' : allowed;
  }

  #retryWith(out: Uint8Array | null, preemptive: boolean): { action: 'retry'; authorization: string } {
    if (!out || out.length === 0) throw new Error('the security context produced no token to send');
    // Checked on every leg, whatever the credentials: no NTLM token leaves unless allowed.
    refuseNtlm(out, this.#context?.mech ?? null, this.#setup.options);
    this.#sent = true;
    this.#tokens++;
    const authorization = formatNegotiateHeader(out);
    this.#tokenBytes = Math.max(this.#tokenBytes, out.length);
    this.#headerBytes = Math.max(this.#headerBytes, authorization.length);
    const options = this.#setup.options;
    emit({
      type: 'token',
      build: () => ({
        type: 'token',
        url: this.url.href,
        target: String(resolveTarget(options.targetName, this.url)),
        mech: describeOid(this.#context?.mech ?? options.mech),
        leg: this.#tokens,
        preemptive,
        token: redactToken(out),
        binding: this.#boundCertificate
          ? {
              type: 'tls-server-end-point',
              hash: ChannelBindings.endPointHash(this.#boundCertificate),
            }
          : null,
        tokenSize: out.length,
        flagsRequested: contextFlagNames(this.#flagsRequested),
        flagsGranted: contextFlagNames(this.#context?.actualFlags ?? 0),
      }),
    });
    return { action: 'retry', authorization };
  }

  /**
   * The response goes back to the caller: its exchange details are recorded (for
   * `negotiateDetailsOf`), and a 400, 413 or 431 to a request that carried a token is explained
   * by the token's size ({@link headerTooLarge}), once here for every adapter.
   */
  #handOver(response: FlowResponse, decision: Extract<FlowDecision, { action: 'return' }>): FlowDecision {
    const granted = this.#granted;
    this.#granted = null;
    if (!granted || this.#tokens === 0) return decision;
    const details: NegotiateDetails = {
      url: this.url.href,
      mech: granted.mech,
      tokensSent: this.#tokens,
      tokenBytes: this.#tokenBytes,
      headerBytes: this.#headerBytes,
      delegationRequested: this.#delegation(),
      delegated: (granted.flags & ContextFlag.DELEG) !== 0,
      mutualAuthenticated: granted.mutualAuthenticated,
      flags: granted.flags,
    };
    recordExchangeDetails(details, [response.response, this.#subject]);
    if (decision.error) return decision;
    const tooLarge = headerTooLarge({
      status: response.status,
      header: this.header,
      headerBytes: this.#headerBytes,
      tokenBytes: this.#tokenBytes,
      delegated: details.delegated,
      origin: this.url.origin,
    });
    if (!tooLarge) return decision;
    reportExchangeError(tooLarge, this.url, [response.response, this.#subject], this.#setup.options.onError);
    return { ...decision, error: tooLarge };
  }

  /** The response goes back unauthenticated; why is reported once, here. */
  #giveUp(error: HttpGssapiError, response: FlowResponse): FlowDecision {
    reportExchangeError(error, this.url, [response.response, this.#subject], this.#setup.options.onError);
    return { ...RETURN, error };
  }

  #exchangeError(message: string, error: unknown): HttpGssapiError {
    const cause = error as { hint?: unknown; code?: unknown; message?: unknown };
    const hint = typeof cause?.hint === 'string' ? cause.hint : undefined;
    const detail = typeof cause?.message === 'string' ? `: ${cause.message}` : '';
    // A GSSError's message already ends with its code: name it once.
    const code =
      typeof cause?.code === 'string' && !detail.endsWith(`[${cause.code}]`) ? ` [${cause.code}]` : '';
    return new SPNEGOExchangeError(`${message} for ${this.url.origin}${detail}${code}`, {
      cause: error,
      ...(hint ? { hint } : {}),
    });
  }

  /** A request that was aborted (or timed out) hears its own reason, not an exchange failure. */
  #throwIfAborted(): void {
    if (this.#signal?.aborted) {
      this.#reset();
      throw this.#signal.reason;
    }
  }

  #reset(): void {
    const context = this.#context;
    if (context && this.#sent) {
      this.#granted = {
        flags: context.actualFlags ?? 0,
        mech: context.mech ? String(context.mech) : null,
        mutualAuthenticated: context.mutualAuthenticated,
      };
      if ((this.#granted.flags & ContextFlag.DELEG) !== 0) this.#delegated = true;
    }
    this.#context?.dispose();
    this.#context = null;
    this.#sent = false;
    this.#boundCertificate = null;
  }
}
