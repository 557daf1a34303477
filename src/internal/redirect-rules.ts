/**
 * The redirect rules shared by the adapters that follow redirects themselves (createFetch,
 * axios) or adjust the client's (got): one place for what a redirect does to the method, the
 * body and the credentials.
 *
 * @module
 */

/** Statuses that carry a Location to follow (RFC 9110 section 15.4; 300 and 304 are not followed). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

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

/** Whether a redirect from `from` to `to` leaves the origin (RFC 6454 section 5). */
export function leavesOrigin(from: URL | string, to: URL | string): boolean {
  return new URL(from).origin !== new URL(to).origin;
}
