import type { Dispatcher } from 'undici';
import { LegacyHandlerError } from '../../core/errors.js';
import { type HTTPSPNEGOAuth, requireAuth } from '../../core/http-spnego-auth.js';
import { OriginBinding } from '../../core/origin-binding.js';
import { requestIntake } from '../../core/request-intake.js';
import { checkOptionKeys } from '../../internal/option-keys.js';
import { DedicatedConnections, resolveDedicatedConnections } from './dedicated-connections.js';
import { NegotiateHandler } from './negotiate-handler.js';
import { ELSEWHERE, headerPairs, headerReader, redirectStart, requestUrl } from './request-target.js';
import type { NegotiateInterceptor, NegotiateInterceptorOptions } from './types.js';

type DispatchOptions = Dispatcher.DispatchOptions;
type DispatchHandler = Dispatcher.DispatchHandler;
type Dispatch = Dispatcher.Dispatch;

/**
 * An undici interceptor that answers HTTP Negotiate challenges (RFC 4559) for
 * `Dispatcher.compose()`: `dispatch => (opts, handler) => boolean`, like undici's own
 * `interceptors.redirect()` and `interceptors.retry()`.
 *
 * Each request runs one {@link NegotiateFlow} (a fresh GSSAPI context; a token is never sent
 * twice): a 401 with a Negotiate challenge is swallowed (its body drained, or the connection
 * dropped past 64 KiB), the context stepped and the request dispatched again with the token, at
 * most twice. Authentication failures come back as the 401 itself, with the reason on
 * `res.context.negotiate.error` ({@link NegotiateDispatchInfo}), on `negotiateErrorOf` of that
 * info object and on the `onError` option; a server that fails mutual authentication makes the
 * request fail with `MutualAuthenticationError` (through `onResponseError`); an unauthenticated
 * error response is stripped to Date and Server when mutual authentication is REQUIRED. The
 * caller sees one `onRequestStart`, with a controller that stays valid across attempts (pause,
 * resume and abort reach whichever attempt is running; an abort between attempts ends the
 * request at once). A request that already has an `Authorization` header, an upgrade,
 * `CONNECT`, and a request that names another host than the one it is sent to (an absolute-form
 * path for another origin, another origin than the `origin` option's) pass through untouched.
 *
 * **Bodies.** Strings, Buffers, Uint8Arrays, FormData and Blobs are sent again as they are.
 * Streams (a `Readable`, any async or sync iterable; fetch always hands the dispatcher a one-shot
 * async iterable) are read into memory up to `maxReplayBodySize`; a larger one is sent once with
 * a token up front, or, when no token can be made, fails with `BodyNotReplayableError` before
 * anything is sent.
 *
 * **Redirects** are not followed here. Compose undici's redirect interceptor *after* this one,
 * `agent.compose(negotiate(auth), interceptors.redirect({ maxRedirections }))`: the redirect
 * interceptor is then the outer one and dispatches each hop through this interceptor, so every
 * hop gets its own flow and token for its own host, and a token never follows a redirect; a hop
 * to plain http of a request that started over https gets no token (the redirect handler's
 * `history` tells where the request started; fetch's own redirects, one dispatch per hop, do not
 * say, so use `redirect: 'manual'` or `createFetch` there). Since a fetch hop looks like a new
 * request, a fixed `targetName` and `delegate: true` are bound to the host of the first request
 * the interceptor handled ({@link OriginBinding}): another host gets no token for that name and
 * only `'policy'` delegation, unless `serverAllowlist` / `delegateAllowlist` name it. In the
 * other order, one Negotiate exchange would span all hops and the redirect interceptor would
 * resend our `Authorization` header to same-origin hops (a replayed token; undici drops it on a
 * change of origin).
 *
 * **Connection-bound handshakes** (`connectionBound`). Some servers keep the GSSAPI context of
 * a handshake, or the authenticated state, per TCP connection (mod_auth_gssapi's
 * `GssapiConnectionBound On`, IIS, NTLM inside SPNEGO, where leg 2 answers a challenge made for
 * the connection leg 1 came on). A pooled Agent may send each leg on another connection, and
 * HTTP/2 multiplexes unrelated requests on one (RFC 9113 section 7: `HTTP_1_1_REQUIRED`). So
 * in this mode every request attempt that carries a token goes through one dedicated undici
 * `Client` per origin (a single connection, `pipelining: 1`, `allowH2: false`), and a per-origin
 * lock holds that connection from the first token of a handshake until its final response
 * arrives: the legs of two handshakes never interleave on it. Requests without a token (the
 * first, bare attempt, and everything that needs no authentication) keep using the composed
 * dispatcher and its pool, concurrently. Since learned preemption sends tokens up front once an
 * origin has asked for Negotiate, later authenticated requests to it are serialized on that
 * connection: the price of servers that authenticate connections rather than requests. The
 * dedicated Client bypasses interceptors composed inside this one. `close()` closes the
 * dedicated connections.
 *
 * **Versions.** The handler must use the new API: undici 7 translates old-style handlers in
 * `compose()`, undici 8 does not; an old-style handler fails at once with
 * {@link LegacyHandlerError} (see docs/adapters.md for the Node and undici versions that work together).
 *
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @param options - {@link NegotiateInterceptorOptions}.
 * @example
 * ```ts
 * import { Agent, fetch, request } from 'undici';
 * import { HTTPSPNEGOAuth, REQUIRED } from 'http-gssapi';
 * import { negotiate } from 'http-gssapi/undici';
 *
 * const dispatcher = new Agent().compose(negotiate(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED })));
 * const res = await request('https://intranet.example.org/api', { dispatcher });
 * const viaFetch = await fetch('https://intranet.example.org/api', { dispatcher, method: 'POST', body: '{}' });
 *
 * // IIS, NTLM inside SPNEGO, mod_auth_gssapi with GssapiConnectionBound On:
 * const persistent = negotiate(new HTTPSPNEGOAuth(), { connectionBound: true });
 * const iis = new Agent().compose(persistent);
 * ```
 */
export function negotiate(
  auth?: HTTPSPNEGOAuth,
  options: NegotiateInterceptorOptions = {},
): NegotiateInterceptor {
  const negotiateAuth = requireAuth(auth);
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(options, ['connectionBound', 'origin'], 'negotiate() option');
  const dedicated = resolveDedicatedConnections(options.connectionBound);
  const fallbackOrigin = resolveOrigin(options.origin);
  const origins = dedicated ? new DedicatedConnections(dedicated) : null;
  // undici's fetch follows redirects above the dispatcher: a hop looks like a new request, so a
  // fixed targetName and full delegation stay with the first host they were used for.
  const firstHosts = new OriginBinding();

  const interceptor = (dispatch: Dispatch): Dispatch => {
    if (typeof dispatch !== 'function') throw new TypeError('dispatch must be a function');
    return function Intercept(opts: DispatchOptions, handler: DispatchHandler): boolean {
      if (!handler || typeof handler !== 'object') throw new TypeError('handler must be an object');
      if (typeof handler.onRequestStart !== 'function') throw new LegacyHandlerError();
      // A protocol switch carries no HTTP response to authenticate.
      if (opts.upgrade || opts.method === 'CONNECT') return dispatch(opts, handler);
      const url = requestUrl(opts, fallbackOrigin);
      if (url === null) {
        throw new TypeError(
          'the negotiate interceptor needs the request origin: compose it on an Agent, or pass negotiate(auth, { origin }) for a Client or Pool (undici 7)',
        );
      }
      // The request names a host it is not sent to: no token for either.
      if (url === ELSEWHERE) return dispatch(opts, handler);
      const intake = requestIntake({ header: headerReader(headerPairs(opts.headers)) });
      if (intake.skip) return dispatch(opts, handler);
      const setup = {
        cookie: intake.cookie,
        auth: negotiateAuth,
        dispatch,
        url,
        initialUrl: redirectStart(handler),
        origins,
        originVerdict: firstHosts.check(negotiateAuth.options, url),
      };
      new NegotiateHandler(setup, opts, handler).start();
      return true;
    };
  };
  const close = async () => {
    await origins?.close();
  };
  return Object.assign(interceptor, { close, [Symbol.asyncDispose]: close });
}

/** Validates the `origin` option: the origin of an absolute http(s) URL, or null. */
function resolveOrigin(origin: string | URL | undefined): string | null {
  if (origin === undefined) return null;
  const parsed = URL.canParse(String(origin)) ? new URL(String(origin)) : null;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new TypeError('origin must be an absolute http(s) URL');
  }
  return parsed.origin;
}
