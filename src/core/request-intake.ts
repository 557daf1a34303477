/**
 * What an adapter asks core about the request its caller handed it, before any flow: whether the
 * request is Negotiate's at all (the caller may bring its own credentials), the caller's own
 * `Cookie` header (session cookies are added to it per attempt), and the body in a form that can
 * be sent again after a 401 (RFC 4559 section 5: the request is resent with the token). Every
 * adapter asks these the same way, so every client answers them alike.
 *
 * @module
 */
import { type BufferedBody, bufferBody, isOneShotBody } from '../internal/buffered-body.js';
import type { HTTPSPNEGOAuth } from './http-spnego-auth.js';

/**
 * A request header as a client holds it: one value, several (one per line), or none.
 *
 * @example
 * ```ts
 * const cookie: CallerHeaderValue = gotOptions.headers.cookie; // string | string[] | undefined
 * ```
 */
export type CallerHeaderValue = string | readonly string[] | null | undefined;

/**
 * What the caller brought, as the adapter reads it from its client.
 *
 * @example
 * ```ts
 * const request: CallerRequest = { header: (name) => config.headers.get(name), ownCredentials: config.auth !== undefined };
 * ```
 */
export interface CallerRequest {
  /** Reads one of the caller's request headers by lower-case name. */
  readonly header: (name: string) => CallerHeaderValue;
  /**
   * Whether the client will send credentials of its own from an option rather than a header
   * (axios's `auth`). got turns `username`/`password` into a header before its hooks run.
   */
  readonly ownCredentials?: boolean;
  /** `'proxy'`: the exchange is a forward proxy's, and its header `Proxy-Authorization`. */
  readonly kind?: 'server' | 'proxy';
}

/**
 * What core makes of a {@link CallerRequest}.
 *
 * @example
 * ```ts
 * const intake: RequestIntake = requestIntake(request);
 * const cookie = intake.skip ? null : intake.cookie;
 * ```
 */
export type RequestIntake =
  /** The caller set its own `Authorization` (`Proxy-Authorization`): not ours to change; sent as it is. */
  | { readonly skip: true }
  /** Negotiate's: `cookie` is the caller's own Cookie header (RFC 6265 section 5.4: one line, `; `). */
  | { readonly skip: false; readonly cookie: string | null };

/**
 * Whether a request is Negotiate's, and the caller's own cookie line.
 *
 * @example
 * ```ts
 * const intake = requestIntake({ header: (name) => headers.get(name) });
 * if (intake.skip) return send({});
 * const flow = auth.flow(url, { cookie: intake.cookie });
 * ```
 */
export function requestIntake(request: CallerRequest): RequestIntake {
  // The caller's own credentials (Basic, a bearer token, a token of its own) are never replaced
  // by ours, nor sent next to ours (RFC 9110 section 11.6.2 allows one Authorization field).
  const header = request.kind === 'proxy' ? 'proxy-authorization' : 'authorization';
  if (request.ownCredentials || present(request.header(header))) return { skip: true };
  return { skip: false, cookie: joined(request.header('cookie')) };
}

function present(value: CallerHeaderValue): boolean {
  return value !== null && value !== undefined && (typeof value === 'string' || value.length > 0);
}

function joined(value: CallerHeaderValue): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return value.length > 0 ? value.join('; ') : null;
}

/**
 * A request body as it will be sent: `as-is` when the client reads it again on each send
 * (strings, buffers, Blobs, FormData, URLSearchParams), `buffered` when a one-shot body (a
 * stream, an async iterable) was read whole, or `once` when it was longer than
 * `maxReplayBodySize` (what was read, then the rest, in order): then it can go only once, and
 * the flow is told so (`replayable: false`) and sends its token up front or fails before sending.
 *
 * @example
 * ```ts
 * const prepared: ReplayableBody<BodyInit | null> = await replayableBody(auth, init.body ?? null);
 * ```
 */
export type ReplayableBody<T> = { readonly kind: 'as-is'; readonly body: T } | BufferedBody;

/**
 * Reads `body` into a {@link ReplayableBody} against `auth`'s `maxReplayBodySize`; whether the
 * flow may resend it is `kind !== 'once'`.
 *
 * @example
 * ```ts
 * const prepared = await replayableBody(auth, init.body);
 * const flow = auth.flow(url, { replayable: prepared.kind !== 'once' });
 * ```
 */
export async function replayableBody<T>(auth: HTTPSPNEGOAuth, body: T): Promise<ReplayableBody<T>> {
  if (!isOneShotBody(body)) return { kind: 'as-is', body };
  return bufferBody(body as object, auth.options.maxReplayBodySize);
}
