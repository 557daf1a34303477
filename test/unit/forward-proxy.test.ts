import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { ForwardProxy } from '../../src/cli/forward-proxy.js';
import { resolveUpstream } from '../../src/cli/proxy-upstream.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { b64, fakeContextFactory } from '../helpers/fake-context.js';
import { negotiate407, ScriptedProxy } from '../helpers/scripted-proxy.js';

// The local proxy's plain http forwarding against a scripted upstream, with scripted contexts:
// which request carries which token, on which connection, and what the client gets back.

const ORIGIN = 'http://origin.example';
const ok = () => ({ status: 200, headers: { 'x-origin': 'yes' }, body: 'fine' });

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One absolute-form request to the local proxy, as curl or npm sends it. */
function send(
  proxy: ForwardProxy,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: proxy.address.port,
        method: options.method ?? 'GET',
        path: url,
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    request.once('error', reject);
    request.end(options.body);
  });
}

async function localProxy(upstream: ScriptedProxy, auth: HTTPSPNEGOAuth, log: string[] = []) {
  return ForwardProxy.start({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: resolveUpstream(upstream.url, undefined, {}),
    auth,
    log: (line) => log.push(line),
  });
}

describe('http-gssapi proxy: plain http forwarding', () => {
  test('a 407 is answered on a new connection with a fresh token; the body goes again; hop-by-hop fields stay here', async () => {
    await using upstream = await ScriptedProxy.start([() => negotiate407(), ok, ok]);
    const factory = fakeContextFactory({ first: 'tok-1' });
    const log: string[] = [];
    const proxy = await localProxy(upstream, new HTTPSPNEGOAuth({}, { contextFactory: factory }), log);
    try {
      const answer = await send(proxy, `${ORIGIN}/submit?x=1`, {
        method: 'POST',
        body: 'payload',
        headers: {
          'proxy-authorization': 'Basic dXNlcjpwdw==',
          connection: 'x-drop',
          'x-drop': '1',
          'x-keep': '2',
        },
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'fine');
      assert.equal(answer.headers['x-origin'], 'yes');
      const [bare, answered] = upstream.requests;
      assert.equal(bare!.target, `${ORIGIN}/submit?x=1`);
      assert.equal(bare!.headers['host'], 'origin.example');
      assert.equal(
        bare!.headers['proxy-authorization'],
        undefined,
        "the client's Basic credentials are not forwarded",
      );
      assert.equal(bare!.headers['x-drop'], undefined, 'a field Connection names is hop-by-hop');
      assert.equal(bare!.headers['x-keep'], '2');
      assert.equal(answered!.headers['proxy-authorization'], `Negotiate ${b64('tok-1')}`);
      assert.equal(answered!.body, 'payload', 'the body is sent again');
      assert.notEqual(answered!.connection, bare!.connection, 'the token goes on a connection of its own');

      // The upstream is now known to want Negotiate: the next request carries a token from a new
      // context up front, on yet another connection.
      assert.equal((await send(proxy, `${ORIGIN}/next`)).status, 200);
      const third = upstream.requests[2]!;
      assert.equal(third.headers['proxy-authorization'], `Negotiate ${b64('tok-1')}`);
      assert.equal(new Set(upstream.requests.map((r) => r.connection)).size, 3);
      assert.equal(factory.created.length, 2, 'one context per request');
      assert.match(
        log[0]!,
        / POST http:\/\/origin\.example\/submit\?x=1 200 via http:\/\/localhost:\d+ legs=1 \d+ms$/,
      );
      assert.match(log[1]!, / GET http:\/\/origin\.example\/next 200 via \S+ legs=1 \d+ms$/);
    } finally {
      await proxy.close();
    }
  });

  test('a refused token: the client gets a 407 with the reason, no token, and the upstream body is not passed on', async () => {
    await using upstream = await ScriptedProxy.start([() => negotiate407({ body: 'squid error page' })]);
    const log: string[] = [];
    const auth = new HTTPSPNEGOAuth({}, { contextFactory: fakeContextFactory({ first: 'tok-secret-1' }) });
    const proxy = await localProxy(upstream, auth, log);
    try {
      const answer = await send(proxy, `${ORIGIN}/`);
      assert.equal(answer.status, 407);
      assert.ok(answer.headers['x-http-gssapi-reason'], 'a reason header');
      assert.match(answer.body, /^http-gssapi proxy: .+\n$/);
      assert.equal(answer.headers['proxy-authenticate'], undefined);
      const everything = JSON.stringify(answer) + log.join('\n');
      assert.ok(!everything.includes(b64('tok-secret-1')), 'no token in the answer or the log');
      assert.ok(!everything.includes('squid error page'));
      // The bare request, then a token, then (a refused token is not final: at most two 407s are
      // answered, as for a 401) a token from a new context: each on a connection of its own.
      assert.equal(upstream.requests.length, 3);
      assert.equal(new Set(upstream.requests.map((r) => r.connection)).size, 3);
      assert.match(log[0]!, / 407 via \S+ legs=2 \d+ms reason: /);
    } finally {
      await proxy.close();
    }
  });

  test('a 407 without Negotiate: a 407 saying so; an unreachable upstream: a 502', async () => {
    await using upstream = await ScriptedProxy.start([
      () => ({ status: 407, headers: { 'proxy-authenticate': 'Basic realm="corp"' } }),
    ]);
    const auth = new HTTPSPNEGOAuth({}, { contextFactory: fakeContextFactory() });
    const proxy = await localProxy(upstream, auth);
    try {
      const answer = await send(proxy, `${ORIGIN}/`);
      assert.equal(answer.status, 407);
      assert.match(String(answer.headers['x-http-gssapi-reason']), /does not offer Negotiate/);
    } finally {
      await proxy.close();
    }
    const dead = await ForwardProxy.start({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: resolveUpstream('http://127.0.0.1:1', undefined, {}),
      auth,
      log: () => {},
    });
    try {
      const answer = await send(dead, `${ORIGIN}/`);
      assert.equal(answer.status, 502);
      assert.match(String(answer.headers['x-http-gssapi-reason']), /ECONNREFUSED/);
    } finally {
      await dead.close();
    }
  });

  test('an origin-form request (the proxy taken for a server) gets a 400 that says how to use it', async () => {
    await using upstream = await ScriptedProxy.start([ok]);
    const proxy = await localProxy(
      upstream,
      new HTTPSPNEGOAuth({}, { contextFactory: fakeContextFactory() }),
    );
    try {
      const answer = await send(proxy, '/index.html');
      assert.equal(answer.status, 400);
      assert.match(answer.body, /forward proxy/);
      assert.equal(upstream.requests.length, 0);
    } finally {
      await proxy.close();
    }
  });

  test("each forwarded request carries this proxy's Via pseudonym; one that comes back with it gets a 508", async () => {
    await using upstream = await ScriptedProxy.start([ok, ok, ok]);
    const log: string[] = [];
    const proxy = await localProxy(
      upstream,
      new HTTPSPNEGOAuth({}, { contextFactory: fakeContextFactory() }),
      log,
    );
    try {
      assert.equal((await send(proxy, `${ORIGIN}/a`, { headers: { via: '1.0 fred' } })).status, 200);
      const via = upstream.requests[0]!.headers['via']!;
      assert.match(via, /^1\.0 fred, 1\.1 http-gssapi-[0-9a-f]{12}$/, 'appended, RFC 9110 section 7.6.3');
      const looped = await send(proxy, `${ORIGIN}/b`, { headers: { via } });
      assert.equal(looped.status, 508);
      assert.match(looped.body, /already been through this proxy/);
      assert.equal(upstream.requests.length, 1, 'nothing forwarded for it');
      // Another proxy's pseudonym is not ours.
      const other = via.replace(/[0-9a-f]{12}$/, '000000000000');
      assert.equal((await send(proxy, `${ORIGIN}/c`, { headers: { via: other } })).status, 200);
      assert.match(log[1]!, / GET http:\/\/origin\.example\/b 508 direct legs=0 \d+ms reason: /);
    } finally {
      await proxy.close();
    }
  });
});
