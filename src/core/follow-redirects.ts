import { emit } from './diagnostics.js';
import { planRedirect, REDIRECT_STATUSES, type RedirectPlan } from './redirect-policy.js';

/** What {@link followRedirects} needs of a hop: where it goes and how. */
export interface RedirectHop {
  readonly url: URL;
  /** Upper-case method. */
  readonly method: string;
  /** The body is a stream that can be sent once. */
  readonly bodyOnce: boolean;
}

/**
 * How a client that follows redirects itself (createFetch, axios) plugs into
 * {@link followRedirects}: its response type `R` and hop type `H`.
 *
 * @example
 * ```ts
 * const follower: RedirectFollower<Response, Hop> = { follow: true, max: 20, send, status, location, discard,
 *   tooMany: () => new TypeError('too many redirects'), next: (hop, plan) => ({ ...hop, url: plan.url }) };
 * ```
 */
export interface RedirectFollower<R, H extends RedirectHop> {
  /** False hands every redirect response over as it is (fetch `redirect: 'manual'`, axios `maxRedirects: 0`). */
  readonly follow: boolean;
  /** Redirects followed at most; the next one fails with {@link RedirectFollower.tooMany}. */
  readonly max: number;
  /** Sends one hop (with its Negotiate exchange) and returns its final response. */
  send(hop: H, index: number): Promise<R>;
  status(response: R): number;
  location(response: R): string | null;
  discard(response: R): Promise<void>;
  /** The error for one redirect more than `max`. */
  tooMany(response: R): Error;
  /** The next hop, from the previous one and the plan the policy made (headers: `plan.drops`). */
  next(hop: H, plan: RedirectPlan, response: R): H;
}

/**
 * Sends a request and follows its redirects one hop at a time, each hop its own dispatch (and
 * so its own Negotiate exchange for its own host), by the rules of `redirect-policy`. Publishes
 * an `http-gssapi:redirect` event per hop followed.
 *
 * @example
 * ```ts
 * const response = await followRedirects(firstHop, follower);
 * ```
 */
export async function followRedirects<R, H extends RedirectHop>(
  first: H,
  follower: RedirectFollower<R, H>,
): Promise<R> {
  let hop = first;
  for (let redirects = 0; ; redirects++) {
    const response = await follower.send(hop, redirects);
    const status = follower.status(response);
    const location = follower.location(response);
    if (!follower.follow || !REDIRECT_STATUSES.has(status) || location === null) return response;
    if (redirects >= follower.max) {
      await follower.discard(response);
      throw follower.tooMany(response);
    }
    let plan: RedirectPlan;
    try {
      plan = planRedirect(hop.url, hop.method, status, location, hop.bodyOnce);
    } finally {
      await follower.discard(response);
    }
    const from = hop.url.href;
    hop = follower.next(hop, plan, response);
    emit({ type: 'redirect', from, to: hop.url.href, status, method: hop.method });
  }
}
