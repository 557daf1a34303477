/**
 * Which URL an undici dispatch is for, and whether it may get a token at all: the rules that
 * keep a token made for one host from reaching another.
 *
 * @module
 */
import type { Dispatcher } from 'undici';

type DispatchOptions = Dispatcher.DispatchOptions;

/** An absolute-form request target (RFC 9112 section 3.2.2), as sent to a forward proxy. */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;

/** {@link requestUrl}'s answer for a request that names another origin than the one it goes to. */
export const ELSEWHERE = Symbol('elsewhere');

/**
 * The request URL; null when neither the options nor the interceptor name an origin; or
 * {@link ELSEWHERE} when the request names a host other than the one it is sent to, for which a
 * token would be made for one host and handed to another:
 * - with the `origin` option (a Client or Pool, which connect to their own origin whatever the
 *   options say), options that name another origin;
 * - an absolute-form path (RFC 9112 section 3.2.2) naming another origin than the one it is
 *   dispatched to: a server there takes the request for the named host; only a forward proxy
 *   would pass it on, and the interceptor cannot tell one from the other (composed on undici's
 *   ProxyAgent instead, it sees the target origin and a relative path).
 * The path is appended to the origin, never resolved against it: `new URL('//other/x', origin)`
 * would read `other` as the host, and the token would be made for a host the request does not
 * go to.
 */
export function requestUrl(
  opts: DispatchOptions,
  fallbackOrigin: string | null,
): URL | typeof ELSEWHERE | null {
  const named = opts?.origin ?? fallbackOrigin;
  if (named == null) return null;
  try {
    const origin = new URL(String(named)).origin;
    if (fallbackOrigin !== null && origin !== fallbackOrigin) return ELSEWHERE;
    const path = opts.path || '/';
    if (ABSOLUTE_FORM.test(path)) {
      const url = new URL(path);
      return url.origin === origin ? url : ELSEWHERE;
    }
    return new URL(`${origin}${path.startsWith('/') ? '' : '/'}${path}`);
  } catch {
    return null;
  }
}

/**
 * Where the request started, when this dispatch is a hop of undici's redirect interceptor composed
 * after this one: its handler lists the URLs followed so far in `history` (what it also hands the
 * caller as `context.history`). Null for a first request, and for redirects followed above the
 * dispatcher (fetch's own, one dispatch per hop), which this interceptor cannot tell from one.
 */
export function redirectStart(handler: Dispatcher.DispatchHandler): URL | null {
  const history = (handler as { history?: unknown }).history;
  return Array.isArray(history) && history[0] instanceof URL ? history[0] : null;
}

/** Request headers in any form undici takes, as name/value pairs. */
export function headerPairs(headers: DispatchOptions['headers']): [string, string][] {
  const pairs: [string, string][] = [];
  const add = (name: unknown, value: unknown) => {
    if (value == null) return;
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([String(name), String(v)]);
  };
  if (headers == null) return pairs;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as unknown as [string, unknown][]) add(name, value);
    } else {
      for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
    }
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[string, unknown]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  }
  return pairs;
}

/**
 * Reads header pairs by lower-case name (every value of the name), for `requestIntake`.
 *
 * @example
 * ```ts
 * requestIntake({ header: headerReader(headerPairs(opts.headers)) });
 * ```
 */
export function headerReader(pairs: readonly (readonly [string, string])[]): (name: string) => string[] {
  return (name) => pairs.filter(([n]) => n.toLowerCase() === name).map(([, value]) => value);
}

/**
 * The caller's headers with the exchange's set on top (a header the exchange sets replaces the
 * caller's of that name: its Cookie comes back merged), flat (`[name, value, name, value, ...]`).
 */
export function withHeaders(
  pairs: readonly [string, string][],
  extra: Readonly<Record<string, string>>,
): string[] {
  const flat: string[] = [];
  const names = Object.keys(extra);
  for (const [name, value] of pairs) {
    if (names.length === 0 || !names.includes(name.toLowerCase())) flat.push(name, value);
  }
  for (const name of names) flat.push(name, extra[name]!);
  return flat;
}
