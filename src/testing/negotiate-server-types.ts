/**
 * The types of {@link NegotiateTestServer}: its behaviors, what it records of each request, and
 * its options (TLS and channel bindings).
 *
 * @module
 */
/**
 * How the server behaves on a path, chosen by the path's first segment (`/<behavior>/...`).
 * Every behavior but `public` and `open-redirect` requires Negotiate first.
 */
export type TestServerBehavior =
  /** Authenticate, answer 200 with the final token (mutual authentication). The default. */
  | 'ok'
  /** Authenticate, answer 200 without the final token. */
  | 'omit-final-token'
  /** Authenticate, answer 200 with a corrupted final token. */
  | 'corrupt-final-token'
  /** Authenticate, answer 200 with a bare `WWW-Authenticate: Negotiate` (no final token). */
  | 'final-bare-negotiate'
  /** Authenticate, answer 200 with `WWW-Authenticate: Negotiate token="x"` (auth-params, no token68). */
  | 'final-auth-params'
  /** Authenticate, answer 200 with `WWW-Authenticate: Negotiate !!not*base64!!` (a garbled token68). */
  | 'final-garbled-token'
  /** Authenticate, answer 500 with a body and headers, without a token. */
  | 'error-500'
  /** Answer 401 Negotiate forever, even to a valid token. */
  | 'always-401'
  /** Refuse the first valid token with a fresh 401 Negotiate, accept the next (a second leg). */
  | 'second-leg'
  /** Answer 401 with a Negotiate challenge whose token is not base64. */
  | 'malformed-challenge'
  /** Answer 401 with only a Basic challenge. */
  | 'basic-only'
  /** No authentication. */
  | 'public'
  /** Authenticate, then redirect to `?to=` with status `?status=` (default 302). */
  | 'redirect'
  /** Redirect to `?to=` with `?status=` without authentication. */
  | 'open-redirect'
  /** Authenticate; with delegated credentials, use them to get a token for `?target=` (default HTTP@<host>). */
  | 'delegate'
  /**
   * A server that authenticates once per session (mod_auth_gssapi `GssapiUseSessions`, Hadoop):
   * a request with a valid `negotiate-session` cookie is answered 200 without Negotiate; one
   * without is authenticated, and the 200 sets a new session cookie (`Path=/session`).
   * {@link NegotiateTestServer.expireSessions} ends every session.
   */
  | 'session';

/** One request as the server saw it. Tokens are not kept, only whether one came. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  /** Whether an `Authorization: Negotiate` header came with the request. */
  readonly negotiate: boolean;
  /** Any other Authorization scheme sent (e.g. 'Basic'), or null. */
  readonly otherAuthorization: string | null;
  /** The TCP connection, numbered in order of arrival: equal numbers mean a reused connection. */
  readonly connection: number;
  readonly bodyLength: number;
  readonly bodySha256: string;
  readonly status: number;
  /** The authenticated client principal, when authentication succeeded. */
  readonly user: string | null;
  /** Whether a session cookie of this server authenticated the request (behavior `session`). */
  readonly session: boolean;
  /** The Cookie header as it came, or null. */
  readonly cookie: string | null;
  /**
   * Over TLS: whether the token carried channel bindings that matched this server's certificate
   * (`GSS_C_CHANNEL_BOUND_FLAG`); false without a token, over plain http, or when they did not.
   */
  readonly channelBound: boolean;
  /** Over TLS: whether the connection resumed an earlier TLS session (no certificate was sent on it). */
  readonly tlsSessionReused: boolean;
}

/**
 * How a TLS {@link NegotiateTestServer} treats channel bindings (RFC 5929 `tls-server-end-point`
 * of its own certificate, what IIS calls Extended Protection for Authentication):
 *
 * - `'required'` (IIS "Required"): a token must carry the right bindings; a wrong one and a
 *   missing one are refused with a 401 (`x-gss-error: GSS_S_BAD_BINDINGS` or
 *   `missing-channel-bindings`).
 * - `'checked'` (IIS "Accept"): a token with wrong bindings is refused, one without is accepted.
 * - `'ignored'` (Apache mod_auth_gssapi): the acceptor is given none, any token is accepted.
 *
 * @example
 * ```ts
 * const lenient: TestServerChannelBindings = 'checked';
 * await NegotiateTestServer.start({ keytab, tls: { key, cert, channelBindings: lenient } });
 * ```
 */
export type TestServerChannelBindings = 'required' | 'checked' | 'ignored';

/**
 * TLS for {@link NegotiateTestServer}: an https server with this key and certificate.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const tls: NegotiateTestServerTls = { key: readFileSync('key.pem'), cert: readFileSync('cert.pem') };
 * const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, tls });
 * ```
 */
export interface NegotiateTestServerTls {
  /** PEM private key. */
  readonly key: string | Buffer;
  /** PEM certificate (the server's; a chain after it is sent too). */
  readonly cert: string | Buffer;
  /** Default `'required'`. */
  readonly channelBindings?: TestServerChannelBindings;
  /**
   * OpenSSL cipher list, e.g. `'DEFAULT:@SECLEVEL=0'` for a certificate signed with SHA-1,
   * which OpenSSL 3 refuses at its default security level (the client needs the same).
   */
  readonly ciphers?: string;
}

/** Options of {@link NegotiateTestServer.start}. */
export interface NegotiateTestServerOptions {
  /** The service keytab; default KRB5_KTNAME from the environment. */
  readonly keytab?: string;
  /** Host name in the URL (and so in the SPN a client uses); default 'localhost'. */
  readonly hostname?: string;
  /** Address to listen on; default 127.0.0.1. */
  readonly listen?: string;
  /** Serve https with this certificate, and check channel bindings (see {@link NegotiateTestServerTls}). */
  readonly tls?: NegotiateTestServerTls;
}
