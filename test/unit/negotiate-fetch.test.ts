import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import {
  BodyNotReplayableError,
  MutualAuthenticationError,
  SPNEGOExchangeError,
  TokenWithheldError,
} from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED, type HTTPSPNEGOAuthOptions, KRB5, OPTIONAL, REQUIRED } from '../../src/core/options.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import { b64, type FakeScript, fakeContextFactory, scriptedFetch } from '../helpers/fake-context.js';

// Unit tests of the Negotiate flow through createFetch, with a scripted fake context and a
// scripted fetch. The same behaviors run end to end against real servers in test/integration.

const challenge = (token?: string, status = 401) =>
  new Response('denied', {
    status,
    headers: { 'www-authenticate': token ? `Negotiate ${b64(token)}` : 'Negotiate' },
  });
const ok = (token: string | null = 'server-ok', status = 200, headers: Record<string, string> = {}) =>
  new Response('payload', {
    status,
    headers: { ...(token ? { 'www-authenticate': `Negotiate ${b64(token)}` } : {}), ...headers },
  });

function setup(options: HTTPSPNEGOAuthOptions = {}, script: FakeScript = {}) {
  const factory = fakeContextFactory(script);
  const auth = new HTTPSPNEGOAuth(
    { learnedPreemption: false, mutualAuthentication: REQUIRED, ...options },
    { contextFactory: factory },
  );
  return { factory, auth };
}

describe('challenge and response', () => {
  test('the first request goes without a token; a Negotiate 401 is answered with a fresh context for HTTP@host', async () => {
    const { factory, auth } = setup();
    const base = scriptedFetch([() => challenge(), () => ok()]);
    const res = await createFetch(auth, base)('http://web.example.test:8080/a');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'payload');
    assert.equal(base.calls.length, 2);
    assert.equal(base.calls[0]!.authorization, null);
    assert.equal(base.calls[1]!.authorization, `Negotiate ${b64('tok-1')}`);
    assert.equal(factory.created[0]!.target, 'HTTP@web.example.test');
    assert.equal(factory.disposed, 1);
  });

  test('a 401 without a Negotiate challenge comes back untouched', async () => {
    const { factory, auth } = setup();
    const base = scriptedFetch([
      () => new Response('no', { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } }),
    ]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 401);
    assert.equal(await res.text(), 'no');
    assert.equal(base.calls.length, 1);
    assert.equal(factory.created.length, 0);
    assert.equal(negotiateErrorOf(res), undefined);
  });

  test('at most two 401s are handled per request', async () => {
    const { auth } = setup();
    const base = scriptedFetch([() => challenge()]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 401);
    assert.equal(base.calls.length, 3);
    assert.ok(negotiateErrorOf(res) instanceof SPNEGOExchangeError);
  });

  test('a token in a 401 answering our token continues the same context (multi-leg)', async () => {
    const { factory, auth } = setup(
      { mutualAuthentication: OPTIONAL },
      { continue: (server) => (server === 'leg-2' ? 'tok-2' : null) },
    );
    const base = scriptedFetch([() => challenge(), () => challenge('leg-2'), () => ok(null)]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(base.calls[2]!.authorization, `Negotiate ${b64('tok-2')}`);
    assert.equal(factory.created.length, 1);
    assert.deepEqual(factory.steps, [null, 'leg-2']);
    assert.equal(res.status, 200);
  });
});

describe('failures come back as the 401', () => {
  test('a GSS error returns the 401 at once, with the reason reachable', async () => {
    const gss = Object.assign(new Error('no ccache'), { code: 'KRB5_FCC_NOFILE', hint: 'run kinit' });
    const errors: unknown[] = [];
    const { auth } = setup({ onError: (e) => errors.push(e) }, { failFirst: gss });
    const base = scriptedFetch([() => challenge()]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 401);
    assert.equal(base.calls.length, 1, 'no wasted round trip');
    const error = negotiateErrorOf(res);
    assert.ok(error instanceof SPNEGOExchangeError);
    assert.equal(error.cause, gss);
    assert.equal(error.hint, 'run kinit');
    assert.match(error.message, /KRB5_FCC_NOFILE/);
    assert.deepEqual(errors, [error]);
  });

  test('a preemptive token that failed is not tried again on the 401 (one failure, one KDC timeout)', async () => {
    const gss = Object.assign(new Error('KDC down'), { code: 'KRB5_KDC_UNREACH' });
    const { auth, factory } = setup({ opportunisticAuth: true }, { failFirst: gss });
    const base = scriptedFetch([() => challenge()]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 401);
    assert.equal(base.calls.length, 1);
    assert.equal(base.calls[0]!.authorization, null);
    assert.equal(factory.created.length, 1);
    assert.equal(negotiateErrorOf(res)?.cause, gss);
  });

  test('a malformed Negotiate challenge returns the 401 with a parse error as cause', async () => {
    const { auth } = setup();
    const base = scriptedFetch([
      () => new Response('', { status: 401, headers: { 'www-authenticate': 'Negotiate abc' } }),
    ]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 401);
    const error = negotiateErrorOf(res);
    assert.equal((error?.cause as { code?: string } | undefined)?.code, 'ERR_CHALLENGE_PARSE');
  });
});

describe('opportunistic and learned preemption', () => {
  test('opportunisticAuth puts a token on the first request', async () => {
    const { auth } = setup({ opportunisticAuth: true });
    const base = scriptedFetch([() => ok()]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 200);
    assert.equal(base.calls.length, 1);
    assert.equal(base.calls[0]!.authorization, `Negotiate ${b64('tok-1')}`);
  });

  test('after a Negotiate challenge, later requests to the origin carry a token up front', async () => {
    const factory = fakeContextFactory();
    const auth = new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }, { contextFactory: factory });
    const base = scriptedFetch([() => challenge(), () => ok(), () => ok(), () => challenge(), () => ok()]);
    const fetch = createFetch(auth, base);
    await fetch('http://h.test/one');
    await fetch('http://h.test/two');
    assert.equal(base.calls.length, 3);
    assert.notEqual(base.calls[2]!.authorization, null);
    await fetch('http://other.test/');
    assert.equal(base.calls[3]!.authorization, null, 'another origin learns on its own');
  });

  test('learnedPreemption: false keeps every first request bare', async () => {
    const { auth } = setup({ learnedPreemption: false });
    const base = scriptedFetch([() => challenge(), () => ok(), () => challenge(), () => ok()]);
    const fetch = createFetch(auth, base);
    await fetch('http://h.test/one');
    await fetch('http://h.test/two');
    assert.equal(base.calls.length, 4);
    assert.equal(base.calls[2]!.authorization, null);
  });
});

describe('mutual authentication', () => {
  test('REQUIRED: a 200 without a server token raises MutualAuthenticationError', async () => {
    const { auth } = setup();
    const base = scriptedFetch([() => challenge(), () => ok(null)]);
    await assert.rejects(createFetch(auth, base)('http://h.test/'), (e: unknown) => {
      assert.ok(e instanceof MutualAuthenticationError);
      assert.equal(e.code, 'ERR_MUTUAL_AUTH');
      assert.ok(!Object.keys(e).includes('response'));
      return true;
    });
  });

  test('REQUIRED: a server token that fails verification raises', async () => {
    const { auth } = setup();
    const base = scriptedFetch([() => challenge(), () => ok('forged')]);
    await assert.rejects(createFetch(auth, base)('http://h.test/'), MutualAuthenticationError);
  });

  test('REQUIRED: an error response without a token is stripped to Date and Server', async () => {
    const { auth } = setup();
    const headers = { date: 'Sat, 28 Nov 2026 10:00:00 GMT', server: 'test', 'x-secret': 'internal' };
    const base = scriptedFetch([() => challenge(), () => ok(null, 500, headers)]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
    assert.equal(res.headers.get('x-secret'), null);
    assert.equal(res.headers.get('server'), 'test');
    assert.equal(res.headers.get('date'), headers.date);
    assert.equal(res.headers.get('content-length'), '0');
  });

  test('sanitizeMutualErrorResponse: false returns the error response whole', async () => {
    const { auth } = setup({ sanitizeMutualErrorResponse: false });
    const base = scriptedFetch([() => challenge(), () => ok(null, 500, { 'x-secret': 'internal' })]);
    const res = await createFetch(auth, base)('http://h.test/');
    assert.equal(await res.text(), 'payload');
    assert.equal(res.headers.get('x-secret'), 'internal');
  });

  test('OPTIONAL: no token is accepted, a bad token still raises', async () => {
    const { auth } = setup({ mutualAuthentication: OPTIONAL });
    const fetch1 = createFetch(auth, scriptedFetch([() => challenge(), () => ok(null)]));
    assert.equal((await fetch1('http://h.test/')).status, 200);
    const fetch2 = createFetch(auth, scriptedFetch([() => challenge(), () => ok('forged')]));
    await assert.rejects(fetch2('http://h.test/'), MutualAuthenticationError);
  });

  test('DISABLED: never verifies, yet asks for mutual authentication (so a server explains a refusal)', async () => {
    const { auth, factory } = setup({ mutualAuthentication: DISABLED }, { completeAfterFirst: true });
    const res = await createFetch(
      auth,
      scriptedFetch([() => challenge(), () => ok('forged')]),
    )('http://h.test/');
    assert.equal(res.status, 200);
    assert.equal(factory.created[0]!.flags & ContextFlag.MUTUAL, ContextFlag.MUTUAL);
  });
});

describe('context options', () => {
  const target = async (options: HTTPSPNEGOAuthOptions, url: string) => {
    const { auth, factory } = setup({ mutualAuthentication: DISABLED, ...options });
    await createFetch(auth, scriptedFetch([() => challenge(), () => ok()]))(url);
    return factory.created[0]!;
  };

  test('targetName: HTTP becomes HTTP@<host>, service@host is kept, IPv6 loses brackets', async () => {
    assert.equal((await target({}, 'http://a.test/')).target, 'HTTP@a.test');
    assert.equal((await target({ targetName: 'web' }, 'http://a.test/')).target, 'web@a.test');
    assert.equal((await target({ targetName: 'HTTP@b.test' }, 'http://a.test/')).target, 'HTTP@b.test');
    assert.equal((await target({}, 'http://[::1]:8080/')).target, 'HTTP@::1');
  });

  test('the host is the URL hostname: lower case, IDN in ASCII, a trailing dot left to GSSAPI', async () => {
    assert.equal((await target({}, 'http://WEB.Example.TEST/')).target, 'HTTP@web.example.test');
    assert.equal((await target({}, 'http://bücher.test/')).target, 'HTTP@xn--bcher-kva.test');
    assert.equal((await target({}, 'http://web.example.test./')).target, 'HTTP@web.example.test.');
  });

  test('flags: sequence and mutual always, delegation when asked', async () => {
    const base = (await target({ mutualAuthentication: OPTIONAL }, 'http://a.test/')).flags;
    assert.equal(base, ContextFlag.SEQUENCE | ContextFlag.MUTUAL);
    assert.equal(
      (await target({ delegate: true }, 'http://a.test/')).flags & ContextFlag.DELEG,
      ContextFlag.DELEG,
    );
    const policy = (await target({ delegate: 'policy' }, 'http://a.test/')).flags;
    assert.equal(policy & ContextFlag.DELEG_POLICY, ContextFlag.DELEG_POLICY);
    assert.equal(policy & ContextFlag.DELEG, 0);
  });

  test('mech passes through; null lets GSSAPI choose', async () => {
    assert.ok((await target({ mech: KRB5 }, 'http://a.test/')).mech?.equals(KRB5));
    assert.equal((await target({ mech: null }, 'http://a.test/')).mech, null);
  });

  test('defaults follow the Python original', () => {
    const { options } = new HTTPSPNEGOAuth();
    assert.equal(options.mutualAuthentication, DISABLED);
    assert.equal(options.targetName, 'HTTP');
    assert.equal(options.delegate, false);
    assert.equal(options.opportunisticAuth, false);
    assert.ok(options.mech?.equals(KRB5) === false);
    assert.equal(String(options.mech), '1.3.6.1.5.5.2');
    assert.equal(options.sanitizeMutualErrorResponse, true);
  });

  test('bad options are TypeErrors naming the option', () => {
    assert.throws(
      () => new HTTPSPNEGOAuth({ mutualAuthentication: 'sometimes' as never }),
      /mutualAuthentication/,
    );
    assert.throws(() => new HTTPSPNEGOAuth({ delegate: 'yes' as never }), /delegate/);
    assert.throws(() => new HTTPSPNEGOAuth({ creds: { password: 'x' } }), /creds\.principal/);
    assert.throws(() => new HTTPSPNEGOAuth({ creds: { pasword: 'x' } as never }), /creds\.pasword/);
    assert.throws(() => new HTTPSPNEGOAuth({ opportunisticAuth: 'true' as never }), /opportunisticAuth/);
  });
});

describe('bodies', () => {
  const streamOf = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(new TextEncoder().encode(p));
        c.close();
      },
    });

  test('a string body is sent again, whole, with the token', async () => {
    const { auth } = setup({ mutualAuthentication: DISABLED });
    const base = scriptedFetch([() => challenge(), () => ok()]);
    await createFetch(auth, base)('http://h.test/', { method: 'POST', body: 'hello' });
    assert.deepEqual(
      base.calls.map((c) => c.body),
      ['hello', 'hello'],
    );
  });

  test('a stream under the cap is buffered and replayed', async () => {
    const { auth } = setup({ mutualAuthentication: DISABLED });
    const base = scriptedFetch([() => challenge(), () => ok()]);
    await createFetch(auth, base)('http://h.test/', {
      method: 'PUT',
      body: streamOf('ab', 'cd'),
      duplex: 'half',
    } as RequestInit);
    assert.deepEqual(
      base.calls.map((c) => c.body),
      ['abcd', 'abcd'],
    );
  });

  test('a Request with a body is replayed too', async () => {
    const { auth } = setup({ mutualAuthentication: DISABLED });
    const base = scriptedFetch([() => challenge(), () => ok()]);
    await createFetch(auth, base)(new Request('http://h.test/', { method: 'POST', body: 'from-request' }));
    assert.deepEqual(
      base.calls.map((c) => c.body),
      ['from-request', 'from-request'],
    );
    assert.equal(base.calls[0]!.init.method, 'POST');
  });

  test('a stream over the cap is sent once, whole, with a token up front', async () => {
    const { auth } = setup({ mutualAuthentication: DISABLED, maxReplayBodySize: 3 });
    const base = scriptedFetch([() => ok()]);
    const res = await createFetch(auth, base)('http://h.test/', {
      method: 'PUT',
      body: streamOf('ab', 'cd', 'ef'),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 200);
    assert.equal(base.calls.length, 1);
    assert.equal(base.calls[0]!.body, 'abcdef');
    assert.notEqual(base.calls[0]!.authorization, null);
  });

  test('a stream over the cap with no token to send fails before sending, with a coded error', async () => {
    const { auth } = setup(
      { maxReplayBodySize: 1 },
      { failFirst: Object.assign(new Error('no ccache'), { code: 'KRB5_FCC_NOFILE' }) },
    );
    const base = scriptedFetch([() => ok()]);
    await assert.rejects(
      createFetch(auth, base)('http://h.test/', {
        method: 'PUT',
        body: streamOf('abc'),
        duplex: 'half',
      } as RequestInit),
      (e: unknown) => e instanceof BodyNotReplayableError && e.code === 'ERR_BODY_NOT_REPLAYABLE',
    );
    assert.equal(base.calls.length, 0);
  });
});

describe('redirects', () => {
  const redirect = (to: string, status = 302) => new Response(null, { status, headers: { location: to } });

  test('a same-origin redirect gets a fresh token for the new hop', async () => {
    const { auth, factory } = setup({ mutualAuthentication: DISABLED });
    const base = scriptedFetch([() => challenge(), () => redirect('/b'), () => challenge(), () => ok()]);
    const res = await createFetch(auth, base)('http://h.test/a');
    assert.equal(res.status, 200);
    assert.deepEqual(
      base.calls.map((c) => c.url),
      ['http://h.test/a', 'http://h.test/a', 'http://h.test/b', 'http://h.test/b'],
    );
    assert.equal(res.redirected, true);
    assert.equal(factory.created.length, 2);
    assert.equal(
      base.calls.every((c) => c.init.redirect === 'manual'),
      true,
    );
  });

  test('a cross-origin redirect never carries the token or the caller Authorization', async () => {
    const { auth, factory } = setup({ mutualAuthentication: DISABLED, opportunisticAuth: true });
    const base = scriptedFetch([() => redirect('http://other.test/x'), () => challenge(), () => ok()]);
    await createFetch(auth, base)('http://h.test/a');
    assert.equal(factory.created[0]!.target, 'HTTP@h.test');
    assert.equal(factory.created[1]!.target, 'HTTP@other.test');
    const withBasic = scriptedFetch([() => redirect('http://other.test/x'), () => ok()]);
    await createFetch(setup().auth, withBasic)('http://h.test/a', {
      headers: { authorization: 'Basic abc' },
    });
    assert.equal(withBasic.calls[0]!.authorization, 'Basic abc');
    assert.equal(withBasic.calls[1]!.authorization, null);
  });

  test('delegate: true forwards credentials to the first host only; other hosts get the KDC policy', async () => {
    const { auth, factory } = setup({ mutualAuthentication: DISABLED, delegate: true });
    const base = scriptedFetch([
      () => challenge(),
      () => redirect('/same-host'),
      () => challenge(),
      () => redirect('http://other.test/x'),
      () => challenge(),
      () => ok(),
    ]);
    const res = await createFetch(auth, base)('http://h.test/a');
    assert.equal(res.status, 200);
    const flags = factory.created.map((c) => [
      c.target,
      (c.flags & ContextFlag.DELEG) !== 0,
      (c.flags & ContextFlag.DELEG_POLICY) !== 0,
    ]);
    assert.deepEqual(flags, [
      ['HTTP@h.test', true, false],
      ['HTTP@h.test', true, false],
      ['HTTP@other.test', false, true],
    ]);
  });

  test('a request that started over https gets no token on a plain http hop', async () => {
    // A scripted fetch has no TLS connection, so no certificate to bind to.
    const { auth, factory } = setup({
      mutualAuthentication: DISABLED,
      opportunisticAuth: true,
      channelBindings: false,
    });
    const base = scriptedFetch([() => redirect('http://h.test/b'), () => challenge()]);
    const res = await createFetch(auth, base)('https://h.test/a');
    assert.equal(res.status, 401);
    assert.deepEqual(
      base.calls.map((c) => [c.url, c.authorization !== null]),
      [
        ['https://h.test/a', true],
        ['http://h.test/b', false],
      ],
    );
    assert.equal(factory.created.length, 1, 'no token made for the http hop');
    const error = negotiateErrorOf(res);
    assert.ok(error instanceof SPNEGOExchangeError);
    assert.match(error.message, /started over https and was redirected to plain http/);
    assert.ok(error.cause instanceof TokenWithheldError, 'a coded reason');

    // Started in clear, the caller chose http: a later http hop is answered as usual.
    const clear = scriptedFetch([
      () => redirect('https://h.test/b'),
      () => redirect('http://h.test/c'),
      () => ok(),
    ]);
    await createFetch(
      setup({ mutualAuthentication: DISABLED, opportunisticAuth: true, channelBindings: false }).auth,
      clear,
    )('http://h.test/a');
    assert.deepEqual(
      clear.calls.map((c) => c.authorization !== null),
      [true, true, true],
    );
  });

  test('a fixed targetName goes with hops on the first host only', async () => {
    const { auth, factory } = setup({
      mutualAuthentication: DISABLED,
      opportunisticAuth: true,
      targetName: 'HTTP@svc.test',
      // A scripted fetch has no TLS connection, so no certificate to bind to.
      channelBindings: false,
    });
    const base = scriptedFetch([
      () => redirect('https://h.test/b'),
      () => redirect('https://other.test/c'),
      () => challenge(),
    ]);
    const res = await createFetch(auth, base)('http://h.test/a');
    assert.deepEqual(
      base.calls.map((c) => c.authorization !== null),
      [true, true, false],
    );
    assert.deepEqual(
      factory.created.map((c) => c.target),
      ['HTTP@svc.test', 'HTTP@svc.test'],
    );
    assert.match(negotiateErrorOf(res)?.message ?? '', /fixed service/);
  });

  test('POST becomes GET on 302 and 303 and drops the body; 307 keeps both', async () => {
    for (const [status, method, body] of [
      [302, 'GET', null],
      [303, 'GET', null],
      [307, 'POST', 'data'],
    ] as const) {
      const base = scriptedFetch([() => redirect('/next', status), () => ok()]);
      await createFetch(setup({ mutualAuthentication: DISABLED }).auth, base)('http://h.test/', {
        method: 'POST',
        body: 'data',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(base.calls[1]!.init.method, method, `status ${status}`);
      assert.equal(base.calls[1]!.body, body);
      assert.equal(new Headers(base.calls[1]!.init.headers).has('content-type'), body !== null);
    }
  });

  test('redirect modes: manual returns the 3xx, error throws, follow stops after 20 hops', async () => {
    const manual = await createFetch(setup().auth, scriptedFetch([() => redirect('/x')]))('http://h.test/', {
      redirect: 'manual',
    });
    assert.equal(manual.status, 302);
    await assert.rejects(
      createFetch(setup().auth, scriptedFetch([() => redirect('/x')]))('http://h.test/', {
        redirect: 'error',
      }),
      TypeError,
    );
    const loop = scriptedFetch([() => redirect('/again')]);
    await assert.rejects(createFetch(setup().auth, loop)('http://h.test/'), /too many redirects/);
    assert.equal(loop.calls.length, 21);
  });
});

describe('the caller stays in control', () => {
  test('an aborted signal rejects before sending', async () => {
    const base = scriptedFetch([() => ok()]);
    await assert.rejects(createFetch(setup().auth, base)('http://h.test/', { signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
    assert.equal(base.calls.length, 0);
  });

  test('a caller-supplied Authorization header is left alone', async () => {
    const { auth, factory } = setup();
    const base = scriptedFetch([() => challenge()]);
    const res = await createFetch(auth, base)('http://h.test/', { headers: { Authorization: 'Bearer xyz' } });
    assert.equal(res.status, 401);
    assert.equal(base.calls.length, 1);
    assert.equal(factory.created.length, 0);
  });
});
