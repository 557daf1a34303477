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
    assert.match(error.hint ?? '', /SPN may belong to another account/);
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

void OPTIONAL;
void MutualAuthenticationError;
