import { createRequire } from 'node:module';
import type { Cookie, CookieJar } from 'tough-cookie';

let jarClass: typeof CookieJar | null = null;

/**
 * A new cookie jar. tough-cookie is loaded on the first cookie kept, not when the library is
 * imported: loading it took ~90-120 ms, paid by every process (the command's start included)
 * whether or not a server ever sets a session cookie.
 */
function newJar(): CookieJar {
  jarClass ??= (createRequire(import.meta.url)('tough-cookie') as typeof import('tough-cookie')).CookieJar;
  return new jarClass();
}

/** Origins with cookies kept at once; the least recently used is forgotten first. */
const MAX_ORIGINS = 256;
/** Cookies kept per origin (RFC 6265 section 6.1 asks user agents for at least 50 per domain). */
const MAX_COOKIES_PER_ORIGIN = 50;
/**
 * The largest cookie kept, name and value together, in bytes: RFC 6265 section 6.1 asks user
 * agents for at least 4096 bytes per cookie, and browsers ignore a `Set-Cookie` beyond that
 * (without it, one 15,000-byte cookie was kept and sent back on every request).
 */
const MAX_COOKIE_BYTES = 4096;
/**
 * What the cookies kept for one origin may add up to, in bytes, each counted as what it adds to
 * a `Cookie` header (`name=value; `) plus its path: so no `Cookie` header this store makes is
 * longer (the caller's own part aside), which stays under the smallest common server limit
 * (Apache's and nginx's 8 KiB per header line), and an auth holds at most
 * {@link MAX_ORIGINS} x 8 KiB = 2 MiB of cookies. The oldest cookies go first beyond it.
 */
const MAX_COOKIE_HEADER_BYTES = 8192;
/**
 * How many times in a row cookies that never worked may be refused and still be given another
 * chance when the server hands out new ones: a cap on what a load balancer that sets a new value
 * on every response (AWS ALB's `AWSALB`) can cost, one extra round trip each.
 */
const MAX_SECOND_CHANCES = 2;

/** What a session store knows of one origin. */
interface OriginSession {
  readonly jar: CookieJar;
  /** Requests that went with cookies and no token and were not challenged: the cookies are a session. */
  proven: number;
  /**
   * The cookies were sent without a token and the server asked for Negotiate anyway before they
   * ever worked: they are not a session (a load balancer's, a tracker's). They are still kept
   * and sent, but no longer stand in for a token.
   */
  notASession: boolean;
  /**
   * The cookies (`name=value`) that were sent without a token and refused before they ever
   * worked. A response that accepted our token and set a cookie not in this set has started a
   * new session (a server issues a new session id after authenticating; a sticky load balancer
   * sends the same value again).
   */
  readonly refused: Set<string>;
  /** Refusals of cookies that never worked since the last proven session. */
  unprovenRefusals: number;
}

/**
 * The session cookies of one `HTTPSPNEGOAuth` (`sessionCookies`, default on): what servers that
 * authenticate once and then hand out a session (Hadoop's `hadoop.auth`, mod_auth_gssapi with
 * `GssapiUseSessions`, Java SPNEGO filters) set on responses to requests this auth handled, sent
 * back on later requests to the same origin, so that they need no new Negotiate exchange.
 *
 * Cookies follow RFC 6265 (domain, path, expiry, Secure, parsed and matched by tough-cookie),
 * and on top of that never leave the origin (scheme, host and port) they were set by: one jar
 * per origin, so a `Domain=example.org` cookie from `a.example.org` is not sent to
 * `b.example.org`, nor an https cookie over http. Bounded: {@link MAX_ORIGINS} origins,
 * {@link MAX_COOKIES_PER_ORIGIN} cookies and {@link MAX_COOKIE_HEADER_BYTES} bytes each, no
 * cookie over {@link MAX_COOKIE_BYTES} bytes.
 *
 * @example
 * ```ts
 * const sessions = new SessionStore();
 * sessions.store(new URL('https://hdfs.example.org/webhdfs/v1/'), ['hadoop.auth="u=alice&..."; Path=/; HttpOnly']);
 * sessions.cookieFor(new URL('https://hdfs.example.org/webhdfs/v1/tmp')); // 'hadoop.auth="u=alice&..."'
 * ```
 */
export class SessionStore {
  readonly #origins = new Map<string, OriginSession>();

  /** The `Cookie` value this store has for `url`, or null. */
  cookieFor(url: URL): string | null {
    const session = this.#origins.get(url.origin);
    if (!session) return null;
    const value = session.jar.getCookieStringSync(url.href);
    return value === '' ? null : value;
  }

  /**
   * Whether the cookies held for `url` stand in for a token: there are some, and they have not
   * shown themselves to be something other than a session.
   */
  hasSession(url: URL): boolean {
    const session = this.#origins.get(url.origin);
    return session !== undefined && !session.notASession && this.cookieFor(url) !== null;
  }

  /**
   * Keeps the cookies of a response to `url`; returns how many were kept.
   *
   * @param afterToken - the response accepted a token of ours (a final, non-challenge response
   *   to an attempt that carried one). Cookies that were refused before they ever worked get
   *   another chance when such a response sets a new one: a session that expired before its
   *   first reuse (a servlet container's short session) was a session all the same, and its
   *   successor must stand in for the token again (at most {@link MAX_SECOND_CHANCES} times in a
   *   row, so that a load balancer's changing cookie cannot cost a round trip on every request).
   */
  store(url: URL, setCookie: string | readonly string[] | null | undefined, afterToken = false): number {
    if (setCookie == null) return 0;
    const lines = typeof setCookie === 'string' ? [setCookie] : setCookie;
    if (lines.length === 0) return 0;
    const session = this.#session(url.origin);
    let kept = 0;
    let renewed = false;
    for (const line of lines) {
      // Ignored whole, as browsers do, so it does not replace a cookie of the same name either.
      if (tooLarge(line)) continue;
      // A cookie the RFC tells a user agent to ignore (bad domain, Secure over http) is ignored.
      const cookie = session.jar.setCookieSync(line, url.href, { ignoreError: true });
      if (!cookie) continue;
      kept++;
      if (!session.refused.has(`${cookie.key}=${cookie.value}`)) renewed = true;
    }
    if (afterToken && renewed && session.notASession && session.unprovenRefusals <= MAX_SECOND_CHANCES) {
      session.notASession = false;
    }
    this.#bound(session.jar);
    return kept;
  }

  /** A request to `url` went with these cookies and no token, and was not challenged. */
  proved(url: URL): void {
    const session = this.#origins.get(url.origin);
    if (!session) return;
    session.proven++;
    session.unprovenRefusals = 0;
    // Every request a session serves comes here: emptied, not made anew.
    session.refused.clear();
  }

  /**
   * A request to `url` went with cookies and no token, and the server asked for Negotiate: the
   * session is over (expired, revoked, a restarted server). Its cookies are dropped; cookies that
   * never worked are marked as no session, so they no longer hold back a token, until a response
   * that accepts a token sets new ones (see {@link SessionStore.store}).
   * @returns whether a session that had worked ended (false: the cookies never were one).
   */
  rejected(url: URL): boolean {
    const session = this.#origins.get(url.origin);
    if (!session) return false;
    const wasSession = session.proven > 0;
    if (!wasSession) {
      session.notASession = true;
      session.unprovenRefusals++;
      session.refused.clear();
      for (const c of session.jar.getCookiesSync(url.href)) session.refused.add(`${c.key}=${c.value}`);
    }
    session.proven = 0;
    session.jar.removeAllCookiesSync();
    return wasSession;
  }

  /** Forgets every session. */
  clear(): void {
    this.#origins.clear();
  }

  #session(origin: string): OriginSession {
    let session = this.#origins.get(origin);
    if (session) {
      // Most recently used last, so the first is the one to forget.
      this.#origins.delete(origin);
    } else {
      session = { jar: newJar(), proven: 0, notASession: false, refused: new Set(), unprovenRefusals: 0 };
      if (this.#origins.size >= MAX_ORIGINS) this.#origins.delete(this.#origins.keys().next().value!);
    }
    this.#origins.set(origin, session);
    return session;
  }

  /**
   * Drops the oldest cookies beyond {@link MAX_COOKIES_PER_ORIGIN} cookies or
   * {@link MAX_COOKIE_HEADER_BYTES} bytes (RFC 6265 section 5.3 step 12 leaves the choice to the
   * user agent; the newest is the one the server just set, most likely the session).
   */
  #bound(jar: CookieJar): void {
    // The memory store answers at once (tough-cookie's synchronous store).
    let all: Cookie[] = [];
    (
      jar.store as unknown as { getAllCookies(cb: (e: Error | null, c?: Cookie[]) => void): void }
    ).getAllCookies((_error, cookies) => {
      all = cookies ?? [];
    });
    // Newest first (the creation index orders cookies set in the same millisecond); the kept
    // ones are a prefix of this order.
    const newestFirst = [...all].sort((a, b) => time(b) - time(a) || b.creationIndex - a.creationIndex);
    let bytes = 0;
    let kept = 0;
    for (const c of newestFirst) {
      bytes += headerBytes(c.key, c.value) + byteLength(c.path ?? '');
      if (kept >= MAX_COOKIES_PER_ORIGIN || bytes > MAX_COOKIE_HEADER_BYTES) break;
      kept++;
    }
    if (kept === all.length) return;
    const store = jar.store as unknown as {
      removeCookie(domain: string, path: string, key: string, cb: (e: Error | null) => void): void;
    };
    for (const c of newestFirst.slice(kept))
      store.removeCookie(c.domain ?? '', c.path ?? '', c.key, () => {});
  }
}

const time = (cookie: Cookie) => (cookie.creation instanceof Date ? cookie.creation.getTime() : 0);

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/** What a cookie adds to a `Cookie` header: `name=value; `. */
const headerBytes = (name: string, value: string) => byteLength(name) + byteLength(value) + 3;

/**
 * Whether a `Set-Cookie` line sets a cookie whose name and value exceed {@link MAX_COOKIE_BYTES}:
 * its name-value pair is what comes before the first `;`, each side trimmed (RFC 6265 section
 * 5.2 steps 1-4).
 */
function tooLarge(line: string): boolean {
  if (byteLength(line) <= MAX_COOKIE_BYTES) return false;
  const semicolon = line.indexOf(';');
  const pair = semicolon < 0 ? line : line.slice(0, semicolon);
  const equals = pair.indexOf('=');
  const name = equals < 0 ? '' : pair.slice(0, equals).trim();
  const value = (equals < 0 ? pair : pair.slice(equals + 1)).trim();
  return byteLength(name) + byteLength(value) > MAX_COOKIE_BYTES;
}
