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
import { Readable } from 'node:stream';
import type { AxiosAdapter, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { Axios, AxiosError, getAdapter } from 'axios';
import { negotiateErrorOf } from '../core/error-report.js';
import { HttpGssapiError } from '../core/errors.js';
import { runExchange } from '../core/exchange.js';
import { followRedirects, type RedirectHop } from '../core/follow-redirects.js';
import { type HTTPSPNEGOAuth, requireAuth } from '../core/http-spnego-auth.js';
import type { RedirectPlan } from '../core/redirect-policy.js';
import { bufferBody, discardBody, isOneShotBody } from '../internal/buffered-body.js';
import { hideProperty } from '../internal/hide-property.js';

/** One request axios sent for a call: the first, each Negotiate resend, each redirect hop. */
export interface NegotiateLeg {
  readonly url: string;
  /** Upper-case method. */
  readonly method: string;
  readonly status: number;
  /** Whether the request carried a Negotiate token made by this library. */
  readonly negotiate: boolean;
}

/** What axios's `adapter` option takes: a name, a function, or a list to try in order. */
type AdapterConfig = NonNullable<InternalAxiosRequestConfig['adapter']>;

/** The adapters tried when none is given: axios's own Node choices. */
const DEFAULT_BASE: AdapterConfig = ['http', 'fetch'];
/** follow-redirects' default, which axios's http adapter uses when `maxRedirects` is unset. */
const DEFAULT_MAX_REDIRECTS = 21;
/** Marks the adapters made here, so an interceptor never wraps one twice. */
const NEGOTIATE_ADAPTER = Symbol('http-gssapi.axios.adapter');
/** The legs of a call, kept on its request config (never in a header sent to the server). */
const LEGS = Symbol('http-gssapi.axios.legs');
/** Request interceptors installed by withNegotiate, by instance. */
const installed = new WeakMap<AxiosInstance, number>();
/** Builds a request's URL (baseURL, url, params) exactly as axios does; no defaults of its own. */
const uriBuilder = new Axios({});

type Config = InternalAxiosRequestConfig;
type Headers = Config['headers'];

/** A response of the base adapter, and the rejection axios made of it (per `validateStatus`). */
interface Outcome {
  readonly response: AxiosResponse;
  readonly error?: AxiosError;
}

interface Hop extends RedirectHop {
  /** The first hop sends the caller's url, baseURL and params untouched; later hops an absolute URL. */
  readonly first: boolean;
  readonly headers: Headers;
  readonly data: unknown;
  readonly auth: Config['auth'];
}

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

async function dispatch(auth: HTTPSPNEGOAuth, base: AdapterConfig, config: Config): Promise<AxiosResponse> {
  const send = getAdapter(base, config);
  const legs: NegotiateLeg[] = [];
  Object.defineProperty(config, LEGS, { value: legs, configurable: true });

  const headers = config.headers.concat();
  let data: unknown = config.data;
  let bodyOnce = false;
  if (isOneShotBody(data)) {
    // The `form-data` package's stream knows its own content type (with the boundary).
    const formHeaders = (data as { getHeaders?: () => Record<string, string> }).getHeaders?.();
    if (formHeaders) headers.set(formHeaders);
    const web = data instanceof ReadableStream;
    const buffered = await bufferBody(data as object, auth.options.maxReplayBodySize).catch(
      (error: unknown) => {
        // The caller's stream failed while being read: reported as axios reports a failed upload.
        throw AxiosError.from(error, (error as { code?: string })?.code, config);
      },
    );
    bodyOnce = buffered.kind === 'once';
    data = buffered.kind === 'buffered' ? buffered.body : web ? Readable.toWeb(buffered.body) : buffered.body;
  }

  const first: Hop = {
    // A Unix-socket request usually has a path-only url; axios's http adapter reads it against
    // http://localhost, so the host (and the service name) is the same here.
    url: new URL(uriBuilder.getUri(config), config.socketPath ? 'http://localhost' : undefined),
    first: true,
    method: (config.method ?? 'get').toUpperCase(),
    headers,
    data,
    bodyOnce,
    auth: config.auth,
  };
  const maxRedirects = config.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let outcome: Outcome;
  try {
    outcome = await followRedirects(first, {
      follow: maxRedirects > 0,
      max: maxRedirects,
      send: sendHop,
      status: (o) => o.response.status,
      location: (o) => headerOf(o.response.headers, 'location'),
      discard: (o) => discardBody(o.response.data),
      tooMany: (o) =>
        new AxiosError(
          'Maximum number of redirects exceeded',
          AxiosError.ERR_FR_TOO_MANY_REDIRECTS,
          config,
          o.response.request,
          o.response,
        ),
      next: (hop, plan, o) => nextHop(hop, plan, o.response, config),
    });
  } catch (error) {
    throw axiosErrorOf(error, config);
  }
  if (outcome.error) {
    // The 401 that came back unauthenticated: axios's rejection points at the reason too.
    const reason = negotiateErrorOf(outcome.response);
    if (reason && outcome.error.cause === undefined) hideProperty(outcome.error, 'cause', reason);
    throw outcome.error;
  }
  return outcome.response;

  /** One hop: the request, and its Negotiate resends when the server asks. */
  function sendHop(hop: Hop): Promise<Outcome> {
    // A caller that brings its own Authorization (header or `auth` option) is not ours to change.
    if (hop.headers.has('authorization') || hop.auth !== undefined) return attempt(hop, null);
    const flow = auth.flow(hop.url, { initialUrl: first.url, replayable: !hop.bodyOnce });
    return runExchange<Outcome>(flow, {
      send: (authorization) => attempt(hop, authorization),
      status: (o) => o.response.status,
      clientResponse: (o) => o.response,
      header: (o, name) => headerOf(o.response.headers, name),
      discard: (o) => discardBody(o.response.data),
      sanitize(o, kept) {
        sanitize(o.response, kept);
        return o;
      },
    });
  }

  /** Sends one request through the base adapter, with redirects off and our token if any. */
  async function attempt(hop: Hop, authorization: string | null): Promise<Outcome> {
    const legHeaders = hop.headers.concat();
    if (authorization) legHeaders.set('Authorization', authorization);
    const { auth: _auth, baseURL: _baseURL, params: _params, url: _url, ...rest } = config;
    const legConfig: Config = {
      ...rest,
      // The first hop goes as the caller built it; a redirect hop to its absolute URL.
      ...(hop.first ? firstHopUrl(config) : { url: hop.url.href }),
      ...(hop.auth ? { auth: hop.auth } : {}),
      method: hop.method.toLowerCase(),
      headers: legHeaders,
      data: hop.data,
      maxRedirects: 0,
    };
    let outcome: Outcome;
    try {
      outcome = { response: await send(legConfig) };
    } catch (error) {
      if (!(error instanceof Error && 'isAxiosError' in error && (error as AxiosError).response)) {
        if (error instanceof Error && 'isAxiosError' in error) scrub(error, config, authorization !== null);
        throw error;
      }
      outcome = { response: (error as AxiosError).response!, error: error as AxiosError };
    }
    legs.push({
      url: hop.url.href,
      method: hop.method,
      status: outcome.response.status,
      negotiate: authorization !== null,
    });
    // The caller sees its own config, never the copy with the token in it.
    scrub(outcome.response, config, authorization !== null);
    if (outcome.error) scrub(outcome.error, config, authorization !== null);
    return outcome;
  }
}

/** The next hop of a redirect, by the shared policy, with axios's own options on top. */
function nextHop(hop: Hop, plan: RedirectPlan, response: AxiosResponse, config: Config): Hop {
  let headers = hop.headers.concat();
  for (const name of Object.keys(headers.toJSON())) if (plan.drops(name)) headers.delete(name);
  let authOption = hop.auth;
  if (plan.leavesOrigin) {
    // axios's own list of headers not to send elsewhere, and its Basic `auth` option.
    for (const name of config.sensitiveHeaders ?? []) headers.delete(name);
    authOption = undefined;
  }
  if (typeof config.beforeRedirect === 'function') {
    // follow-redirects' hook, with the options it would pass: the caller may edit the headers.
    const next = plan.url;
    const options = {
      href: next.href,
      protocol: next.protocol,
      hostname: next.hostname,
      port: next.port,
      path: next.pathname + next.search,
      method: plan.method,
      headers: headers.toJSON(),
    };
    config.beforeRedirect(
      options,
      { headers: response.headers as Record<string, string>, statusCode: response.status },
      { url: hop.url.href, method: hop.method, headers: hop.headers.toJSON() as Record<string, string> },
    );
    headers = new (headers.constructor as new (h: object) => Headers)(options.headers);
  }
  return {
    url: plan.url,
    first: false,
    method: plan.method,
    headers,
    data: plan.dropsBody ? undefined : hop.data,
    bodyOnce: plan.dropsBody ? false : hop.bodyOnce,
    auth: authOption,
  };
}

/**
 * What a failed call rejects with, the axios way: an AxiosError as it is; a library error as an
 * AxiosError with its code, name and the error as cause (the response it carries reachable, never
 * printed); a refused redirect as ERR_BAD_RESPONSE.
 */
function axiosErrorOf(error: unknown, config: Config): unknown {
  if (error instanceof HttpGssapiError) {
    const response = error.response as AxiosResponse | undefined;
    const wrapped = AxiosError.from(error, error.code, config, response?.request);
    if (response) {
      hideProperty(wrapped, 'response', response);
      wrapped.status = response.status;
    }
    if (wrapped.request) hideProperty(wrapped, 'request', wrapped.request);
    return wrapped;
  }
  if (error instanceof TypeError && /redirect/.test(error.message)) {
    return new AxiosError(error.message, AxiosError.ERR_BAD_RESPONSE, config);
  }
  return error;
}

/**
 * Keeps the token out of what callers see and log: their own config (not the leg's copy, which
 * has the token in its headers), and, when the leg carried a token, the node request (whose
 * `_header` holds it) made non-enumerable.
 */
function scrub(target: object, config: Config, carriedToken: boolean): void {
  (target as { config: Config }).config = config;
  if (carriedToken && 'request' in target)
    hideProperty(target, 'request', (target as { request: unknown }).request);
}

/** Empties the response in place: these headers, no body (mutual authentication REQUIRED). */
function sanitize(response: AxiosResponse, kept: Record<string, string>): void {
  const data: unknown = response.data;
  void discardBody(data);
  response.data =
    data instanceof Readable
      ? Readable.from([])
      : data instanceof ReadableStream
        ? new ReadableStream({ start: (c) => c.close() })
        : Buffer.isBuffer(data)
          ? Buffer.alloc(0)
          : data instanceof ArrayBuffer
            ? new ArrayBuffer(0)
            : data instanceof Blob
              ? new Blob([])
              : '';
  response.headers = kept;
}

/** A header of a base adapter's response: a node header object (http) or AxiosHeaders (fetch). */
function headerOf(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  const value =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(n: string): unknown }).get(name)
      : (headers as Record<string, unknown>)[name];
  if (value === undefined || value === null || value === false) return null;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** What axios takes for an absolute URL (its isAbsoluteURL): a scheme and `//`, or just `//`. */
const AXIOS_ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * The caller's url, baseURL and params for the first hop, untouched but in one case: an absolute
 * url with a baseURL and `allowAbsoluteUrls: false`, which axios joins to the baseURL, and so
 * does getUri, which gave the token its host. An adapter that ignores the option sends the
 * request to the absolute url's host instead, with that token: axios's own did in 1.8.0 and
 * 1.8.1 (the http adapter, CVE-2025-27152) and until axios/axios#6814 (fetch), and a custom one
 * may. A leading slash makes the url relative for every adapter, joined to the same URL (axios
 * strips leading slashes when it joins).
 */
function firstHopUrl(config: Config): Partial<Pick<Config, 'baseURL' | 'params' | 'url'>> {
  const picked = pick(config, ['baseURL', 'params', 'url']);
  if (
    config.allowAbsoluteUrls === false &&
    picked.baseURL &&
    typeof picked.url === 'string' &&
    AXIOS_ABSOLUTE.test(picked.url)
  ) {
    picked.url = `/${picked.url}`;
  }
  return picked;
}

function pick<K extends keyof Config>(config: Config, keys: readonly K[]): Partial<Pick<Config, K>> {
  const picked: Partial<Pick<Config, K>> = {};
  for (const key of keys) if (config[key] !== undefined) picked[key] = config[key];
  return picked;
}
