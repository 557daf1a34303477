import { CredentialSource, gssapiAcquirer } from './credential-source.js';
import { deadlineContextFactory } from './deadline.js';
import type { FlowOptions, FlowSetup } from './flow-types.js';
import { LearnedOrigins } from './learned-origins.js';
import { limitedContextFactory, negotiableMechsFor } from './mechanism-policy.js';
import { type ContextFactory, gssapiContextFactory } from './negotiate-context.js';
import { NegotiateFlow } from './negotiate-flow.js';
import { type HTTPSPNEGOAuthOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { RecentTickets } from './recent-tickets.js';
import { SessionStore } from './session-store.js';

/**
 * HTTP Negotiate authentication (SPNEGO over GSSAPI, RFC 4559) for any HTTP client: holds the
 * options, the credentials and what was learned about servers; adapters (`createFetch`, the
 * undici interceptor, ...) run one {@link NegotiateFlow} per request through it.
 * Options mirror Python's httpx-gssapi `HTTPSPNEGOAuth`.
 *
 * @example
 * ```ts
 * import { HTTPSPNEGOAuth, createFetch, OPTIONAL } from 'http-gssapi';
 * const auth = new HTTPSPNEGOAuth({ mutualAuthentication: OPTIONAL, creds: { keytab: '/etc/app.keytab' } });
 * const fetch = createFetch(auth);
 * const res = await fetch('https://intranet.example.org/api');
 * ```
 */
export class HTTPSPNEGOAuth {
  /** The validated options, defaults applied. */
  readonly options: ResolvedOptions;
  readonly #setup: FlowSetup;

  /**
   * @param options - see {@link HTTPSPNEGOAuthOptions}; checked now, a TypeError names a bad option.
   * @param internals - `contextFactory` replaces the GSSAPI context (for tests of the flow).
   */
  constructor(options: HTTPSPNEGOAuthOptions = {}, internals: { contextFactory?: ContextFactory } = {}) {
    this.options = resolveOptions(options);
    const sessions = this.options.sessionCookies ? new SessionStore() : null;
    this.#setup = {
      options: this.options,
      // Another user's credentials (a kinit as someone else into the ccache) must not go on with
      // the sessions the previous user's tokens earned: they are dropped when the change is seen.
      credentials: new CredentialSource(
        this.options.creds,
        negotiableMechsFor(this.options),
        gssapiAcquirer,
        () => sessions?.clear(),
      ),
      recentTickets: new RecentTickets(),
      learned: new LearnedOrigins(this.options.learnedPreemption),
      contextFactory: deadlineContextFactory(
        limitedContextFactory(internals.contextFactory ?? gssapiContextFactory, this.options),
        this.options.kdcTimeout,
      ),
      sessions,
    };
  }

  /**
   * Starts the flow for one request (or one redirect hop) to `url`; see {@link FlowOptions}.
   *
   * @example
   * ```ts
   * const flow = auth.flow('https://intranet.example.org/api', { replayable: true });
   * const authorization = await flow.start(); // null: send the request bare first
   * ```
   */
  flow(url: URL | string, options: FlowOptions = {}): NegotiateFlow {
    return new NegotiateFlow(this.#setup, new URL(url), options);
  }

  /** Forgets what was learned about servers (e.g. after a network change). */
  forgetLearned(): void {
    this.#setup.learned.clear();
  }

  /**
   * After a `LoginRefusedError` (the KDC refused the `creds` password or keytab, and no request
   * tries it again, to spare the account a lockout): lets the next request try the login once
   * more. Call it once the password or keytab has been fixed.
   */
  retryLogin(): void {
    this.#setup.credentials.retryLogin();
  }

  /** Forgets every session cookie (a logout, a change of user): the next requests negotiate anew. */
  forgetSessions(): void {
    this.#setup.sessions?.clear();
  }

  /** Releases credentials acquired from a description, and the cached default credentials. */
  dispose(): void {
    this.#setup.credentials.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Internal: the `auth` argument of an adapter, checked: an {@link HTTPSPNEGOAuth}, or a new one
 * with default options when none is given.
 */
export function requireAuth(auth: unknown): HTTPSPNEGOAuth {
  if (auth === undefined) return new HTTPSPNEGOAuth();
  if (!(auth instanceof HTTPSPNEGOAuth)) {
    // An options object where the auth goes (createFetch({ opportunisticAuth: true })) would
    // otherwise be a bare type error; say what to write instead.
    const hint =
      typeof auth === 'object' && auth !== null && Object.getPrototypeOf(auth) === Object.prototype
        ? ': wrap the options, new HTTPSPNEGOAuth({ ... })'
        : '';
    throw new TypeError(`auth must be an HTTPSPNEGOAuth${hint}`);
  }
  return auth;
}
