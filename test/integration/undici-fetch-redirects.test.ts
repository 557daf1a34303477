import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { negotiate } from '../../src/adapters/undici/index.js';
import {
  HTTPSPNEGOAuth,
  type HTTPSPNEGOAuthOptions,
  type HttpGssapiError,
  type TokenWithheldError,
} from '../../src/index.js';
import { useRealm } from '../helpers/realm-fixture.js';

// undici's fetch follows redirects above the dispatcher, so the negotiate interceptor sees each
// hop as a new request. A real redirect from localhost to 127.0.0.1 (the same NegotiateTestServer
// under two host names, its acceptor taking any service key it holds, so a token for
// HTTP@localhost WOULD be accepted at 127.0.0.1) shows that a fixed targetName and full
// delegation stay with the first host.

const closers: { close(): Promise<unknown> }[] = [];
after(() => Promise.all(closers.map((c) => c.close().catch(() => {}))));

const fixture = useRealm({ negotiateServer: true });
let unique = 0;

/** A dispatcher with the interceptor, and the errors its auth reported. */
function setup(options: HTTPSPNEGOAuthOptions) {
  const errors: HttpGssapiError[] = [];
  const auth = new HTTPSPNEGOAuth({ learnedPreemption: false, ...options, onError: (e) => errors.push(e) });
  const interceptor = negotiate(auth);
  const dispatcher = new Agent().compose(interceptor);
  closers.push(dispatcher, interceptor);
  return { dispatcher, errors };
}

/** `http://localhost:port/redirect/...` sending the client to `behavior` on 127.0.0.1. */
function redirectTo127(behavior: string) {
  const hop = `/${behavior}/r${++unique}`;
  const target = `http://127.0.0.1:${fixture.negotiateServer.port}${hop}`;
  return { start: `${fixture.negotiateServer.url}redirect/r${unique}?to=${encodeURIComponent(target)}`, hop };
}

const hopRequests = (hop: string) =>
  fixture.negotiateServer.requestsTo(hop).filter((r) => r.host.startsWith('127.0.0.1'));

describe("undici's fetch through the interceptor: redirect hops", () => {
  test('a fixed targetName gets no token at the redirect target; its 401 comes back with the reason', async () => {
    const { dispatcher, errors } = setup({ targetName: 'HTTP@localhost' });
    const { start, hop } = redirectTo127('ok');
    const res = await undiciFetch(start, { dispatcher });
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    const seen = hopRequests(hop);
    assert.ok(seen.length >= 1, 'the hop was made');
    assert.ok(
      seen.every((r) => !r.negotiate),
      'no Negotiate token reached 127.0.0.1',
    );
    const error = errors.at(-1)!;
    assert.equal(error.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal((error.cause as TokenWithheldError).code, 'ERR_TOKEN_WITHHELD');
    assert.match(
      String((error.cause as Error).message),
      /fixed service and was first used for localhost, not 127\.0\.0\.1/,
    );
  });

  test('with both hosts in serverAllowlist the fixed targetName reaches the hop, and delegation there is policy only', async () => {
    const { dispatcher } = setup({
      targetName: 'HTTP@localhost',
      delegate: true,
      serverAllowlist: ['localhost', '127.0.0.1'],
    });
    // The first host gets full delegation (HTTP/localhost is not ok-as-delegate: policy would give none).
    const first = await undiciFetch(`${fixture.negotiateServer.url}delegate/r${++unique}`, { dispatcher });
    assert.equal(((await first.json()) as { delegated: boolean }).delegated, true);
    const { start } = redirectTo127('delegate');
    const res = await undiciFetch(start, { dispatcher });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { user: string; delegated: boolean };
    assert.equal(body.user, fixture.realm.user.principal);
    assert.equal(body.delegated, false, 'the TGT was not handed to 127.0.0.1');
  });

  test('delegateAllowlist names the hosts that get full delegation', async () => {
    const { dispatcher } = setup({
      targetName: 'HTTP@localhost',
      delegate: true,
      serverAllowlist: ['localhost', '127.0.0.1'],
      delegateAllowlist: ['localhost', '127.0.0.1'],
    });
    const { start } = redirectTo127('delegate');
    const res = await undiciFetch(start, { dispatcher });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { delegated: boolean }).delegated, true);
  });
});
