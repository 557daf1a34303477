import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HTTPSPNEGOAuth } from '../../src/index.js';
import { drivers } from '../helpers/adapter-drivers.js';
import { useRealm } from '../helpers/realm-fixture.js';

// Password logins take the principal as users write it (against MIT here; Active Directory's
// UPNs are in active-directory.test.ts).

const fixture = useRealm({ negotiateServer: true });
const two = drivers.filter((d) => d.name === 'fetch' || d.name === 'undici');

for (const driver of two) {
  describe(`principal forms × ${driver.name}`, () => {
    test('the realm in lower case logs in as the upper-case realm', async () => {
      const { realm } = fixture;
      const auth = new HTTPSPNEGOAuth({
        creds: { principal: `user@${realm.name.toLowerCase()}`, password: realm.user.password },
      });
      const res = await driver.send(auth, `${fixture.negotiateServer.url}ok/lower-${driver.name}`);
      assert.equal(res.status, 200, String(res.negotiateError?.message));
      assert.equal(JSON.parse(res.body).user, realm.user.principal);
    });

    test('a name no KDC knows in any form: both forms named, a hint, and no password checked', async () => {
      const auth = new HTTPSPNEGOAuth({ creds: { principal: 'nobody@elsewhere.example', password: 'x-1' } });
      const res = await driver.send(auth, `${fixture.negotiateServer.url}ok/nobody-${driver.name}`);
      assert.equal(res.status, 401);
      const error = res.negotiateError;
      assert.match(
        error?.message ?? '',
        /tried nobody@ELSEWHERE\.EXAMPLE and the user principal name nobody@elsewhere\.example/,
      );
      assert.match(error?.hint ?? '', /upper case/);
    });
  });
}
