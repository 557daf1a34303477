import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContextFactory } from '../../src/core/negotiate-context.js';
import { SecStatus } from '../../src/gssapi/sspi/raw/constants.js';
import { SSPIError } from '../../src/gssapi/sspi/sspi-error.js';
import { createFetch, HTTPSPNEGOAuth, LoginRefusedError, negotiateErrorOf } from '../../src/index.js';
import { useRealm } from '../helpers/realm-fixture.js';

// Windows logs a password in inside the first InitializeSecurityContextW, so a wrong password
// fails at the step (SEC_E_LOGON_DENIED), not at acquisition as with MIT. The credentials here
// are a real password login on the test realm; the context is scripted to fail its first step
// the way Windows does (the real SSPIError), which Wine cannot show (see sspi-wine.test.ts).

const fixture = useRealm({ negotiateServer: true });

/** A context factory whose every step fails with `status`, counting the steps. */
function failingSteps(status: number): { factory: ContextFactory; steps(): number } {
  let steps = 0;
  const factory: ContextFactory = () => ({
    async step() {
      steps++;
      throw new SSPIError('InitializeSecurityContextW', status, { context: 'target HTTP/web' });
    },
    complete: false,
    mutualAuthenticated: false,
    dispose() {},
  });
  return { factory, steps: () => steps };
}

async function send(auth: HTTPSPNEGOAuth, path: string) {
  const res = await createFetch(auth)(`${fixture.negotiateServer.url}ok/${path}`);
  await res.arrayBuffer();
  return { status: res.status, cause: negotiateErrorOf(res)?.cause };
}

describe('a login refused at the first step (SSPI)', () => {
  test('is tried once for five requests, each getting ERR_LOGIN_REFUSED; retryLogin() allows one more', async () => {
    const { factory, steps } = failingSteps(SecStatus.SEC_E_LOGON_DENIED);
    const { principal, password } = fixture.realm.user;
    const auth = new HTTPSPNEGOAuth({ creds: { principal, password } }, { contextFactory: factory });
    for (let i = 0; i < 5; i++) {
      const { status, cause } = await send(auth, `step-${i}`);
      assert.equal(status, 401);
      assert.ok(cause instanceof LoginRefusedError, `request ${i}: ${String(cause)}`);
      assert.ok(cause.cause instanceof SSPIError);
      assert.equal((cause.cause as SSPIError).statusName, 'SEC_E_LOGON_DENIED');
      assert.match(cause.message, /password login of .*KRB5KDC_ERR_PREAUTH_FAILED/);
      assert.match(cause.hint ?? '', /not tried again.*retryLogin/);
    }
    assert.equal(steps(), 1, 'one logon attempt for five requests');
    auth.retryLogin();
    const again = await send(auth, 'step-retry');
    assert.ok(again.cause instanceof LoginRefusedError);
    assert.equal(steps(), 2, 'retryLogin() allows exactly one more');
  });

  test('requests that stepped on the handle at the same time all report the refusal', async () => {
    const { factory, steps } = failingSteps(SecStatus.SEC_E_LOGON_DENIED);
    const { principal, password } = fixture.realm.user;
    const auth = new HTTPSPNEGOAuth({ creds: { principal, password } }, { contextFactory: factory });
    const together = await Promise.all([0, 1, 2].map((i) => send(auth, `together-${i}`)));
    for (const { cause } of together) assert.ok(cause instanceof LoginRefusedError, String(cause));
    // Scripted contexts step side by side (in the SSPI provider, LogonGate lets one logon step
    // run at a time: test/unit/logon-gate.test.ts); none steps after the refusal.
    const before = steps();
    assert.ok(before >= 1 && before <= 3, String(before));
    assert.ok((await send(auth, 'after')).cause instanceof LoginRefusedError);
    assert.equal(steps(), before);
  });

  test('other step failures are not remembered: each request tries again', async () => {
    const { factory, steps } = failingSteps(SecStatus.SEC_E_TARGET_UNKNOWN);
    const { principal, password } = fixture.realm.user;
    const auth = new HTTPSPNEGOAuth({ creds: { principal, password } }, { contextFactory: factory });
    for (let i = 0; i < 3; i++) {
      const { status, cause } = await send(auth, `spn-${i}`);
      assert.equal(status, 401);
      assert.ok(cause instanceof SSPIError, String(cause));
    }
    assert.equal(steps(), 3);
  });

  test('a refused logon of the default credentials is no login of ours and is not remembered', async () => {
    const { factory, steps } = failingSteps(SecStatus.SEC_E_LOGON_DENIED);
    const auth = new HTTPSPNEGOAuth({}, { contextFactory: factory });
    for (let i = 0; i < 2; i++) {
      const { cause } = await send(auth, `default-${i}`);
      assert.ok(cause instanceof SSPIError, String(cause));
    }
    assert.equal(steps(), 2);
  });
});
