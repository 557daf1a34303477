/**
 * `http-gssapi/ky`: HTTP Negotiate (SPNEGO over GSSAPI, RFC 4559) for ky, through ky's `fetch`
 * option: {@link negotiateKy} hands ky a `createFetch` wrapper, so the whole exchange, body
 * replay and redirect handling are `createFetch`'s, plus two hooks that fit ky's error model.
 * Nothing of ky is loaded at run time.
 *
 * @example
 * ```ts
 * import ky from 'ky';
 * import { negotiateKy } from 'http-gssapi/ky';
 * const client = ky.create(negotiateKy());
 * const data = await client.get('https://intranet.example.org/api').json();
 * ```
 * @module
 */
import type { BeforeErrorHook, BeforeRetryHook, Options } from 'ky';
import { attachReason } from '../core/client-error-reason.js';
import { HttpGssapiError } from '../core/errors.js';
import type { HTTPSPNEGOAuth } from '../core/http-spnego-auth.js';
import { createFetch } from './fetch.js';
import type { FetchLike } from './fetch-like.js';
import type { CreateFetchOptions } from './fetch-options.js';
import { type KyErrorHookArgument, kyHookError } from './ky-version.js';

/**
 * ky options (for `ky.create()` or `ky.extend()`) that authenticate with HTTP Negotiate, with the
 * behavior of `createFetch`: a bare first request (unless `opportunisticAuth` or learned
 * preemption), a fresh token answering a Negotiate 401 (at most two), mutual authentication,
 * bodies resent whole, and redirects followed by the wrapper with a new token per hop for that
 * hop's host (fetch's own redirect following would resend the token).
 *
 * How failures reach you, in ky's terms:
 * - No token could be made (no ticket, unknown principal, KDC down): the 401 comes back at
 *   once, as ky's `HTTPError` (unless `throwHttpErrors: false`); the reason is
 *   `negotiateErrorOf(error.response)` and also `error.cause`.
 * - {@link MutualAuthenticationError} and {@link BodyNotReplayableError} are thrown as they are
 *   (`error.code` `'ERR_MUTUAL_AUTH'`, `'ERR_BODY_NOT_REPLAYABLE'`), like fetch's own errors.
 *   ky retries thrown errors for GET and other idempotent methods; the `beforeRetry` hook here
 *   rethrows these instead, so no second attempt is made (ky 1 and 2 still wait their first retry
 *   delay, 300 ms by default, before calling the hook; `retry: 0` avoids it).
 *
 * ky sends a `Request` whose body is a stream, so bodies are buffered up to
 * `maxReplayBodySize` (1 MiB by default) for the resend; a larger body goes once, with a token
 * up front. Passing your own `fetch` to ky afterwards would replace this one: give it here.
 *
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * Works with ky 1 (1.7 and later) and ky 2: what differs between them at run time (the
 * argument of `beforeError`) is told from what ky passes.
 *
 * @param options - the fetch that sends each request (any {@link FetchLike}, undici's `fetch`
 *   too; default `globalThis.fetch`), or `createFetch`'s options: `{ proxy: 'env' }` sends ky's
 *   requests through a Negotiate proxy. Passing your own `fetch` to ky afterwards would bypass both.
 * @example
 * ```ts
 * import ky, { HTTPError } from 'ky';
 * import { HTTPSPNEGOAuth, MutualAuthenticationError, negotiateErrorOf, REQUIRED } from 'http-gssapi';
 * import { negotiateKy } from 'http-gssapi/ky';
 * // ky 2: `prefix`; ky 1: `prefixUrl`.
 * const client = ky.create({ ...negotiateKy(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED })), prefix: 'https://intranet.example.org' });
 * try {
 *   await client.post('api/items', { json: { name: 'x' } }).json();
 * } catch (error) {
 *   if (error instanceof HTTPError && error.response.status === 401) console.error(negotiateErrorOf(error.response)?.message);
 *   else if (error instanceof MutualAuthenticationError) console.error('server not authenticated');
 * }
 * ```
 */
export function negotiateKy(auth?: HTTPSPNEGOAuth, options?: FetchLike | CreateFetchOptions): Options {
  const fetch = createFetch(auth, options);

  const beforeRetry: BeforeRetryHook = ({ error }) => {
    // A server that failed mutual authentication, or a body that cannot be resent, will not do
    // better on a second try; ky would make one for a thrown error on an idempotent method.
    if (error instanceof HttpGssapiError) throw error;
  };

  // ky 1 calls beforeError with the HTTPError; ky 2 with a state object `{ error, request,
  // options, retryCount }`, and for every kind of error, not only HTTPError.
  const beforeError = ((arg: KyErrorHookArgument) => {
    const error = kyHookError(arg);
    return attachReason(error, (error as { response?: object }).response);
  }) as unknown as BeforeErrorHook;

  return { fetch, hooks: { beforeRetry: [beforeRetry], beforeError: [beforeError] } };
}
