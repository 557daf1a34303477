/**
 * The types a `NegotiateFlow` is made with and speaks in: what an adapter tells it about a
 * request and a response, and the decision it gets back.
 *
 * @module
 */
import type { CredentialSource } from './credential-source.js';
import type { HttpGssapiError } from './errors.js';
import type { LearnedOrigins } from './learned-origins.js';
import type { ContextFactory } from './negotiate-context.js';
import type { ResolvedOptions } from './options.js';
import type { OriginVerdict } from './origin-binding.js';
import type { RecentTickets } from './recent-tickets.js';
import type { SessionStore } from './session-store.js';

/** What a flow works with, shared by every flow of one `HTTPSPNEGOAuth`. */
export interface FlowSetup {
  readonly options: ResolvedOptions;
  readonly credentials: CredentialSource;
  /** Targets with a ticket fetched recently: their first step may use the limiter's fast slot. */
  readonly recentTickets: RecentTickets;
  readonly learned: LearnedOrigins;
  readonly contextFactory: ContextFactory;
  /** The session cookies, or null when `sessionCookies` is off. */
  readonly sessions: SessionStore | null;
}

/**
 * What an adapter tells a flow about its request.
 *
 * @example
 * ```ts
 * const flow = auth.flow(url, { initialUrl: firstUrl, replayable: false });
 * ```
 */
export interface FlowOptions {
  /** `'server'` (401, `Authorization`; default) or `'proxy'` (407, `Proxy-Authorization`). */
  readonly kind?: 'server' | 'proxy';
  /**
   * For a redirect hop, the URL the request was first made to: the flow then refuses a token
   * the hop must not get (an https request redirected to http, a fixed `targetName` on another
   * host), and asks only for policy delegation on another host.
   */
  readonly initialUrl?: URL | string | null;
  /**
   * Whether the request body can be sent more than once. False (a stream too large to keep):
   * `NegotiateFlow.start` must make a token or throw, and a server that asks for another
   * leg gets its 401 back with a `BodyNotReplayableError`. Default true.
   */
  readonly replayable?: boolean;
  /**
   * An object of the client's, besides each response, for which `negotiateErrorOf` tells why
   * the exchange failed (the undici interceptor's `res.context.negotiate`).
   */
  readonly subject?: object;
  /**
   * The request's own `Cookie` header, if any: session cookies are added to it, never put in its
   * place.
   */
  readonly cookie?: string | null;
  /**
   * False when the client keeps cookies itself (got's `cookieJar`, an axios jar): the flow then
   * neither keeps nor sends session cookies for this request. Default true.
   */
  readonly sessions?: boolean;
  /**
   * The request goes on a connection the server has already authenticated (IIS's
   * `authPersistNonNTLM`, mod_auth_gssapi's `GssapiConnectionBound`): no token up front, even
   * when the origin is learned or `opportunisticAuth` is on; a challenge is answered as usual.
   */
  readonly connectionAuthenticated?: boolean;
  /**
   * For an https request with `channelBindings` on: the DER certificate of the TLS connection the
   * next token will be sent on (RFC 5929 `tls-server-end-point`), or null when no connection to
   * the origin is known yet. Asked once per token-producing context, right before its first
   * token. A token up front waits for a known certificate (the request goes bare, the 401 is
   * answered on its connection); the adapter checks, before writing a token, that the
   * connection carrying it has the certificate in {@link NegotiateFlow.boundCertificate}.
   * Without it, https tokens go unbound.
   */
  readonly peerCertificate?: () => Uint8Array | null | Promise<Uint8Array | null>;
  /**
   * The request's deadline (its AbortSignal, or one made from the client's timeout option): when
   * it aborts, a token being made is abandoned (its context released when the worker thread
   * returns) and the flow's pending call rejects with the signal's reason, whatever GSSAPI is
   * doing.
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * For a request that may be a redirect hop the adapter cannot see as one (undici's `fetch`),
   * the verdict of an `OriginBinding`: a refusal (no token for this host) and whether
   * `delegate: true` is asked only as `'policy'` here.
   */
  readonly binding?: OriginVerdict | undefined;
}

/** What the flow needs of a response. */
export interface FlowResponse {
  readonly status: number;
  /**
   * Reads one response header by its lower-case name (all its values, or null/undefined when
   * absent). The flow reads what it needs itself (the challenges in `NegotiateFlow.challengeHeader`
   * today), so an exchange behavior that needs another header needs no adapter change.
   */
  header(name: string): string | readonly string[] | null | undefined;
  /**
   * The client's own response object: attached (non-enumerable) to an error the flow throws for
   * it, and what `negotiateErrorOf` answers for when the flow gives up on it.
   */
  readonly response?: object;
}

/** What an adapter does next. */
export type FlowDecision =
  /** Resend the request (same body) with this value in `NegotiateFlow.header`. */
  | { readonly action: 'retry'; readonly authorization: string }
  /**
   * Hand the response to the caller. `sanitize`: strip it to what `sanitizedHeaders` keeps
   * (mutual authentication REQUIRED on an unauthenticated error response). `error`: why it is
   * not authenticated, already reported (diagnostics, `onError`, `negotiateErrorOf`).
   */
  | { readonly action: 'return'; readonly sanitize: boolean; readonly error?: HttpGssapiError };
