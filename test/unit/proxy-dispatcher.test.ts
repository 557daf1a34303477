import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { createFetch } from '../../src/adapters/fetch.js';
import {
  createProxyDispatcher,
  type NegotiateDispatchContext,
  negotiate,
} from '../../src/adapters/undici/index.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { ProxyRefusedError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { createProxyAgents } from '../../src/proxy/proxy-agents.js';
import { b64, fakeContextFactory } from '../helpers/fake-context.js';
import { negotiate407, ScriptedProxy } from '../helpers/scripted-proxy.js';
import { makeCertificate } from '../helpers/test-certificates.js';
import { TlsFront } from '../helpers/tls-front.js';

// Plain http forwarded to a proxy (absolute-form target) by createProxyDispatcher, and through
// createFetch(auth, { proxy }): the 407 legs answered like a 401, with a scripted proxy that
// also plays the origin. Fake security contexts: tokens are 'tok-1'.

const ORIGIN = 'http://origin.example';
const ok = () => ({ status: 200, body: 'fine' });

function fakeAuth(first = 'tok-1') {
  return new HTTPSPNEGOAuth({}, { contextFactory: fakeContextFactory({ first }) });
}

describe('createProxyDispatcher, plain http', () => {
  test('a 407 is answered with a token for the proxy; the body is sent again; the target stays absolute', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407(), ok]);
    const dispatcher = createProxyDispatcher({ proxy: proxy.url, auth: fakeAuth() });
    try {
      const res = await request(`${ORIGIN}/submit?x=1`, { dispatcher, method: 'POST', body: 'payload' });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'fine');
      const [bare, answered] = proxy.requests;
      assert.equal(bare!.target, `${ORIGIN}/submit?x=1`);
      assert.equal(bare!.headers['host'], 'origin.example');
      assert.equal(bare!.headers['proxy-authorization'], undefined);
      assert.equal(answered!.headers['proxy-authorization'], `Negotiate ${b64('tok-1')}`);
      assert.equal(answered!.body, 'payload', 'the body is sent again');
      assert.equal(
        answered!.headers['connection'],
        'close',
        'a token-carrying request closes its connection',
      );
    } finally {
      await dispatcher.close();
    }
  });

  test('a 407 without Negotiate comes back untouched', async () => {
    await using proxy = await ScriptedProxy.start([
      () => ({ status: 407, headers: { 'proxy-authenticate': 'Basic realm="x"' }, body: 'basic please' }),
    ]);
    const dispatcher = createProxyDispatcher({ proxy: proxy.url, auth: fakeAuth() });
    try {
      const res = await request(`${ORIGIN}/`, { dispatcher });
      assert.equal(res.statusCode, 407);
      assert.equal(await res.body.text(), 'basic please');
      assert.equal(proxy.requests.length, 1);
      const context = res.context as { proxyNegotiate: { error: unknown } };
      assert.equal(context.proxyNegotiate.error, undefined);
    } finally {
      await dispatcher.close();
    }
  });

  test('a proxy that refuses every token: at most two answered, then the 407 with the reason', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407()]);
    const dispatcher = createProxyDispatcher({ proxy: proxy.url, auth: fakeAuth() });
    try {
      const res = await request(`${ORIGIN}/`, { dispatcher });
      assert.equal(res.statusCode, 407);
      await res.body.dump();
      assert.equal(proxy.requests.length, 3);
      const info = (res.context as { proxyNegotiate: object }).proxyNegotiate;
      assert.equal(negotiateErrorOf(info)?.code, 'ERR_SPNEGO_EXCHANGE');
    } finally {
      await dispatcher.close();
    }
  });

  test('proxy and origin Negotiate on one request: both headers, each token for its own service', async () => {
    const originFactory = fakeContextFactory({ first: 'origin-tok' });
    const proxyFactory = fakeContextFactory({ first: 'proxy-tok' });
    await using proxy = await ScriptedProxy.start([
      () => negotiate407(),
      () => ({ status: 401, headers: { 'www-authenticate': 'Negotiate' } }),
      ok,
    ]);
    const proxied = createProxyDispatcher({
      proxy: proxy.url,
      auth: new HTTPSPNEGOAuth({}, { contextFactory: proxyFactory }),
    });
    const dispatcher = proxied.compose(negotiate(new HTTPSPNEGOAuth({}, { contextFactory: originFactory })));
    try {
      const res = await request(`${ORIGIN}/private`, { dispatcher });
      assert.equal(res.statusCode, 200);
      await res.body.dump();
      const last = proxy.requests.at(-1)!;
      assert.equal(last.headers['authorization'], `Negotiate ${b64('origin-tok')}`);
      assert.equal(last.headers['proxy-authorization'], `Negotiate ${b64('proxy-tok')}`);
      assert.equal(proxyFactory.created[0]!.target, 'HTTP@localhost');
      assert.equal(originFactory.created[0]!.target, 'HTTP@origin.example');
      assert.ok((res.context as NegotiateDispatchContext).proxyNegotiate, 'the proxy leg is on the context');
    } finally {
      await proxied.close();
    }
  });

  test('NO_PROXY: a named host goes direct', async () => {
    await using proxy = await ScriptedProxy.start([ok]);
    const dispatcher = createProxyDispatcher({
      proxy: { httpProxy: proxy.url, noProxy: 'localhost' },
      auth: fakeAuth(),
    });
    try {
      // The proxy's own address, asked for directly: the scripted proxy sees an origin-form target.
      const res = await request(`${proxy.url}/direct`, { dispatcher });
      await res.body.dump();
      assert.equal(proxy.requests[0]!.target, '/direct');
    } finally {
      await dispatcher.close();
    }
  });
});

describe('NO_PROXY with IPv6 loopback, on a real connection', () => {
  for (const noProxy of ['::1', 'localhost,127.0.0.1,::1', '[::1]', '::1/128']) {
    test(`NO_PROXY=${noProxy}: http://[::1]:port/ goes direct, on the dispatcher and createFetch`, async (t) => {
      const server = http.createServer((_req, res) => res.end('direct over ::1'));
      try {
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '::1', resolve));
      } catch {
        return t.skip('no IPv6 loopback here');
      }
      try {
        const url = `http://[::1]:${(server.address() as AddressInfo).port}/`;
        await using proxy = await ScriptedProxy.start([ok]);
        const dispatcher = createProxyDispatcher({
          proxy: { httpProxy: proxy.url, noProxy },
          auth: fakeAuth(),
        });
        try {
          const res = await request(url, { dispatcher });
          assert.equal(await res.body.text(), 'direct over ::1');
        } finally {
          await dispatcher.close();
        }
        const fetch = createFetch(fakeAuth(), { proxy: { httpProxy: proxy.url, noProxy } });
        assert.equal(await (await fetch(url)).text(), 'direct over ::1');
        const agents = createProxyAgents({ proxy: { httpProxy: proxy.url, noProxy }, auth: fakeAuth() });
        try {
          const body = await new Promise<string>((resolve, reject) => {
            http
              .get(url, { agent: agents.http }, (res) => {
                let text = '';
                res.setEncoding('utf8');
                res.on('data', (chunk: string) => {
                  text += chunk;
                });
                res.on('end', () => resolve(text));
              })
              .on('error', reject);
          });
          assert.equal(body, 'direct over ::1', 'the node:http agents (axios, got) too');
        } finally {
          agents.http.destroy();
          agents.https.destroy();
        }
        assert.equal(proxy.requests.length, 0, 'the proxy saw nothing');
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  }
});

describe('createFetch(auth, { proxy })', () => {
  test("fetch's 407 (a network error by the Fetch standard) rejects with ProxyRefusedError and the reason", async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407()]);
    const fetch = createFetch(fakeAuth(), { proxy: proxy.url });
    const error = await fetch(`${ORIGIN}/`).then(
      () => assert.fail('resolved'),
      (e: unknown) => e as TypeError,
    );
    assert.ok(error instanceof TypeError);
    const refused = error.cause;
    assert.ok(refused instanceof ProxyRefusedError);
    assert.equal(refused.status, 407);
    assert.equal(negotiateErrorOf(refused)?.code, 'ERR_SPNEGO_EXCHANGE');
  });

  test('a 407 answered: the origin response, through undici', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407(), ok]);
    const res = await createFetch(fakeAuth(), { proxy: proxy.url })(`${ORIGIN}/`, {
      method: 'POST',
      body: 'b',
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'fine');
    assert.equal(proxy.requests[1]!.body, 'b');
  });

  test('options are checked when the fetch is made', () => {
    assert.throws(
      () => createFetch(fakeAuth(), { proxy: 'ftp://p' }),
      /proxy must be an http: or https: URL/,
    );
    assert.throws(() => createFetch(fakeAuth(), { proxyAuth: fakeAuth() }), /need the proxy option/);
    assert.throws(() => createFetch(fakeAuth(), { proxi: 'env' } as never), /did you mean "proxy"/);
    assert.throws(() => createFetch(fakeAuth(), 'x' as never), /fetch function or options/);
  });
});

describe('an https proxy (TLS in front of the scripted proxy)', () => {
  /** An https origin on localhost, its certificate to trust; closed with the test. */
  async function httpsOrigin() {
    const certificate = await makeCertificate('rsa-sha256', 'localhost');
    const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (_req, res) =>
      res.end('secure fine'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `https://localhost:${(server.address() as AddressInfo).port}/`,
      ca: certificate.cert,
      [Symbol.asyncDispose]: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
  /** 407 to the first request, then a tunnel for CONNECT and 'fine' for a forwarded request. */
  const script = [
    () => negotiate407(),
    (seen: { method: string }) => (seen.method === 'CONNECT' ? { status: 200 } : ok()),
  ];

  test('createProxyDispatcher: plain http goes to the proxy over TLS, never tunnelled to it through itself', async () => {
    await using proxy = await ScriptedProxy.start(script);
    await using front = await TlsFront.start(new URL(proxy.url).port);
    const dispatcher = createProxyDispatcher({
      proxy: front.url,
      auth: fakeAuth(),
      proxyTls: { ca: front.ca },
    });
    try {
      const res = await request(`${ORIGIN}/page`, { dispatcher, method: 'POST', body: 'payload' });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'fine');
      assert.deepEqual(
        proxy.requests.map((seen) => `${seen.method} ${seen.target}`),
        [`POST ${ORIGIN}/page`, `POST ${ORIGIN}/page`],
        'absolute-form requests, no CONNECT',
      );
      assert.equal(proxy.requests[1]!.headers['proxy-authorization'], `Negotiate ${b64('tok-1')}`);
    } finally {
      await dispatcher.close();
    }
  });

  test('createProxyDispatcher: https goes through a CONNECT tunnel opened over TLS', async () => {
    await using origin = await httpsOrigin();
    await using proxy = await ScriptedProxy.start(script);
    await using front = await TlsFront.start(new URL(proxy.url).port);
    const dispatcher = createProxyDispatcher({
      proxy: front.url,
      auth: fakeAuth(),
      proxyTls: { ca: front.ca },
      agentOptions: { connect: { ca: origin.ca } },
    });
    try {
      const res = await request(origin.url, { dispatcher });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'secure fine');
      assert.deepEqual(
        proxy.requests.map((seen) => seen.method),
        ['CONNECT', 'CONNECT'],
      );
    } finally {
      await dispatcher.close();
    }
  });

  test('createFetch(auth, { proxy, proxyTls }): plain http and https through the https proxy', async () => {
    await using origin = await httpsOrigin();
    await using proxy = await ScriptedProxy.start(script);
    await using front = await TlsFront.start(new URL(proxy.url).port);
    const fetch = createFetch(fakeAuth(), {
      proxy: front.url,
      proxyTls: { ca: front.ca },
      agentOptions: { connect: { ca: origin.ca }, keepAliveTimeout: 10, keepAliveMaxTimeout: 10 },
    });
    const plain = await fetch(`${ORIGIN}/page`);
    assert.equal(plain.status, 200);
    assert.equal(await plain.text(), 'fine');
    const secure = await fetch(origin.url);
    assert.equal(secure.status, 200);
    assert.equal(await secure.text(), 'secure fine');
    assert.deepEqual(
      proxy.requests.map((seen) => seen.method),
      ['GET', 'GET', 'CONNECT'],
      'plain http forwarded (407, then answered), https tunnelled',
    );
  });

  test('createFetch: proxyTls needs the proxy option', () => {
    assert.throws(() => createFetch(fakeAuth(), { proxyTls: {} }), /need the proxy option/);
    assert.throws(
      () => createFetch(fakeAuth(), { proxy: 'https://p:1', proxyTls: 'x' as never }),
      /proxyTls must be/,
    );
  });
});
