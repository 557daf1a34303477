import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BodyNotReplayableError,
  type HttpGssapiError,
  MutualAuthenticationError,
  SPNEGOExchangeError,
} from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED, type HTTPSPNEGOAuthOptions, OPTIONAL, REQUIRED } from '../../src/core/options.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import { type Driver, type Outcome, rejectsWith } from './adapter-drivers.js';
import type { FakeScript } from './fake-context.js';
import {
  challenge,
  echo,
  type Handler,
  ok,
  redirect,
  ScriptedServer,
  targetedContextFactory,
  tokenText,
} from './scripted-server.js';

// The createFetch behavior table, run through any adapter against a local scripted server and a
// scripted fake context. Each test file runs it for its client, then adds the client's own cases.

/** A scripted server for the whole file. */
export function useScriptedServer(): () => ScriptedServer {
  let server: ScriptedServer | undefined;
  before(async () => {
    server = await ScriptedServer.start();
  });
  after(async () => {
    await server?.stop();
  });
  return () => server!;
}

/** An auth with a targeted fake context; learned preemption off and mutual REQUIRED unless given. */
export function fakeAuth(options: HTTPSPNEGOAuthOptions = {}, script: FakeScript = {}) {
  const factory = targetedContextFactory(script);
  const auth = new HTTPSPNEGOAuth(
    { learnedPreemption: false, mutualAuthentication: REQUIRED, ...options },
    { contextFactory: factory },
  );
  return { auth, factory };
}

/** Asserts the 401 came back unauthenticated, the client's way, with `reason` reachable. */
export function assertUnauthenticated(driver: Driver, outcome: Outcome): HttpGssapiError {
  assert.equal(outcome.status, 401);
  assert.equal(
    outcome.rejection?.name ?? null,
    rejectsWith[driver.name],
    'the client reports a 401 its own way',
  );
  const error = outcome.negotiateError;
  assert.ok(error, 'negotiateErrorOf(response) tells why');
  if (outcome.rejection) assert.equal(outcome.rejection.cause, error, 'and so does the client error cause');
  return error;
}

const TOKEN_A = `tok-1@HTTP@localhost`;

export function runUnitTable(driver: Driver): void {
  const server = useScriptedServer();
  const script = (...handlers: Handler[]) => server().script(...handlers);
  const auths = () => server().requests.map((r) => tokenText(r.authorization) ?? r.authorization);

  describe(`${driver.name}: challenge and response`, () => {
    test('the first request goes bare; a Negotiate 401 is answered with a fresh context for HTTP@host', async () => {
      const { auth, factory } = fakeAuth();
      script(challenge(), ok());
      const res = await driver.send(auth, server().url('/a'));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'payload');
      assert.deepEqual(auths(), [null, TOKEN_A]);
      assert.equal(factory.created[0]!.target, 'HTTP@localhost');
      assert.equal(factory.disposed, 1);
    });

    test('a 401 without a Negotiate challenge comes back untouched', async () => {
      const { auth, factory } = fakeAuth();
      script(() => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="x"' }, body: 'no' }));
      const res = await driver.send(auth, server().url());
      assert.equal(res.status, 401);
      assert.equal(res.body, 'no');
      assert.equal(res.headers['www-authenticate'], 'Basic realm="x"');
      assert.equal(server().requests.length, 1);
      assert.equal(factory.created.length, 0);
      assert.equal(res.negotiateError, undefined);
    });

    test('at most two 401s are handled per request', async () => {
      const { auth } = fakeAuth();
      script(challenge());
      const res = await driver.send(auth, server().url());
      assert.equal(server().requests.length, 3);
      assert.ok(assertUnauthenticated(driver, res) instanceof SPNEGOExchangeError);
      assert.equal(res.body, 'denied', 'the last 401 comes back whole');
    });

    test('a server that refuses each token with a bare Negotiate 401: the error says so, with the usual causes', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
      script(challenge());
      const error = assertUnauthenticated(driver, await driver.send(auth, server().url()));
      assert.match(error.message, /the server refused our Negotiate token/);
      assert.match(error.hint ?? '', /kvno mismatch/);
      assert.match(error.hint ?? '', /may require delegated credentials/, 'no token delegated');
    });

    test('a token in a 401 answering our token continues the same context (multi-leg)', async () => {
      const { auth, factory } = fakeAuth(
        { mutualAuthentication: OPTIONAL },
        { continue: (s) => (s === 'leg-2' ? 'tok-2' : null) },
      );
      script(challenge(), challenge('leg-2'), ok(null));
      const res = await driver.send(auth, server().url());
      assert.equal(res.status, 200);
      assert.deepEqual(auths(), [null, TOKEN_A, 'tok-2']);
      assert.equal(factory.created.length, 1);
      assert.deepEqual(factory.steps, [null, 'leg-2']);
    });
  });

  describe(`${driver.name}: failures come back as the 401`, () => {
    test('a GSS error returns the 401 at once, the reason reachable', async () => {
      const gss = Object.assign(new Error('no ccache'), { code: 'KRB5_FCC_NOFILE', hint: 'run kinit' });
      const errors: unknown[] = [];
      const { auth } = fakeAuth({ onError: (e) => errors.push(e) }, { failFirst: gss });
      script(challenge());
      const res = await driver.send(auth, server().url());
      assert.equal(server().requests.length, 1, 'no wasted round trip');
      const error = assertUnauthenticated(driver, res);
      assert.ok(error instanceof SPNEGOExchangeError);
      assert.equal(error.cause, gss);
      assert.equal(error.hint, 'run kinit');
      assert.deepEqual(errors, [error]);
      assert.equal(res.body, 'denied', 'the 401 itself, body included');
    });

    test('a malformed Negotiate challenge returns the 401 with a parse error as cause', async () => {
      const { auth } = fakeAuth();
      script(() => ({ status: 401, headers: { 'www-authenticate': 'Negotiate abc' } }));
      const res = await driver.send(auth, server().url());
      const error = assertUnauthenticated(driver, res);
      assert.equal((error.cause as { code?: string }).code, 'ERR_CHALLENGE_PARSE');
    });
  });

  describe(`${driver.name}: opportunistic and learned preemption`, () => {
    test('opportunisticAuth puts a token on the first request', async () => {
      const { auth } = fakeAuth({ opportunisticAuth: true });
      script(ok());
      assert.equal((await driver.send(auth, server().url())).status, 200);
      assert.deepEqual(auths(), [TOKEN_A]);
    });

    test('after a Negotiate challenge, later requests to the origin carry a token up front', async () => {
      const { auth } = fakeAuth({ learnedPreemption: true });
      script(challenge(), ok(), ok(), challenge(), ok());
      await driver.send(auth, server().url('/one'));
      await driver.send(auth, server().url('/two'));
      assert.deepEqual(auths(), [null, TOKEN_A, TOKEN_A]);
      await driver.send(auth, server().otherHost('/'));
      assert.equal(server().requests[3]!.authorization, null, 'another origin learns on its own');
    });
  });

  describe(`${driver.name}: mutual authentication`, () => {
    test('REQUIRED: a 200 without a server token raises MutualAuthenticationError', async () => {
      const { auth } = fakeAuth();
      script(challenge(), ok(null));
      await assert.rejects(driver.send(auth, server().url()), (e: unknown) => {
        assert.ok(e instanceof MutualAuthenticationError);
        assert.equal(e.code, 'ERR_MUTUAL_AUTH');
        assert.ok(e.response, 'the unauthenticated response is attached');
        assert.ok(!Object.keys(e).includes('response'), 'but not enumerable');
        return true;
      });
    });

    test('REQUIRED: a server token that fails verification raises', async () => {
      const { auth } = fakeAuth();
      script(challenge(), ok('forged'));
      await assert.rejects(driver.send(auth, server().url()), MutualAuthenticationError);
    });

    test('REQUIRED: an error response without a token is stripped to Date and Server', async () => {
      const { auth } = fakeAuth();
      const headers = { date: 'Sat, 28 Nov 2026 10:00:00 GMT', server: 'test', 'x-secret': 'internal' };
      script(challenge(), ok(null, 500, headers));
      const res = await driver.send(auth, server().url());
      assert.equal(res.status, 500);
      assert.equal(res.body, '');
      assert.equal(res.headers['x-secret'], undefined);
      assert.equal(res.headers['content-type'], undefined);
      assert.equal(res.headers['server'], 'test');
      assert.equal(res.headers['date'], headers.date);
    });

    test('sanitizeMutualErrorResponse: false returns the error response whole', async () => {
      const { auth } = fakeAuth({ sanitizeMutualErrorResponse: false });
      script(challenge(), ok(null, 500, { 'x-secret': 'internal' }));
      const res = await driver.send(auth, server().url());
      assert.equal(res.body, 'payload');
      assert.equal(res.headers['x-secret'], 'internal');
    });

    test('OPTIONAL: no token is accepted, a bad token still raises', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: OPTIONAL });
      script(challenge(), ok(null));
      assert.equal((await driver.send(auth, server().url())).status, 200);
      script(challenge(), ok('forged'));
      await assert.rejects(driver.send(auth, server().url()), MutualAuthenticationError);
      // A token too garbled to parse is a bad token too, not "no token" (docs/compatibility.md).
      script(challenge(), () => ({
        status: 200,
        headers: { 'www-authenticate': 'Negotiate !!not*base64!!' },
        body: 'payload',
      }));
      await assert.rejects(driver.send(auth, server().url()), /malformed Negotiate token/);
    });

    finalTokenCases(driver, server);

    test('DISABLED: never verifies, yet asks for mutual authentication (so a server explains a refusal)', async () => {
      const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED }, { completeAfterFirst: true });
      script(challenge(), ok('forged'));
      assert.equal((await driver.send(auth, server().url())).status, 200);
      assert.equal(factory.created[0]!.flags & ContextFlag.MUTUAL, ContextFlag.MUTUAL);
    });
  });

  describe(`${driver.name}: options reach the context`, () => {
    test('targetName, delegate and mech', async () => {
      const { auth, factory } = fakeAuth({
        targetName: 'web',
        delegate: true,
        mech: null,
        mutualAuthentication: DISABLED,
      });
      script(challenge(), ok());
      await driver.send(auth, server().url());
      const made = factory.created[0]!;
      assert.equal(made.target, 'web@localhost');
      assert.equal(made.flags & ContextFlag.DELEG, ContextFlag.DELEG);
      assert.equal(made.mech, null);
    });

    test('a caller-supplied Authorization header is left alone', async () => {
      const { auth, factory } = fakeAuth();
      script(challenge());
      const res = await driver.send(auth, server().url(), { headers: { Authorization: 'Bearer xyz' } });
      assert.equal(res.status, 401);
      assert.deepEqual(auths(), ['Bearer xyz']);
      assert.equal(factory.created.length, 0);
    });
  });

  describe(`${driver.name}: bodies`, () => {
    test('a string body is sent again, whole, with the token', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
      script(challenge(), echo);
      await driver.send(auth, server().url(), { method: 'POST', body: 'hello' });
      assert.deepEqual(
        server().requests.map((r) => r.body),
        ['hello', 'hello'],
      );
    });

    test('a stream under the cap is buffered and replayed', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
      script(challenge(), echo);
      await driver.send(auth, server().url(), { method: 'PUT', stream: ['ab', 'cd'] });
      assert.deepEqual(
        server().requests.map((r) => r.body),
        ['abcd', 'abcd'],
      );
    });

    test('a stream over the cap is sent once, whole, with a token up front', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: DISABLED, maxReplayBodySize: 3 });
      script(echo);
      const res = await driver.send(auth, server().url(), { method: 'PUT', stream: ['ab', 'cd', 'ef'] });
      assert.equal(res.status, 200);
      assert.deepEqual(
        server().requests.map((r) => [r.body, tokenText(r.authorization)]),
        [['abcdef', TOKEN_A]],
      );
    });

    test('a stream over the cap with no token to send fails before sending', async () => {
      const gss = Object.assign(new Error('no ccache'), { code: 'KRB5_FCC_NOFILE' });
      const { auth } = fakeAuth({ maxReplayBodySize: 1 }, { failFirst: gss });
      script(echo);
      await assert.rejects(
        driver.send(auth, server().url(), { method: 'PUT', stream: ['abc'] }),
        (e: unknown) => e instanceof BodyNotReplayableError && e.code === 'ERR_BODY_NOT_REPLAYABLE',
      );
      assert.equal(server().requests.length, 0);
    });

    test('a stream over the cap answered by a 401 anyway: the 401 comes back, with the reason', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: DISABLED, maxReplayBodySize: 3 });
      script(challenge());
      const res = await driver.send(auth, server().url(), { method: 'PUT', stream: ['ab', 'cd'] });
      assert.equal(server().requests.length, 1);
      assert.ok(assertUnauthenticated(driver, res) instanceof BodyNotReplayableError);
    });
  });

  describe(`${driver.name}: session cookies`, () => {
    const withSession = ok('server-ok', 200, { 'set-cookie': 'sid=abc; Path=/; HttpOnly' });
    const seen = () => server().requests.map((r) => [r.path, tokenText(r.authorization), r.cookie]);

    test('a cookie set after the handshake stands in for the token on later requests to the origin', async () => {
      const { auth } = fakeAuth({ learnedPreemption: true });
      script(challenge(), withSession);
      await driver.send(auth, server().url('/a'));
      script(ok(null));
      const res = await driver.send(auth, server().url('/b'));
      assert.equal(res.status, 200);
      assert.deepEqual(seen(), [['/b', null, 'sid=abc']], 'one round trip, no token');
    });

    test('a Negotiate 401 despite the session drops it and negotiates at once, in the same request', async () => {
      const { auth } = fakeAuth({ learnedPreemption: true });
      script(challenge(), withSession);
      await driver.send(auth, server().url('/a'));
      script(ok(null));
      await driver.send(auth, server().url('/b'));
      script(challenge(), ok());
      const res = await driver.send(auth, server().url('/c'));
      assert.equal(res.status, 200);
      assert.deepEqual(seen(), [
        ['/c', null, 'sid=abc'],
        ['/c', TOKEN_A, null],
      ]);
    });

    test("the caller's Cookie is merged with the session's, not replaced", async () => {
      const { auth } = fakeAuth();
      script(challenge(), withSession);
      await driver.send(auth, server().url('/a'));
      script(ok(null));
      await driver.send(auth, server().url('/b'), { headers: { cookie: 'mine=1' } });
      assert.deepEqual(seen(), [['/b', null, 'mine=1; sid=abc']]);
    });

    test('cookies that never stood in for a token stop holding it back; none goes to another origin', async () => {
      const { auth } = fakeAuth({ learnedPreemption: true, mutualAuthentication: DISABLED });
      const balancer = ok(null, 200, { 'set-cookie': 'lb=7; Path=/' });
      script(challenge(), balancer);
      await driver.send(auth, server().url('/a'));
      script(challenge(), balancer);
      await driver.send(auth, server().url('/b'));
      assert.deepEqual(seen(), [
        ['/b', null, 'lb=7'],
        ['/b', TOKEN_A, null],
      ]);
      script(balancer);
      await driver.send(auth, server().url('/c'));
      assert.deepEqual(seen(), [['/c', TOKEN_A, 'lb=7']], 'the token up front again, the cookie with it');
      script(redirect(server().otherHost('/x')), ok(null));
      await driver.send(auth, server().url('/d'));
      assert.equal(server().toOtherHost[0]!.cookie, null, 'host B gets no cookie of host A');
    });

    test('a session that expires before its first reuse costs one extra round trip, and its successor serves', async () => {
      const { auth } = fakeAuth({ learnedPreemption: true });
      script(challenge(), ok('server-ok', 200, { 'set-cookie': 'sid=1; Path=/' }));
      await driver.send(auth, server().url('/a'));
      // The server ended the session before it was ever used (a one-second servlet session):
      // the cookie is refused, the token accepted, and a new session id handed out.
      script(challenge(), ok('server-ok', 200, { 'set-cookie': 'sid=2; Path=/' }), ok(null), ok(null));
      await driver.send(auth, server().url('/b'));
      await driver.send(auth, server().url('/c'));
      await driver.send(auth, server().url('/d'));
      assert.deepEqual(seen(), [
        ['/b', null, 'sid=1'],
        ['/b', TOKEN_A, null],
        ['/c', null, 'sid=2'],
        ['/d', null, 'sid=2'],
      ]);
    });

    test('sessionCookies: false keeps nothing', async () => {
      const { auth } = fakeAuth({ learnedPreemption: true, sessionCookies: false });
      script(challenge(), withSession);
      await driver.send(auth, server().url('/a'));
      script(ok());
      await driver.send(auth, server().url('/b'));
      assert.deepEqual(seen(), [['/b', TOKEN_A, null]]);
    });
  });

  describe(`${driver.name}: redirects`, () => {
    test('a same-origin redirect gets a fresh token for the next hop, never the same one again', async () => {
      const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED });
      script(challenge(), redirect('/b'), challenge(), ok());
      const res = await driver.send(auth, server().url('/a'));
      assert.equal(res.status, 200);
      assert.deepEqual(
        server().requests.map((r) => [r.path, tokenText(r.authorization)]),
        [
          ['/a', null],
          ['/a', TOKEN_A],
          ['/b', null],
          ['/b', TOKEN_A],
        ],
      );
      assert.equal(factory.created.length, 2, 'one context per hop');
    });

    test('no token made for host A reaches host B; a caller Authorization stays on A', async () => {
      const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED, opportunisticAuth: true });
      script(redirect(server().otherHost('/x')), challenge(), ok());
      await driver.send(auth, server().url('/a'));
      assert.equal(tokenText(server().requests[0]!.authorization), TOKEN_A);
      const atB = server().toOtherHost;
      assert.ok(atB.length >= 1);
      for (const r of atB) {
        const text = tokenText(r.authorization);
        assert.ok(text === null || text.endsWith('@HTTP@127.0.0.1'), `host B got ${text}`);
      }
      const [first, ...later] = factory.created.map((c) => c.target);
      assert.equal(first, 'HTTP@localhost');
      assert.ok(later.length > 0 && later.every((t) => t === 'HTTP@127.0.0.1'), 'host B gets its own');

      script(redirect(server().otherHost('/x')), ok());
      await driver.send(fakeAuth().auth, server().url('/a'), {
        headers: { authorization: 'Basic abc', cookie: 'session=1' },
      });
      assert.equal(server().requests[0]!.authorization, 'Basic abc');
      assert.equal(server().requests[1]!.authorization, null);
      assert.equal(server().requests[1]!.cookie, null);
    });

    test('a fixed targetName is used on the first host only: a hop to host B gets no token', async () => {
      const { auth, factory } = fakeAuth({
        mutualAuthentication: DISABLED,
        opportunisticAuth: true,
        targetName: 'HTTP@svc.example',
      });
      script(redirect(server().otherHost('/x')), challenge());
      const res = await driver.send(auth, server().url('/a'));
      assert.equal(tokenText(server().requests[0]!.authorization), 'tok-1@HTTP@svc.example');
      assert.ok(server().toOtherHost.length >= 1);
      for (const r of server().toOtherHost) assert.equal(r.authorization, null, 'host B got a token');
      assert.deepEqual(
        factory.created.map((c) => c.target),
        ['HTTP@svc.example'],
      );
      assert.match(assertUnauthenticated(driver, res).message, /fixed service/);
    });

    test('a redirect hop that failed mutual authentication raises (REQUIRED)', async () => {
      const { auth } = fakeAuth();
      script(challenge(), redirect('/b'));
      await assert.rejects(driver.send(auth, server().url('/a')), MutualAuthenticationError);
      assert.equal(server().requests.length, 2, 'the next hop is not requested');
    });

    test('POST becomes GET on 303 and drops the body; 307 keeps both', async () => {
      for (const [status, method, body] of [
        [303, 'GET', ''],
        [307, 'POST', 'data'],
      ] as const) {
        const { auth } = fakeAuth({ mutualAuthentication: DISABLED });
        script(redirect('/next', status), echo);
        await driver.send(auth, server().url('/'), {
          method: 'POST',
          body: 'data',
          headers: { 'content-type': 'text/plain' },
        });
        const hop = server().requests[1]!;
        assert.deepEqual([hop.method, hop.body], [method, body], `status ${status}`);
      }
    });
  });
}

/**
 * What mutual authentication makes of a final response whose Negotiate element carries no
 * token68 (defect 1 of issue 22): run by the table for every driver, and on its own for the
 * routes a driver of the table does not take (undici's fetch, axios's fetch adapter).
 */
export function finalTokenCases(driver: Driver, server: () => ScriptedServer): void {
  const script = (...handlers: Handler[]) => server().script(...handlers);
  // A final response whose Negotiate element carries no token68: a bare `Negotiate`, or
  // auth-params RFC 4559 does not define. No token came: OPTIONAL passes, REQUIRED fails as
  // for a missing token; a garbled token68 is a bad token under both.
  const finalHeaders = {
    'a bare Negotiate': 'Negotiate',
    'Negotiate with auth-params': 'Negotiate token="x"',
    'a garbled token68': 'Negotiate !!not*base64!!',
  } as const;
  for (const [shape, value] of Object.entries(finalHeaders)) {
    const finalWith = () => () => ({
      status: 200,
      headers: { 'www-authenticate': value },
      body: 'payload',
    });
    const garbled = shape === 'a garbled token68';
    test(`OPTIONAL: a final 200 with ${shape} ${garbled ? 'raises' : 'passes'}`, async () => {
      const { auth } = fakeAuth({ mutualAuthentication: OPTIONAL });
      script(challenge(), finalWith());
      const sent = driver.send(auth, server().url());
      if (garbled) {
        await assert.rejects(sent, /malformed Negotiate token/);
        return;
      }
      const res = await sent;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'payload');
      assert.equal(res.negotiateError, undefined);
    });
    test(`REQUIRED: a final 200 with ${shape} raises MutualAuthenticationError`, async () => {
      const { auth } = fakeAuth({ mutualAuthentication: REQUIRED });
      script(challenge(), finalWith());
      await assert.rejects(driver.send(auth, server().url()), (e: unknown) => {
        assert.ok(e instanceof MutualAuthenticationError);
        assert.match(e.message, garbled ? /malformed Negotiate token/ : /without a Negotiate token/);
        return true;
      });
    });
  }
}
