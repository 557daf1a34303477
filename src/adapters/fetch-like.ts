/**
 * What `createFetch` and `negotiateKy` accept as the fetch that sends each request.
 *
 * @module
 */

/**
 * A fetch-compatible function: `globalThis.fetch`, undici's `fetch` (whose `Request` type is
 * not the global one, so `typeof globalThis.fetch` would refuse it), or a wrapper of your own.
 * It is always called with a `URL` and a `RequestInit` whose `redirect` is `'manual'`, and must
 * resolve to a WHATWG `Response` (of any copy of the fetch types).
 *
 * @example
 * ```ts
 * import { fetch as undiciFetch } from 'undici';
 * import { createFetch, type FetchLike } from 'http-gssapi';
 * const base: FetchLike = undiciFetch;
 * const fetch = createFetch(undefined, base);
 * ```
 */
export type FetchLike = (
  input: URL,
  // A RequestInit at run time. Typed `never` because each copy of the fetch types (undici's own
  // package, @types/node's undici-types, the DOM lib) has its own RequestInit, BodyInit and
  // FormData, and none is assignable to another; with `never` every fetch typed against any of
  // them fits, and a function that is not a fetch (wrong input type) still does not.
  init: never,
  // A WHATWG Response at run time; typed by shape for the same reason (undici's Response and
  // the DOM lib's differ in their ReadableStream types).
) => Promise<{ readonly status: number; readonly headers: object }>;
