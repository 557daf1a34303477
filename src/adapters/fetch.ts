import { emit } from '../core/diagnostics.js';
import { BodyNotReplayableError } from '../core/errors.js';
import { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { bufferBody, discardBody, isOneShotBody } from '../internal/buffered-body.js';
import {
  leavesOrigin,
  ORIGIN_CREDENTIAL_HEADERS,
  REDIRECT_STATUSES,
  redirectDropsBody,
} from '../internal/redirect-rules.js';

type Fetch = typeof globalThis.fetch;
type FetchInit = NonNullable<Parameters<Fetch>[1]>;
type FetchBody = FetchInit['body'];

/** The fetch spec's redirect limit (WHATWG Fetch, "HTTP-redirect fetch" step 5). */
const MAX_REDIRECTS = 20;
/** Headers that describe a body, dropped when a redirect turns the request into a GET (Fetch 4.4 step 12). */
const BODY_HEADERS = [
  'content-encoding',
  'content-language',
  'content-location',
  'content-type',
  'content-length',
];

/**
 * A request body in a form that can be sent more than once. Strings, buffers, Blobs, FormData
 * and URLSearchParams are re-extracted by fetch on each send; streams are read once into
 * memory up to `maxReplayBodySize`, beyond which they are sent once with a token up front.
 */
type Prepared =
  | { readonly kind: 'replayable'; readonly body: FetchBody }
  | { readonly kind: 'once'; readonly body: FetchBody };

async function prepareBody(body: FetchBody | null | undefined, cap: number): Promise<Prepared> {
  if (body == null || !isOneShotBody(body)) return { kind: 'replayable', body: body ?? null };
  const read = await bufferBody(body as object, cap);
  // fetch takes any async iterable as a streamed body (with duplex: 'half').
  return read.kind === 'buffered'
    ? { kind: 'replayable', body: read.body }
    : { kind: 'once', body: read.body as unknown as FetchBody };
}

/** The response with its body and all headers but Date and Server removed (mutual auth REQUIRED). */
function sanitize(response: Response): Response {
  const headers = new Headers({ 'content-length': '0' });
  for (const name of ['date', 'server']) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  void response.body?.cancel().catch(() => {});
  const clean = new Response(null, { status: response.status, statusText: response.statusText, headers });
  Object.defineProperty(clean, 'url', { value: response.url });
  return clean;
}

interface Hop {
  url: URL;
  method: string;
  headers: Headers;
  body: Prepared;
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
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @param baseFetch - the fetch to wrap; default `globalThis.fetch`.
 * @example
 * ```ts
 * import { createFetch, HTTPSPNEGOAuth, negotiateErrorOf } from 'http-gssapi';
 * const fetch = createFetch(new HTTPSPNEGOAuth({ opportunisticAuth: true }));
 * const res = await fetch('https://intranet.example.org/api', { method: 'POST', body: JSON.stringify({ a: 1 }) });
 * if (res.status === 401) console.error(negotiateErrorOf(res)?.message);
 * ```
 */
export function createFetch(
  auth: HTTPSPNEGOAuth = new HTTPSPNEGOAuth(),
  baseFetch: Fetch = globalThis.fetch,
): Fetch {
  if (!(auth instanceof HTTPSPNEGOAuth)) throw new TypeError('auth must be an HTTPSPNEGOAuth');
  if (typeof baseFetch !== 'function') throw new TypeError('baseFetch must be a fetch function');

  const negotiateFetch = async (input: Parameters<Fetch>[0], init: FetchInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : input instanceof URL ? input.href : String(input));
    const headers = new Headers(init.headers ?? request?.headers);
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const redirectMode = init.redirect ?? request?.redirect ?? 'follow';
    const signal = init.signal ?? request?.signal ?? undefined;
    const rawBody = init.body !== undefined ? init.body : (request?.body ?? null);
    const { body: _b, headers: _h, method: _m, redirect: _r, signal: _s, ...rest } = init;
    const common: FetchInit = request ? { ...requestInit(request), ...rest } : rest;
    if (signal) common.signal = signal;

    const body = await prepareBody(rawBody, auth.options.maxReplayBodySize);
    let hop: Hop = { url, method, headers, body };
    for (let redirects = 0; ; redirects++) {
      signal?.throwIfAborted();
      const response = await sendHop(hop);
      // As fetch does after following redirects (Fetch 4.4, "response's URL list").
      if (redirects > 0) Object.defineProperty(response, 'redirected', { value: true });
      if (!REDIRECT_STATUSES.has(response.status) || redirectMode === 'manual') return response;
      const location = response.headers.get('location');
      if (location === null) return response;
      if (redirectMode === 'error') {
        await discardBody(response.body);
        throw new TypeError(`redirect mode is set to error: ${hop.url.href} redirected (${response.status})`);
      }
      if (redirects >= MAX_REDIRECTS) {
        await discardBody(response.body);
        throw new TypeError(`too many redirects (more than ${MAX_REDIRECTS}) from ${url.href}`);
      }
      const next = new URL(location, hop.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new TypeError(`refusing to follow a redirect to ${next.protocol} URL`);
      }
      await discardBody(response.body);
      hop = nextHop(hop, response.status, next);
      emit({
        type: 'redirect',
        from: response.url || url.href,
        to: next.href,
        status: response.status,
        method: hop.method,
      });
    }

    async function sendHop(h: Hop): Promise<Response> {
      const send = (authorization: string | null) => {
        const hopHeaders = new Headers(h.headers);
        if (authorization) hopHeaders.set('authorization', authorization);
        const hopInit: FetchInit & { duplex?: 'half' } = {
          ...common,
          method: h.method,
          headers: hopHeaders,
          body: h.body.body ?? null,
          redirect: 'manual',
        };
        if (h.body.kind === 'once') hopInit.duplex = 'half';
        return baseFetch(h.url, hopInit);
      };
      // A caller that brings its own Authorization is not ours to change.
      if (h.headers.has('authorization')) return send(null);
      // A hop knows where the request started: no token on http after https.
      const flow = auth.flow(h.url, 'server', { initialUrl: url });
      try {
        // A body that cannot go twice goes once, with a token (or BodyNotReplayableError).
        let authorization: string | null =
          h.body.kind === 'once' ? await flow.startRequired() : await flow.start();
        for (;;) {
          const response = await send(authorization);
          const decision = await flow
            .onResponse({
              status: response.status,
              challenges: response.headers.get('www-authenticate'),
            })
            .catch((error: unknown) => {
              void response.body?.cancel().catch(() => {});
              if (error && typeof error === 'object')
                Object.defineProperty(error, 'response', {
                  value: response,
                  enumerable: false,
                  configurable: true,
                });
              throw error;
            });
          if (decision.action === 'return') {
            if (decision.error) auth.reportError(decision.error, h.url, response);
            return decision.sanitize ? sanitize(response) : response;
          }
          if (h.body.kind === 'once') {
            // The body is gone: the 401 is the answer.
            const error = new BodyNotReplayableError(
              `the server asked for another Negotiate leg but the streamed request body cannot be sent again`,
              { hint: 'raise maxReplayBodySize or send a Buffer so the body can be replayed' },
            );
            auth.reportError(error, h.url, response);
            flow.dispose();
            return response;
          }
          await discardBody(response.body);
          signal?.throwIfAborted();
          authorization = decision.authorization;
        }
      } finally {
        flow.dispose();
      }
    }
  };
  return negotiateFetch as Fetch;
}

/** The next hop of a redirect, per the Fetch spec's "HTTP-redirect fetch" (WHATWG Fetch 4.4). */
function nextHop(hop: Hop, status: number, next: URL): Hop {
  const headers = new Headers(hop.headers);
  let { method, body } = hop;
  if (redirectDropsBody(status, method)) {
    method = 'GET';
    body = { kind: 'replayable', body: null };
    for (const name of BODY_HEADERS) headers.delete(name);
  } else if (body.kind === 'once') {
    throw new TypeError('cannot follow a 307/308 redirect with a streamed request body (Fetch 4.4 step 11)');
  }
  if (leavesOrigin(hop.url, next)) {
    // Credentials made for one origin never go to another (Fetch 4.4 step 13).
    for (const name of ORIGIN_CREDENTIAL_HEADERS) headers.delete(name);
  }
  return { url: next, method, headers, body };
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
