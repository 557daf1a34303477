import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import got, { HTTPError } from 'got';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { SPNEGOExchangeError } from '../../src/core/errors.js';
import { DISABLED } from '../../src/core/options.js';
import { gotDriver } from '../helpers/adapter-drivers.js';
import { fakeAuth, runUnitTable, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { challenge, echo, ok, redirect, tokenText } from '../helpers/scripted-server.js';

// The createFetch behavior table through got.extend(negotiateGot()), then what is got's own:
// its retries, throwHttpErrors, json and generator bodies, the stream API, beforeRetry.

runUnitTable(gotDriver);

const server = useScriptedServer();
const auths = () => server().requests.map((r) => tokenText(r.authorization));
const TOKEN = 'tok-1@HTTP@localhost';
/** got's request function, with https URLs sent in clear to the scripted server (no TLS in unit tests). */
const clearHttps = ((url: URL, options: object) =>
  httpRequest(new URL(url.href.replace(/^https:/, 'http:')), options)) as never;

describe('got: its own retries and options', () => {
  // got counts a retryWithMergedOptions resend as one of its retries: limit 2 leaves one for the 503.
  test('a got retry (503) gets a token from a fresh context, never the previous one again', async () => {
    const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED });
    const client = got.extend(negotiateGot(auth), { retry: { limit: 2, backoffLimit: 1 } });
    server().script(challenge(), () => ({ status: 503 }), challenge(), ok());
    const res = await client(server().url());
    assert.equal(res.statusCode, 200);
    assert.deepEqual(auths(), [null, TOKEN, null, TOKEN]);
    assert.equal(factory.created.length, 2, 'one context per token sent');
  });

  test('with learned preemption the retry carries a new token up front', async () => {
    const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED, learnedPreemption: true });
    const client = got.extend(negotiateGot(auth), { retry: { limit: 2, backoffLimit: 1 } });
    server().script(challenge(), () => ({ status: 503 }), ok());
    await client(server().url());
    assert.deepEqual(auths(), [null, TOKEN, TOKEN]);
    assert.equal(factory.created.length, 2);
  });

  test('throwHttpErrors: false resolves with the 401, the reason on negotiateErrorOf', async () => {
    const { auth } = fakeAuth({}, { failFirst: new Error('no ccache') });
    const client = got.extend(negotiateGot(auth), { throwHttpErrors: false });
    server().script(challenge());
    const res = await client(server().url());
    assert.equal(res.statusCode, 401);
    assert.ok(negotiateErrorOf(res) instanceof SPNEGOExchangeError);
  });

  test('json and generator bodies are sent again whole', async () => {
    const { auth } = fakeAuth();
    const client = got.extend(negotiateGot(auth));
    server().script(challenge(), echo);
    await client.post(server().url(), { json: { a: 1 } });
    assert.deepEqual(
      server().requests.map((r) => r.body),
      ['{"a":1}', '{"a":1}'],
    );
    server().script(challenge(), echo);
    await client.post(server().url(), {
      body: (function* () {
        yield 'ab';
        yield 'cd';
      })(),
    });
    assert.deepEqual(
      server().requests.map((r) => [r.body, r.headers['content-length']]),
      [
        ['abcd', '4'],
        ['abcd', '4'],
      ],
    );
  });

  test('a streamed body is sent again whole to a server that answers while it reads', async () => {
    // got 15 and 16 destroy a request whose Buffer body is still being written when the response
    // begins, cutting the response short: the buffered body must not be handed back as a Buffer.
    const { auth } = fakeAuth({ mutualAuthentication: DISABLED, maxReplayBodySize: 4_000_000 });
    const echoing = createServer((req, res) => {
      if (!req.headers.authorization) {
        req.resume();
        res.writeHead(401, { 'www-authenticate': 'Negotiate' }).end();
        return;
      }
      res.writeHead(200, { 'content-length': req.headers['content-length'] });
      req.pipe(res);
    });
    await new Promise<void>((resolve) => echoing.listen(0, '127.0.0.1', resolve));
    try {
      const client = got.extend(negotiateGot(auth), { retry: { limit: 0 } });
      const size = 1_000_000;
      const url = `http://127.0.0.1:${(echoing.address() as AddressInfo).port}/`;
      for (let i = 0; i < 5; i++) {
        const res = await client.post(url, {
          body: Readable.from([Buffer.alloc(size / 2, 1), Buffer.alloc(size / 2, 2)]),
          responseType: 'buffer',
        });
        assert.equal(res.body.byteLength, size);
        assert.equal(res.body[size - 1], 2);
      }
    } finally {
      echoing.close();
    }
  });

  test('beforeRetry hooks see the Negotiate resend, as got documents for retryWithMergedOptions', async () => {
    const retries: string[] = [];
    const client = got.extend(negotiateGot(fakeAuth().auth), {
      hooks: { beforeRetry: [(error) => void retries.push(error.name)] },
    });
    server().script(challenge(), ok());
    await client(server().url());
    assert.deepEqual(retries, ['RetryError']);
  });

  test('got.stream() requests are left alone (got runs no afterResponse hook for streams)', async () => {
    const { auth, factory } = fakeAuth({ opportunisticAuth: true });
    const client = got.extend(negotiateGot(auth));
    server().script(challenge());
    const error = await new Promise<unknown>((resolve) => {
      const stream = client.stream(server().url());
      stream.on('error', resolve);
      stream.resume();
    });
    assert.ok(error instanceof HTTPError);
    assert.deepEqual(auths(), [null]);
    assert.equal(factory.created.length, 0);
  });

  test('a request that started over https gets no token on a plain http hop', async () => {
    // No TLS in unit tests: an https URL reaches the scripted server in clear, with no certificate to bind to.
    const { auth, factory } = fakeAuth({
      mutualAuthentication: DISABLED,
      opportunisticAuth: true,
      channelBindings: false,
    });
    const client = got.extend(negotiateGot(auth), {
      retry: { limit: 0 },
      throwHttpErrors: false,
      request: clearHttps,
    });
    server().script(redirect(server().url('/b')), challenge());
    const res = await client(
      server()
        .url('/a')
        .replace(/^http:/, 'https:'),
    );
    assert.equal(res.statusCode, 401);
    assert.deepEqual(
      server().requests.map((r) => [r.path, tokenText(r.authorization)]),
      [
        ['/a', TOKEN],
        ['/b', null],
      ],
    );
    assert.equal(factory.created.length, 1, 'no token made for the http hop');
    assert.match(negotiateErrorOf(res)?.message ?? '', /started over https and was redirected to plain http/);
  });

  test("the caller's credentials do not follow an https -> http redirect of the same host", async () => {
    const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
    const client = got.extend(negotiateGot(auth), {
      retry: { limit: 0 },
      request: clearHttps,
    });
    server().script(redirect(server().url('/b')), ok(null));
    await client(
      server()
        .url('/a')
        .replace(/^http:/, 'https:'),
      {
        headers: { authorization: 'Bearer xyz', cookie: 'session=1' },
      },
    );
    assert.deepEqual(
      server().requests.map((r) => [r.path, r.authorization, r.cookie]),
      [
        ['/a', 'Bearer xyz', 'session=1'],
        ['/b', null, null],
      ],
    );
    server().script(redirect(server().url('/b')), ok(null));
    await client(
      server()
        .url('/a')
        .replace(/^http:/, 'https:'),
      { username: 'u', password: 'p' },
    );
    assert.match(server().requests[0]!.authorization ?? '', /^Basic /);
    assert.equal(server().requests[1]!.authorization, null);
  });

  test('bad arguments are TypeErrors', () => {
    assert.throws(() => negotiateGot({} as never), /auth/);
  });
});
