/**
 * The coded subclasses of {@link HttpGssapiError}, one per {@link ErrorCode}: most are one line
 * (`extends coded('ERR_...')`), a few carry fields of their own. Import them through `errors.ts`.
 *
 * @module
 */
import { coded, HttpGssapiError, type HttpGssapiErrorOptions } from './error-base.js';

/**
 * Options of {@link ChallengeParseError}.
 *
 * @example
 * ```ts
 * const options: ChallengeParseErrorOptions = { position: 10, hint: 'Check the server.' };
 * ```
 */
export interface ChallengeParseErrorOptions extends HttpGssapiErrorOptions {
  /**
   * Offset (in UTF-16 code units) in the header value where parsing failed. When several header
   * lines were given, the offset is in their concatenation with `", "` (RFC 9110 section 5.3).
   */
  position: number;
}

/**
 * A `WWW-Authenticate` or `Proxy-Authenticate` header value could not be used: it does not
 * follow the challenge grammar of RFC 9110 section 11.6.1 / 11.3, it is longer than the parser
 * accepts, or (from `findNegotiateChallenge`) the Negotiate token is not valid base64
 * (RFC 4559 section 4). The message says what was expected and where, never the header content.
 *
 * @example
 * ```ts
 * import { ChallengeParseError } from 'http-gssapi';
 * import { parseChallenges } from 'http-gssapi/adapter-kit';
 * try {
 *   parseChallenges('Basic realm="unterminated');
 * } catch (err) {
 *   if (err instanceof ChallengeParseError) console.error(err.code, err.position); // 'ERR_CHALLENGE_PARSE' 12
 * }
 * ```
 */
export class ChallengeParseError extends coded('ERR_CHALLENGE_PARSE') {
  /** Offset in the header value where parsing failed; see {@link ChallengeParseErrorOptions.position}. */
  readonly position: number;

  /**
   * @param message - what was expected; must not contain the header value or a token.
   * @param options - `position` plus the common options.
   */
  constructor(message: string, options: ChallengeParseErrorOptions) {
    super(message, options);
    this.position = options.position;
  }
}

/**
 * The Negotiate exchange failed: the security context could not produce a token, the server sent
 * an unusable one, or the server kept answering 401 after the token was sent (RFC 4559
 * section 5). Mirrors `SPNEGOExchangeError` of the Python original. The response, when there is
 * one, is attached as the non-enumerable `response`.
 *
 * @example
 * ```ts
 * import { SPNEGOExchangeError } from 'http-gssapi';
 * throw new SPNEGOExchangeError('init_sec_context failed', { cause: gssError, response });
 * ```
 */
export class SPNEGOExchangeError extends coded('ERR_SPNEGO_EXCHANGE') {}

/**
 * The server could not be authenticated: with mutual authentication REQUIRED, a non-error response
 * carried no Negotiate token or one that does not complete the security context (RFC 4559
 * section 5, RFC 2743 section 1.2.5). Mirrors `MutualAuthenticationError` of the Python original;
 * the unauthenticated response is attached as the non-enumerable `response`, so it is available
 * to a caller that asks for it and never printed by a logger.
 *
 * @example
 * ```ts
 * import { MutualAuthenticationError } from 'http-gssapi';
 * try {
 *   await fetch(url);
 * } catch (err) {
 *   if (err instanceof MutualAuthenticationError) console.error('server not authenticated:', err.message);
 * }
 * ```
 */
export class MutualAuthenticationError extends HttpGssapiError {
  declare readonly code: 'ERR_MUTUAL_AUTH';

  /**
   * @param message - why the server could not be authenticated; must not contain a token.
   * @param options - `cause`, `hint`, `request`, and the unauthenticated `response`.
   */
  constructor(message: string, options?: HttpGssapiErrorOptions) {
    super('ERR_MUTUAL_AUTH', message, options);
  }
}

/**
 * A request needs a Negotiate retry (RFC 4559 section 5: the server answers 401 with a challenge
 * and the request is sent again with a token) but its body is a stream that has already been
 * consumed and was too large to buffer, so it cannot be sent a second time.
 *
 * @example
 * ```ts
 * import { BodyNotReplayableError } from 'http-gssapi';
 * throw new BodyNotReplayableError('the streamed request body cannot be sent again', {
 *   hint: 'raise maxReplayBodySize or send a Buffer so the body can be replayed',
 * });
 * ```
 */
export class BodyNotReplayableError extends coded('ERR_BODY_NOT_REPLAYABLE') {
  /** The fix when a body had to be sent again and could not. */
  static readonly REPLAY_HINT = 'raise maxReplayBodySize or send a Buffer so the body can be replayed';
}

/**
 * The handler given to the undici interceptor uses undici's old handler API (`onConnect`,
 * `onHeaders`, `onData`, `onComplete`, `onError`), which undici 8 no longer translates:
 * typically Node's bundled `fetch` (Node 22 and 24 ship undici 6 and 7) with a dispatcher made
 * by npm undici 8. Thrown synchronously by the dispatch, so the caller fails at once instead of
 * waiting forever.
 *
 * @example
 * ```ts
 * import { Dispatcher1Wrapper } from 'undici'; // undici 8
 * try {
 *   await fetch(url, { dispatcher });
 * } catch (err) {
 *   if ((err as Error).cause instanceof LegacyHandlerError) await fetch(url, { dispatcher: new Dispatcher1Wrapper(dispatcher) });
 * }
 * ```
 */
export class LegacyHandlerError extends coded('ERR_UNDICI_LEGACY_HANDLER') {
  declare readonly hint: string;

  constructor() {
    super(
      'the undici handler uses the old handler API (onConnect/onHeaders/onData/onComplete/onError); the negotiate interceptor needs onRequestStart/onResponseStart/onResponseData/onResponseEnd/onResponseError',
      {
        hint: "use undici's own fetch/request with this dispatcher, or wrap it for Node's bundled fetch: new Dispatcher1Wrapper(dispatcher) (undici 8)",
      },
    );
  }
}

/**
 * The KDC refused the login of a `creds` description (`{ principal, password }` or a client
 * keytab): wrong password, a key of an old version, an account locked, disabled or expired, a
 * password that must be changed. Every attempt with a wrong password counts toward the account's
 * lockout (Active Directory locks after a handful), so the refusal is remembered: no request of
 * this `HTTPSPNEGOAuth` tries the same login again until `auth.retryLogin()`. The KDC's answer is
 * the `cause` (a GSSError with its code, e.g. `KRB5KDC_ERR_PREAUTH_FAILED`).
 *
 * @example
 * ```ts
 * const why = negotiateErrorOf(res)?.cause;
 * if (why instanceof LoginRefusedError) { fixPassword(); auth.retryLogin(); }
 * ```
 */
export class LoginRefusedError extends coded('ERR_LOGIN_REFUSED') {}

/**
 * A token bound to one TLS certificate (RFC 5929 `tls-server-end-point`, option
 * `channelBindings`) was about to go on a connection that presented another one: the request
 * was stopped before the token was written (the server changed certificates between
 * connections, or connections to one origin reach servers with different certificates). The
 * adapters send such an attempt again bare, once, and answer its 401 on its own connection: a
 * request fails with this error when that happens twice, or its body can be sent only once. Also
 * thrown, before anything is sent, for a streamed body that needs a token up front when no
 * connection to the origin is known yet. Nothing was sent with the token; the request may be
 * retried.
 *
 * @example
 * ```ts
 * try { await fetch(url); } catch (err) {
 *   if ((err as Error).cause instanceof ChannelBindingError) await fetch(url); // a new token, bound anew
 * }
 * ```
 */
export class ChannelBindingError extends coded('ERR_CHANNEL_BINDING') {}

/**
 * A request that carried a Negotiate token was answered 400, 413 or 431: most likely the token
 * made the request header larger than the server accepts (Apache `LimitRequestFieldSize`, IIS
 * `MaxFieldLength`/`MaxRequestBytes`, Node.js `maxHeaderSize`). Kerberos tokens grow with the
 * user's group memberships (the PAC) and about double with delegation. Reported on the response
 * (`negotiateErrorOf`), never thrown; the message names the sizes, the hint the limits.
 *
 * @example
 * ```ts
 * const why = negotiateErrorOf(res);
 * if (why?.code === 'ERR_HEADER_TOO_LARGE') console.error(why.message, why.hint);
 * ```
 */
export class HeaderTooLargeError extends coded('ERR_HEADER_TOO_LARGE') {}

/**
 * A forward proxy refused a request, and the client has no response to hand over for it:
 * - a `CONNECT` (RFC 9110 section 9.3.6) answered with another status than 2xx (a 407 whose
 *   Negotiate exchange failed, a 403 of its access rules, a 502 for an origin it cannot reach),
 *   or the connection to the proxy failed or closed mid-answer: an https request through the
 *   proxy then has no response of its own;
 * - with fetch (`createFetch(auth, { proxy })`), a plain http request the proxy answered with a
 *   407: the Fetch standard turns every 407 into a network error ("HTTP-network-or-cache
 *   fetch", step 15), so this error (as the `TypeError`'s `cause`) is how the 407 comes back.
 *
 * `status` is the proxy's answer (0 when there was none). For a 407 whose Negotiate exchange
 * failed, `cause` is that exchange's error, which `negotiateErrorOf(error)` also returns (a
 * proxy name without a service principal, no ticket, ...). The proxy's response status and
 * headers are on the non-enumerable `response`.
 *
 * @example
 * ```ts
 * import { createFetch, negotiateErrorOf, ProxyRefusedError } from 'http-gssapi';
 * try {
 *   await createFetch(undefined, { proxy: 'env' })('https://example.org/');
 * } catch (error) {
 *   const refused = (error as Error).cause;
 *   if (refused instanceof ProxyRefusedError && refused.status === 407) console.error(negotiateErrorOf(refused)?.message);
 * }
 * ```
 */
export class ProxyRefusedError extends coded('ERR_PROXY_REFUSED') {
  /** The proxy's status, or 0 when it gave none (connection refused, closed). */
  readonly status: number;
  /** The proxy, as an origin (`http://proxy.example.org:3128`). */
  readonly proxy: string;
  /** What the request was for: the tunnel's `host:port`, or the URL of a plain http request. */
  readonly target: string;

  constructor(
    message: string,
    fields: { readonly status: number; readonly proxy: string; readonly target: string },
    options: HttpGssapiErrorOptions = {},
  ) {
    super(message, options);
    this.status = fields.status;
    this.proxy = fields.proxy;
    this.target = fields.target;
  }
}

/**
 * A GSSAPI call of a request (making a token, which may need a ticket from the KDC) did not
 * return within the `kdcTimeout` option: the request stopped waiting and its 401 came back with
 * this as the reason. The call itself goes on on its worker thread until the library gives up
 * (MIT krb5 1.20: ~27 s for a KDC that never answers); what it produces then is released unused.
 *
 * @example
 * ```ts
 * const why = negotiateErrorOf(res)?.cause;
 * if (why instanceof KdcTimeoutError) console.error('KDC unreachable:', why.hint);
 * ```
 */
export class KdcTimeoutError extends coded('ERR_KDC_TIMEOUT') {}

/**
 * A token about to be sent was NTLM (NTLMSSP, inside SPNEGO or bare) while the `allowNtlm` option
 * is off: it was not sent, and the 401 came back with this as the reason. NTLM is weaker than
 * Kerberos (no server authentication, offline-crackable responses, relayable), so SPNEGO
 * negotiating it silently when Kerberos fails (an unknown SPN, no ticket) is refused.
 *
 * @example
 * ```ts
 * const why = negotiateErrorOf(res)?.cause;
 * if (why instanceof NtlmNotAllowedError) console.error(why.hint); // names allowNtlm
 * ```
 */
export class NtlmNotAllowedError extends coded('ERR_NTLM_NOT_ALLOWED') {}

/**
 * No token was made for a host the policy keeps tokens from, and its Negotiate 401 came back with
 * this as the reason (the `cause` of the exchange error): a host off `serverAllowlist`, a
 * redirect from https to plain http, or a fixed `targetName` asked for by another host than the
 * one it was made for (a redirect; through undici's fetch, any host after the first). The hint
 * names the option that would let the token go.
 *
 * @example
 * ```ts
 * const why = negotiateErrorOf(res)?.cause;
 * if (why instanceof TokenWithheldError) console.error(why.message, why.hint);
 * ```
 */
export class TokenWithheldError extends coded('ERR_TOKEN_WITHHELD') {}
