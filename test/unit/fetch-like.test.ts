import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fetch as undiciFetch } from 'undici';
import { createFetch } from '../../src/adapters/fetch.js';
import type { FetchLike } from '../../src/adapters/fetch-like.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import { fakeAuth, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { challenge, echo, tokenText } from '../helpers/scripted-server.js';

// createFetch and negotiateKy take any fetch-compatible function: undici's fetch type-checks
// (its Request, RequestInit and FormData types are not @types/node's) and runs the whole
// exchange, body replay included.

const server = useScriptedServer();

test("undici's fetch as the base fetch: the 401 answered, the body sent again", async () => {
  const fetch = createFetch(fakeAuth().auth, undiciFetch);
  server().script(challenge(), echo);
  const res = await fetch(server().url('/items'), { method: 'POST', body: 'payload' });
  assert.equal(res.status, 200);
  assert.deepEqual(
    server().requests.map((r) => [tokenText(r.authorization), r.body]),
    [
      [null, 'payload'],
      ['tok-1@HTTP@localhost', 'payload'],
    ],
  );
});

test('a FetchLike is what negotiateKy takes too; something that is not a fetch is refused', () => {
  const base: FetchLike = undiciFetch;
  assert.equal(typeof negotiateKy(fakeAuth().auth, base).fetch, 'function');
  // @ts-expect-error a function of a number is not a fetch
  const notFetch: FetchLike = (n: number) => Promise.resolve(new Response(String(n)));
  assert.equal(typeof notFetch, 'function');
  assert.throws(() => createFetch(fakeAuth().auth, 'fetch' as never), /baseFetch must be a fetch function/);
});
