import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HTTPSPNEGOAuth, LoginRefusedError } from '../../src/index.js';
import { drivers } from '../helpers/adapter-drivers.js';
import { useRealm } from '../helpers/realm-fixture.js';

// A wrong password must never lock an account: each attempt counts toward the KDC's lockout
// (here an MIT policy; Active Directory locks after a handful). A login costs one attempt
// whatever the mechanisms, and a refused login is not tried again by later requests.

const fixture = useRealm({ negotiateServer: true });
let accounts = 0;

/** A principal under a lockout policy; returns it and a reader of its failed-attempt count. */
async function lockableAccount(): Promise<{ principal: string; failures(): Promise<number> }> {
  const realm = fixture.realm;
  if (accounts === 0)
    await realm.kadmin('addpol -maxfailure 50 -failurecountinterval 0 -lockoutduration 0 lockout');
  const principal = await realm.addPrincipal(
    `locky${++accounts}`,
    { password: 'the-right-one-1' },
    { requiresPreauth: true },
  );
  await realm.kadmin(`modprinc -policy lockout ${principal}`);
  return {
    principal,
    async failures() {
      return Number(
        /Failed password attempts: (\d+)/.exec(await realm.kadmin(`getprinc ${principal}`))?.[1] ?? NaN,
      );
    },
  };
}

for (const driver of drivers) {
  describe(`a refused password login × ${driver.name}`, () => {
    test('five requests with a wrong password cost one failed attempt; retryLogin() tries once more', async () => {
      const account = await lockableAccount();
      const auth = new HTTPSPNEGOAuth({ creds: { principal: account.principal, password: 'wrong-1' } });
      for (let i = 0; i < 5; i++) {
        const res = await driver.send(
          auth,
          `${fixture.negotiateServer.url}ok/${driver.name}-${accounts}-${i}/`,
        );
        assert.equal(res.status, 401);
        const cause = res.negotiateError?.cause;
        assert.ok(cause instanceof LoginRefusedError, `request ${i}: ${String(cause)}`);
        assert.equal((cause.cause as { code?: string }).code, 'KRB5KDC_ERR_PREAUTH_FAILED');
        assert.match(cause.hint ?? '', /not tried again.*retryLogin/);
      }
      assert.equal(await account.failures(), 1, 'one attempt for five requests');
      auth.retryLogin();
      await driver.send(auth, `${fixture.negotiateServer.url}ok/${driver.name}-${accounts}-retry/`);
      assert.equal(await account.failures(), 2, 'retryLogin() allows exactly one more');
      const right = new HTTPSPNEGOAuth({
        creds: { principal: account.principal, password: 'the-right-one-1' },
      });
      const res = await driver.send(
        right,
        `${fixture.negotiateServer.url}ok/${driver.name}-${accounts}-right/`,
      );
      assert.equal(res.status, 200);
    });
  });
}

describe('a refused keytab login (the key was changed after the keytab was written)', () => {
  for (const driver of drivers.slice(0, 2)) {
    test(`five requests cost one failed attempt × ${driver.name}`, async () => {
      const account = await lockableAccount();
      const keytab = await fixture.realm.extractKeytab(account.principal);
      await fixture.realm.kadmin(`cpw -randkey ${account.principal}`);
      const auth = new HTTPSPNEGOAuth({ creds: { principal: account.principal, keytab } });
      for (let i = 0; i < 5; i++) {
        const res = await driver.send(
          auth,
          `${fixture.negotiateServer.url}ok/kt-${driver.name}-${accounts}-${i}/`,
        );
        assert.equal(res.status, 401);
        const cause = res.negotiateError?.cause;
        assert.ok(cause instanceof LoginRefusedError, `request ${i}: ${String(cause)}`);
        assert.match(cause.message, /keytab login/);
      }
      assert.equal(await account.failures(), 1, 'one attempt for five requests');
    });
  }
});

describe('account states have their own code and a hint that fits', () => {
  const states = [
    ['-allow_tix', 'KRB5KDC_ERR_CLIENT_REVOKED', /disabled, locked out or expired/],
    ['-expire "2020-01-01"', 'KRB5KDC_ERR_NAME_EXP', /account has expired/],
    ['-pwexpire "2020-01-01"', 'KRB5KDC_ERR_KEY_EXP', /password has expired/],
  ] as const;
  for (const [change, code, hint] of states) {
    test(`${code}: createFetch's 401 names it, and never says "kinit"`, async () => {
      const principal = await fixture.realm.addPrincipal(`state${++accounts}`, {
        password: 'the-right-one-1',
      });
      await fixture.realm.kadmin(`modprinc ${change} ${principal}`);
      const auth = new HTTPSPNEGOAuth({ creds: { principal, password: 'the-right-one-1' } });
      const [fetchDriver] = drivers;
      const res = await fetchDriver!.send(auth, `${fixture.negotiateServer.url}ok/state-${accounts}/`);
      assert.equal(res.status, 401);
      const refused = res.negotiateError?.cause;
      assert.ok(refused instanceof LoginRefusedError);
      const gss = refused.cause as { code: string; hint?: string };
      assert.equal(gss.code, code);
      assert.match(gss.hint ?? '', hint);
      assert.doesNotMatch(res.negotiateError?.hint ?? '', /kinit/);
    });
  }
});
