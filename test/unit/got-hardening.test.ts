import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import got, { MaxRedirectsError, RequestError } from 'got';
import { negotiateGot } from '../../src/adapters/got.js';
import { DISABLED, REQUIRED } from '../../src/core/options.js';
import { fakeAuth, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { challenge, type Handler, ok, redirect } from '../helpers/scripted-server.js';

// got keeps its options (headers included) on every response and error, and counts redirects per
// attempt: what the Negotiate hooks must add so that neither leaks nor loops.

const server = useScriptedServer();
/** The token of the fake context, as a header would carry it (base64 of `tok-1@HTTP@localhost`). */
const TOKEN64 = Buffer.from('tok-1@HTTP@localhost').toString('base64');

/** Every way a log might print an error, at full depth. */
function printed(value: unknown): string {
  return [
    inspect(value, { depth: Number.POSITIVE_INFINITY }),
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: false, getters: true }),
    JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
  ].join('\n');
}

/** A 302 to the same path for a request with a token, a Negotiate 401 for one without. */
const loop: Handler = (r) => (r.authorization ? redirect(r.path)(r) : challenge()(r));

describe('got hardening', () => {
  test('a 401 -> 302 loop stops at maxRedirects, counted across the resends after each 401', {
    timeout: 30_000,
  }, async () => {
    const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
    const client = got.extend(negotiateGot(auth), { maxRedirects: 3, retry: { limit: 0 } });
    server().script(loop);
    await assert.rejects(client(server().url('/a')), MaxRedirectsError);
    // 4 rounds of (bare 401, token 302): the 4th redirect is one too many.
    assert.equal(server().requests.length, 8);
  });

  test('the loop stops too when the resend counts as a got retry (retry limit left at its default)', {
    timeout: 30_000,
  }, async () => {
    const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
    const client = got.extend(negotiateGot(auth), { maxRedirects: 2 });
    server().script(loop);
    await assert.rejects(client(server().url('/a')), (e: unknown) => e instanceof RequestError);
    assert.ok(server().requests.length <= 8, `${server().requests.length} requests`);
  });

  test('no token in a printed 401 error, mutual-authentication error or redirect error', async () => {
    const { auth } = fakeAuth({ mutualAuthentication: REQUIRED });
    const client = got.extend(negotiateGot(auth), { retry: { limit: 0 }, maxRedirects: 1 });
    const cases: Handler[][] = [
      [challenge(), challenge(), challenge(), challenge()],
      [challenge(), ok('forged')],
      [loop],
    ];
    for (const script of cases) {
      server().script(...script);
      const error = await client(server().url('/x')).catch((e: unknown) => e);
      assert.ok(error instanceof RequestError, String(error));
      const text = printed(error);
      assert.ok(!text.includes(TOKEN64), `token printed:\n${text}`);
      assert.ok(!text.includes('tok-1'), 'no token text');
      assert.ok(
        server().requests.some((r) => r.authorization?.includes(TOKEN64)),
        'a token was sent',
      );
    }
  });

  test('no token left on the options of a successful response', async () => {
    const { auth } = fakeAuth({ mutualAuthentication: REQUIRED });
    const client = got.extend(negotiateGot(auth));
    server().script(challenge(), ok());
    const res = await client(server().url());
    assert.equal(res.statusCode, 200);
    assert.ok(!printed(res.request.options).includes(TOKEN64));
    assert.equal(res.request.options.headers.authorization, undefined);
  });
});

describe('got: contexts released on transport failures', () => {
  let resetting: Server;
  let port = 0;
  before(async () => {
    // A 401 to a bare request; the authenticated leg gets a reset, or bytes that are not HTTP.
    resetting = createServer();
    resetting.on('connection', (socket) => {
      socket.once('data', (chunk) => {
        const request = chunk.toString();
        if (!/authorization: Negotiate/i.test(request)) {
          socket.end(
            'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
          );
        } else if (request.startsWith('GET /reset')) {
          socket.resetAndDestroy();
        } else {
          socket.end('NOT HTTP AT ALL\r\n\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    port = (resetting.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => resetting.close(() => resolve())));

  for (const path of ['/reset', '/garbage']) {
    test(`${path}: every context made is disposed when the call fails`, async () => {
      const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED });
      const client = got.extend(negotiateGot(auth), { retry: { limit: 1, backoffLimit: 1 } });
      for (let i = 0; i < 5; i++) {
        const error = await client(`http://localhost:${port}${path}`).catch((e: unknown) => e);
        assert.ok(error instanceof RequestError, String(error));
        assert.ok(!printed(error).includes(TOKEN64));
      }
      assert.ok(factory.created.length >= 5);
      assert.equal(factory.disposed, factory.created.length, 'no context left to the garbage collector');
    });
  }
});
