import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import axios from 'axios';
import got from 'got';
import ky from 'ky';
import { request as undiciRequest } from 'undici';
import { withNegotiate } from '../../src/adapters/axios/index.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import {
  createProxyDispatcher,
  type NegotiateDispatchContext,
  negotiate,
} from '../../src/adapters/undici/index.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { type HttpGssapiError, ProxyRefusedError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { createProxyAgents, type ProxySetting } from '../../src/proxy/index.js';
import { ApacheServer } from '../helpers/apache.js';
import { type RealmFixture, useRealm } from '../helpers/realm-fixture.js';
import { type SquidAccessLogEntry, SquidProxy } from '../helpers/squid.js';
import { TlsFront } from '../helpers/tls-front.js';

// Every client through a real squid that demands Negotiate (negotiate_kerberos_auth against the
// test realm), to a real Apache mod_auth_gssapi origin over http and over https (mod_ssl, a
// throwaway certificate): the proxy's own exchange (407, Proxy-Authorization, a token for
// HTTP@<proxy host>) and the origin's (401, Authorization) on the same requests.

let fixture: RealmFixture;
let secure: ApacheServer | null = null;

/** What one request came back with, whichever client sent it. */
type Result =
  | { readonly status: number; readonly body: string; readonly reason: HttpGssapiError | undefined }
  | { readonly refused: ProxyRefusedError };

interface Setup {
  readonly proxy: ProxySetting;
  /** The origin's auth (and, unless `proxyAuth`, the proxy's). */
  readonly auth: HTTPSPNEGOAuth;
  readonly proxyAuth: HTTPSPNEGOAuth;
  /** The https origin's certificate, to trust. */
  readonly ca: string;
  /** TLS options for a proxy reached over https (the TLS front's certificate to trust). */
  readonly proxyTls?: { readonly ca: string };
}

/** One client made for a setup: requests through it share its connections (and tunnels). */
interface OpenClient {
  send(url: string): Promise<Result>;
  close(): Promise<void>;
}

interface ProxyClient {
  readonly name: string;
  /** Whether the client answers the origin's 401 (node:http alone does not). */
  readonly originNegotiate: boolean;
  /** Whether plain http is forwarded (absolute-form GET) rather than tunnelled (CONNECT). */
  readonly forwardsHttp: boolean;
  /** Whether a 407 to forwarded plain http comes back as a response (fetch makes every 407 a network error). */
  readonly returns407: boolean;
  open(setup: Setup): OpenClient;
}

/** The ProxyRefusedError a client wrapped (fetch's TypeError, axios's AxiosError, got's RequestError). */
function refusal(error: unknown): { refused: ProxyRefusedError } {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ProxyRefusedError) return { refused: e };
  }
  throw error;
}

/** `send` with a refusal of the proxy as a Result. */
function opened(send: (url: string) => Promise<Result>, close: () => Promise<void> | void): OpenClient {
  return {
    send: (url) => send(url).catch(refusal),
    close: async () => {
      await close();
    },
  };
}

// Idle connections are closed soon: squid logs a tunnel when it closes, and a test must not see
// the tunnels of the one before. createFetch's proxy route has no close(): its client waits out
// the idle timeout instead.
const IDLE_MS = 100;
const idle = () => sleep(IDLE_MS * 4);
const undiciAgentOptions = (setup: Setup) => ({
  connect: { ca: setup.ca },
  keepAliveTimeout: IDLE_MS,
  keepAliveMaxTimeout: IDLE_MS,
});
const fetchOptions = (setup: Setup) => ({
  proxy: setup.proxy,
  proxyAuth: setup.proxyAuth,
  agentOptions: undiciAgentOptions(setup),
  ...(setup.proxyTls ? { proxyTls: setup.proxyTls } : {}),
});
const proxyAgents = (setup: Setup) =>
  createProxyAgents({
    proxy: setup.proxy,
    auth: setup.proxyAuth,
    agentOptions: { ca: setup.ca, keepAlive: true },
    ...(setup.proxyTls ? { proxyTls: setup.proxyTls } : {}),
  });
const destroyAgents = (agents: ReturnType<typeof proxyAgents>) => {
  agents.http.destroy();
  agents.https.destroy();
};

const clients: ProxyClient[] = [
  {
    name: 'fetch',
    originNegotiate: true,
    forwardsHttp: true,
    returns407: false,
    open(setup) {
      const fetch = createFetch(setup.auth, fetchOptions(setup));
      return opened(async (url) => {
        const res = await fetch(url);
        return { status: res.status, body: await res.text(), reason: negotiateErrorOf(res) };
      }, idle);
    },
  },
  {
    name: 'ky',
    originNegotiate: true,
    forwardsHttp: true,
    returns407: false,
    open(setup) {
      const client = ky.create({
        ...negotiateKy(setup.auth, fetchOptions(setup)),
        throwHttpErrors: false,
        retry: 0,
      });
      return opened(async (url) => {
        const res = await client(url);
        return { status: res.status, body: await res.text(), reason: negotiateErrorOf(res) };
      }, idle);
    },
  },
  {
    name: 'undici',
    originNegotiate: true,
    forwardsHttp: true,
    returns407: true,
    open(setup) {
      const proxied = createProxyDispatcher({
        proxy: setup.proxy,
        auth: setup.proxyAuth,
        agentOptions: undiciAgentOptions(setup),
        ...(setup.proxyTls ? { proxyTls: setup.proxyTls } : {}),
      });
      const dispatcher = proxied.compose(negotiate(setup.auth));
      return opened(
        async (url) => {
          const res = await undiciRequest(url, { dispatcher });
          const info = (res.context as NegotiateDispatchContext).proxyNegotiate;
          return {
            status: res.statusCode,
            body: await res.body.text(),
            reason: info && negotiateErrorOf(info),
          };
        },
        () => proxied.close(),
      );
    },
  },
  {
    name: 'axios',
    originNegotiate: true,
    forwardsHttp: false,
    returns407: false,
    open(setup) {
      const agents = proxyAgents(setup);
      const client = withNegotiate(
        axios.create({
          httpAgent: agents.http,
          httpsAgent: agents.https,
          proxy: false,
          responseType: 'text',
          validateStatus: () => true,
        }),
        setup.auth,
      );
      return opened(
        async (url) => {
          const res = await client.get(url);
          return { status: res.status, body: String(res.data), reason: negotiateErrorOf(res) };
        },
        () => destroyAgents(agents),
      );
    },
  },
  {
    name: 'got',
    originNegotiate: true,
    forwardsHttp: false,
    returns407: false,
    open(setup) {
      const agents = proxyAgents(setup);
      const client = got.extend(negotiateGot(setup.auth), {
        agent: agents,
        retry: { limit: 0 },
        throwHttpErrors: false,
      });
      return opened(
        async (url) => {
          const res = await client.get(url);
          return { status: res.statusCode, body: res.body, reason: negotiateErrorOf(res) };
        },
        () => destroyAgents(agents),
      );
    },
  },
  {
    name: 'node:http',
    originNegotiate: false,
    forwardsHttp: false,
    returns407: false,
    open(setup) {
      const agents = proxyAgents(setup);
      return opened(
        (url) =>
          new Promise<Result>((resolve, reject) => {
            const secureUrl = url.startsWith('https:');
            const get = secureUrl ? https.get : http.get;
            get(url, { agent: secureUrl ? agents.https : agents.http }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => {
                body += chunk;
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reason: undefined }));
              res.on('error', reject);
            }).on('error', reject);
          }),
        () => destroyAgents(agents),
      );
    },
  },
];

/** One request through a client opened for it, closed afterwards. */
async function sendOnce(client: ProxyClient, url: string, setup: Setup): Promise<Result> {
  const open = client.open(setup);
  try {
    return await open.send(url);
  } finally {
    await open.close();
  }
}

function response(result: Result): Extract<Result, { status: number }> {
  if ('refused' in result) {
    assert.fail(
      `the proxy refused: ${result.refused.message} (${negotiateErrorOf(result.refused)?.message ?? ''})`,
    );
  }
  return result;
}

/** The user the origin saw (its JSON echo). */
const originUser = (result: Result) => (JSON.parse(response(result).body) as { user: string | null }).user;

function setup(overrides: Partial<Setup> = {}): Setup {
  const auth = new HTTPSPNEGOAuth();
  return { proxy: fixture.squid.url, auth, proxyAuth: auth, ca: secure!.certificate!, ...overrides };
}

/** The squid URL by 127.0.0.1: the realm has no HTTP/127.0.0.1 principal, so no token can be made. */
const byAddress = () => fixture.squid.url.replace('//localhost:', '//127.0.0.1:');

/** squid's entries once `count` of them match (it logs a tunnel when the tunnel closes). */
async function squidEntries(match: (entry: SquidAccessLogEntry) => boolean, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const matching = (await fixture.squid.accessLog()).filter(match);
    if (matching.length >= count || Date.now() > deadline) return matching;
    await sleep(50);
  }
}

const passed = (entry: SquidAccessLogEntry) => entry.status === 200;

const skip = () => fixture.skipReason('squid') ?? fixture.skipReason('apache');

describe('Negotiate proxy (squid) to Apache origins over http and https', () => {
  fixture = useRealm({ apache: { optional: true }, squid: { optional: true } });
  before(async () => {
    if (fixture.skipReason('apache') || fixture.skipReason('squid')) return;
    secure = await ApacheServer.start({ realm: fixture.realm, https: true });
  });
  after(async () => {
    await secure?.stop();
  });

  for (const client of clients) {
    describe(`proxy Negotiate × ${client.name}`, () => {
      test('plain http through the proxy: the proxy authenticates the user', async (t) => {
        if (skip()) return t.skip(skip()!);
        await fixture.squid.clearAccessLog();
        const result = await sendOnce(client, `${fixture.apache.url}public/`, setup());
        assert.equal(response(result).status, 200);
        const through = await squidEntries(passed, 1);
        assert.equal(through.length, 1, 'one request passed the proxy');
        assert.equal(through[0]!.user, fixture.realm.user.principal);
        assert.equal(through[0]!.method, client.forwardsHttp ? 'GET' : 'CONNECT');
      });

      test('https through a CONNECT tunnel', async (t) => {
        if (skip()) return t.skip(skip()!);
        await fixture.squid.clearAccessLog();
        const result = await sendOnce(client, `${secure!.url}public/`, setup());
        assert.equal(response(result).status, 200);
        const tunnels = await squidEntries((e) => passed(e) && e.method === 'CONNECT', 1);
        assert.equal(tunnels.length, 1);
        assert.equal(tunnels[0]!.user, fixture.realm.user.principal);
        // squid keeps the connection after the bare CONNECT's 407: the token goes on it.
        const challenged = (await fixture.squid.accessLog()).filter((e) => e.status === 407);
        assert.deepEqual(
          challenged.map((e) => e.remotePort),
          [tunnels[0]!.remotePort],
        );
      });

      test('proxy and origin Negotiate together, over http and https', async (t) => {
        if (skip()) return t.skip(skip()!);
        if (!client.originNegotiate) return t.skip('node:http has no origin Negotiate of its own');
        const common = setup();
        for (const origin of [fixture.apache.url, secure!.url]) {
          const result = await sendOnce(client, `${origin}private/`, common);
          assert.equal(response(result).status, 200, origin);
          assert.equal(originUser(result), fixture.realm.user.principal, origin);
        }
      });

      test('a proxy name without a service principal: the 407 comes back with the reason', async (t) => {
        if (skip()) return t.skip(skip()!);
        const wrong = setup({ proxy: byAddress() });
        const plain = await sendOnce(client, `${fixture.apache.url}public/`, wrong);
        const tls = await sendOnce(client, `${secure!.url}public/`, wrong);
        for (const [what, result] of [
          ['http', plain],
          ['https', tls],
        ] as const) {
          if (what === 'http' && client.returns407) {
            const res = response(result);
            assert.equal(res.status, 407, what);
            assert.equal(res.reason?.code, 'ERR_SPNEGO_EXCHANGE', what);
            assert.match(res.reason!.message, /127\.0\.0\.1/);
          } else {
            assert.ok('refused' in result, `${what}: the proxy's refusal is an error`);
            assert.equal(result.refused.status, 407);
            assert.equal(negotiateErrorOf(result.refused)?.code, 'ERR_SPNEGO_EXCHANGE');
            assert.equal(result.refused.cause, negotiateErrorOf(result.refused));
            assert.match(negotiateErrorOf(result.refused)!.message, /HTTP@127\.0\.0\.1/);
          }
        }
      });

      test('NO_PROXY from the environment: named hosts go direct, others through the proxy', async (t) => {
        if (skip()) return t.skip(skip()!);
        const saved = { ...process.env };
        try {
          for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'NO_PROXY']) delete process.env[name];
          process.env['HTTP_PROXY'] = fixture.squid.url;
          process.env['HTTPS_PROXY'] = fixture.squid.url;
          process.env['NO_PROXY'] = 'example.invalid, localhost';
          await fixture.squid.clearAccessLog();
          for (const origin of [fixture.apache.url, secure!.url]) {
            assert.equal(
              response(await sendOnce(client, `${origin}public/`, setup({ proxy: 'env' }))).status,
              200,
            );
          }
          assert.deepEqual(await fixture.squid.accessLog(), [], 'nothing went through the proxy');
          process.env['NO_PROXY'] = 'example.invalid';
          assert.equal(
            response(await sendOnce(client, `${secure!.url}public/`, setup({ proxy: 'env' }))).status,
            200,
          );
          assert.equal((await squidEntries(passed, 1)).length, 1, 'without the entry, the proxy carried it');
        } finally {
          for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
          Object.assign(process.env, saved);
        }
      });

      test('concurrent tunnels: each its own token, every one authenticated', async (t) => {
        if (skip()) return t.skip(skip()!);
        await fixture.squid.clearAccessLog();
        const open = client.open(setup());
        const path = client.originNegotiate ? 'private/' : 'public/';
        try {
          const results = await Promise.all(
            Array.from({ length: 6 }, (_, i) => open.send(`${secure!.url}${path}${i}`)),
          );
          for (const result of results) assert.equal(response(result).status, 200);
        } finally {
          await open.close();
        }
        // Six requests at once open six connections (one may be reused after its first request
        // ends); each tunnel is authenticated by a token of its own.
        const tunnels = await squidEntries((e) => passed(e) && e.method === 'CONNECT', 6);
        assert.ok(tunnels.length >= 6, `${tunnels.length} tunnels`);
        for (const entry of tunnels) assert.equal(entry.user, fixture.realm.user.principal);
        const refused = (await fixture.squid.accessLog()).filter((e) => e.status === 407);
        assert.ok(refused.length <= 6, 'at most one 407 per tunnel (the bare first CONNECT)');
      });
    });
  }

  describe('a proxy that rejects the token (its helper checks for another service)', () => {
    let rejecting: SquidProxy | null = null;
    before(async () => {
      if (skip()) return;
      // The helper accepts only tokens for a principal its keytab has no key for: every token
      // the client makes (for HTTP@localhost, valid) is refused.
      rejecting = await SquidProxy.start({
        realm: fixture.realm,
        servicePrincipal: `HTTP/elsewhere.invalid@${fixture.realm.name}`,
      });
    });
    after(async () => {
      await rejecting?.stop();
    });

    for (const client of clients.filter((c) => ['fetch', 'undici', 'axios'].includes(c.name))) {
      test(`${client.name}: two fresh tokens, each on a new connection, then the 407 with the reason`, async (t) => {
        if (skip()) return t.skip(skip()!);
        const proxied = setup({ proxy: rejecting!.url });
        for (const url of [`${fixture.apache.url}public/`, `${secure!.url}public/`]) {
          await rejecting!.clearAccessLog();
          const result = await sendOnce(client, url, proxied);
          const reason = 'refused' in result ? negotiateErrorOf(result.refused) : result.reason;
          assert.equal('refused' in result ? result.refused.status : result.status, 407, url);
          assert.match(String(reason?.message), /3 Negotiate challenges/, url);
          const log = await rejecting!.accessLog({ minEntries: 3 });
          assert.deepEqual(
            log.map((e) => e.status),
            [407, 407, 407],
          );
          // squid refuses every later token on a connection where one failed: each token went on a
          // connection of its own (the bare first attempt and the first token may share one).
          assert.notEqual(log[1]!.remotePort, log[2]!.remotePort, url);
        }
      });
    }
  });

  describe('an https proxy (TLS in front of squid): plain http and https targets', () => {
    let front: TlsFront | null = null;
    before(async () => {
      if (skip()) return;
      front = await TlsFront.start(new URL(fixture.squid.url).port);
    });
    after(async () => {
      await front?.stop();
    });
    const overTls = () => setup({ proxy: front!.url, proxyTls: { ca: front!.ca } });

    for (const client of clients) {
      test(`${client.name}: the proxy authenticates the user over its TLS connection, the origin too`, async (t) => {
        if (skip()) return t.skip(skip()!);
        for (const [origin, method] of [
          [fixture.apache.url, client.forwardsHttp ? 'GET' : 'CONNECT'],
          [secure!.url, 'CONNECT'],
        ] as const) {
          await fixture.squid.clearAccessLog();
          const accepted = front!.connections;
          const path = client.originNegotiate ? 'private/' : 'public/';
          const result = await sendOnce(client, `${origin}${path}`, overTls());
          assert.equal(response(result).status, 200, origin);
          if (client.originNegotiate) assert.equal(originUser(result), fixture.realm.user.principal, origin);
          const through = await squidEntries(passed, 1);
          assert.equal(through.length, 1, `${origin}: one request passed the proxy`);
          assert.equal(through[0]!.user, fixture.realm.user.principal, origin);
          assert.equal(through[0]!.method, method, origin);
          assert.ok(front!.connections > accepted, `${origin}: the proxy was reached over TLS`);
        }
      });
    }
  });

  describe('proxy credentials apart from the origin', () => {
    test('the proxy leg with credentials of its own; the origin with mutual authentication REQUIRED', async (t) => {
      if (skip()) return t.skip(skip()!);
      const password = 'proxy-user-pass-9876';
      const proxyUser = await fixture.realm.addPrincipal('proxyuser', { password });
      const auth = new HTTPSPNEGOAuth({ mutualAuthentication: 'required' });
      const proxyAuth = new HTTPSPNEGOAuth({
        mutualAuthentication: 'required',
        creds: { principal: proxyUser, password },
      });
      await fixture.squid.clearAccessLog();
      const res = await createFetch(auth, {
        proxy: fixture.squid.url,
        proxyAuth,
        agentOptions: undiciAgentOptions(setup()),
      })(`${secure!.url}private/`);
      // squid sends no final token: REQUIRED acts as OPTIONAL on the proxy leg; the origin proves itself.
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(await res.text()) as { user: string }).user, fixture.realm.user.principal);
      const tunnels = await squidEntries((e) => passed(e) && e.method === 'CONNECT', 1);
      assert.equal(tunnels[0]!.user, proxyUser, 'the proxy saw its own user');
    });

    test('a fixed origin targetName is refused for the proxy leg, before anything is sent', () => {
      const auth = new HTTPSPNEGOAuth({ targetName: 'HTTP@intranet.example.org' });
      assert.throws(
        () => createFetch(auth, { proxy: 'http://localhost:3128' }),
        /proxy must have a service targetName/,
      );
      assert.doesNotThrow(() =>
        createFetch(auth, { proxy: 'http://localhost:3128', proxyAuth: new HTTPSPNEGOAuth() }),
      );
    });
  });
});
