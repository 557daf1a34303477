import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import axios, { type AxiosAdapter, type AxiosError } from 'axios';
import {
  ejectNegotiate,
  negotiateAdapter,
  negotiateLegsOf,
  withNegotiate,
} from '../../src/adapters/axios/index.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { SPNEGOExchangeError } from '../../src/core/errors.js';
import { DISABLED } from '../../src/core/options.js';
import { axiosDriver } from '../helpers/adapter-drivers.js';
import { fakeAuth, runUnitTable, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { challenge, ok, redirect, tokenText } from '../helpers/scripted-server.js';

// The createFetch behavior table through withNegotiate, then what is axios's own: installing and
// ejecting, the legs on the request config, validateStatus, maxRedirects, beforeRedirect, the
// fetch adapter, and keeping the token out of what gets logged.

runUnitTable(axiosDriver);

const server = useScriptedServer();
const TOKEN = `Negotiate ${Buffer.from('tok-1@HTTP@localhost').toString('base64')}`;

/** axios's http adapter, with https URLs sent in clear to the scripted server (no TLS in unit tests). */
const clearHttps: AxiosAdapter = (config) =>
  axios.getAdapter('http')({ ...config, url: String(config.url).replace(/^https:/, 'http:') });

describe('axios: installing', () => {
  test('withNegotiate returns the instance; ejectNegotiate removes it', async () => {
    const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED });
    const instance = axios.create();
    assert.equal(withNegotiate(instance, auth), instance);
    withNegotiate(instance, auth); // again: replaces, does not stack
    server().script(challenge(), ok());
    assert.equal((await instance.get(server().url())).status, 200);
    assert.equal(factory.created.length, 1);
    assert.equal(ejectNegotiate(instance), true);
    assert.equal(ejectNegotiate(instance), false);
    server().script(challenge());
    await assert.rejects(instance.get(server().url()), (e: AxiosError) => e.response?.status === 401);
    assert.equal(server().requests.length, 1, 'no longer answered');
  });

  test('bad arguments are TypeErrors naming them', () => {
    assert.throws(() => withNegotiate({} as never), /instance/);
    assert.throws(() => withNegotiate(axios.create(), {} as never), /auth/);
    assert.throws(() => negotiateAdapter(fakeAuth().auth, negotiateAdapter(fakeAuth().auth)), /base/);
  });

  test('negotiateAdapter works as the adapter option, with no interceptor', async () => {
    const { auth } = fakeAuth();
    const client = axios.create({ adapter: negotiateAdapter(auth) });
    server().script(challenge(), ok());
    assert.equal((await client.get(server().url())).data, 'payload');
  });
});

describe('axios: the request config', () => {
  test('legs are kept on the config, never in a header; no token in config or logs', async () => {
    const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
    const client = withNegotiate(axios.create(), auth);
    server().script(challenge(), ok());
    const res = await client.get(server().url('/p'));
    assert.deepEqual(negotiateLegsOf(res.config), [
      { url: server().url('/p'), method: 'GET', status: 401, negotiate: false },
      { url: server().url('/p'), method: 'GET', status: 200, negotiate: true },
    ]);
    assert.equal(res.config.headers.has('authorization'), false);
    assert.ok(!inspect(res, { depth: 6 }).includes(TOKEN.slice(10)), 'a logged response shows no token');

    server().script(challenge());
    const error = (await client.get(server().url()).catch((e: unknown) => e)) as AxiosError;
    assert.equal(
      error.config?.headers.has('authorization'),
      false,
      'a retry of error.config sends no stale token',
    );
    assert.equal(negotiateLegsOf(error.config)?.length, 3);
    assert.ok(!inspect(error, { depth: 6 }).includes(TOKEN.slice(10)), 'a logged error shows no token');
    assert.ok(!JSON.stringify(error.toJSON()).includes(TOKEN.slice(10)));
    assert.ok(error.request, 'the node request is still there');
  });

  test('a validateStatus that accepts 401 resolves with it, the reason on negotiateErrorOf', async () => {
    const { auth } = fakeAuth({}, { failFirst: new Error('no ccache') });
    const client = withNegotiate(axios.create({ validateStatus: () => true }), auth);
    server().script(challenge());
    const res = await client.get(server().url());
    assert.equal(res.status, 401);
    assert.ok(negotiateErrorOf(res) instanceof SPNEGOExchangeError);
  });

  test('the auth option (Basic) is the caller’s: left alone, and dropped on another origin', async () => {
    const { auth, factory } = fakeAuth();
    const client = withNegotiate(axios.create(), auth);
    server().script(redirect(server().otherHost('/x')), ok());
    await client.get(server().url(), { auth: { username: 'u', password: 'p' } });
    assert.match(server().requests[0]!.authorization ?? '', /^Basic /);
    assert.equal(server().requests[1]!.authorization, null);
    assert.equal(factory.created.length, 0, 'no Negotiate for a request with its own credentials');
  });
});

describe('axios: the URL the token is made for is the URL the request goes to', () => {
  test('allowAbsoluteUrls: false joins an absolute url to baseURL, even through an adapter that ignores it', async () => {
    const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED, opportunisticAuth: true });
    // As axios 1.8.0 and 1.8.1 did: the option honored by getUri, not by the adapter.
    const ignoresOption: AxiosAdapter = (config) =>
      axios.getAdapter('http')({ ...config, allowAbsoluteUrls: true });
    const client = axios.create({
      adapter: negotiateAdapter(auth, ignoresOption),
      baseURL: server().url('/api'),
      allowAbsoluteUrls: false,
      validateStatus: () => true,
    });
    server().script(ok(null));
    await client.get(server().otherHost('/x'));
    assert.equal(server().toOtherHost.length, 0, 'the request stays on the baseURL host');
    assert.deepEqual(
      server().requests.map((r) => [r.path, r.authorization === TOKEN]),
      [[`/api/${server().otherHost('/x')}`, true]],
    );
    assert.equal(factory.created[0]!.target, 'HTTP@localhost');
  });

  test('a url starting with // is not joined to baseURL by axios, and is refused before sending', async () => {
    const { auth, factory } = fakeAuth({ opportunisticAuth: true });
    const client = withNegotiate(axios.create({ baseURL: server().url('/api') }), auth);
    server().script(ok(null));
    await assert.rejects(client.get('//127.0.0.1/x'), TypeError);
    assert.equal(server().requests.length, 0);
    assert.equal(factory.created.length, 0);
  });
});

describe('axios: redirects', () => {
  test('maxRedirects 0 returns the redirect; a loop stops at maxRedirects', async () => {
    const client = withNegotiate(axios.create({ validateStatus: () => true }), fakeAuth().auth);
    server().script(redirect('/x'));
    assert.equal((await client.get(server().url(), { maxRedirects: 0 })).status, 302);
    assert.equal(server().requests.length, 1);
    server().script(redirect('/again'));
    await assert.rejects(client.get(server().url(), { maxRedirects: 2 }), {
      code: 'ERR_FR_TOO_MANY_REDIRECTS',
    });
    assert.equal(server().requests.length, 3);
  });

  test('beforeRedirect is called per hop and may change the next hop’s headers', async () => {
    const seen: string[] = [];
    const client = withNegotiate(axios.create(), fakeAuth({ mutualAuthentication: DISABLED }).auth);
    server().script(redirect('/b'), ok());
    await client.get(server().url('/a'), {
      beforeRedirect: (options, response) => {
        seen.push(`${response.statusCode} ${options['href']}`);
        options['headers']['x-hop'] = '2';
      },
      headers: { 'x-trace': '1' },
    });
    assert.deepEqual(seen, [`302 ${server().url('/b')}`]);
    assert.equal(server().requests[1]!.headers['x-hop'], '2');
    assert.equal(server().requests[1]!.headers['x-trace'], '1');
  });

  test('a request that started over https gets no token on a plain http hop', async () => {
    // No TLS in unit tests: an https URL reaches the scripted server in clear, with no certificate to bind to.
    const { auth, factory } = fakeAuth({
      mutualAuthentication: DISABLED,
      opportunisticAuth: true,
      channelBindings: false,
    });
    const client = axios.create({ adapter: negotiateAdapter(auth, clearHttps), validateStatus: () => true });
    server().script(redirect(server().url('/b')), challenge());
    const res = await client.get(
      server()
        .url('/a')
        .replace(/^http:/, 'https:'),
    );
    assert.equal(res.status, 401);
    assert.deepEqual(
      server().requests.map((r) => [r.path, r.authorization === TOKEN]),
      [
        ['/a', true],
        ['/b', false],
      ],
    );
    assert.equal(server().requests[1]!.authorization, null);
    assert.equal(factory.created.length, 1, 'no token made for the http hop');
    assert.match(negotiateErrorOf(res)?.message ?? '', /started over https and was redirected to plain http/);
  });

  test('with adapter fetch, redirects are still followed here, a fresh token per hop', async () => {
    const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED });
    const client = withNegotiate(axios.create({ adapter: 'fetch', responseType: 'text' }), auth);
    server().script(challenge(), redirect('/b'), challenge(), ok());
    const res = await client.get(server().url('/a'));
    assert.equal(res.data, 'payload');
    assert.deepEqual(
      server().requests.map((r) => [r.path, r.authorization === TOKEN]),
      [
        ['/a', false],
        ['/a', true],
        ['/b', false],
        ['/b', true],
      ],
    );
    assert.equal(factory.created.length, 2);
  });
});

describe('axios: other routes and response types', () => {
  test("the adapter: 'fetch' route with env.fetch = createFetch(auth) authenticates too", async () => {
    const { auth } = fakeAuth();
    const client = axios.create({
      adapter: 'fetch',
      env: { fetch: createFetch(auth) },
      responseType: 'text',
    });
    server().script(challenge(), ok());
    const res = await client.get(server().url());
    assert.equal(res.data, 'payload');
    assert.equal(tokenText(server().requests[1]!.authorization), 'tok-1@HTTP@localhost');
  });

  test('responseType stream: a sanitized error response has an empty stream body', async () => {
    const { auth } = fakeAuth();
    const client = withNegotiate(axios.create({ responseType: 'stream', validateStatus: () => true }), auth);
    server().script(challenge(), ok(null, 500, { 'x-secret': 'internal' }));
    const res = await client.get(server().url());
    assert.equal(res.status, 500);
    assert.ok(res.data instanceof Readable);
    assert.equal((await res.data.toArray()).length, 0);
    assert.equal(res.headers['x-secret'], undefined);
  });
});

describe('axios: Unix sockets', () => {
  test('a socketPath request with a path-only url is answered, as HTTP@localhost (as axios reads it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-sock-'));
    const socketPath = join(dir, 's.sock');
    const seen: (string | null)[] = [];
    const unix = createServer((req, res) => {
      seen.push(req.headers.authorization ?? null);
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Negotiate' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('over the socket');
      }
    });
    unix.listen(socketPath);
    await once(unix, 'listening');
    try {
      const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED });
      const client = withNegotiate(axios.create(), auth);
      const res = await client.get('/containers/json', { socketPath });
      assert.equal(res.status, 200);
      assert.equal(res.data, 'over the socket');
      assert.equal(factory.created[0]?.target, 'HTTP@localhost');
      assert.deepEqual(
        seen.map((a) => a !== null),
        [false, true],
      );
    } finally {
      unix.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
