/**
 * `http-gssapi/got`: HTTP Negotiate (SPNEGO over GSSAPI, RFC 4559) for got, as an `extend()`
 * preset of hooks. The Negotiate flow itself is {@link HTTPSPNEGOAuth}'s: the hooks only feed it
 * got's responses and ask got to resend (`retryWithMergedOptions`).
 *
 * @example
 * ```ts
 * import got from 'got';
 * import { HTTPSPNEGOAuth, OPTIONAL } from 'http-gssapi';
 * import { negotiateGot } from 'http-gssapi/got';
 * const client = got.extend(negotiateGot(new HTTPSPNEGOAuth({ mutualAuthentication: OPTIONAL })));
 * const body = await client('https://intranet.example.org/api').json();
 * ```
 * @module
 */
import type { Readable } from 'node:stream';
import { inspect } from 'node:util';
import type {
  AfterResponseHook,
  BeforeErrorHook,
  BeforeRedirectHook,
  BeforeRequestHook,
  ExtendOptions,
  HandlerFunction,
  NormalizedOptions,
  Options,
  PlainResponse,
  Response,
  RetryFunction,
} from 'got';
import { MaxRedirectsError } from 'got';
import { attachReason } from '../core/client-error-reason.js';
import { emit } from '../core/diagnostics.js';
import type { FlowDecision } from '../core/flow-types.js';
import { type HTTPSPNEGOAuth, requireAuth } from '../core/http-spnego-auth.js';
import type { NegotiateFlow } from '../core/negotiate-flow.js';
import { leavesOrigin, ORIGIN_CREDENTIAL_HEADERS } from '../core/redirect-policy.js';
import { replayableBody, requestIntake } from '../core/request-intake.js';
import { sanitizedHeaders } from '../core/sanitize.js';
import { hideProperty } from '../internal/hide-property.js';
import { EndPointBinding } from './binding/end-point-binding.js';
import { nodeGuard, watchGotRequest } from './binding/node-guard.js';
import { gotDeadline } from './got-deadline.js';

/** Where a request's Negotiate state lives: its got `context` (copied by reference to retries and redirect hops). */
const STATE = Symbol('http-gssapi.got');

/**
 * What got itself needs to carry a got call through the flow, across its attempts, redirect
 * hops and resends; the exchange's own state is the flow's.
 */
interface RequestState {
  /** The attempt in flight, when it is ours: its flow, and the deadline of its GSSAPI work. */
  attempt: { readonly flow: NegotiateFlow; readonly deadline: { done(): void } } | null;
  /**
   * The headers of the answer to a 401 (the token, the cookies the flow chose), set before
   * `retryWithMergedOptions`: the attempt that carries this token continues the flow.
   */
  resend: Readonly<Record<string, string>> | null;
  /** Every Authorization value put on this request here, to tell a stale one from the caller's own. */
  readonly ours: Set<string>;
  /** The URL of the first attempt, for the flows of redirect hops (no token on http after https). */
  initial: URL | null;
  /**
   * What the caller brought, read at the first attempt that is ours: whether the body can be
   * sent again, and its own Cookie header (session cookies are added per attempt).
   */
  caller: { readonly replayable: boolean; readonly cookie: string | null } | null;
  /**
   * Redirects followed by this got call, over all its attempts: got counts them per attempt, and
   * each resend after a 401 is a new attempt, so a 401 -> 302 loop would never reach
   * `maxRedirects` by got's count alone.
   */
  redirects: number;
  /** When the got call started (`Date.now()`), for its `timeout.request` over all attempts. */
  readonly started: number;
  /**
   * A bound token of this call was stopped by the guard (another certificate on the connection)
   * and got was asked to send the attempt again: `'next'` until that attempt goes (bare), then
   * `'done'` (once per got call).
   */
  rebind: 'next' | 'done' | null;
}

/**
 * What logging the state prints: it rides on got's `options.context` (which got keeps on every
 * response and error) and holds the tokens sent, which must never reach a log.
 */
const HIDDEN_STATE = '[http-gssapi request state]';

const newState = (): RequestState =>
  Object.defineProperties(
    {
      attempt: null,
      resend: null,
      ours: new Set<string>(),
      initial: null,
      caller: null,
      redirects: 0,
      started: Date.now(),
      rebind: null,
    },
    {
      [inspect.custom]: { value: () => HIDDEN_STATE },
      toJSON: { value: () => HIDDEN_STATE },
    },
  );

function stateOf(options: NormalizedOptions | Options, create = false): RequestState | undefined {
  const context = options.context as Record<PropertyKey, unknown>;
  let state = context[STATE] as RequestState | undefined;
  if (!state && create) {
    state = newState();
    context[STATE] = state;
  }
  return state;
}

function release(state: RequestState): void {
  state.attempt?.flow.dispose();
  state.attempt?.deadline.done();
  state.attempt = null;
}

/**
 * Once a got call is over (its response handed over, or its error thrown): its context released,
 * and no token of ours left on the options got keeps on the response and the error, where
 * `console.log(error)` would print it (a token can be replayed to its service, RFC 4559
 * section 6). Nor the session cookies added here: a session cookie authenticates as the user
 * as a token does, so the `Cookie` header goes back to the caller's own. A later got retry of
 * the same call makes a fresh token, and adds the cookies again, in `beforeRequest`.
 */
function finish(options: NormalizedOptions | Options, state: RequestState): void {
  release(state);
  dropOurToken(options, state);
  // got's own cookie jar, when given, set the header itself: not ours to change.
  if (state.caller && options.cookieJar === undefined) setCookie(options, state.caller.cookie);
  state.resend = null;
}

/**
 * A got `extend()` preset (a handler and hooks) for HTTP Negotiate, with the same behavior as
 * `createFetch`:
 *
 * - The first request goes without a token (unless `opportunisticAuth`, or the origin already
 *   asked for Negotiate: learned preemption); a 401 with a Negotiate challenge is answered with
 *   a token from a fresh context for `HTTP@<host>`, at most twice, through
 *   `retryWithMergedOptions` (which runs your `beforeRetry` hooks); other 401s come back as got
 *   returns them.
 * - When no token can be made (no ticket, unknown principal, KDC down), the 401 comes back at
 *   once: got's usual `HTTPError` (or the response, with `throwHttpErrors: false`); the reason
 *   is `negotiateErrorOf(error.response)` and also `error.cause`.
 * - A failed mutual authentication rejects with got's `RequestError`, `code` `'ERR_MUTUAL_AUTH'`
 *   and the {@link MutualAuthenticationError} as `cause`; likewise `'ERR_BODY_NOT_REPLAYABLE'`.
 * - got follows redirects; the `beforeRedirect` hook verifies the hop (mutual authentication)
 *   and removes this library's token before got sends the next one, which gets its own token for
 *   its own host in `beforeRequest` (none on a plain http hop of a request that started over
 *   https). got itself drops a caller's `Authorization`, `Cookie` and `username`/`password` on
 *   another host or port; the hook drops them on a change of scheme too (https to http).
 * - A body stream or generator is read into memory up to `maxReplayBodySize` so it can be resent;
 *   a larger one goes once with a token up front, or fails before sending with
 *   `'ERR_BODY_NOT_REPLAYABLE'` when no token can be made. `json`, `form`, strings and buffers
 *   are resent as they are.
 * - A got retry (5xx, network error) gets a fresh token, never the previous one.
 * - A bound token that meets a connection with another certificate (channel bindings) is stopped
 *   before it is written, and the attempt goes again bare once, through got's retry (the preset
 *   sets `retry.calculateDelay`; your `beforeRetry` hooks run): the 401 is answered bound to its
 *   own connection. A `calculateDelay` of yours, or `enforceRetryRules`, turns that off.
 *
 * The token is made for `options.url` as this `beforeRequest` hook sees it: hooks that change
 * the URL must be added before this preset, not in a later `extend()`.
 *
 * Requests with their own `Authorization` (or `username`/`password`) are left alone, as are
 * `got.stream()` requests: got runs no `afterResponse` hook for streams, so no 401 could be
 * answered nor a server token verified (use `createFetch` for streamed responses).
 * Needs got 14.5 or later (`retryWithMergedOptions` with `preserveHooks`).
 *
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @returns options for `got.extend()`.
 * @example
 * ```ts
 * import got, { HTTPError, RequestError } from 'got';
 * import { negotiateErrorOf, MutualAuthenticationError } from 'http-gssapi';
 * import { negotiateGot } from 'http-gssapi/got';
 * const client = got.extend(negotiateGot(), { retry: { limit: 1 } });
 * try {
 *   await client.post('https://intranet.example.org/api', { json: { a: 1 } });
 * } catch (error) {
 *   if (error instanceof HTTPError && error.response.statusCode === 401)
 *     console.error(negotiateErrorOf(error.response)?.message); // e.g. no Kerberos ticket: run kinit
 *   else if (error instanceof RequestError && error.cause instanceof MutualAuthenticationError)
 *     console.error('server not authenticated');
 * }
 * ```
 */
export function negotiateGot(auth?: HTTPSPNEGOAuth): ExtendOptions {
  const negotiateAuth = requireAuth(auth);

  // Each got call starts with a fresh state; its retries and redirect hops share it.
  const handler: HandlerFunction = (options, next) => {
    (options.context as Record<PropertyKey, unknown>)[STATE] = newState();
    return next(options);
  };

  const beforeRequest: BeforeRequestHook = async (options) => {
    if (options.isStream || !(options.url instanceof URL)) return;
    const state = stateOf(options, true)!;
    state.initial ??= new URL(options.url.href);
    // got's own cookie jar, when given, keeps the cookies (and has set the header already).
    const sessions = options.cookieJar === undefined;
    const header = options.headers.authorization;
    if (state.resend !== null && header === state.resend['authorization']) {
      // The answer to a 401: this attempt continues the flow, with the cookies it chose.
      if (sessions) setCookie(options, state.resend['cookie'] ?? state.caller?.cookie ?? null);
      state.resend = null;
      watchGotRequest(options, EndPointBinding.of(state.attempt?.flow.boundCertificate));
      return;
    }
    // A token of ours copied onto a got retry: never sent twice (a replay for the server).
    dropOurToken(options, state);
    state.resend = null;
    release(state);
    const intake = requestIntake({ header: (name) => options.headers[name] });
    if (intake.skip) return;
    state.caller ??= { cookie: intake.cookie, replayable: await makeReplayable(options, negotiateAuth) };
    // The caller's Cookie header is the one the request had before this hook added to it.
    if (sessions) setCookie(options, state.caller.cookie);
    const deadline = gotDeadline(options, state.started);
    const flow = negotiateAuth.flow(options.url, {
      initialUrl: state.initial,
      replayable: state.caller.replayable,
      cookie: sessions ? state.caller.cookie : null,
      sessions,
      peerCertificate: nodeGuard.peerCertificate(options.url),
      signal: deadline.signal,
    });
    state.attempt = { flow, deadline };
    let authorization: string | null = null;
    try {
      // The attempt after a stopped bound token goes bare: its 401 is answered on its connection.
      if (state.rebind === 'next') state.rebind = 'done';
      else authorization = await flow.start();
    } catch (error) {
      release(state);
      throw error;
    }
    Object.assign(options.headers, flow.requestHeaders(authorization));
    if (authorization) state.ours.add(authorization);
    // A bound token goes only on a connection with its certificate (channel bindings).
    watchGotRequest(options, authorization ? EndPointBinding.of(flow.boundCertificate) : null);
  };

  const afterResponse: AfterResponseHook = async (response, retryWithMergedOptions) => {
    const state = stateOf(response.request.options);
    const flow = state?.attempt?.flow;
    if (!state || !flow) return response;
    let decision: FlowDecision;
    try {
      decision = await decide(flow, response);
    } catch (error) {
      // got reports it as a RequestError with our code, the error (response attached) as cause.
      release(state);
      throw error;
    }
    if (decision.action === 'return') {
      finish(response.request.options, state);
      hideSentHeaders(response);
      if (decision.sanitize) sanitize(response);
      return response;
    }
    const headers = flow.requestHeaders(decision.authorization);
    state.resend = headers;
    state.ours.add(decision.authorization);
    try {
      // preserveHooks: this hook must see the resent request's response (verify, next leg).
      return await retryWithMergedOptions({
        headers,
        preserveHooks: true,
      });
    } catch (error) {
      if (
        (error as Error)?.name !== 'RetryError' &&
        /preserveHooks/.test(String((error as Error)?.message))
      ) {
        release(state);
        throw new TypeError(
          'http-gssapi/got needs got 14.5.0 or later (retryWithMergedOptions preserveHooks)',
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  };

  const beforeRedirect: BeforeRedirectHook = async (updatedOptions, response) => {
    const state = stateOf(updatedOptions);
    if (!state) return;
    if (++state.redirects > updatedOptions.maxRedirects) {
      release(state);
      throw new MaxRedirectsError(response.request);
    }
    const flow = state.attempt?.flow;
    if (flow) {
      try {
        // The redirect is this hop's answer: verify it as createFetch does.
        await decide(flow, response);
      } finally {
        release(state);
      }
    }
    // A token made for this hop never goes to the next (got keeps headers on the same host).
    dropOurToken(updatedOptions, state);
    if (leavesOrigin(response.url, String(updatedOptions.url))) {
      // got drops the caller's credentials when the host or port changes, but not the scheme, so
      // an https -> http redirect of one host would send them in clear. Dropped on any change of
      // origin, as createFetch and axios do (WHATWG Fetch 4.4 step 13).
      for (const name of ORIGIN_CREDENTIAL_HEADERS) delete updatedOptions.headers[name];
      if (updatedOptions.username || updatedOptions.password) {
        updatedOptions.username = '';
        updatedOptions.password = '';
      }
    }
    state.resend = null;
    emit({
      type: 'redirect',
      from: response.url,
      to: String(updatedOptions.url),
      status: response.statusCode,
      method: updatedOptions.method,
    });
  };

  const beforeError: BeforeErrorHook = (error) => {
    // Every failure ends here (a reset, an unparsable response, an abort, a refused redirect):
    // the context is released now, not left to the garbage collector.
    const state = error.options ? stateOf(error.options) : undefined;
    if (state) finish(error.options, state);
    if (state && error.response) hideSentHeaders(error.response);
    // The 401 that came back unauthenticated: its HTTPError points at the reason too.
    return attachReason(error, error.response);
  };

  // A bound token stopped before it was written (another certificate on the connection, as with
  // two back ends behind one name): got's hooks cannot resend a failed attempt, its retry can.
  // Once per got call, whatever the retry limit; any other error gets got's own delay.
  const calculateDelay: RetryFunction = ({ error, computedValue }) => {
    const state = error.options ? stateOf(error.options) : undefined;
    if (!state || state.rebind !== null || !state.attempt?.flow.rebind(error)) return computedValue;
    state.rebind = 'next';
    return 1;
  };

  return {
    handlers: [handler],
    retry: { calculateDelay },
    hooks: {
      beforeRequest: [beforeRequest],
      beforeRedirect: [beforeRedirect],
      afterResponse: [afterResponse],
      beforeError: [beforeError],
    },
  };
}

/**
 * Makes the body sendable again, once per got call; false when it can go only once. A stream or
 * generator body is replaced by the bytes it held (as an array of chunks), or by a stream that
 * goes once past `maxReplayBodySize`.
 *
 * Not by one Buffer: got 15 and 16 write a Buffer body in 64 KiB pieces and, when the response
 * has begun before the last piece is written (a server that answers while it reads: an echo, an
 * early 401 or 413), destroy the request instead of ending it, which cuts the response short
 * ("Content-Length mismatch"; measured with got 15.1.0 and 16.1.0 alone: a 1 MB Buffer to a
 * streaming echo failed 200 times out of 200, got 14 never). An array is written by got's
 * iterable path, which has no such step, and can be written again for the resend.
 */
async function makeReplayable(options: NormalizedOptions, auth: HTTPSPNEGOAuth): Promise<boolean> {
  const prepared = await replayableBody(auth, options.body);
  if (prepared.kind === 'buffered') {
    options.body = piecesOf(prepared.body);
    if (options.headers['content-length'] === undefined && options.headers['transfer-encoding'] === undefined)
      options.headers['content-length'] = String(prepared.body.byteLength);
  } else if (prepared.kind === 'once') {
    options.body = forwardErrors(prepared.body);
  }
  return prepared.kind !== 'once';
}

/** Views of `bytes` in 64 KiB pieces (no copy). */
function piecesOf(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.byteLength; at += 65_536) pieces.push(bytes.subarray(at, at + 65_536));
  return pieces;
}

/**
 * got listens for errors on the body it was given, not on a replacement: a replacement that
 * fails mid-upload destroys the request it is piped into, so the error reaches got.
 */
function forwardErrors(stream: Readable): Readable {
  const pipe = stream.pipe.bind(stream);
  stream.pipe = (<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }) => {
    stream.once('error', (error) => (destination as unknown as { destroy(e: Error): void }).destroy(error));
    return pipe(destination, options);
  }) as typeof stream.pipe;
  return stream;
}

/**
 * The node request behind a got response keeps the headers it sent (`_header`, and its
 * out-headers map): our token and the session cookies. It is reachable as `response.req` and as
 * got's `response.request._request`; both stay readable, and are no longer printed with the
 * response (`util.inspect`, `JSON.stringify`).
 */
function hideSentHeaders(response: PlainResponse): void {
  if ('req' in response) hideProperty(response, 'req', response.req);
  const request = response.request as unknown as Record<string, unknown> | undefined;
  if (request && '_request' in request) hideProperty(request, '_request', request['_request']);
}

/** Removes an `Authorization` header that holds a token of this call's (got copies headers along). */
function dropOurToken(options: NormalizedOptions | Options, state: RequestState): void {
  const header = options.headers.authorization;
  if (header !== undefined && state.ours.has(String(header))) delete options.headers.authorization;
}

function setCookie(options: NormalizedOptions | Options, value: string | null): void {
  if (value === null) delete options.headers.cookie;
  else options.headers.cookie = value;
}

/** What the flow makes of a got response. */
function decide(flow: NegotiateFlow, response: PlainResponse): Promise<FlowDecision> {
  return flow.onResponse({
    status: response.statusCode,
    header: (name) => response.headers[name],
    response,
  });
}

/** Empties the response in place: the sanitized headers, no body (mutual authentication REQUIRED). */
function sanitize(response: Response): void {
  const kept = sanitizedHeaders((name) => response.headers[name]);
  response.headers = kept;
  response.rawHeaders = Object.entries(kept).flat();
  response.rawBody = Buffer.alloc(0);
  response.body = response.request.options.responseType === 'buffer' ? Buffer.alloc(0) : '';
}
