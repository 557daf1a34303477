import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HTTPSPNEGOAuth } from '../../src/index.js';
import { drivers } from '../helpers/adapter-drivers.js';
import { ApacheServer } from '../helpers/apache.js';
import { useRealm } from '../helpers/realm-fixture.js';

// Sessions against the server deployments run: Apache mod_auth_gssapi with GssapiUseSessions and
// mod_session_cookie, whose session ends SESSION_MAX_AGE seconds after its last use. For every
// client: N requests cost one accepted token, and an ended session costs one renegotiation.

const SESSION_MAX_AGE = 2;
const fixture = useRealm({});
let apache: ApacheServer | null = null;
let unavailable: string | null = null;

before(async () => {
  try {
    apache = await ApacheServer.start({
      realm: fixture.realm,
      sessionCookie: true,
      sessionMaxAge: SESSION_MAX_AGE,
    });
  } catch (error) {
    unavailable = `Apache with mod_session is not available: ${(error as Error).message.split('\n')[0]}`;
  }
});
after(() => apache?.stop());

let unique = 0;

for (const driver of drivers) {
  describe(`Apache GssapiUseSessions × ${driver.name}`, () => {
    test('five requests cost one token; an expired session costs one renegotiation', async (t) => {
      if (!apache) return t.skip(unavailable ?? 'Apache did not start');
      await apache.clearAccessLog();
      const auth = new HTTPSPNEGOAuth({ learnedPreemption: true });
      const prefix = `${apache.url}private/${driver.name}-${++unique}`;
      for (let i = 0; i < 5; i++) {
        const res = await driver.send(auth, `${prefix}/${i}`);
        assert.equal(res.status, 200);
      }
      const log = await apache.accessLog({ minEntries: 6 });
      assert.deepEqual(
        log.map((e) => [e.status, e.authorization]),
        [
          [401, null],
          [200, 'negotiate'],
          [200, null],
          [200, null],
          [200, null],
          [200, null],
        ],
        'one handshake, then the session cookie alone',
      );
      await apache.clearAccessLog();
      await sleep(SESSION_MAX_AGE * 1000 + 700);
      const res = await driver.send(auth, `${prefix}/after`);
      assert.equal(res.status, 200);
      const renewed = await apache.accessLog({ minEntries: 2 });
      assert.deepEqual(
        renewed.map((e) => [e.status, e.authorization]),
        [
          [401, null],
          [200, 'negotiate'],
        ],
        'the expired session is dropped and the request negotiates at once',
      );
    });
  });
}
