import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { ProxyRefusedError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { ContextFlag } from '../../src/gssapi/index.js';
import { openConnectTunnel } from '../../src/proxy/connect-tunnel.js';
import { b64, fakeContextFactory } from '../helpers/fake-context.js';
import { negotiate407, type ProxyScript, ScriptedProxy } from '../helpers/scripted-proxy.js';

// openConnectTunnel against a scripted proxy: the 407 legs of RFC 4559 applied to CONNECT, which
// connection each leg goes on, and what comes back when the proxy refuses.

let echo: net.Server;
let echoPort = 0;

before(async () => {
  echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
});
after(() => new Promise<void>((resolve) => echo.close(() => resolve())));

const ok: ProxyScript = () => ({ status: 200 });

function fakeAuth(options: ConstructorParameters<typeof HTTPSPNEGOAuth>[0] = {}) {
  const factory = fakeContextFactory();
  return { auth: new HTTPSPNEGOAuth(options, { contextFactory: factory }), factory };
}

/** Writes `text` and reads until `expected` has come (the echo server sends it back). */
async function roundTrip(socket: net.Socket, text: string, expected = text): Promise<string> {
  socket.write(text);
  let seen = '';
  for await (const chunk of socket) {
    seen += String(chunk);
    if (seen.length >= expected.length) break;
  }
  socket.destroy();
  return seen;
}

describe('openConnectTunnel', () => {
  test('a bare CONNECT, the 407, then the token on the same connection; the tunnel carries bytes', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407(), ok]);
    const { auth, factory } = fakeAuth();
    const socket = await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth });
    assert.equal(await roundTrip(socket, 'ping'), 'ping');
    assert.deepEqual(
      proxy.requests.map((r) => [r.connection, r.method, r.target, r.headers['proxy-authorization'] ?? null]),
      [
        [1, 'CONNECT', `127.0.0.1:${echoPort}`, null],
        [1, 'CONNECT', `127.0.0.1:${echoPort}`, `Negotiate ${b64('tok-1')}`],
      ],
    );
    assert.equal(proxy.requests[1]!.headers['host'], `127.0.0.1:${echoPort}`);
    assert.equal(
      proxy.requests[0]!.headers['connection'],
      'keep-alive',
      'so that a 407 keeps the connection',
    );
    assert.equal(factory.created[0]!.target, 'HTTP@localhost', "the proxy's own service name");
    assert.equal(factory.disposed, 1);
  });

  test('a proxy known to want Negotiate gets a token up front (learned preemption)', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407(), ok]);
    const { auth } = fakeAuth();
    (await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth })).destroy();
    (await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth })).destroy();
    assert.equal(proxy.requests.length, 3);
    assert.match(proxy.requests[2]!.headers['proxy-authorization'] ?? '', /^Negotiate /);
  });

  test('a 407 with Connection: close: the token goes on a new connection', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407({ close: true }), ok]);
    const { auth } = fakeAuth();
    (await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth })).destroy();
    assert.deepEqual(
      proxy.requests.map((r) => r.connection),
      [1, 2],
    );
  });

  test('a refused token: a fresh one on a new connection (squid refuses every later token on the old), then the 407 back with the reason', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407()]);
    const { auth, factory } = fakeAuth();
    const error = await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth }).then(
      () => assert.fail('the tunnel opened'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ProxyRefusedError);
    assert.equal(error.code, 'ERR_PROXY_REFUSED');
    assert.equal(error.status, 407);
    assert.equal(error.target, `127.0.0.1:${echoPort}`);
    assert.equal(negotiateErrorOf(error)?.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(error.cause, negotiateErrorOf(error));
    assert.match(String(negotiateErrorOf(error)?.message), /3 Negotiate challenges/);
    // Bare, then two tokens, each on its own connection once a token was refused.
    assert.deepEqual(
      proxy.requests.map((r) => [r.connection, r.headers['proxy-authorization'] !== undefined]),
      [
        [1, false],
        [1, true],
        [2, true],
      ],
    );
    assert.equal(factory.created.length, 2, 'a fresh context per token');
    assert.ok(!JSON.stringify(error).includes(b64('tok-1')), 'no token in the error');
  });

  test('a 407 without Negotiate is not answered: the refusal names the scheme, no exchange error', async () => {
    await using proxy = await ScriptedProxy.start([
      () => ({ status: 407, headers: { 'proxy-authenticate': 'Basic realm="corp"' } }),
    ]);
    const { auth, factory } = fakeAuth();
    const error = (await openConnectTunnel({
      proxy: proxy.url,
      host: '127.0.0.1',
      port: echoPort,
      auth,
    }).catch((e: unknown) => e)) as ProxyRefusedError;
    assert.ok(error instanceof ProxyRefusedError);
    assert.equal(error.status, 407);
    assert.equal(error.cause, undefined);
    assert.equal(negotiateErrorOf(error), undefined);
    assert.match(error.hint ?? '', /does not offer Negotiate/);
    assert.equal(proxy.requests.length, 1);
    assert.equal(factory.created.length, 0);
  });

  test('a 403 of the proxy rules is a refusal with its status', async () => {
    await using proxy = await ScriptedProxy.start([() => ({ status: 403, body: 'denied' })]);
    const { auth } = fakeAuth();
    const error = (await openConnectTunnel({ proxy: proxy.url, host: 'example.org', port: 443, auth }).catch(
      (e: unknown) => e,
    )) as ProxyRefusedError;
    assert.equal(error.status, 403);
    assert.equal(error.target, 'example.org:443');
  });

  test('bytes the tunnel delivers with the 2xx answer are kept', async () => {
    await using proxy = await ScriptedProxy.start([() => ({ status: 200, early: 'early:' })]);
    const { auth } = fakeAuth();
    const socket = await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth });
    assert.equal(await roundTrip(socket, 'rest', 'early:rest'), 'early:rest');
  });

  test('mutual authentication REQUIRED is not asked of the proxy (no final token needed)', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407(), ok]);
    const { auth } = fakeAuth({ mutualAuthentication: 'required' });
    (await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth })).destroy();
    assert.equal(proxy.requests.length, 2);
  });

  test('delegate: true is for the origin: the proxy leg asks for no delegation', async () => {
    await using proxy = await ScriptedProxy.start([() => negotiate407(), ok]);
    const { auth, factory } = fakeAuth({ delegate: true });
    (await openConnectTunnel({ proxy: proxy.url, host: '127.0.0.1', port: echoPort, auth })).destroy();
    const flags = factory.created[0]!.flags;
    assert.equal(flags & (ContextFlag.DELEG | ContextFlag.DELEG_POLICY), 0);
  });

  test('a proxy that cannot be reached: a refusal with status 0', async () => {
    const unused = net.createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const port = (unused.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => unused.close(() => resolve()));
    const error = (await openConnectTunnel({
      proxy: `http://127.0.0.1:${port}`,
      host: 'example.org',
      port: 443,
      auth: fakeAuth().auth,
    }).catch((e: unknown) => e)) as ProxyRefusedError;
    assert.ok(error instanceof ProxyRefusedError);
    assert.equal(error.status, 0);
  });

  test('an abort ends the attempt with the signal reason', async () => {
    // A proxy that never answers.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const controller = new AbortController();
    const pending = openConnectTunnel({
      proxy: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
      host: 'example.org',
      port: 443,
      auth: fakeAuth().auth,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('gave up')), 20);
    await assert.rejects(pending, /gave up/);
    silent.close();
  });

  test('a proxy that never answers: the timeout ends it with a refusal of status 0', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const error = (await openConnectTunnel({
        proxy: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
        host: 'example.org',
        port: 443,
        auth: fakeAuth().auth,
        timeout: 50,
      }).catch((e: unknown) => e)) as ProxyRefusedError;
      assert.ok(error instanceof ProxyRefusedError);
      assert.equal(error.status, 0);
      assert.match(error.message, /did not open a tunnel within 50 ms/);
    } finally {
      silent.close();
    }
  });

  test('bad options are TypeErrors naming them', async () => {
    const { auth } = fakeAuth();
    await assert.rejects(
      openConnectTunnel({ proxy: 'ftp://proxy', host: 'a', port: 1, auth }),
      /http: or https:/,
    );
    await assert.rejects(
      openConnectTunnel({ proxy: 'http://user:pw@proxy:3128', host: 'a', port: 1, auth }),
      /user name or password/,
    );
    await assert.rejects(
      openConnectTunnel({ proxy: 'http://proxy', host: 'a b', port: 1, auth }),
      /host must be/,
    );
    await assert.rejects(
      openConnectTunnel({ proxy: 'http://proxy', host: 'a', port: 0, auth }),
      /port must be/,
    );
    await assert.rejects(
      openConnectTunnel({ proxy: 'http://proxy', host: 'a', port: 1, auth, retries: 5 } as never),
      /unknown openConnectTunnel option "retries"/,
    );
    await assert.rejects(
      openConnectTunnel({
        proxy: 'http://proxy',
        host: 'a',
        port: 1,
        auth: new HTTPSPNEGOAuth({ targetName: 'HTTP@origin.example' }),
      }),
      /service targetName/,
    );
  });
});
