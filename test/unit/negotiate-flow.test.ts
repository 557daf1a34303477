import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MutualAuthenticationError, SPNEGOExchangeError } from '../../src/core/errors.js';
import type { FlowDecision, FlowOptions, FlowResponse } from '../../src/core/flow-types.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED, type HTTPSPNEGOAuthOptions, KRB5, OPTIONAL, REQUIRED } from '../../src/core/options.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import { b64, type FakeScript, fakeContextFactory } from '../helpers/fake-context.js';

// The flow on its own: no HTTP, a scripted fake context, responses written by hand. What every
// client does with the flow's decisions is the behavior table's (test/helpers/adapter-unit-table.ts).

const URL_A = 'http://web.example.org/a';

function makeFlow(
  options: HTTPSPNEGOAuthOptions = {},
  script: FakeScript = {},
  flowOptions: FlowOptions = {},
) {
  const factory = fakeContextFactory(script);
  const auth = new HTTPSPNEGOAuth(
    { learnedPreemption: false, mutualAuthentication: REQUIRED, ...options },
    { contextFactory: factory },
  );
  return { auth, factory, flow: auth.flow(URL_A, flowOptions) };
}

/** A response as an adapter hands it over; `negotiate`: the Negotiate element, token as text. */
function response(
  status: number,
  negotiate?: string | null,
  headers: Record<string, string> = {},
): FlowResponse {
  const all: Record<string, string> = { ...headers };
  if (negotiate !== undefined && negotiate !== null) {
    all['www-authenticate'] = negotiate === '' ? 'Negotiate' : `Negotiate ${b64(negotiate)}`;
  }
  return { status, header: (name) => all[name] ?? null, response: { status } };
}

const tokenOf = (decision: FlowDecision | string | null) => {
  const value =
    typeof decision === 'object' && decision !== null
      ? decision.action === 'retry'
        ? decision.authorization
        : null
      : decision;
  return value === null ? null : Buffer.from(value.replace(/^Negotiate /, ''), 'base64').toString();
};

describe('NegotiateFlow: a server that refuses our tokens', () => {
  test('the third challenge gives up: the server refused the token, with the usual causes named', async () => {
    const { flow, factory } = makeFlow({ mutualAuthentication: DISABLED });
    assert.equal(await flow.start(), null);
    assert.equal(tokenOf(await flow.onResponse(response(401, ''))), 'tok-1');
    // Tomcat answers a refused token with a bare Negotiate 401: a fresh context tries again.
    assert.equal(tokenOf(await flow.onResponse(response(401, ''))), 'tok-1');
    const decision = await flow.onResponse(response(401, ''));
    assert.equal(decision.action, 'return');
    assert.ok(decision.action === 'return' && decision.error instanceof SPNEGOExchangeError);
    const error = decision.error;
    assert.match(error.message, /refused our Negotiate token/);
    assert.match(error.message, /3 Negotiate challenges in a row/);
    assert.match(error.hint ?? '', /kvno mismatch/);
    assert.match(error.hint ?? '', /clocks/);
    assert.match(error.hint ?? '', /SPN belongs to another account/);
    assert.equal(factory.created.length, 2);
    assert.equal(factory.disposed, 2);
  });

  test('a refused exchange that did not delegate: the hint says the server may require delegation', async () => {
    const { flow } = makeFlow({ mutualAuthentication: DISABLED });
    await flow.start();
    await flow.onResponse(response(401, ''));
    await flow.onResponse(response(401, ''));
    const decision = await flow.onResponse(response(401, ''));
    assert.ok(decision.action === 'return');
    assert.match(decision.error?.hint ?? '', /may require delegated credentials/);
    assert.match(decision.error?.hint ?? '', /mod_authn_gssapi/);
  });

  test('a refused exchange that delegated: no delegation hint', async () => {
    const { flow } = makeFlow(
      { mutualAuthentication: DISABLED, delegate: true },
      { grantedFlags: ContextFlag.DELEG | ContextFlag.MUTUAL },
    );
    await flow.start();
    await flow.onResponse(response(401, ''));
    await flow.onResponse(response(401, ''));
    const decision = await flow.onResponse(response(401, ''));
    assert.ok(decision.action === 'return' && decision.error);
    assert.doesNotMatch(decision.error.hint ?? '', /delegat/);
    assert.match(decision.error.hint ?? '', /kvno mismatch/);
  });

  test('raw Kerberos (mech: KRB5) refused: the hint names SPNEGO-only acceptors', async () => {
    const { flow } = makeFlow({ mutualAuthentication: DISABLED, mech: KRB5 });
    await flow.start();
    await flow.onResponse(response(401, ''));
    await flow.onResponse(response(401, ''));
    const decision = await flow.onResponse(response(401, ''));
    assert.ok(decision.action === 'return');
    assert.match(decision.error?.hint ?? '', /only SPNEGO.*mech: KRB5/);
    const spnego = makeFlow({ mutualAuthentication: DISABLED }).flow;
    await spnego.start();
    await spnego.onResponse(response(401, ''));
    await spnego.onResponse(response(401, ''));
    const other = await spnego.onResponse(response(401, ''));
    assert.ok(other.action === 'return');
    assert.doesNotMatch(other.error?.hint ?? '', /mech: KRB5/, 'not said when SPNEGO was used');
  });
});

describe('NegotiateFlow: when a token is made', () => {
  test('bare start: no token, no context; a final response passes without a decision', async () => {
    const { flow, factory } = makeFlow();
    assert.equal(await flow.start(), null);
    assert.deepEqual(flow.requestHeaders(null), {});
    assert.equal(flow.passes(response(200)), true);
    assert.equal(factory.created.length, 0);
    assert.equal(flow.tokensSent, 0);
  });

  test('opportunisticAuth: a token up front; learned preemption: after one challenge, the origin gets one up front', async () => {
    const { flow } = makeFlow({ opportunisticAuth: true, mutualAuthentication: DISABLED });
    assert.equal(tokenOf(await flow.start()), 'tok-1');
    assert.deepEqual(Object.keys(flow.requestHeaders('Negotiate x')), ['authorization']);
    const { auth } = makeFlow({ learnedPreemption: true, mutualAuthentication: DISABLED });
    const first = auth.flow(URL_A);
    assert.equal(await first.start(), null, 'nothing learned yet');
    await first.onResponse(response(401, ''));
    first.dispose();
    assert.equal(tokenOf(await auth.flow(`${URL_A}/other`).start()), 'tok-1');
    assert.equal(await auth.flow('http://other.example.org/').start(), null, 'learned per origin');
  });

  test('a Negotiate challenge is answered with a fresh context for HTTP@host; a 200 then hands over', async () => {
    const { flow, factory } = makeFlow({ mutualAuthentication: DISABLED });
    await flow.start();
    const decision = await flow.onResponse(response(401, ''));
    assert.equal(tokenOf(decision), 'tok-1');
    assert.equal(factory.created[0]!.target, 'HTTP@web.example.org');
    assert.equal(flow.tokensSent, 1);
    assert.equal(flow.passes(response(200)), false, 'a token is out: the response needs a decision');
    assert.deepEqual(await flow.onResponse(response(200)), { action: 'return', sanitize: false });
    assert.equal(factory.disposed, 1);
  });

  test('a 401 with only another scheme comes back untouched; a proxy flow reads 407 and Proxy-Authenticate', async () => {
    const { flow, factory } = makeFlow();
    await flow.start();
    assert.deepEqual(await flow.onResponse(response(401, null, { 'www-authenticate': 'Basic realm="x"' })), {
      action: 'return',
      sanitize: false,
    });
    assert.equal(factory.created.length, 0);
    const { auth } = makeFlow({ mutualAuthentication: REQUIRED });
    const proxy = auth.flow(URL_A, { kind: 'proxy' });
    assert.equal(proxy.header, 'proxy-authorization');
    await proxy.start();
    const challenge: FlowResponse = {
      status: 407,
      header: (name) => (name === 'proxy-authenticate' ? 'Negotiate' : null),
    };
    assert.equal(tokenOf(await proxy.onResponse(challenge)), 'tok-1');
    // A proxy leg never requires mutual authentication: no final token passes.
    assert.equal((await proxy.onResponse(response(200))).action, 'return');
  });

  test('multi-leg: a token in a 401 answering our token continues the same context', async () => {
    const { flow, factory } = makeFlow(
      { mutualAuthentication: OPTIONAL },
      { continue: (server) => (server === 'leg-2' ? 'tok-2' : null) },
    );
    await flow.start();
    assert.equal(tokenOf(await flow.onResponse(response(401, ''))), 'tok-1');
    assert.equal(tokenOf(await flow.onResponse(response(401, 'leg-2'))), 'tok-2');
    assert.equal(factory.created.length, 1);
    assert.deepEqual(factory.steps, [null, 'leg-2']);
    assert.equal(flow.tokensSent, 2);
  });

  test('a token up front that cannot be made: the challenge is answered with that reason, not a second try', async () => {
    const gss = Object.assign(new Error('no ccache'), { code: 'KRB5_FCC_NOFILE' });
    const { flow, factory } = makeFlow({ opportunisticAuth: true }, { failFirst: gss });
    assert.equal(await flow.start(), null);
    const decision = await flow.onResponse(response(401, ''));
    assert.ok(decision.action === 'return' && decision.error instanceof SPNEGOExchangeError);
    assert.equal(decision.error.cause, gss);
    assert.equal(factory.created.length, 1);
  });

  test('a body that cannot be sent twice: a token up front or BodyNotReplayableError; no second leg', async () => {
    const { flow } = makeFlow({ mutualAuthentication: DISABLED }, {}, { replayable: false });
    assert.equal(tokenOf(await flow.start()), 'tok-1');
    const again = await flow.onResponse(response(401, ''));
    assert.ok(again.action === 'return' && again.error?.code === 'ERR_BODY_NOT_REPLAYABLE');
    const failing = makeFlow({}, { failFirst: new Error('no ccache') }, { replayable: false }).flow;
    await assert.rejects(
      failing.start(),
      (e: unknown) => (e as { code?: string }).code === 'ERR_BODY_NOT_REPLAYABLE',
    );
  });
});

describe('NegotiateFlow: mutual authentication of the final response', () => {
  async function tokenOut(options: HTTPSPNEGOAuthOptions, script: FakeScript = {}) {
    const made = makeFlow(options, script);
    await made.flow.start();
    await made.flow.onResponse(response(401, ''));
    return made;
  }

  test('verified: the server token completes the context', async () => {
    const { flow, factory } = await tokenOut({ mutualAuthentication: REQUIRED });
    assert.deepEqual(await flow.onResponse(response(200, 'server-ok')), {
      action: 'return',
      sanitize: false,
    });
    assert.deepEqual(factory.steps, [null, 'server-ok']);
    assert.equal(factory.disposed, 1);
  });

  test('missing: REQUIRED raises (response attached), an error response is sanitized; OPTIONAL passes', async () => {
    const required = await tokenOut({ mutualAuthentication: REQUIRED });
    await assert.rejects(required.flow.onResponse(response(200)), (e: unknown) => {
      assert.ok(e instanceof MutualAuthenticationError);
      assert.deepEqual(e.response, { status: 200 });
      return true;
    });
    assert.equal(required.factory.disposed, 1);
    const failed = await tokenOut({ mutualAuthentication: REQUIRED });
    assert.deepEqual(await failed.flow.onResponse(response(500)), { action: 'return', sanitize: true });
    const optional = await tokenOut({ mutualAuthentication: OPTIONAL });
    assert.deepEqual(await optional.flow.onResponse(response(200)), { action: 'return', sanitize: false });
  });

  test('a bare Negotiate or Negotiate auth-params is no token; a garbled token68 is a bad one', async () => {
    for (const value of ['Negotiate', 'Negotiate token="x"']) {
      const optional = await tokenOut({ mutualAuthentication: OPTIONAL });
      assert.equal(
        (await optional.flow.onResponse(response(200, null, { 'www-authenticate': value }))).action,
        'return',
      );
      const required = await tokenOut({ mutualAuthentication: REQUIRED });
      await assert.rejects(
        required.flow.onResponse(response(200, null, { 'www-authenticate': value })),
        /without a Negotiate token/,
      );
    }
    for (const mutualAuthentication of [OPTIONAL, REQUIRED] as const) {
      const { flow } = await tokenOut({ mutualAuthentication });
      await assert.rejects(
        flow.onResponse(response(200, null, { 'www-authenticate': 'Negotiate !!not*base64!!' })),
        /malformed Negotiate token/,
      );
    }
  });

  test('a forged server token fails verification, with the GSS error as cause', async () => {
    const { flow } = await tokenOut({ mutualAuthentication: OPTIONAL });
    await assert.rejects(flow.onResponse(response(200, 'forged')), (e: unknown) => {
      assert.ok(e instanceof MutualAuthenticationError);
      assert.equal((e.cause as { code?: string }).code, 'GSS_S_DEFECTIVE_TOKEN');
      return true;
    });
  });
});

describe('NegotiateFlow: dispose', () => {
  test('mid-exchange: the context whose token is out is released, once', async () => {
    const { flow, factory } = makeFlow();
    await flow.start();
    await flow.onResponse(response(401, ''));
    flow.dispose();
    flow.dispose();
    assert.equal(factory.disposed, 1);
    assert.equal(flow.boundCertificate, null);
  });

  test('while a token is being made: the context made after all is released, and no token goes out', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner = fakeContextFactory();
    const auth = new HTTPSPNEGOAuth(
      { learnedPreemption: false, opportunisticAuth: true },
      {
        contextFactory: (request) => {
          const ctx = inner(request);
          return {
            ...ctx,
            mech: null,
            complete: false,
            mutualAuthenticated: false,
            step: async (t) => {
              await gate;
              return ctx.step(t);
            },
            dispose: ctx.dispose,
          };
        },
      },
    );
    const flow = auth.flow(URL_A);
    const started = flow.start();
    await new Promise((resolve) => setImmediate(resolve));
    flow.dispose();
    release();
    assert.equal(await started, null);
    assert.equal(inner.created.length, 1);
    assert.equal(inner.disposed, 1);
    assert.equal(flow.tokensSent, 0);
  });
});
