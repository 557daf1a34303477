import { runExchange } from '../core/exchange.js';
import { followRedirects, type RedirectHop } from '../core/follow-redirects.js';
import { type HTTPSPNEGOAuth, requireAuth } from '../core/http-spnego-auth.js';
import { replayableBody, requestIntake } from '../core/request-intake.js';
import { discardBody } from '../internal/buffered-body.js';
import { sendWatched, undiciGuard } from './binding/undici-guard.js';
import type { FetchLike } from './fetch-like.js';
import { type CreateFetchOptions, resolveBaseFetch } from './fetch-options.js';

type Fetch = typeof globalThis.fetch;
type FetchInit = NonNullable<Parameters<Fetch>[1]>;
type FetchBody = FetchInit['body'];

/** The fetch spec's redirect limit (WHATWG Fetch, "HTTP-redirect fetch" step 5). */
const MAX_REDIRECTS = 20;

interface Hop extends RedirectHop {
  readonly headers: Headers;
  readonly body: FetchBody | null;
}

/**
 * Wraps fetch with HTTP Negotiate authentication. The returned function takes every input and
 * init fetch takes (string, URL, Request; AbortSignal, duplex, ...) and returns a Response.
 *
 * - A 401 with a Negotiate challenge is answered with a token from a fresh context for
 *   `HTTP@<host>`, at most twice per request; other 401s come back untouched.
 * - When no token can be made (no ticket, unknown principal, KDC down), the 401 comes back at
 *   once; {@link negotiateErrorOf} tells why.
 * - Bodies are kept for the resend: streams up to `maxReplayBodySize` in memory; a larger stream
 *   is sent once, with a token up front (a coded error if none can be made). Never truncated.
 * - Redirects are followed here, not by fetch (which would resend the same token, a replay to
 *   the server): caller's `redirect` mode, the Fetch spec's method rewrites, 20 hops, and a new
 *   token per hop for that hop's host. An `Authorization` set by the caller is dropped when a
 *   redirect leaves its origin. A request that started over https gets no token on a plain http
 *   hop (a Negotiate 401 there comes back, the reason on {@link negotiateErrorOf}).
 *
 * - With `{ proxy }` ({@link CreateFetchOptions}), requests go through a forward proxy that
 *   authenticates with Negotiate (its own exchange, 407 and `Proxy-Authorization`, a token for
 *   `HTTP@<proxy host>`): https in a CONNECT tunnel, plain http forwarded with both headers
 *   when both ask. A 407 that Negotiate could not satisfy comes back with the reason on
 *   {@link negotiateErrorOf}; a refused tunnel rejects with a `TypeError` whose `cause` is a
 *   `ProxyRefusedError`.
 *
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @param options - the fetch to wrap (default `globalThis.fetch`), or {@link CreateFetchOptions}
 *   (`fetch`, `proxy`, `proxyAuth`, `agentOptions`, `proxyTls`).
 * @example
 * ```ts
 * import { createFetch, HTTPSPNEGOAuth } from 'http-gssapi';
 * const viaProxy = createFetch(new HTTPSPNEGOAuth(), { proxy: 'env' }); // HTTPS_PROXY, NO_PROXY, ...
 * const res = await viaProxy('https://intranet.example.org/api');
 * ```
 * @example
 * ```ts
 * import { createFetch, HTTPSPNEGOAuth, negotiateErrorOf } from 'http-gssapi';
 * const fetch = createFetch(new HTTPSPNEGOAuth({ opportunisticAuth: true }));
 * const res = await fetch('https://intranet.example.org/api', { method: 'POST', body: JSON.stringify({ a: 1 }) });
 * if (res.status === 401) console.error(negotiateErrorOf(res)?.message);
 * ```
 */
export function createFetch(auth?: HTTPSPNEGOAuth, options?: FetchLike | CreateFetchOptions): Fetch {
  const negotiateAuth = requireAuth(auth);
  const baseFetch = resolveBaseFetch(negotiateAuth, options);

  const negotiateFetch = async (input: Parameters<Fetch>[0], init: FetchInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : input instanceof URL ? input.href : String(input));
    const redirectMode = init.redirect ?? request?.redirect ?? 'follow';
    const signal = init.signal ?? request?.signal ?? undefined;
    const rawBody = init.body !== undefined ? init.body : (request?.body ?? null);
    const { body: _b, headers: _h, method: _m, redirect: _r, signal: _s, ...rest } = init;
    const common: FetchInit = request ? { ...requestInit(request), ...rest } : rest;
    if (signal) common.signal = signal;

    // Strings, buffers, Blobs, FormData and URLSearchParams are re-extracted by fetch on each
    // send; a stream is read into memory (fetch takes the async iterable of a longer one).
    const prepared = await replayableBody(negotiateAuth, rawBody ?? null);
    const first: Hop = {
      url,
      method: (init.method ?? request?.method ?? 'GET').toUpperCase(),
      headers: new Headers(init.headers ?? request?.headers),
      body: prepared.body as FetchBody,
      bodyOnce: prepared.kind === 'once',
    };

    const sendHop = (hop: Hop): Promise<Response> => {
      const send = (extra: Readonly<Record<string, string>>) => {
        const headers = new Headers(hop.headers);
        for (const [name, value] of Object.entries(extra)) headers.set(name, value);
        const hopInit: FetchInit & { duplex?: 'half' } = {
          ...common,
          method: hop.method,
          headers,
          body: hop.body ?? null,
          redirect: 'manual',
        };
        if (hop.bodyOnce) hopInit.duplex = 'half';
        return baseFetch(hop.url, hopInit as never) as Promise<Response>;
      };
      const intake = requestIntake({ header: (name) => hop.headers.get(name) });
      if (intake.skip) return send({});
      const flow = negotiateAuth.flow(hop.url, {
        initialUrl: url,
        replayable: !hop.bodyOnce,
        cookie: intake.cookie,
        peerCertificate: undiciGuard.peerCertificate(hop.url),
        signal,
      });
      return runExchange(flow, {
        // A bound token may go only on a connection with its certificate (channel bindings).
        send: (extra) => sendWatched(flow, extra, send),
        status: (res) => res.status,
        // Set-Cookie lines cannot be joined with commas (RFC 9110 section 5.3).
        header: (res, name) => (name === 'set-cookie' ? res.headers.getSetCookie() : res.headers.get(name)),
        discard: (res) => discardBody(res.body),
        sanitize: (res, headers) => {
          void res.body?.cancel().catch(() => {});
          const clean = new Response(null, { status: res.status, statusText: res.statusText, headers });
          Object.defineProperty(clean, 'url', { value: res.url });
          return clean;
        },
        checkAborted: () => signal?.throwIfAborted(),
      });
    };

    return followRedirects(first, {
      follow: redirectMode !== 'manual',
      // Redirect mode 'error': the first redirect is one too many.
      max: redirectMode === 'error' ? 0 : MAX_REDIRECTS,
      async send(hop, index) {
        signal?.throwIfAborted();
        const response = await sendHop(hop);
        // As fetch does after following redirects (Fetch 4.4, "response's URL list").
        if (index > 0) Object.defineProperty(response, 'redirected', { value: true });
        return response;
      },
      status: (res) => res.status,
      location: (res) => res.headers.get('location'),
      discard: (res) => discardBody(res.body),
      tooMany: (res) =>
        new TypeError(
          redirectMode === 'error'
            ? `redirect mode is set to error: ${res.url || url.href} redirected (${res.status})`
            : `too many redirects (more than ${MAX_REDIRECTS}) from ${url.href}`,
        ),
      next(hop, plan) {
        const headers = new Headers();
        for (const [name, value] of hop.headers) if (!plan.drops(name)) headers.append(name, value);
        return {
          url: plan.url,
          method: plan.method,
          headers,
          body: plan.dropsBody ? null : hop.body,
          bodyOnce: plan.dropsBody ? false : hop.bodyOnce,
        };
      },
    });
  };
  return negotiateFetch as Fetch;
}

/** The RequestInit fields a Request carries beyond url, method, headers, body, redirect and signal. */
function requestInit(request: Request): FetchInit {
  return {
    credentials: request.credentials,
    integrity: request.integrity,
    keepalive: request.keepalive,
    mode: request.mode,
    referrer: request.referrer,
    referrerPolicy: request.referrerPolicy,
  } as FetchInit;
}
