import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ky from 'ky';
import { negotiateKy } from '../../src/adapters/ky.js';
import { negotiateErrorOf, reportExchangeError } from '../../src/core/error-report.js';
import { MutualAuthenticationError, SPNEGOExchangeError } from '../../src/core/errors.js';
import { kyDriver } from '../helpers/adapter-drivers.js';
import { fakeAuth, runUnitTable, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { kyMajor } from '../helpers/client-majors.js';
import { challenge, echo, ok, tokenText } from '../helpers/scripted-server.js';

// The createFetch behavior table through ky.create(negotiateKy()), then what is ky's own: its
// retries of thrown errors, throwHttpErrors, the URL prefix (prefixUrl in ky 1, prefix in ky 2) and json, a base fetch of your own.

runUnitTable(kyDriver);

const server = useScriptedServer();

describe('ky: its own retries and options', () => {
  test('a mutual authentication failure on a GET is not retried by ky', async () => {
    const client = ky.create({ ...negotiateKy(fakeAuth().auth), retry: { limit: 2 } });
    server().script(challenge(), ok(null));
    await assert.rejects(client.get(server().url()), MutualAuthenticationError);
    assert.equal(server().requests.length, 2, 'the bare request and the authenticated one, once');
  });

  test('throwHttpErrors: false resolves with the 401, the reason on negotiateErrorOf', async () => {
    const { auth } = fakeAuth({}, { failFirst: new Error('no ccache') });
    const client = ky.create({ ...negotiateKy(auth), throwHttpErrors: false });
    server().script(challenge());
    const res = await client.get(server().url());
    assert.equal(res.status, 401);
    assert.ok(negotiateErrorOf(res) instanceof SPNEGOExchangeError);
  });

  test('a URL prefix and a json body: the body is sent again whole', async () => {
    // ky 2 renamed prefixUrl to prefix (and throws on the old name).
    const prefix = kyMajor >= 2 ? { prefix: server().url('/api') } : { prefixUrl: server().url('/api') };
    const client = ky.create({ ...negotiateKy(fakeAuth().auth), ...(prefix as object) });
    server().script(challenge(), echo);
    const data = await client.post('items', { json: { a: 1 } }).json<{ path: string; body: string }>();
    assert.deepEqual(data, { method: 'POST', path: '/api/items', body: '{"a":1}' });
    assert.deepEqual(
      server().requests.map((r) => r.body),
      ['{"a":1}', '{"a":1}'],
    );
  });

  test('a base fetch of your own sends each request', async () => {
    const seen: string[] = [];
    const base: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization') ?? 'bare');
      return fetch(input, init);
    };
    const client = ky.create(negotiateKy(fakeAuth().auth, base));
    server().script(challenge(), ok());
    await client.get(server().url());
    assert.deepEqual(
      seen.map((a) => (a === 'bare' ? a : tokenText(a))),
      ['bare', 'tok-1@HTTP@localhost'],
    );
  });

  test("beforeError takes ky 1's error and ky 2's state object alike", async () => {
    // Whichever ky runs here, both shapes are fed to the hook directly; the ky 2 leg of CI
    // (scripts/test-adapters-on.sh) runs the whole table through ky 2 itself.
    const hook = negotiateKy(fakeAuth().auth).hooks!.beforeError![0] as unknown as (arg: unknown) => Error;
    const reason = new SPNEGOExchangeError('no ticket');
    for (const wrap of [
      (e: Error) => e,
      (e: Error) => ({ error: e, request: null, options: {}, retryCount: 0 }),
    ]) {
      const response = new Response(null, { status: 401 });
      reportExchangeError(reason, new URL('http://localhost/'), [response], undefined);
      const error = Object.assign(new Error('Request failed with status code 401'), { response });
      assert.equal(hook(wrap(error)), error, 'the same error comes back');
      assert.equal(error.cause, reason, 'its cause is the reason');
      const other = new Error('not an HTTP error');
      assert.equal(hook(wrap(other)), other);
      assert.equal(other.cause, undefined, 'an error without a response is left alone');
    }
  });
});
