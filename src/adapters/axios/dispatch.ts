import { Readable } from 'node:stream';
import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { Axios, AxiosError, getAdapter } from 'axios';
import { attachReason } from '../../core/client-error-reason.js';
import { HttpGssapiError } from '../../core/errors.js';
import { runExchange } from '../../core/exchange.js';
import { followRedirects, type RedirectHop } from '../../core/follow-redirects.js';
import type { HTTPSPNEGOAuth } from '../../core/http-spnego-auth.js';
import type { RedirectPlan } from '../../core/redirect-policy.js';
import { replayableBody, requestIntake } from '../../core/request-intake.js';
import { discardBody } from '../../internal/buffered-body.js';
import { hideProperty } from '../../internal/hide-property.js';
import { EndPointBinding } from '../binding/end-point-binding.js';
import { guardedHttp2Options } from '../binding/h2-guard.js';
import { watchedTransport } from '../binding/node-guard.js';
import { sendWatched, undiciGuard } from '../binding/undici-guard.js';
import { requestDeadline } from './request-deadline.js';
import type { AdapterConfig, NegotiateLeg } from './types.js';

/** follow-redirects' default, which axios's http adapter uses when `maxRedirects` is unset. */
const DEFAULT_MAX_REDIRECTS = 21;
/** The legs of a call, kept on its request config (never in a header sent to the server). */
export const LEGS = Symbol('http-gssapi.axios.legs');
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
 * One axios call through the Negotiate flow: the request, its Negotiate resends and its
 * redirects, each hop through the base adapter with axios's own redirect following off.
 */
export async function dispatch(
  auth: HTTPSPNEGOAuth,
  base: AdapterConfig,
  config: Config,
): Promise<AxiosResponse> {
  const send = getAdapter(base, config);
  const legs: NegotiateLeg[] = [];
  Object.defineProperty(config, LEGS, { value: legs, configurable: true });

  const headers = config.headers.concat();
  const prepared = await replayableBody(auth, config.data as unknown).catch((error: unknown) => {
    // The caller's stream failed while being read: reported as axios reports a failed upload.
    throw AxiosError.from(error, (error as { code?: string })?.code, config);
  });
  let data: unknown = prepared.body;
  if (prepared.kind !== 'as-is') {
    // The `form-data` package's stream knows its own content type (with the boundary).
    const formHeaders = (config.data as { getHeaders?: () => Record<string, string> }).getHeaders?.();
    if (formHeaders) headers.set(formHeaders);
    if (prepared.kind === 'once' && config.data instanceof ReadableStream)
      data = Readable.toWeb(prepared.body);
  }
  const bodyOnce = prepared.kind === 'once';

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
  const deadline = requestDeadline(config);
  let outcome: Outcome;
  try {
    outcome = await followRedirects(first, {
      follow: maxRedirects > 0,
      max: maxRedirects,
      send: sendHop,
      status: (o) => o.response.status,
      location: (o) => headerLine(o.response.headers, 'location', ', '),
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
  } finally {
    deadline.done();
  }
  // The 401 that came back unauthenticated: axios's rejection points at the reason too.
  if (outcome.error) throw attachReason(outcome.error, outcome.response);
  return outcome.response;

  /** One hop: the request, and its Negotiate resends when the server asks. */
  function sendHop(hop: Hop): Promise<Outcome> {
    const intake = requestIntake({
      header: (name) => headerLine(hop.headers, name, '; '),
      ownCredentials: hop.auth !== undefined,
    });
    if (intake.skip) return attempt(hop, {});
    const flow = auth.flow(hop.url, {
      initialUrl: first.url,
      replayable: !hop.bodyOnce,
      cookie: intake.cookie,
      // A cookie jar of the caller's (axios-cookiejar-support's `jar`) keeps the cookies.
      sessions: (config as { jar?: unknown }).jar === undefined,
      peerCertificate: undiciGuard.peerCertificate(hop.url),
      signal: deadline.signal,
    });
    return runExchange<Outcome>(flow, {
      // A bound token goes only on a connection with its certificate (channel bindings), through
      // node:https (the http adapter) or Node's fetch (the fetch adapter).
      send: (extra) => sendWatched(flow, extra, (e) => attempt(hop, e, flow.boundCertificate)),
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
  async function attempt(
    hop: Hop,
    extra: Readonly<Record<string, string>>,
    certificate: Uint8Array | null = null,
  ): Promise<Outcome> {
    const legHeaders = hop.headers.concat();
    for (const [name, value] of Object.entries(extra)) legHeaders.set(name, value);
    // Whether this leg carries a token or session cookies (the headers the exchange adds): either
    // authenticates as the user, so the node request that holds them must not be printed.
    const carriesToken = Object.keys(extra).length > 0;
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
      ...(hop.url.protocol === 'https:'
        ? guardedTransport(config, hop.url, carriesToken ? certificate : null)
        : {}),
    };
    let outcome: Outcome;
    try {
      outcome = { response: await send(legConfig) };
    } catch (error) {
      if (!(error instanceof Error && 'isAxiosError' in error && (error as AxiosError).response)) {
        if (error instanceof Error && 'isAxiosError' in error) scrub(error, config, carriesToken);
        throw error;
      }
      outcome = { response: (error as AxiosError).response!, error: error as AxiosError };
    }
    legs.push({
      url: hop.url.href,
      method: hop.method,
      status: outcome.response.status,
      negotiate: carriesToken,
    });
    // The caller sees its own config, never the copy with the token in it.
    scrub(outcome.response, config, carriesToken);
    if (outcome.error) scrub(outcome.error, config, carriesToken);
    return outcome;
  }
}

/**
 * What watches an https attempt's connection (channel bindings): the http adapter's `transport`
 * for HTTP/1.1, which axios does not use for `httpVersion: 2` (its own HTTP/2 sessions): those
 * get `http2Options` whose `createConnection` checks each session's certificate.
 */
function guardedTransport(
  config: Config,
  url: URL,
  certificate: Uint8Array | null,
): Pick<Config, 'transport'> & { http2Options?: Record<string, unknown> } {
  const binding = EndPointBinding.of(certificate);
  const transport = watchedTransport(config.transport, url, binding);
  const own = config as { httpVersion?: unknown; http2Options?: Record<string, unknown> };
  // axios reads `httpVersion` as a number or a numeric string.
  if (Number(own.httpVersion) !== 2) return { transport };
  return { transport, http2Options: guardedHttp2Options(own.http2Options, binding) };
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
 * Keeps the token and the session cookies out of what callers see and log: their own config (not
 * the leg's copy, which has them in its headers), and, when the leg carried either, the node
 * request (whose `_header` holds them) made non-enumerable.
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

/**
 * A header of a base adapter's response: a node header object (http) or AxiosHeaders (fetch).
 * Several lines stay a list (`Set-Cookie` cannot be joined with commas).
 */
function headerOf(headers: unknown, name: string): string | string[] | null {
  if (!headers || typeof headers !== 'object') return null;
  const value =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(n: string): unknown }).get(name)
      : (headers as Record<string, unknown>)[name];
  if (value === undefined || value === null || value === false) return null;
  return Array.isArray(value) ? value.map(String) : String(value);
}

/** A header as one line (several values joined with `separator`), or null. */
function headerLine(headers: unknown, name: string, separator: string): string | null {
  const value = headerOf(headers, name);
  return typeof value === 'string' || value === null ? value : value.join(separator);
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
