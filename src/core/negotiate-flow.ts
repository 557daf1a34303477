import { findNegotiateChallenge, formatNegotiateHeader, type NegotiateChallenge } from './challenge.js';
import { emit } from './diagnostics.js';
import { reportExchangeError } from './error-report.js';
import { BodyNotReplayableError, type HttpGssapiError } from './errors.js';
import { exchangeError, isBindingRefusal } from './exchange-error.js';
import { ExchangeRecord } from './exchange-record.js';
import type { FlowDecision, FlowOptions, FlowResponse, FlowSetup } from './flow-types.js';
import { serverRefusal } from './host-policy.js';
import { type MutualSetting, mutualFor, verifyFinalResponse } from './mutual-verification.js';
import { hopRefusal } from './negotiate-context.js';
import { DISABLED } from './options.js';
import { redactToken } from './redact.js';
import { RequestSession } from './request-session.js';
import { emitTokenEvent, type MadeContext, TokenMaker } from './token-maker.js';
import { tokenRefusedError } from './token-refusal.js';

/** The Python original handles at most two 401s per request; so do we (RFC 4559 leaves it open). */
const MAX_CHALLENGES = 2;

const RETURN = { action: 'return', sanitize: false } as const;

/**
 * Where a flow is. Only `token-out` holds a GSSAPI context: it is made while the flow is in
 * `making` and released (what it granted recorded) when the flow leaves `token-out`.
 *
 * - `bare`: the last attempt carried no token of ours (the start, before a challenge).
 * - `making`: a fresh context and its first token are being made ({@link TokenMaker.first}).
 * - `start-failed`: the token up front could not be made; a challenge is answered with that
 *   reason instead of a second try (with a KDC down, its timeout again).
 * - `token-out`: the last attempt carried a token of this context ({@link NegotiateFlow.rebind}:
 *   back to `bare`, once, when a guard stopped a bound token on a connection with another
 *   certificate).
 * - `over`: the response was handed over (or the flow disposed); nothing is held.
 */
type Phase =
  | { readonly name: 'bare' }
  | { readonly name: 'making' }
  | { readonly name: 'start-failed'; readonly reason: unknown }
  | ({ readonly name: 'token-out' } & MadeContext)
  | { readonly name: 'over' };

type TokenOut = Extract<Phase, { name: 'token-out' }>;

/**
 * The RFC 4559 exchange for one request (or one redirect hop) to one origin, independent of any
 * HTTP client: every Negotiate decision is made here, once, for every adapter. Call
 * {@link NegotiateFlow.start} before the first attempt, then {@link NegotiateFlow.onResponse}
 * with each response until it says `return`; each attempt carries the headers
 * {@link NegotiateFlow.requestHeaders} gives (the token, and the session cookies). One fresh
 * GSSAPI context per token-making phase: a token is never sent twice, and a flow never makes a
 * token for another host. When a token is made is decided in {@link NegotiateFlow.start} (up
 * front) and in the challenge branch of {@link NegotiateFlow.onResponse} (a fresh context, or
 * the next leg of the one whose token is out); token making itself is {@link TokenMaker}'s.
 *
 * @example
 * ```ts
 * const flow = auth.flow(url);
 * try {
 *   let authorization = await flow.start();
 *   for (;;) {
 *     const res = await send(flow.requestHeaders(authorization)); // token and session cookie
 *     const next = await flow.onResponse({ status: res.status, header: (name) => res.headers.get(name), response: res });
 *     if (next.action === 'return') return res;
 *     authorization = next.authorization;
 *   }
 * } finally {
 *   flow.dispose();
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
  /** Why this redirect hop gets no token at all (see {@link hopRefusal}), or null. */
  readonly #refusal: Error | null;
  readonly #maker: TokenMaker;
  /** The request's deadline (FlowOptions.signal). */
  readonly #signal: AbortSignal | undefined;
  #phase: Phase = { name: 'bare' };
  /** Negotiate challenges answered so far. */
  #challenges = 0;
  /** Whether {@link rebind} sent an attempt again bare (once per flow). */
  #rebound = false;
  /** Tokens sent, their sizes, what the released contexts granted. */
  readonly #record = new ExchangeRecord();

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
    const initial = options.initialUrl == null ? null : new URL(options.initialUrl);
    this.#refusal =
      serverRefusal(setup.options.serverAllowlist, url) ??
      (initial ? hopRefusal(setup.options.targetName, initial, url) : null) ??
      options.binding?.refusal ??
      null;
    this.#signal = options.signal;
    this.#maker = new TokenMaker({
      setup,
      url,
      kind: this.kind,
      mutual: this.#mutual() !== DISABLED,
      refusal: this.#refusal,
      otherHost:
        (initial !== null && initial.hostname !== url.hostname) ||
        options.binding?.downgradeDelegation === true,
      peerCertificate: options.peerCertificate,
      signal: options.signal,
    });
  }

  /**
   * The DER certificate the last token is bound to (RFC 5929 `tls-server-end-point`), or null
   * when it is unbound. An adapter must send that token only on a connection that presented
   * this certificate, and stop the request otherwise (a `ChannelBindingError`).
   */
  get boundCertificate(): Uint8Array | null {
    return this.#phase.name === 'token-out' ? this.#phase.certificate : null;
  }

  /** How many tokens this flow has produced. */
  get tokensSent(): number {
    return this.#record.tokens;
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
    let held = this.#session.held;
    // A session cookie may stand in for the token: not one that another user's tokens earned
    // (credentials read again for another principal clear the sessions).
    if (held && (await this.#setup.credentials.recheck())) held = this.#session.held;
    if (!this.#replayable) return this.#startRequired();
    // An authenticated connection or a session cookie stands in for the token: a 401 would tell
    // if the session is over.
    if (this.#connectionAuthenticated) {
      this.#session.event('reused');
      return null;
    }
    const { opportunisticAuth } = this.#setup.options;
    if (this.#refusal || !(opportunisticAuth || this.#setup.learned.has(this.url.origin))) return null;
    if (held) return null;
    try {
      if (await this.#maker.waitsForConnection()) {
        // The token would be bound to a connection that does not exist yet: send the request
        // bare, and answer the 401 on the connection it came on, whose certificate is known then.
        emit({ type: 'binding', url: this.url.href, result: 'deferred' });
        return null;
      }
      return await this.#make(true);
    } catch (error) {
      this.#throwIfAborted();
      // Keep the reason: if the server then asks for Negotiate, trying again would only repeat
      // the failure (and, with a KDC down, its timeout).
      if (this.#phase.name === 'making') this.#phase = { name: 'start-failed', reason: error };
      return null;
    }
  }

  async #startRequired(): Promise<string> {
    try {
      return await this.#make(true);
    } catch (error) {
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
    if (this.#phase.name === 'token-out' || response.status === this.#challengeStatus()) return false;
    this.#session.learn(response.header('set-cookie'), false, false);
    this.#end();
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
    const challenged = response.status === this.#challengeStatus();
    this.#session.learn(response.header('set-cookie'), this.#phase.name === 'token-out', challenged);
    const decision = challenged ? await this.#onChallenge(response) : await this.#onFinal(response);
    if (decision.action === 'return') return this.#handOver(response, decision);
    if (this.#replayable) return decision;
    this.#end();
    return this.#handOver(
      response,
      this.#giveUp(
        new BodyNotReplayableError(
          'the server asked for another Negotiate leg but the streamed request body cannot be sent again',
          { hint: BodyNotReplayableError.REPLAY_HINT },
        ),
        response,
      ),
    );
  }

  /**
   * The attempt with the last (bound) token failed with `error`. When that is a guard's
   * `ChannelBindingError` (the connection the client chose presented another certificate, and
   * the token was stopped before a byte went out), once per flow: the token's context is released
   * unused and true says "send the attempt again, bare", so the 401 on that connection is answered
   * bound to it (RFC 5929 section 4), as a browser would. Otherwise false: the error stands.
   */
  rebind(error: unknown): boolean {
    const phase = this.#phase;
    if (this.#rebound || !this.#replayable || phase.name !== 'token-out' || phase.certificate === null)
      return false;
    if (!isBindingRefusal(error)) return false;
    this.#rebound = true;
    phase.context.dispose();
    this.#phase = { name: 'bare' };
    return true;
  }

  /** Releases the context, if the adapter stops early (abort, network error). */
  dispose(): void {
    this.#end();
  }

  #challengeStatus(): number {
    return this.kind === 'proxy' ? 407 : 401;
  }

  #mutual(): MutualSetting {
    return mutualFor(this.#setup.options.mutualAuthentication, this.kind);
  }

  /** A 401 (407): the one place, with {@link start}, where a token is made. */
  async #onChallenge(response: FlowResponse): Promise<FlowDecision> {
    let challenge: NegotiateChallenge | null;
    try {
      challenge = findNegotiateChallenge(response.header(this.challengeHeader) ?? null);
    } catch (error) {
      this.#end();
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
    // Not ours to answer (Basic, Bearer, ...): returned untouched.
    if (!challenge) return this.#end(RETURN);
    if (this.#refusal) {
      // Asked for a token this hop must not get: the 401 is the answer, with the reason.
      this.#end();
      return this.#giveUp(this.#exchangeError('no Negotiate token may be sent', this.#refusal), response);
    }
    this.#setup.learned.learn(this.url.origin);
    const phase = this.#phase;
    if (this.#challenges >= MAX_CHALLENGES) {
      // Each of our tokens was answered with a new challenge: the server refused them.
      this.#end();
      const refused = tokenRefusedError({
        challenges: MAX_CHALLENGES + 1,
        bound: this.#record.bound,
        delegated: this.#record.delegated,
        mech: this.#setup.options.mech,
      });
      return this.#giveUp(refused, response);
    }
    this.#challenges++;
    try {
      if (phase.name === 'start-failed') throw phase.reason;
      // A token in a 401 that answers our token continues the same context (a multi-leg
      // mechanism such as NTLM, RFC 4559 section 5); anything else starts a fresh one.
      if (phase.name === 'token-out' && challenge.token && !phase.context.complete) {
        return this.#retry(phase, await this.#maker.next(phase.context, challenge.token), false);
      }
      this.#end();
      return { action: 'retry', authorization: await this.#make(false) };
    } catch (error) {
      this.#end();
      this.#throwIfAborted();
      return this.#giveUp(this.#exchangeError('could not answer the Negotiate challenge', error), response);
    }
  }

  /** Any other status: the server's final answer, verified when our token is out. */
  async #onFinal(response: FlowResponse): Promise<FlowDecision> {
    const phase = this.#phase;
    const mutual = this.#mutual();
    if (phase.name !== 'token-out' || mutual === DISABLED) return this.#end(RETURN);
    try {
      const { sanitize } = await verifyFinalResponse(phase.context, {
        response,
        challengeHeader: this.challengeHeader,
        mutual,
        sanitizeErrors: this.#setup.options.sanitizeMutualErrorResponse,
        url: this.url,
        signal: this.#signal,
      });
      return { action: 'return', sanitize };
    } finally {
      this.#end();
    }
  }

  /**
   * `making`, then `token-out` with a fresh context's first token; returns the header value. A
   * flow disposed meanwhile (the adapter gave up) gets no context: the one made is released.
   */
  async #make(preemptive: boolean): Promise<string> {
    this.#phase = { name: 'making' };
    const made = await this.#maker.first();
    if (this.#phase.name !== 'making') {
      made.context.dispose();
      throw new Error('the exchange was abandoned while its token was made');
    }
    const phase: TokenOut = { name: 'token-out', ...made };
    this.#phase = phase;
    return this.#retry(phase, made.token, preemptive).authorization;
  }

  /** One token of the context in `token-out` goes out: counted, measured, reported. */
  #retry(phase: TokenOut, out: Uint8Array, preemptive: boolean): { action: 'retry'; authorization: string } {
    const authorization = formatNegotiateHeader(out);
    this.#record.sent(out, authorization, phase.certificate !== null);
    emitTokenEvent(phase, out, {
      url: this.url,
      options: this.#setup.options,
      leg: this.#record.tokens,
      preemptive,
    });
    return { action: 'retry', authorization };
  }

  /**
   * Leaves the current phase for `over`. A context whose token went out ends here and only
   * here: what it granted is recorded first (for `negotiateDetailsOf` and the refusal hint),
   * then it is released. Returns `decision`, for `return this.#end(RETURN)`.
   */
  #end<D>(decision?: D): D {
    const phase = this.#phase;
    this.#phase = { name: 'over' };
    if (phase.name === 'token-out') {
      const { context } = phase;
      this.#record.released(context);
      context.dispose();
    }
    return decision as D;
  }

  /**
   * The response goes back to the caller: its exchange details are recorded (for
   * `negotiateDetailsOf`), and a 400, 413 or 431 to a request that carried a token is explained
   * by the token's size, once here for every adapter.
   */
  #handOver(response: FlowResponse, decision: Extract<FlowDecision, { action: 'return' }>): FlowDecision {
    const subjects = [response.response, this.#subject];
    const tooLarge = this.#record.handOver({
      url: this.url,
      header: this.header,
      status: response.status,
      delegationRequested: this.#maker.delegation,
      subjects,
    });
    if (decision.error || !tooLarge) return decision;
    reportExchangeError(tooLarge, this.url, subjects, this.#setup.options.onError);
    return { ...decision, error: tooLarge };
  }

  /** The response goes back unauthenticated; why is reported once, here. */
  #giveUp(error: HttpGssapiError, response: FlowResponse): Extract<FlowDecision, { action: 'return' }> {
    reportExchangeError(error, this.url, [response.response, this.#subject], this.#setup.options.onError);
    return { ...RETURN, error };
  }

  #exchangeError(message: string, error: unknown): HttpGssapiError {
    return exchangeError(message, this.url, error);
  }

  /** A request that was aborted (or timed out) hears its own reason, not an exchange failure. */
  #throwIfAborted(): void {
    if (this.#signal?.aborted) {
      this.#end();
      throw this.#signal.reason;
    }
  }
}
