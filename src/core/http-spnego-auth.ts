import { Credentials } from '../gssapi/credentials.js';
import { Name } from '../gssapi/name.js';
import { NameType } from '../gssapi/name-type.js';
import { emit } from './diagnostics.js';
import type { HttpGssapiError } from './errors.js';
import { type ContextFactory, gssapiContextFactory } from './negotiate-context.js';
import { NegotiateFlow } from './negotiate-flow.js';
import {
  type CredentialsDescription,
  type HTTPSPNEGOAuthOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';

/** Origins remembered for learned preemption; a bounded set so a crawler cannot grow it forever. */
const MAX_LEARNED_ORIGINS = 1024;

/**
 * How long default credentials (the ccache) are reused before being acquired again. Passing no
 * credentials makes MIT acquire them inside every gss_init_sec_context (~150-200 us a token,
 * docs/benchmarks.md); a minute bounds how long a `kinit` as someone else goes unseen, and a
 * credential failure drops them at once.
 */
const DEFAULT_CREDS_TTL_MS = 60_000;

const responseErrors = new WeakMap<object, HttpGssapiError>();

/**
 * Why a response came back unauthenticated: the error of the Negotiate exchange that failed for
 * it (no ticket, unknown service principal, KDC down, a corrupt server token, ...), or
 * `undefined` when none did. The error's `cause` is the GSSError with its `code` and `hint`.
 *
 * @example
 * ```ts
 * import { createFetch, negotiateErrorOf } from 'http-gssapi';
 * const res = await createFetch()('https://intranet.example.org/api');
 * if (res.status === 401) console.error(negotiateErrorOf(res)?.cause); // GSSError KRB5_FCC_NOFILE: run kinit
 * ```
 */
export function negotiateErrorOf(response: object): HttpGssapiError | undefined {
  return responseErrors.get(response);
}

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
  readonly #contextFactory: ContextFactory;
  readonly #learned = new Set<string>();
  #creds: Promise<Credentials | null> | null = null;
  #ownedCreds: Credentials | null = null;
  #default: { readonly creds: Credentials; readonly until: number } | null = null;
  #defaultPending: Promise<Credentials | null> | null = null;

  /**
   * @param options - see {@link HTTPSPNEGOAuthOptions}; checked now, a TypeError names a bad option.
   * @param internals - `contextFactory` replaces the GSSAPI context (for tests of the flow).
   */
  constructor(options: HTTPSPNEGOAuthOptions = {}, internals: { contextFactory?: ContextFactory } = {}) {
    this.options = resolveOptions(options);
    this.#contextFactory = internals.contextFactory ?? gssapiContextFactory;
  }

  /**
   * Starts the flow for one request (or one redirect hop) to `url`.
   *
   * @param options - `initialUrl`: for a redirect hop, the URL the request was first made to, so
   *   the flow can refuse a token the hop must not get (an https request redirected to http, a
   *   fixed `targetName` on another host).
   */
  flow(
    url: URL | string,
    kind: 'server' | 'proxy' = 'server',
    options: { readonly initialUrl?: URL | string | null } = {},
  ): NegotiateFlow {
    const initial = options.initialUrl == null ? null : new URL(options.initialUrl);
    return new NegotiateFlow(this, new URL(url), kind, this.#contextFactory, initial);
  }

  /** Whether a request to `url` should carry a token before any challenge. */
  preemptive(url: URL): boolean {
    return (
      this.options.opportunisticAuth || (this.options.learnedPreemption && this.#learned.has(url.origin))
    );
  }

  /** Internal: remembers that `origin` speaks Negotiate (learned preemption). */
  learn(origin: string): void {
    if (!this.options.learnedPreemption || this.#learned.has(origin)) return;
    if (this.#learned.size >= MAX_LEARNED_ORIGINS) this.#learned.delete(this.#learned.values().next().value!);
    this.#learned.add(origin);
  }

  /** Forgets what was learned about servers (e.g. after a network change). */
  forgetLearned(): void {
    this.#learned.clear();
  }

  /**
   * The credentials every context uses: the `creds` option, acquired once on first use when it
   * is a description. A failed acquisition is not cached: the next request tries again.
   */
  credentials(): Promise<Credentials | null> {
    const creds = this.options.creds;
    if (creds === null) return this.#defaultCredentials();
    if (creds instanceof Credentials) return Promise.resolve(creds);
    if (!this.#creds) {
      this.#creds = acquireDescribed(creds).then(
        (c) => {
          this.#ownedCreds = c;
          return c;
        },
        (error: unknown) => {
          this.#creds = null;
          throw error;
        },
      );
    }
    return this.#creds;
  }

  /**
   * The default credentials, acquired once and reused for up to {@link DEFAULT_CREDS_TTL_MS} (or
   * until 30 s before they expire). When they cannot be acquired, null: the context then passes
   * `GSS_C_NO_CREDENTIAL` and gss_init_sec_context reports why, with the usual codes. A replaced
   * credential is not released here: contexts in flight may still use it; it is released when the
   * last of them lets go of it (the FinalizationRegistry of the gssapi layer).
   */
  #defaultCredentials(): Promise<Credentials | null> {
    const cached = this.#default;
    if (cached && Date.now() < cached.until) return Promise.resolve(cached.creds);
    if (!this.#defaultPending) {
      this.#defaultPending = Credentials.acquire({ usage: 'initiate' })
        .then(
          (creds) => {
            const lifetimeMs =
              creds.lifetime === null ? Number.POSITIVE_INFINITY : (creds.lifetime - 30) * 1000;
            this.#default = {
              creds,
              until: Date.now() + Math.max(0, Math.min(DEFAULT_CREDS_TTL_MS, lifetimeMs)),
            };
            return creds;
          },
          () => {
            this.#default = null;
            return null;
          },
        )
        .finally(() => {
          this.#defaultPending = null;
        });
    }
    return this.#defaultPending;
  }

  /**
   * Internal: whether `creds` are the cached default credentials; if so they are dropped, so the
   * next call acquires them afresh (after a failure that may come from them: expired, renewed,
   * or a `kinit` as another user).
   */
  dropCachedDefault(creds: Credentials | null): boolean {
    if (!creds || this.#default?.creds !== creds) return false;
    this.#default = null;
    return true;
  }

  /** Internal: records why `response` is returned unauthenticated, and tells whoever listens. */
  reportError(error: HttpGssapiError, url: URL, response?: object): void {
    if (response) responseErrors.set(response, error);
    const cause = error.cause as { code?: unknown; hint?: unknown } | undefined;
    emit({
      type: 'error',
      url: url.href,
      code: typeof cause?.code === 'string' ? cause.code : error.code,
      message: error.message,
      hint: (error.hint ?? (typeof cause?.hint === 'string' ? cause.hint : undefined)) as string | undefined,
    });
    this.options.onError?.(error, { url: url.href });
  }

  /** Releases credentials acquired from a description, and the cached default credentials. */
  dispose(): void {
    this.#ownedCreds?.dispose();
    this.#ownedCreds = null;
    this.#creds = null;
    this.#default?.creds.dispose();
    this.#default = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

let memoryCcacheCount = 0;

async function acquireDescribed(d: CredentialsDescription): Promise<Credentials> {
  const name = d.principal ? new Name(d.principal, NameType.krb5Principal) : null;
  try {
    if (d.password !== undefined)
      return await Credentials.withPassword({ name: name!, password: d.password });
    const store: Record<string, string> = {};
    if (d.keytab !== undefined) {
      store['client_keytab'] = d.keytab;
      // A private memory ccache: a keytab login must not overwrite the user's default ccache.
      store['ccache'] = d.ccache ?? `MEMORY:http-gssapi-${process.pid}-${++memoryCcacheCount}`;
    } else if (d.ccache !== undefined) {
      store['ccache'] = d.ccache;
    }
    return await Credentials.acquire({
      name,
      usage: 'initiate',
      store: Object.keys(store).length ? store : null,
    });
  } finally {
    name?.dispose();
  }
}
