/**
 * `http-gssapi/axios`: HTTP Negotiate (SPNEGO over GSSAPI, RFC 4559) for axios.
 *
 * {@link withNegotiate} installs it on an axios instance; {@link negotiateAdapter} is the same
 * thing as an axios adapter. The Negotiate flow itself is {@link HTTPSPNEGOAuth}'s: this module
 * only feeds it axios responses, resends the request, and follows redirects one hop at a time.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { HTTPSPNEGOAuth, REQUIRED } from 'http-gssapi';
 * import { withNegotiate } from 'http-gssapi/axios';
 * const client = withNegotiate(axios.create(), new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }));
 * const { data } = await client.get('https://intranet.example.org/api');
 * ```
 * @module
 */
import type { AxiosAdapter, AxiosInstance } from 'axios';
import { type HTTPSPNEGOAuth, requireAuth } from '../../core/http-spnego-auth.js';
import { dispatch, LEGS } from './dispatch.js';
import type { AdapterConfig, NegotiateLeg } from './types.js';

export type { AdapterConfig, NegotiateLeg } from './types.js';

/** The adapters tried when none is given: axios's own Node choices. */
const DEFAULT_BASE: AdapterConfig = ['http', 'fetch'];
/** Marks the adapters made here, so an interceptor never wraps one twice. */
const NEGOTIATE_ADAPTER = Symbol('http-gssapi.axios.adapter');
/** Request interceptors installed by withNegotiate, by instance. */
const installed = new WeakMap<AxiosInstance, number>();

/**
 * Installs HTTP Negotiate on an axios instance (`axios` itself or one from `axios.create()`) and
 * returns it. Every request then goes through {@link negotiateAdapter} around the adapter it
 * would have used (`http`, `fetch` or a custom one), with the same behavior as `createFetch`:
 *
 * - The first request goes without a token (unless `opportunisticAuth`, or the origin already
 *   asked for Negotiate: learned preemption); a 401 with a Negotiate challenge is answered with
 *   a token from a fresh context for `HTTP@<host>`, at most twice; other 401s come back as axios
 *   returns them.
 * - When no token can be made (no ticket, unknown principal, KDC down), the 401 comes back at
 *   once, as axios's usual rejection (`AxiosError`, status 401) unless `validateStatus` accepts
 *   it; the reason is `negotiateErrorOf(error.response)` and also `error.cause`.
 * - Mutual authentication failures reject with an `AxiosError` named `MutualAuthenticationError`,
 *   `code` `'ERR_MUTUAL_AUTH'`, the {@link MutualAuthenticationError} as `cause`; likewise
 *   `'ERR_BODY_NOT_REPLAYABLE'` for {@link BodyNotReplayableError}.
 * - Redirects are followed here, one hop at a time, each with its own token for its own host:
 *   axios's redirect following (follow-redirects) would resend a token to the next hop, even on
 *   another host when it is a subdomain. `maxRedirects` (0 returns the 3xx) and `beforeRedirect`
 *   are honored; `Authorization`, `Cookie`, `Proxy-Authorization`, the `auth` option and
 *   `sensitiveHeaders` are dropped when a redirect leaves the origin. A request that started
 *   over https gets no token on a plain http hop (a Negotiate 401 there comes back as axios
 *   returns it, the reason on `negotiateErrorOf`).
 * - The token is never in `response.config`, `error.config` or a leg record; the node request
 *   object that carried it is non-enumerable on responses and errors, so logging them does not
 *   print it.
 *
 * Calling it again replaces the previous installation. A request with its own `Authorization`
 * header or `auth` option is left alone.
 *
 * @param instance - the axios instance to install on.
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @returns `instance`; undo with {@link ejectNegotiate}.
 * @example
 * ```ts
 * import axios from 'axios';
 * import { HTTPSPNEGOAuth, negotiateErrorOf } from 'http-gssapi';
 * import { withNegotiate, ejectNegotiate } from 'http-gssapi/axios';
 * const client = withNegotiate(axios.create({ baseURL: 'https://intranet.example.org' }));
 * try {
 *   const { data } = await client.post('/api/items', { name: 'x' });
 * } catch (error) {
 *   if (axios.isAxiosError(error) && error.response?.status === 401)
 *     console.error(negotiateErrorOf(error.response)?.message); // e.g. no Kerberos ticket: run kinit
 *   else if (axios.isAxiosError(error) && error.code === 'ERR_MUTUAL_AUTH') console.error('server not authenticated');
 * }
 * ejectNegotiate(client);
 * ```
 */
export function withNegotiate<T extends AxiosInstance>(instance: T, auth?: HTTPSPNEGOAuth): T {
  if (typeof instance?.interceptors?.request?.use !== 'function') {
    throw new TypeError('instance must be an axios instance (axios, or one from axios.create())');
  }
  const negotiateAuth = requireAuth(auth);
  ejectNegotiate(instance);
  const id = instance.interceptors.request.use(
    (config) => {
      if (!isNegotiateAdapter(config.adapter))
        config.adapter = negotiateAdapter(negotiateAuth, config.adapter ?? DEFAULT_BASE);
      return config;
    },
    undefined,
    { synchronous: true },
  );
  installed.set(instance, id);
  return instance;
}

/**
 * Removes what {@link withNegotiate} installed on `instance`.
 *
 * @returns whether it was installed.
 * @example
 * ```ts
 * const client = withNegotiate(axios.create());
 * ejectNegotiate(client); // true; requests go out as before
 * ```
 */
export function ejectNegotiate(instance: AxiosInstance): boolean {
  const id = installed.get(instance);
  if (id === undefined) return false;
  instance.interceptors.request.eject(id);
  installed.delete(instance);
  return true;
}

/**
 * An axios adapter that runs the Negotiate flow around another adapter (see
 * {@link withNegotiate} for the behavior). For `axios.create({ adapter })` when an interceptor
 * is not wanted.
 *
 * @param auth - options and state; default `new HTTPSPNEGOAuth()`.
 * @param base - the adapter that sends each request: a name (`'http'`, `'fetch'`), a function or
 *   a list, as axios's `adapter` option; default `['http', 'fetch']`.
 * @example
 * ```ts
 * import axios from 'axios';
 * import { negotiateAdapter } from 'http-gssapi/axios';
 * const client = axios.create({ adapter: negotiateAdapter(undefined, 'fetch') });
 * ```
 */
export function negotiateAdapter(auth?: HTTPSPNEGOAuth, base: AdapterConfig = DEFAULT_BASE): AxiosAdapter {
  const negotiateAuth = requireAuth(auth);
  if (isNegotiateAdapter(base)) throw new TypeError('base must not be a Negotiate adapter itself');
  const adapter: AxiosAdapter = (config) => dispatch(negotiateAuth, base, config);
  Object.defineProperty(adapter, NEGOTIATE_ADAPTER, { value: true });
  return adapter;
}

/**
 * The requests axios sent for one call, in order, kept on its request config under a private
 * symbol: read it from `response.config` or `error.config`. Undefined for a config that did not
 * go through Negotiate. No token is recorded, only whether one was sent.
 *
 * @example
 * ```ts
 * const res = await withNegotiate(axios.create()).get('https://intranet.example.org/');
 * console.log(negotiateLegsOf(res.config)); // [{ url, method: 'GET', status: 401, negotiate: false }, { ..., status: 200, negotiate: true }]
 * ```
 */
export function negotiateLegsOf(config: object | undefined): readonly NegotiateLeg[] | undefined {
  return config ? ((config as { [LEGS]?: NegotiateLeg[] })[LEGS] ?? undefined) : undefined;
}

function isNegotiateAdapter(adapter: unknown): boolean {
  return typeof adapter === 'function' && NEGOTIATE_ADAPTER in adapter;
}
