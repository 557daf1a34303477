import type { Credentials } from '../gssapi/credentials.js';
import { describeOid } from '../gssapi/oid.js';
import { ContextFlag } from '../gssapi/raw/constants.js';
import { findNegotiateChallenge, formatNegotiateHeader } from './challenge.js';
import { emit } from './diagnostics.js';
import {
  BodyNotReplayableError,
  type HttpGssapiError,
  MutualAuthenticationError,
  SPNEGOExchangeError,
} from './errors.js';
import type { HTTPSPNEGOAuth } from './http-spnego-auth.js';
import {
  type ContextFactory,
  hopRefusal,
  type NegotiateContext,
  requestFlags,
  resolveTarget,
} from './negotiate-context.js';
import { DISABLED, OPTIONAL, REQUIRED } from './options.js';
import { redactToken } from './redact.js';

/** What the flow needs of a response: its status and its challenge header lines. */
export interface FlowResponse {
  readonly status: number;
  /** `WWW-Authenticate` (or `Proxy-Authenticate` for a proxy flow) values, or null when absent. */
  readonly challenges: string | readonly string[] | null;
}

/** What an adapter does next. */
export type FlowDecision =
  /** Resend the request (same body) with this `Authorization` / `Proxy-Authorization` value. */
  | { readonly action: 'retry'; readonly authorization: string }
  /**
   * Hand the response to the caller. `sanitize`: strip its body and headers (mutual
   * authentication REQUIRED on an unauthenticated error response). `error`: why it is not
   * authenticated, to report with `auth.reportError`.
   */
  | { readonly action: 'return'; readonly sanitize: boolean; readonly error?: HttpGssapiError };

/** GSSAPI failures that say the credentials themselves are unusable (RFC 2743 section 1.2.1.1). */
function isCredentialFailure(error: unknown): boolean {
  const e = error as { majorName?: unknown; code?: unknown };
  return (
    (typeof e?.majorName === 'string' &&
      ['GSS_S_NO_CRED', 'GSS_S_CREDENTIALS_EXPIRED', 'GSS_S_DEFECTIVE_CREDENTIAL'].includes(e.majorName)) ||
    (typeof e?.code === 'string' && /^KRB5_F?CC_|TKT_EXPIRED/.test(e.code))
  );
}

/** The Python original handles at most two 401s per request; so do we (RFC 4559 leaves it open). */
const MAX_CHALLENGES = 2;

const RETURN = { action: 'return', sanitize: false } as const;

/**
 * The RFC 4559 exchange for one request to one origin, independent of any HTTP client.
 * Call {@link NegotiateFlow.start} before the first attempt, then {@link NegotiateFlow.onResponse}
 * with each response until it says `return`. One fresh GSSAPI context per flow: a token is never
 * sent twice, and a flow never makes a token for another host. A flow for a redirect hop is told
 * where the request started (`initialUrl`) and makes no token when that would be unsafe (an
 * https request redirected to plain http, a fixed `targetName` on another host): a Negotiate 401
 * then comes back with the reason.
 *
 * @example
 * ```ts
 * const flow = auth.flow(url);
 * let authorization = await flow.start();
 * for (;;) {
 *   const res = await send(authorization);
 *   const next = await flow.onResponse({ status: res.status, challenges: res.headers.get('www-authenticate') });
 *   if (next.action === 'return') return res;
 *   authorization = next.authorization;
 * }
 * ```
 */
export class NegotiateFlow {
  readonly url: URL;
  readonly kind: 'server' | 'proxy';
  readonly #auth: HTTPSPNEGOAuth;
  readonly #factory: ContextFactory;
  #context: NegotiateContext | null = null;
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

  /**
   * @param initialUrl - for a redirect hop, the URL the request was first made to; null otherwise.
   */
  constructor(
    auth: HTTPSPNEGOAuth,
    url: URL,
    kind: 'server' | 'proxy',
    factory: ContextFactory,
    initialUrl: URL | null = null,
  ) {
    this.#auth = auth;
    this.url = url;
    this.kind = kind;
    this.#factory = factory;
    this.#refusal = initialUrl ? hopRefusal(auth.options.targetName, initialUrl, url) : null;
    this.#otherHost = initialUrl !== null && initialUrl.hostname !== url.hostname;
  }

  /** How many tokens this flow has produced. */
  get tokensSent(): number {
    return this.#tokens;
  }

  /** Whether the last attempt carried a token. */
  get authenticated(): boolean {
    return this.#sent;
  }

  /**
   * The header value for the first attempt: a token when `opportunisticAuth` is on or the origin
   * is known to want Negotiate (learned preemption), else null. A failure here is not fatal: the
   * request goes without a token and the server's 401 is handled as usual.
   */
  async start(): Promise<string | null> {
    if (this.#refusal || !this.#auth.preemptive(this.url)) return null;
    try {
      return await this.#firstToken(true);
    } catch (error) {
      // Keep the reason: if the server then asks for Negotiate, trying again would only repeat
      // the failure (and, with a KDC down, its timeout).
      this.#preemptError = error;
      this.#reset();
      return null;
    }
  }

  /**
   * Like {@link NegotiateFlow.start}, but always makes a token and throws when it cannot:
   * for a request whose body cannot be sent twice (a stream larger than `maxReplayBodySize`).
   * @throws {BodyNotReplayableError} before anything is sent, the exchange error (with the
   * GSSError as its cause) as cause.
   */
  async startRequired(): Promise<string> {
    try {
      return await this.#firstToken(true);
    } catch (error) {
      this.#reset();
      const { maxReplayBodySize } = this.#auth.options;
      throw new BodyNotReplayableError(
        `the request body to ${this.url.origin} is a stream larger than maxReplayBodySize (${maxReplayBodySize} bytes) and no Negotiate token could be made to send with it`,
        {
          cause: this.#exchangeError('could not make a Negotiate token', error),
          hint: 'obtain a ticket first (kinit, creds), or raise maxReplayBodySize, or send a Buffer',
        },
      );
    }
  }

  /** Decides what to do with a response. Throws {@link MutualAuthenticationError} only. */
  async onResponse(response: FlowResponse): Promise<FlowDecision> {
    const challengeStatus = this.kind === 'proxy' ? 407 : 401;
    if (response.status === challengeStatus) return this.#onChallenge(response);
    const decision = await this.#verifyServer(response);
    return decision;
  }

  async #onChallenge(response: FlowResponse): Promise<FlowDecision> {
    let challenge: ReturnType<typeof findNegotiateChallenge>;
    try {
      challenge = findNegotiateChallenge(response.challenges);
    } catch (error) {
      this.#reset();
      return {
        ...RETURN,
        error: this.#exchangeError('the server sent a malformed Negotiate challenge', error),
      };
    }
    emit({
      type: 'challenge',
      url: this.url.href,
      status: response.status,
      scheme: challenge ? 'Negotiate' : null,
      token: challenge?.token ? redactToken(challenge.token) : null,
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
      return { ...RETURN, error: this.#exchangeError('no Negotiate token may be sent', this.#refusal) };
    }
    this.#auth.learn(this.url.origin);
    if (this.#challenges >= MAX_CHALLENGES) {
      this.#reset();
      return {
        ...RETURN,
        error: new SPNEGOExchangeError(
          `the server answered ${MAX_CHALLENGES + 1} Negotiate challenges in a row`,
          {
            hint: 'the server rejects our tickets: check the service keytab (kvno), the SPN and the server log',
          },
        ),
      };
    }
    this.#challenges++;
    if (this.#preemptError !== undefined) {
      const error = this.#preemptError;
      this.#preemptError = undefined;
      this.#reset();
      return { ...RETURN, error: this.#exchangeError('could not answer the Negotiate challenge', error) };
    }
    try {
      // A token in a 401 that answers our token continues the same context (a multi-leg
      // mechanism such as NTLM, RFC 4559 section 5); anything else starts a fresh one.
      if (this.#sent && challenge.token && this.#context && !this.#context.complete) {
        const out = await this.#context.step(challenge.token);
        return this.#retryWith(out, false);
      }
      return { action: 'retry', authorization: await this.#firstToken(false) };
    } catch (error) {
      this.#reset();
      return { ...RETURN, error: this.#exchangeError('could not answer the Negotiate challenge', error) };
    }
  }

  async #verifyServer(response: FlowResponse): Promise<FlowDecision> {
    const mutual = this.#auth.options.mutualAuthentication;
    if (!this.#sent || mutual === DISABLED) {
      this.#reset();
      return RETURN;
    }
    const ctx = this.#context!;
    const emitResult = (result: 'verified' | 'not-required' | 'missing' | 'failed') =>
      emit({ type: 'mutual', url: this.url.href, result, status: response.status });
    try {
      let token: Uint8Array | null;
      try {
        token = findNegotiateChallenge(response.challenges)?.token ?? null;
      } catch (error) {
        throw new MutualAuthenticationError('the server sent a malformed Negotiate token', {
          cause: error,
          hint: 'a proxy may be rewriting headers; do not trust this response',
        });
      }
      if (!token && ctx.complete && ((ctx.actualFlags ?? 0) & ContextFlag.MUTUAL) !== 0) {
        // The exchange finished in an earlier leg with mutual authentication granted.
        emitResult('verified');
        return RETURN;
      }
      if (token) {
        // RFC 4559 section 5: the final token of a successful exchange comes with the response;
        // it must complete our context, or the server is not who it claims to be.
        try {
          if (ctx.complete) throw new Error('the context was already complete');
          await ctx.step(token);
        } catch (error) {
          emitResult('failed');
          throw new MutualAuthenticationError('the server token failed verification', {
            cause: error,
            hint: 'the response did not come from the service the ticket was for; do not trust it',
          });
        }
        if (!ctx.complete) {
          emitResult('failed');
          throw new MutualAuthenticationError('the server token did not complete the exchange');
        }
        emitResult('verified');
        return RETURN;
      }
      const isError = response.status >= 400;
      if (isError || mutual === OPTIONAL) {
        emitResult(mutual === OPTIONAL ? 'not-required' : 'missing');
        return {
          action: 'return',
          sanitize: mutual === REQUIRED && this.#auth.options.sanitizeMutualErrorResponse,
        };
      }
      emitResult('missing');
      throw new MutualAuthenticationError(
        `the server answered ${response.status} without a Negotiate token, so it could not be authenticated`,
        {
          hint: 'the server may not send the final token: use mutualAuthentication OPTIONAL or DISABLED if you trust the channel (TLS)',
        },
      );
    } finally {
      this.#reset();
    }
  }

  /** Makes a fresh context and its first token. */
  async #firstToken(preemptive: boolean): Promise<string> {
    if (this.#refusal) throw this.#refusal;
    const creds = await this.#auth.credentials();
    try {
      return await this.#tokenWith(creds, preemptive);
    } catch (error) {
      // Cached default credentials may have gone stale (expired, renewed, another user's kinit):
      // drop them and try once more with fresh ones before reporting anything.
      if (!isCredentialFailure(error) || !this.#auth.dropCachedDefault(creds)) throw error;
      return await this.#tokenWith(await this.#auth.credentials(), preemptive);
    }
  }

  async #tokenWith(creds: Credentials | null, preemptive: boolean): Promise<string> {
    this.#reset();
    const options = this.#auth.options;
    this.#context = this.#factory({
      target: resolveTarget(options.targetName, this.url),
      flags: requestFlags(options.mutualAuthentication !== DISABLED, this.#delegation()),
      mech: options.mech,
      creds,
    });
    const out = await this.#context.step(null);
    return this.#retryWith(out, preemptive).authorization;
  }

  /**
   * What to ask for delegation. `delegate: true` forwards the user's ticket-granting ticket
   * (RFC 4121 section 4.1.1), with which the receiving service can act as the user anywhere in
   * the realm: the caller chose the host the request was made to, not the hosts a redirect
   * leads to. A hop to another host therefore gets only what the KDC's policy allows
   * (GSS_C_DELEG_POLICY_FLAG, RFC 5896: services marked ok-as-delegate).
   */
  #delegation(): boolean | 'policy' {
    const { delegate } = this.#auth.options;
    return delegate === true && this.#otherHost ? 'policy' : delegate;
  }

  #retryWith(out: Uint8Array | null, preemptive: boolean): { action: 'retry'; authorization: string } {
    if (!out || out.length === 0) throw new Error('the security context produced no token to send');
    this.#sent = true;
    this.#tokens++;
    const options = this.#auth.options;
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
      }),
    });
    return { action: 'retry', authorization: formatNegotiateHeader(out) };
  }

  #exchangeError(message: string, error: unknown): HttpGssapiError {
    const cause = error as { hint?: unknown; code?: unknown; message?: unknown };
    const hint = typeof cause?.hint === 'string' ? cause.hint : undefined;
    const code = typeof cause?.code === 'string' ? ` [${cause.code}]` : '';
    const detail = typeof cause?.message === 'string' ? `: ${cause.message}` : '';
    return new SPNEGOExchangeError(`${message} for ${this.url.origin}${detail}${code}`, {
      cause: error,
      ...(hint ? { hint } : {}),
    });
  }

  #reset(): void {
    this.#context?.dispose();
    this.#context = null;
    this.#sent = false;
  }

  /** Releases the context, if the adapter stops early (abort, network error). */
  dispose(): void {
    this.#reset();
  }
}
