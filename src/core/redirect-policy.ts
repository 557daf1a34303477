/**
 * The redirect policy of every adapter that follows redirects itself (createFetch, axios) or
 * adjusts the client's (got): what a redirect does to the method, the body and the headers,
 * in one place, with one list of each.
 *
 * @module
 */
import { BodyNotReplayableError } from './errors.js';

/** Statuses that carry a Location to follow (RFC 9110 section 15.4; 300 and 304 are not followed). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Request headers that hold credentials for the origin they were set for. None of them follows
 * a redirect to another origin (scheme, host or port): WHATWG Fetch 4.4 step 13 removes
 * Authorization; cookies are scoped to their host; a Negotiate token is for one service.
 */
export const ORIGIN_CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
];

/**
 * Whether a request header describes the body (`Content-*`, `Transfer-Encoding`): none of them
 * follows a redirect that drops the body. WHATWG Fetch 4.4 step 12 lists the Content-Encoding,
 * -Language, -Location and -Type; the rest of `Content-*` (Length, Disposition, MD5, ...) and
 * Transfer-Encoding describe the same absent body.
 */
export function isBodyHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('content-') || lower === 'transfer-encoding';
}

/**
 * Whether a redirect turns the request into a GET without a body: 303 for anything but GET and
 * HEAD (RFC 9110 section 15.4.4), and 301/302 for POST, as every user agent does (RFC 9110
 * sections 15.4.2-15.4.3 allow it; WHATWG Fetch 4.4 step 12). 307 and 308 keep method and body.
 */
export function redirectDropsBody(status: number, method: string): boolean {
  return (
    ((status === 301 || status === 302) && method === 'POST') ||
    (status === 303 && method !== 'GET' && method !== 'HEAD')
  );
}

/** Whether a redirect from `from` to `to` leaves the origin (RFC 6454 section 5). */
export function leavesOrigin(from: URL | string, to: URL | string): boolean {
  return new URL(from).origin !== new URL(to).origin;
}

/**
 * One redirect hop, decided: where it goes, with which method, and which of the previous hop's
 * request headers it must not carry.
 *
 * @example
 * ```ts
 * const plan = planRedirect(new URL('https://a.example/x'), 'POST', 303, '/y', false);
 * plan.method; // 'GET'
 * plan.drops('content-type'); // true
 * ```
 */
export interface RedirectPlan {
  readonly url: URL;
  /** Upper-case method of the next hop. */
  readonly method: string;
  /** Whether the next hop goes without the body (see {@link redirectDropsBody}). */
  readonly dropsBody: boolean;
  /** Whether the next hop is on another origin: credentials of the previous one stay behind. */
  readonly leavesOrigin: boolean;
  /** Whether a request header of the previous hop stays behind. */
  drops(name: string): boolean;
}

/**
 * Decides the next hop of a redirect from `from` (request method `method`) answered with
 * `status` and `location`.
 *
 * @param bodyOnce - the body is a stream that has been sent and cannot be sent again.
 * @throws {TypeError} when the location is not an http(s) URL.
 * @throws {BodyNotReplayableError} when the hop keeps the body (307, 308) and it cannot be resent.
 */
export function planRedirect(
  from: URL,
  method: string,
  status: number,
  location: string,
  bodyOnce: boolean,
): RedirectPlan {
  const url = new URL(location, from);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`refusing to follow a redirect to a ${url.protocol} URL`);
  }
  const dropsBody = redirectDropsBody(status, method);
  if (!dropsBody && bodyOnce) {
    throw new BodyNotReplayableError(
      `cannot follow a ${status} redirect with a streamed request body larger than maxReplayBodySize`,
      { hint: BodyNotReplayableError.REPLAY_HINT },
    );
  }
  const left = leavesOrigin(from, url);
  return {
    url,
    method: dropsBody ? 'GET' : method,
    dropsBody,
    leavesOrigin: left,
    drops: (name) =>
      (dropsBody && isBodyHeader(name)) || (left && ORIGIN_CREDENTIAL_HEADERS.includes(name.toLowerCase())),
  };
}
