import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type GssapiCapabilities, loadGssapiLibrary } from '../../src/gssapi/raw/index.js';
import {
  BodyNotReplayableError,
  HTTPSPNEGOAuth,
  type HTTPSPNEGOAuthOptions,
  KRB5,
  MutualAuthenticationError,
  OPTIONAL,
  REQUIRED,
  SPNEGOExchangeError,
} from '../../src/index.js';
import type { NegotiateTestServer, TestRealm } from '../../src/testing/index.js';
import {
  type Driver,
  drivers,
  type Outcome,
  rejectsWith,
  type SendInit,
} from '../helpers/adapter-drivers.js';
import type { ApacheServer } from '../helpers/apache.js';
import { useRealm } from '../helpers/realm-fixture.js';

// One behavior table, end to end: every case runs through createFetch (the baseline), axios, got,
// ky and undici, against the project's acceptor-based server (which can misbehave on purpose) and
// against Apache with mod_auth_gssapi (what deployments run), with a real MIT KDC and tickets.

/** What a server can be asked to do beyond plain authentication. */
type Feature =
  /** Misbehave on purpose: Basic only, always 401, a second leg, bad or missing final tokens, a 500. */
  | 'misbehaving'
  /** Redirect anywhere (to another host), with any status. */
  | 'redirect-anywhere'
  /** Authenticate once per session (a cookie after the handshake), and end sessions on demand. */
  | 'sessions';

type Resource = 'ok' | 'post' | 'redirect' | 'redirect-307' | 'delegate' | 'session';
type Misbehavior =
  | 'basic-only'
  | 'always-401'
  | 'second-leg'
  | 'malformed-challenge'
  | 'omit-final-token'
  | 'corrupt-final-token'
  | 'final-bare-negotiate'
  | 'final-auth-params'
  | 'final-garbled-token'
  | 'error-500';

/** One request as the server saw it (its log, never a token). */
interface Seen {
  readonly negotiate: boolean;
  readonly status: number;
}

/** A server under test, as the table sees it. */
interface Target {
  readonly name: string;
  readonly features: ReadonlySet<Feature>;
  /** Called before each case: `seen` then reports only that case's requests. */
  begin(): Promise<void>;
  /** A fresh URL (a path no other case uses) for a resource or a misbehavior. */
  url(kind: Resource | Misbehavior): string;
  /** Where a `redirect`/`redirect-307` URL leads. */
  redirectTarget(url: string): string;
  /** The requests the server saw for exactly this URL's path, in order. */
  seen(url: string, expected?: number): Promise<Seen[]>;
  /** The authenticated user the response reports, or null. */
  user(outcome: Outcome): string | null;
  /** How many body bytes the server received for the answered request. */
  bodyLength(outcome: Outcome): number;
  /** The method of the answered request. */
  method(outcome: Outcome): string;
  /** Whether the server received usable delegated credentials. */
  delegated(outcome: Outcome): boolean;
  /** Ends every session (feature `sessions`). */
  endSessions?(): void;
}

/** What each case gets: a client-agnostic way to send, and the server it talks to. */
interface CaseContext {
  readonly driver: Driver;
  readonly target: Target;
  readonly realm: TestRealm;
  /** A fresh auth; learned preemption off unless asked for, so counts do not depend on order. */
  auth(options?: HTTPSPNEGOAuthOptions): HTTPSPNEGOAuth;
  get(url: string, options?: HTTPSPNEGOAuthOptions): Promise<Outcome>;
  post(
    url: string,
    body: SendInit['body'] | SendInit['stream'],
    options?: HTTPSPNEGOAuthOptions,
  ): Promise<Outcome>;
  /** With an auth of the case's own (shared state across sends). */
  send(auth: HTTPSPNEGOAuth, url: string, init?: SendInit): Promise<Outcome>;
}

interface Case {
  readonly name: string;
  readonly needs?: readonly Feature[];
  /**
   * GSSAPI extensions the client side needs (the table also runs on Heimdal 7, which lacks
   * gss_acquire_cred_from and gss_store_cred_into: scripts/test-heimdal.sh).
   */
  readonly needsLibrary?: readonly (keyof GssapiCapabilities)[];
  run(ctx: CaseContext): Promise<void>;
}

const negotiateSeen = (seen: readonly Seen[]) => seen.map((s) => [s.negotiate, s.status]);

/** The 401 came back at once, unauthenticated, the client's own way, with the reason reachable. */
function unauthenticated(ctx: CaseContext, outcome: Outcome) {
  assert.equal(outcome.status, 401);
  assert.equal(outcome.rejection?.name ?? null, rejectsWith[ctx.driver.name]);
  const error = outcome.negotiateError;
  assert.ok(error instanceof SPNEGOExchangeError, 'negotiateErrorOf(response) tells why');
  if (outcome.rejection) assert.equal(outcome.rejection.cause, error);
  return error;
}

let principals = 0;

const cases: readonly Case[] = [
  {
    name: 'the first request goes bare; the Negotiate 401 is answered and the user authenticated',
    async run(ctx) {
      const url = ctx.target.url('ok');
      const res = await ctx.get(url);
      assert.equal(res.status, 200);
      assert.equal(ctx.target.user(res), ctx.realm.user.principal);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(url, 2)), [
        [false, 401],
        [true, 200],
      ]);
    },
  },
  {
    name: 'mutual authentication REQUIRED verifies the server’s final token',
    async run(ctx) {
      const res = await ctx.get(ctx.target.url('ok'), { mutualAuthentication: REQUIRED });
      assert.equal(res.status, 200);
    },
  },
  {
    name: 'a 401 with only a Basic challenge comes back untouched',
    needs: ['misbehaving'],
    async run(ctx) {
      const url = ctx.target.url('basic-only');
      const res = await ctx.get(url);
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="test"');
      assert.equal(res.negotiateError, undefined);
      assert.equal((await ctx.target.seen(url, 1)).length, 1);
    },
  },
  {
    name: 'at most two 401s are handled per request',
    needs: ['misbehaving'],
    async run(ctx) {
      const url = ctx.target.url('always-401');
      unauthenticated(ctx, await ctx.get(url));
      assert.equal((await ctx.target.seen(url, 3)).length, 3);
    },
  },
  {
    name: 'a server that asks for a second leg gets a second, fresh token',
    needs: ['misbehaving'],
    async run(ctx) {
      const url = ctx.target.url('second-leg');
      assert.equal((await ctx.get(url)).status, 200);
      assert.deepEqual(
        (await ctx.target.seen(url, 3)).map((s) => s.status),
        [401, 401, 200],
      );
    },
  },
  {
    name: 'no ticket: the 401 at once, no wasted round trip, the GSS code reachable',
    // An empty ccache named by the creds option.
    needsLibrary: ['acquireCredFrom'],
    async run(ctx) {
      const url = ctx.target.url('ok');
      const res = await ctx.get(url, { creds: { ccache: `FILE:${ctx.realm.dir}/empty-ccache` } });
      const error = unauthenticated(ctx, res);
      assert.match((error.cause as { code: string }).code, /KRB5_FCC_NOFILE|KRB5_CC_NOTFOUND|GSS_S_NO_CRED/);
      assert.match(error.hint ?? '', /kinit/);
      const code = (error.cause as { code: string }).code;
      assert.equal(error.message.split(`[${code}]`).length, 2, 'the message names the code once');
      assert.equal((await ctx.target.seen(url, 1)).length, 1);
    },
  },
  {
    name: 'an unknown service principal: the 401, with the GSS error as cause',
    async run(ctx) {
      const res = await ctx.get(ctx.target.url('ok'), { targetName: 'HTTP@unknown.invalid' });
      assert.ok(unauthenticated(ctx, res).cause);
    },
  },
  {
    name: 'a malformed Negotiate challenge: the 401, with a parse error as cause',
    needs: ['misbehaving'],
    async run(ctx) {
      const error = unauthenticated(ctx, await ctx.get(ctx.target.url('malformed-challenge')));
      assert.equal((error.cause as { code: string }).code, 'ERR_CHALLENGE_PARSE');
    },
  },
  {
    name: 'opportunisticAuth sends the token with the first request',
    async run(ctx) {
      const url = ctx.target.url('ok');
      assert.equal((await ctx.get(url, { opportunisticAuth: true })).status, 200);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(url, 1)), [[true, 200]]);
    },
  },
  {
    name: 'learned preemption: after one challenge, the next request to the origin carries a token',
    async run(ctx) {
      const auth = ctx.auth({ learnedPreemption: true });
      const [first, second] = [ctx.target.url('ok'), ctx.target.url('ok')];
      await ctx.send(auth, first);
      await ctx.send(auth, second);
      assert.equal((await ctx.target.seen(first, 2)).length, 2);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(second, 1)), [[true, 200]]);
    },
  },
  {
    name: 'REQUIRED: a 200 without the final token raises MutualAuthenticationError',
    needs: ['misbehaving'],
    async run(ctx) {
      await assert.rejects(
        ctx.get(ctx.target.url('omit-final-token'), { mutualAuthentication: REQUIRED }),
        MutualAuthenticationError,
      );
    },
  },
  {
    name: 'REQUIRED and OPTIONAL: a corrupted final token raises; DISABLED ignores it',
    needs: ['misbehaving'],
    async run(ctx) {
      for (const mutualAuthentication of [REQUIRED, OPTIONAL] as const) {
        await assert.rejects(
          ctx.get(ctx.target.url('corrupt-final-token'), { mutualAuthentication }),
          (e: unknown) =>
            e instanceof MutualAuthenticationError && (e.cause as { code?: string }).code !== undefined,
        );
      }
      assert.equal((await ctx.get(ctx.target.url('corrupt-final-token'))).status, 200);
    },
  },
  {
    name: 'REQUIRED: an unauthenticated error response is stripped, unless asked not to',
    needs: ['misbehaving'],
    async run(ctx) {
      const stripped = await ctx.get(ctx.target.url('error-500'), { mutualAuthentication: REQUIRED });
      assert.equal(stripped.status, 500);
      assert.equal(stripped.body, '');
      assert.equal(stripped.headers['x-internal-detail'], undefined);
      assert.equal(stripped.headers['server'], 'negotiate-test-server');
      assert.ok(stripped.headers['date']);
      const whole = await ctx.get(ctx.target.url('error-500'), {
        mutualAuthentication: REQUIRED,
        sanitizeMutualErrorResponse: false,
      });
      assert.equal(whole.body, 'internal secret');
    },
  },
  {
    name: 'OPTIONAL: a response without the final token is accepted',
    needs: ['misbehaving'],
    async run(ctx) {
      const res = await ctx.get(ctx.target.url('omit-final-token'), { mutualAuthentication: OPTIONAL });
      assert.equal(res.status, 200);
    },
  },
  {
    name: 'OPTIONAL: a final 200 with a bare Negotiate or Negotiate auth-params passes; REQUIRED raises',
    needs: ['misbehaving'],
    async run(ctx) {
      for (const kind of ['final-bare-negotiate', 'final-auth-params'] as const) {
        const res = await ctx.get(ctx.target.url(kind), { mutualAuthentication: OPTIONAL });
        assert.equal(res.status, 200, kind);
        assert.equal(ctx.target.user(res), ctx.realm.user.principal);
        await assert.rejects(
          ctx.get(ctx.target.url(kind), { mutualAuthentication: REQUIRED }),
          (e: unknown) =>
            e instanceof MutualAuthenticationError && /without a Negotiate token/.test(e.message),
        );
      }
    },
  },
  {
    name: 'REQUIRED and OPTIONAL: a final 200 with a garbled Negotiate token68 raises',
    needs: ['misbehaving'],
    async run(ctx) {
      for (const mutualAuthentication of [REQUIRED, OPTIONAL] as const) {
        await assert.rejects(
          ctx.get(ctx.target.url('final-garbled-token'), { mutualAuthentication }),
          (e: unknown) =>
            e instanceof MutualAuthenticationError && /malformed Negotiate token/.test(e.message),
        );
      }
    },
  },
  {
    name: 'a POST body is sent again, whole, after the 401',
    async run(ctx) {
      const url = ctx.target.url('post');
      const body = JSON.stringify({ hello: 'world'.repeat(1000) });
      const res = await ctx.post(url, body);
      assert.equal(res.status, 200);
      assert.equal(ctx.target.bodyLength(res), Buffer.byteLength(body));
      assert.equal(ctx.target.user(res), ctx.realm.user.principal);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(url, 2)), [
        [false, 401],
        [true, 200],
      ]);
    },
  },
  {
    name: 'a streamed body under maxReplayBodySize is buffered and sent again',
    async run(ctx) {
      const res = await ctx.post(ctx.target.url('post'), { size: 100_000 });
      assert.equal(ctx.target.bodyLength(res), 100_000);
    },
  },
  {
    name: 'a streamed body over maxReplayBodySize goes once, whole, with a token up front',
    async run(ctx) {
      const url = ctx.target.url('post');
      const res = await ctx.post(url, { size: 200_000 }, { maxReplayBodySize: 10_000 });
      assert.equal(res.status, 200);
      assert.equal(ctx.target.bodyLength(res), 200_000);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(url, 1)), [[true, 200]]);
    },
  },
  {
    name: 'a streamed body over maxReplayBodySize without a ticket fails before sending anything',
    needsLibrary: ['acquireCredFrom'],
    async run(ctx) {
      const url = ctx.target.url('post');
      await assert.rejects(
        ctx.post(
          url,
          { size: 1000 },
          { maxReplayBodySize: 10, creds: { ccache: `FILE:${ctx.realm.dir}/empty` } },
        ),
        BodyNotReplayableError,
      );
      assert.equal((await ctx.target.seen(url)).length, 0);
    },
  },
  {
    name: 'a same-origin redirect gets a fresh token for the next hop (never the same one again)',
    async run(ctx) {
      const url = ctx.target.url('redirect');
      const res = await ctx.get(url);
      assert.equal(res.status, 200);
      assert.equal(ctx.target.user(res), ctx.realm.user.principal);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(url, 2)), [
        [false, 401],
        [true, 302],
      ]);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(ctx.target.redirectTarget(url), 2)), [
        [false, 401],
        [true, 200],
      ]);
    },
  },
  {
    name: 'a 307 redirect keeps the POST body, authenticated again at the next hop',
    async run(ctx) {
      const url = ctx.target.url('redirect-307');
      const res = await ctx.post(url, 'x'.repeat(10));
      assert.equal(res.status, 200);
      assert.deepEqual([ctx.target.method(res), ctx.target.bodyLength(res)], ['POST', 10]);
    },
  },
  {
    name: 'a redirect to another host never carries the first host’s token',
    needs: ['redirect-anywhere'],
    async run(ctx) {
      const other = new URL(ctx.target.url('ok'));
      other.hostname = '127.0.0.1';
      const elsewhere = other.href;
      const url = `${ctx.target.url('redirect').split('?')[0]}?to=${encodeURIComponent(elsewhere)}`;
      const res = await ctx.get(url, { opportunisticAuth: true });
      // HTTP@127.0.0.1 has no principal: the hop gets no token at all, and its 401 comes back.
      assert.equal(res.status, 401);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(url, 1)), [[true, 302]]);
      const atOtherHost = await ctx.target.seen(elsewhere, 1);
      assert.ok(atOtherHost.length >= 1);
      assert.ok(
        atOtherHost.every((s) => !s.negotiate),
        'no Negotiate token reached 127.0.0.1',
      );
    },
  },
  {
    name: 'a session cookie: five requests cost one token; an ended session costs one renegotiation',
    needs: ['sessions'],
    async run(ctx) {
      const auth = ctx.auth({ learnedPreemption: true });
      const urls = Array.from({ length: 5 }, () => ctx.target.url('session'));
      for (const url of urls) assert.equal((await ctx.send(auth, url)).status, 200);
      const seen = (await Promise.all(urls.map((url) => ctx.target.seen(url)))).flat();
      assert.equal(seen.filter((s) => s.negotiate).length, 1, 'one token for five requests');
      assert.equal(seen.length, 6, 'one 401, then one round trip each');
      ctx.target.endSessions!();
      const after = ctx.target.url('session');
      assert.equal((await ctx.send(auth, after)).status, 200);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(after)), [
        [false, 401],
        [true, 200],
      ]);
      const next = ctx.target.url('session');
      await ctx.send(auth, next);
      assert.deepEqual(negotiateSeen(await ctx.target.seen(next)), [[false, 200]], 'the new session serves');
    },
  },
  {
    name: 'a session that ends before its first reuse costs one renegotiation; the next session serves',
    needs: ['sessions'],
    async run(ctx) {
      const auth = ctx.auth({ learnedPreemption: true });
      const first = ctx.target.url('session');
      assert.equal((await ctx.send(auth, first)).status, 200);
      // A servlet container's one-second session: over before the cookie is ever used.
      ctx.target.endSessions!();
      const urls = Array.from({ length: 4 }, () => ctx.target.url('session'));
      for (const url of urls) assert.equal((await ctx.send(auth, url)).status, 200);
      const seen = await Promise.all(urls.map((url) => ctx.target.seen(url)));
      assert.deepEqual(
        seen.map(negotiateSeen),
        [
          [
            [false, 401],
            [true, 200],
          ],
          [[false, 200]],
          [[false, 200]],
          [[false, 200]],
        ],
        'two tokens for five requests: the cookie of the new session serves the rest',
      );
    },
  },
  {
    name: 'delegate: true gives the server usable credentials; the default gives none',
    async run(ctx) {
      assert.equal(ctx.target.delegated(await ctx.get(ctx.target.url('delegate'), { delegate: true })), true);
      assert.equal(ctx.target.delegated(await ctx.get(ctx.target.url('delegate'))), false);
    },
  },
  {
    name: 'mech KRB5 (no SPNEGO wrapping) authenticates too',
    async run(ctx) {
      const res = await ctx.get(ctx.target.url('ok'), { mech: KRB5 });
      assert.equal(ctx.target.user(res), ctx.realm.user.principal);
    },
  },
  {
    name: 'a password description logs in with no kinit',
    // One AS exchange into a private memory ccache, read back for SPNEGO (credential-source.ts).
    needsLibrary: ['acquireCredFrom', 'storeCredInto'],
    async run(ctx) {
      const password = `pw-${++principals}-secret`;
      const principal = await ctx.realm.addPrincipal(`adapter${principals}`, { password });
      const res = await ctx.get(ctx.target.url('ok'), { creds: { principal, password } });
      assert.equal(ctx.target.user(res), principal);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The servers.

let unique = 0;
const fresh = () => `t${++unique}`;
const parsed = (outcome: Outcome): Record<string, unknown> => {
  try {
    return JSON.parse(outcome.body) as Record<string, unknown>;
  } catch {
    return {};
  }
};
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

function testServerTarget(server: NegotiateTestServer): Target {
  return {
    name: 'NegotiateTestServer',
    features: new Set<Feature>(['misbehaving', 'redirect-anywhere', 'sessions']),
    endSessions: () => server.expireSessions(),
    // Every case uses fresh paths: nothing to forget.
    begin: async () => {},
    url(kind) {
      const base = `${server.url}`;
      switch (kind) {
        case 'post':
          return `${base}ok/${fresh()}/`;
        case 'redirect':
          return `${base}redirect/${fresh()}/?to=${encodeURIComponent(`/ok/${fresh()}/`)}`;
        case 'redirect-307':
          return `${base}redirect/${fresh()}/?status=307&to=${encodeURIComponent(`/ok/${fresh()}/`)}`;
        default:
          return `${base}${kind}/${fresh()}/`;
      }
    },
    redirectTarget: (url) => new URL(new URL(url).searchParams.get('to')!, url).href,
    async seen(url) {
      const u = new URL(url);
      return server.requests
        .filter((r) => r.path === pathOf(url) && r.host === u.host)
        .map((r) => ({ negotiate: r.negotiate, status: r.status }));
    },
    user: (o) => (parsed(o)['user'] as string | undefined) ?? null,
    bodyLength: (o) => parsed(o)['bodyLength'] as number,
    method: (o) => parsed(o)['method'] as string,
    delegated: (o) => parsed(o)['delegatedUse'] === 'token-obtained',
  };
}

function apacheTarget(apache: ApacheServer): Target {
  return {
    name: 'Apache mod_auth_gssapi',
    features: new Set<Feature>(),
    // Its redirects lead to fixed paths, which every case shares.
    begin: () => apache.clearAccessLog(),
    url(kind) {
      const paths: Partial<Record<Resource, string>> = {
        ok: 'private',
        post: 'post',
        redirect: 'auth-redirect',
        'redirect-307': 'auth-redirect-307',
        delegate: 'delegate',
      };
      const path = paths[kind as Resource];
      assert.ok(path, `Apache has no ${kind}`);
      return `${apache.url}${path}/${fresh()}/`;
    },
    // The Lua handler redirects to a fixed location on the same host.
    redirectTarget: (url) => new URL(url.includes('-307/') ? '/post/' : '/private/', url).href,
    async seen(url, expected = 0) {
      // Apache writes a log line after its response: wait (bounded) for the expected ones.
      const path = pathOf(url);
      const deadline = Date.now() + 5000;
      for (;;) {
        const mine = (await apache.accessLog()).filter((e) => e.target === path);
        if (mine.length >= expected || Date.now() > deadline)
          return mine.map((e) => ({ negotiate: e.authorization === 'negotiate', status: e.status }));
        await delay(20);
      }
    },
    user: (o) => o.headers['x-remote-user'] ?? (parsed(o)['user'] as string | undefined) ?? null,
    // /post/ echoes the body (mod_reflector); /private/ answers JSON.
    bodyLength: (o) => Buffer.byteLength(o.body),
    // /post/ answers POST only, with the body itself.
    method: (o) => (parsed(o)['method'] as string | undefined) ?? 'POST',
    delegated: (o) => typeof parsed(o)['delegatedCcache'] === 'string',
  };
}

// ---------------------------------------------------------------------------------------------
// The runs: every case × every client × every server.

const library = loadGssapiLibrary().info;
/**
 * NegotiateTestServer acquires its acceptor credentials from the service keytab: with
 * gss_acquire_cred_from, or, where that is missing (Heimdal 7), by registering the keytab
 * process-wide (gsskrb5_register_acceptor_identity). A library with neither runs the table
 * against Apache only (whose mod_auth_gssapi is MIT in its own process).
 */
const testServerSkip =
  library.capabilities.acquireCredFrom || library.capabilities.registerAcceptorIdentity
    ? null
    : `NegotiateTestServer needs gss_acquire_cred_from or gsskrb5_register_acceptor_identity, which ${library.path} (${library.provider}) lacks`;

const fixture = useRealm({ negotiateServer: testServerSkip === null, apache: { optional: true } });

const targets: readonly { name: string; make: () => Target | string }[] = [
  { name: 'NegotiateTestServer', make: () => testServerSkip ?? testServerTarget(fixture.negotiateServer) },
  {
    name: 'Apache mod_auth_gssapi',
    make: () => fixture.skipReason('apache') ?? apacheTarget(fixture.apache),
  },
];

for (const { name, make } of targets) {
  for (const driver of drivers) {
    describe(`${name} × ${driver.name}`, () => {
      for (const c of cases) {
        test(c.name, async (t) => {
          const target = make();
          if (typeof target === 'string') return t.skip(target);
          const missing = (c.needs ?? []).filter((f) => !target.features.has(f));
          if (missing.length > 0) return t.skip(`${target.name} lacks: ${missing.join(', ')}`);
          const absent = (c.needsLibrary ?? []).filter((f) => !library.capabilities[f]);
          if (absent.length > 0)
            return t.skip(`${library.path} (${library.provider}) lacks: ${absent.join(', ')}`);
          await target.begin();
          const auth = (options: HTTPSPNEGOAuthOptions = {}) =>
            new HTTPSPNEGOAuth({ learnedPreemption: false, ...options });
          await c.run({
            driver,
            target,
            realm: fixture.realm,
            auth,
            send: (a, url, init) => driver.send(a, url, init),
            get: (url, options) => driver.send(auth(options), url),
            post: (url, body, options) =>
              driver.send(auth(options), url, {
                method: 'POST',
                headers: { 'content-type': 'application/octet-stream' },
                ...(typeof body === 'string' ? { body } : body ? { stream: body } : {}),
              }),
          });
        });
      }
    });
  }
}
