import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import {
  BodyNotReplayableError,
  createFetch,
  DISABLED,
  HTTPSPNEGOAuth,
  type HTTPSPNEGOAuthOptions,
  KRB5,
  MutualAuthenticationError,
  Name,
  NameType,
  negotiateErrorOf,
  OPTIONAL,
  REQUIRED,
  SPNEGOExchangeError,
} from '../../src/index.js';
import { useRealm } from '../helpers/realm-fixture.js';

// createFetch end to end: a real MIT KDC, real tickets, and the project's acceptor-based server,
// which misbehaves on purpose on chosen paths.

const fixture = useRealm({ negotiateServer: true });

/** A JSON body as a record (the test server always answers JSON). */
const json = async (res: Response | Promise<Response>) =>
  (await (await res).json()) as Record<string, unknown>;

const fetchWith = (options: HTTPSPNEGOAuthOptions = {}) =>
  createFetch(new HTTPSPNEGOAuth({ learnedPreemption: false, ...options }));
const url = (path: string) => new URL(path, fixture.negotiateServer.url).href;
let unique = 0;
/** A fresh path per test, so fixture.negotiateServer.requestsTo() sees only this test's requests. */
const path = (behavior: string) => `/${behavior}/t${++unique}`;

describe('challenge and response', () => {
  test('the first request goes bare; the Negotiate 401 is answered and the user is authenticated', async () => {
    const p = path('ok');
    const res = await fetchWith()(url(p));
    assert.equal(res.status, 200);
    assert.equal((await json(res)).user, fixture.realm.user.principal);
    const seen = fixture.negotiateServer.requestsTo(p);
    assert.deepEqual(
      seen.map((r) => [r.negotiate, r.status]),
      [
        [false, 401],
        [true, 200],
      ],
    );
    assert.equal(
      seen[0]!.connection,
      seen[1]!.connection,
      'the 401 body was drained and the connection reused',
    );
  });

  test('a 401 with only a Basic challenge comes back untouched', async () => {
    const p = path('basic-only');
    const res = await fetchWith()(url(p));
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="test"');
    assert.equal(fixture.negotiateServer.requestsTo(p).length, 1);
    assert.equal(negotiateErrorOf(res), undefined);
  });

  test('at most two 401s are handled per request', async () => {
    const p = path('always-401');
    const res = await fetchWith()(url(p));
    assert.equal(res.status, 401);
    assert.equal(fixture.negotiateServer.requestsTo(p).length, 3);
    assert.ok(negotiateErrorOf(res) instanceof SPNEGOExchangeError);
  });

  test('a server that asks for a second leg gets a second, fresh token', async () => {
    const p = path('second-leg');
    const res = await fetchWith()(url(p));
    assert.equal(res.status, 200);
    assert.deepEqual(
      fixture.negotiateServer.requestsTo(p).map((r) => r.status),
      [401, 401, 200],
    );
  });
});

describe('failures come back as the 401, with the reason', () => {
  test('no ticket: the 401 at once, no wasted round trip, code and hint reachable', async () => {
    const p = path('ok');
    const errors: unknown[] = [];
    const fetch = fetchWith({
      creds: { ccache: `FILE:${fixture.realm.dir}/empty-ccache` },
      onError: (e) => errors.push(e),
    });
    const res = await fetch(url(p));
    assert.equal(res.status, 401);
    assert.equal(fixture.negotiateServer.requestsTo(p).length, 1);
    const error = negotiateErrorOf(res);
    assert.ok(error instanceof SPNEGOExchangeError);
    const cause = error.cause as { code: string; hint: string };
    assert.match(cause.code, /KRB5_FCC_NOFILE|KRB5_CC_NOTFOUND|GSS_S_NO_CRED/);
    assert.match(error.hint ?? '', /kinit/);
    assert.deepEqual(errors, [error]);
  });

  test('an unknown service principal', async () => {
    const p = path('ok');
    const res = await fetchWith({ targetName: 'HTTP@unknown.invalid' })(url(p));
    assert.equal(res.status, 401);
    assert.equal(
      (negotiateErrorOf(res)?.cause as { code?: string } | undefined)?.code,
      'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN',
    );
  });

  test('a malformed Negotiate challenge', async () => {
    const res = await fetchWith()(url(path('malformed-challenge')));
    assert.equal(res.status, 401);
    assert.equal(
      (negotiateErrorOf(res)?.cause as { code?: string } | undefined)?.code,
      'ERR_CHALLENGE_PARSE',
    );
  });
});

describe('preemption', () => {
  test('opportunisticAuth sends the token on the first request', async () => {
    const p = path('ok');
    assert.equal((await fetchWith({ opportunisticAuth: true })(url(p))).status, 200);
    assert.deepEqual(
      fixture.negotiateServer.requestsTo(p).map((r) => r.negotiate),
      [true],
    );
  });

  test('learned preemption: after one challenge, the next request to the origin carries a token', async () => {
    const fetch = createFetch(new HTTPSPNEGOAuth());
    const first = path('ok');
    const second = path('ok');
    await (await fetch(url(first))).text();
    await (await fetch(url(second))).text();
    assert.equal(fixture.negotiateServer.requestsTo(first).length, 2);
    assert.deepEqual(
      fixture.negotiateServer.requestsTo(second).map((r) => [r.negotiate, r.status]),
      [[true, 200]],
    );
  });
});

describe('mutual authentication', () => {
  test('REQUIRED: the final token is verified', async () => {
    const tokens: unknown[] = [];
    const listener = (e: unknown) => tokens.push(e);
    subscribe('http-gssapi:mutual', listener);
    try {
      const res = await fetchWith({ mutualAuthentication: REQUIRED })(url(path('ok')));
      assert.equal(res.status, 200);
    } finally {
      unsubscribe('http-gssapi:mutual', listener);
    }
    assert.equal((tokens[0] as { result: string }).result, 'verified');
  });

  test('REQUIRED: a 200 without the final token raises MutualAuthenticationError', async () => {
    await assert.rejects(
      fetchWith({ mutualAuthentication: REQUIRED })(url(path('omit-final-token'))),
      MutualAuthenticationError,
    );
  });

  test('REQUIRED and OPTIONAL: a corrupted final token raises; DISABLED ignores it', async () => {
    for (const mutualAuthentication of [REQUIRED, OPTIONAL] as const) {
      await assert.rejects(
        fetchWith({ mutualAuthentication })(url(path('corrupt-final-token'))),
        (e: unknown) => {
          assert.ok(e instanceof MutualAuthenticationError);
          assert.ok((e.cause as { code?: string }).code, 'the GSSError is the cause');
          return true;
        },
      );
    }
    assert.equal(
      (await fetchWith({ mutualAuthentication: DISABLED })(url(path('corrupt-final-token')))).status,
      200,
    );
  });

  test('REQUIRED: an unauthenticated error response is stripped, unless asked not to', async () => {
    const stripped = await fetchWith({ mutualAuthentication: REQUIRED })(url(path('error-500')));
    assert.equal(stripped.status, 500);
    assert.equal(await stripped.text(), '');
    assert.equal(stripped.headers.get('x-internal-detail'), null);
    assert.equal(stripped.headers.get('server'), 'negotiate-test-server');
    assert.ok(stripped.headers.get('date'));
    const whole = await fetchWith({ mutualAuthentication: REQUIRED, sanitizeMutualErrorResponse: false })(
      url(path('error-500')),
    );
    assert.equal(await whole.text(), 'internal secret');
  });

  test('OPTIONAL: a response without the final token is accepted', async () => {
    assert.equal(
      (await fetchWith({ mutualAuthentication: OPTIONAL })(url(path('omit-final-token')))).status,
      200,
    );
  });
});

describe('context options', () => {
  test('targetName as a gssapi Name (a principal name) goes through unchanged', async () => {
    const name = new Name(fixture.realm.service.principal, NameType.krb5Principal);
    const res = await fetchWith({ targetName: name })(url(path('ok')));
    assert.equal(res.status, 200);
    name.dispose();
  });

  test('mech KRB5 sends a raw Kerberos token; null lets GSSAPI choose', async () => {
    const krb5 = await json(fetchWith({ mech: KRB5 })(url(path('ok'))));
    assert.equal(krb5.mech, '1.2.840.113554.1.2.2');
    assert.equal((await fetchWith({ mech: null })(url(path('ok')))).status, 200);
  });

  test('delegate: true gives the server a usable ticket; the default gives none', async () => {
    const delegated = await json(fetchWith({ delegate: true })(url(path('delegate'))));
    assert.equal(delegated.delegated, true);
    assert.equal(delegated.delegatedUse, 'token-obtained');
    const plain = await json(fetchWith()(url(path('delegate'))));
    assert.equal(plain.delegated, false);
  });

  test("delegate: 'policy' delegates only to services marked ok-as-delegate", async () => {
    const plain = await json(fetchWith({ delegate: 'policy' })(url(path('delegate'))));
    assert.equal(plain.delegated, false, 'not marked ok-as-delegate');
  });
});

describe('default credentials', () => {
  test('are reused across requests, and a kinit as another user is followed at once', async () => {
    const fetch = fetchWith({ opportunisticAuth: true });
    assert.equal((await json(fetch(url(path('ok'))))).user, fixture.realm.user.principal);
    assert.equal((await json(fetch(url(path('ok'))))).user, fixture.realm.user.principal);
    const other = await fixture.realm.addPrincipal('erin', { password: 'erin-pass-2468' });
    await fixture.realm.kinit(other, { password: 'erin-pass-2468' });
    try {
      const p = path('ok');
      assert.equal((await json(fetch(url(p)))).user, other);
      assert.equal(
        fixture.negotiateServer.requestsTo(p).length,
        1,
        'no failed round trip: the stale credential was retried locally',
      );
    } finally {
      await fixture.realm.kinit(fixture.realm.user.principal, { password: fixture.realm.user.password });
    }
  });
});

describe('credentials without kinit', () => {
  test('a password description', async () => {
    const principal = await fixture.realm.addPrincipal('carol', { password: 'carol-pass-1234' });
    const fetch = fetchWith({ creds: { principal, password: 'carol-pass-1234' } });
    const res = await fetch(url(path('ok')));
    assert.equal((await json(res)).user, principal);
  });

  test('a keytab description logs in as its principal and leaves the default ccache alone', async () => {
    const principal = await fixture.realm.addPrincipal('dave', { password: 'dave-pass-5678' });
    const keytab = await fixture.realm.extractKeytab(principal);
    const before = await readFile(fixture.realm.ccache.replace(/^FILE:/, ''));
    const res = await fetchWith({ creds: { keytab, principal } })(url(path('ok')));
    assert.equal((await json(res)).user, principal);
    assert.deepEqual(await readFile(fixture.realm.ccache.replace(/^FILE:/, '')), before);
  });
});

describe('bodies', () => {
  const stream = (size: number, chunk = 4096) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent < size; sent += chunk)
          controller.enqueue(new Uint8Array(Math.min(chunk, size - sent)).fill(7));
        controller.close();
      },
    });

  test('a POST body is sent again, whole, after the 401', async () => {
    const p = path('ok');
    const body = JSON.stringify({ hello: 'world'.repeat(1000) });
    const res = await fetchWith()(url(p), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    const echoed = await json(res);
    assert.equal(echoed.bodyLength, Buffer.byteLength(body));
    assert.deepEqual(
      fixture.negotiateServer.requestsTo(p).map((r) => r.bodyLength),
      [Buffer.byteLength(body), Buffer.byteLength(body)],
    );
  });

  test('a stream under the cap is buffered and replayed', async () => {
    const p = path('ok');
    const res = await fetchWith()(url(p), {
      method: 'PUT',
      body: stream(100_000),
      duplex: 'half',
    } as RequestInit);
    assert.equal((await json(res)).bodyLength, 100_000);
    assert.deepEqual(
      fixture.negotiateServer.requestsTo(p).map((r) => r.bodyLength),
      [100_000, 100_000],
    );
  });

  test('a stream over the cap goes once, whole, with a token up front', async () => {
    const p = path('ok');
    const fetch = fetchWith({ maxReplayBodySize: 10_000 });
    const res = await fetch(url(p), { method: 'PUT', body: stream(200_000), duplex: 'half' } as RequestInit);
    assert.equal(res.status, 200);
    assert.deepEqual(
      fixture.negotiateServer.requestsTo(p).map((r) => [r.negotiate, r.bodyLength]),
      [[true, 200_000]],
    );
  });

  test('a stream over the cap without a ticket fails before sending anything', async () => {
    const p = path('ok');
    const fetch = fetchWith({
      maxReplayBodySize: 10,
      creds: { ccache: `FILE:${fixture.realm.dir}/empty-ccache` },
    });
    await assert.rejects(
      fetch(url(p), { method: 'PUT', body: stream(1000), duplex: 'half' } as RequestInit),
      BodyNotReplayableError,
    );
    assert.equal(fixture.negotiateServer.requestsTo(p).length, 0);
  });
});

describe('redirects', () => {
  test('a same-origin redirect gets a fresh token for the next hop (no replay)', async () => {
    const target = path('ok');
    const res = await fetchWith()(url(`${path('redirect')}?to=${target}`));
    assert.equal(res.status, 200);
    assert.equal((await json(res)).path, target);
  });

  test('a redirect to another host never carries the first host\u2019s token', async () => {
    const elsewhere = `http://127.0.0.1:${fixture.negotiateServer.port}${path('ok')}`;
    const res = await fetchWith({ opportunisticAuth: true })(
      url(`${path('redirect')}?to=${encodeURIComponent(elsewhere)}`),
    );
    // HTTP@127.0.0.1 has no principal: the hop gets no token at all, and its 401 comes back.
    assert.equal(res.status, 401);
    const hops = fixture.negotiateServer.requests.filter((r) => r.host.startsWith('127.0.0.1'));
    assert.ok(hops.length >= 1);
    assert.ok(
      hops.every((r) => !r.negotiate),
      'no Negotiate token reached 127.0.0.1',
    );
  });

  test('POST turns into GET on a 303 and keeps its body on a 307', async () => {
    const to303 = path('ok');
    const r303 = await json(
      fetchWith()(url(`${path('redirect')}?status=303&to=${to303}`), {
        method: 'POST',
        body: 'x'.repeat(10),
      }),
    );
    assert.deepEqual([r303.method, r303.bodyLength], ['GET', 0]);
    const to307 = path('ok');
    const r307 = await json(
      fetchWith()(url(`${path('redirect')}?status=307&to=${to307}`), {
        method: 'POST',
        body: 'x'.repeat(10),
      }),
    );
    assert.deepEqual([r307.method, r307.bodyLength], ['POST', 10]);
  });
});

describe('logging', () => {
  test('diagnostics channels carry each step with tokens redacted to a few characters', async () => {
    const events: { type: string; token?: string | null }[] = [];
    const listener = (e: unknown) => events.push(e as { type: string });
    for (const c of ['challenge', 'token', 'mutual']) subscribe(`http-gssapi:${c}`, listener);
    try {
      await (await fetchWith({ mutualAuthentication: REQUIRED })(url(path('ok')))).text();
    } finally {
      for (const c of ['challenge', 'token', 'mutual']) unsubscribe(`http-gssapi:${c}`, listener);
    }
    assert.deepEqual(
      events.map((e) => e.type),
      ['challenge', 'token', 'mutual'],
    );
    const token = events.find((e) => e.type === 'token')!.token!;
    assert.ok(token.length <= 7, `redacted token ${token}`);
  });
});
