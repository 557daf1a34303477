import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  createFetch,
  HTTPSPNEGOAuth,
  type HTTPSPNEGOAuthOptions,
  KRB5,
  MutualAuthenticationError,
  negotiateErrorOf,
  REQUIRED,
} from '../../src/index.js';
import { useRealm } from '../helpers/realm-fixture.js';

// createFetch against a third-party acceptor: Apache httpd with mod_auth_gssapi, on a real realm.
// Round trips are counted in Apache's access log.

const fixture = useRealm({ apache: true });

const fetchWith = (options: HTTPSPNEGOAuthOptions = {}) =>
  createFetch(new HTTPSPNEGOAuth({ learnedPreemption: false, ...options }));
const url = (path: string) => new URL(path, fixture.apache.url).href;
const json = async (res: Response | Promise<Response>) =>
  (await (await res).json()) as Record<string, unknown>;

/** Access log entries for requests made by `body`, excluding earlier ones. */
async function logged(body: () => Promise<void>) {
  const before = (await fixture.apache.accessLog()).length;
  await body();
  return (await fixture.apache.accessLog({ minEntries: before + 1 })).slice(before);
}

describe('Apache mod_auth_gssapi', () => {
  test('challenge, token, 200 with the user; the retry reuses the connection', async () => {
    const entries = await logged(async () => {
      const body = await json(fetchWith()(url('/private/')));
      assert.equal(body.user, fixture.realm.user.principal);
    });
    assert.deepEqual(
      entries.map((e) => [e.authorization, e.status]),
      [
        [null, 401],
        ['negotiate', 200],
      ],
    );
    assert.equal(entries[1]!.remotePort, entries[0]!.remotePort, 'same connection (401 body drained)');
  });

  test('mutual authentication REQUIRED verifies mod_auth_gssapi\u2019s final token', async () => {
    const res = await fetchWith({ mutualAuthentication: REQUIRED })(url('/private/'));
    assert.equal(res.status, 200);
  });

  test('a raw Kerberos token (mech KRB5) is accepted and verified too', async () => {
    const res = await fetchWith({ mech: KRB5, mutualAuthentication: REQUIRED })(url('/private/'));
    assert.equal(res.status, 200);
  });

  test('opportunistic and learned preemption: one round trip', async () => {
    const opportunistic = await logged(
      async () => void (await fetchWith({ opportunisticAuth: true })(url('/private/'))).text(),
    );
    assert.equal(opportunistic.length, 1);
    const fetch = createFetch(new HTTPSPNEGOAuth());
    await (await fetch(url('/private/'))).text();
    const learned = await logged(async () => void (await fetch(url('/private/'))).text());
    assert.deepEqual(
      learned.map((e) => [e.authorization, e.status]),
      [['negotiate', 200]],
    );
  });

  test('a POST body is replayed whole after the 401', async () => {
    const body = 'payload-'.repeat(5000);
    const res = await fetchWith()(url('/post/'), { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), body);
  });

  test('a redirect after authentication gets a fresh token for the next hop (no replay)', async () => {
    const entries = await logged(async () => {
      const res = await fetchWith({ mutualAuthentication: REQUIRED })(url('/auth-redirect/'));
      assert.equal(res.status, 200);
      assert.equal(res.redirected, true);
      assert.equal((await json(res)).user, fixture.realm.user.principal);
    });
    const statuses = entries.map((e) => e.status);
    assert.deepEqual(statuses, [401, 302, 401, 200]);
    assert.ok(!(await fixture.apache.errorLogTail(50)).includes('replay'), 'no replayed token');
  });

  test('delegation stores the user\u2019s forwarded ticket on the server', async () => {
    const res = await fetchWith({ delegate: true })(url('/delegate/'));
    assert.equal(res.status, 200);
    assert.ok(existsSync(fixture.apache.delegatedCcache(fixture.realm.user.principal)));
  });

  test('no ticket: the 401 comes back at once with the reason', async () => {
    const entries = await logged(async () => {
      const res = await fetchWith({ creds: { ccache: `FILE:${fixture.realm.dir}/none` } })(url('/private/'));
      assert.equal(res.status, 401);
      assert.match(negotiateErrorOf(res)?.hint ?? '', /kinit/);
    });
    assert.equal(entries.length, 1);
  });

  test('REQUIRED: a final token swapped in transit fails verification', async () => {
    // A man in the middle replacing mod_auth_gssapi's final token with a well-formed SPNEGO one.
    const forging: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.status !== 200) return res;
      const headers = new Headers(res.headers);
      headers.set('www-authenticate', 'Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==');
      return new Response(await res.arrayBuffer(), { status: res.status, headers });
    };
    const guarded = createFetch(
      new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED, learnedPreemption: false }),
      forging,
    );
    await assert.rejects(guarded(url('/private/')), MutualAuthenticationError);
  });
});
