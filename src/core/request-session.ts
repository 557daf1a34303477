import { emit } from './diagnostics.js';
import type { SessionStore } from './session-store.js';

/**
 * One request's part in the session cookies of its auth (see {@link SessionStore}): which
 * cookies its attempts carry, what its responses teach the store, and the diagnostics events.
 * A `NegotiateFlow` holds one; it is inert when the auth keeps no sessions, the client keeps its
 * own cookies, or the flow is a proxy's.
 *
 * @example
 * ```ts
 * const session = new RequestSession(store, url, 'mine=1');
 * session.cookieHeader(); // 'mine=1; sid=abc' while the store holds sid=abc for url
 * ```
 */
export class RequestSession {
  readonly #store: SessionStore | null;
  readonly #url: URL;
  readonly #callerCookie: string | null;
  /** Whether the last attempt carried cookies of the store. */
  #sent = false;

  /**
   * @param store - the auth's sessions, or null for none.
   * @param callerCookie - the request's own `Cookie` header, which session cookies are added to.
   */
  constructor(store: SessionStore | null, url: URL, callerCookie: string | null) {
    this.#store = store;
    this.#url = url;
    this.#callerCookie = callerCookie;
  }

  /** Whether a session stands in for a token on this request: none goes up front then. */
  get held(): boolean {
    return this.#store?.hasSession(this.#url) ?? false;
  }

  /**
   * The `Cookie` header of the next attempt (the caller's with the session's added), or null
   * when the store has nothing for the URL (the request's own header then goes as it is).
   */
  cookieHeader(withToken: boolean): string | null {
    const session = this.#store?.cookieFor(this.#url) ?? null;
    this.#sent = session !== null;
    if (session === null) return null;
    if (!withToken) this.event('reused');
    return this.#callerCookie ? `${this.#callerCookie}; ${session}` : session;
  }

  /**
   * Learns from a response: keeps the cookies it sets, and, when the attempt went with session
   * cookies and no token, takes a challenge as the end of the session (dropped, so the request
   * negotiates at once) and anything else as proof that the cookies are a session.
   */
  learn(
    setCookie: string | readonly string[] | null | undefined,
    tokenSent: boolean,
    challenged: boolean,
  ): void {
    const store = this.#store;
    if (!store) return;
    if (store.store(this.#url, setCookie, tokenSent && !challenged) > 0) this.event('stored');
    if (!this.#sent || tokenSent) return;
    if (!challenged) store.proved(this.#url);
    else this.event(store.rejected(this.#url) ? 'dropped' : 'not-a-session');
  }

  /** Publishes an `http-gssapi:session` event. */
  event(result: 'stored' | 'reused' | 'dropped' | 'not-a-session'): void {
    emit({ type: 'session', url: this.#url.href, result });
  }
}
