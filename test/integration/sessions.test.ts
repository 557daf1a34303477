import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HTTPSPNEGOAuth } from '../../src/index.js';
import { drivers } from '../helpers/adapter-drivers.js';
import type { ApacheAccessLogEntry } from '../helpers/apache.js';
import { useRealm } from '../helpers/realm-fixture.js';

// Sessions against the server deployments run: Apache mod_auth_gssapi with GssapiUseSessions and
// mod_session_cookie, whose session ends SESSION_MAX_AGE seconds after its last use. For every
// client: N requests cost one accepted token, and an expired session one more. (A session the
// server ends before its cookie expires is the NegotiateTestServer case of the shared table in
// test/integration/adapters.test.ts: one extra round trip.)

const SESSION_MAX_AGE = 2;
const fixture = useRealm({
  apache: { optional: true, sessionCookie: true, sessionMaxAge: SESSION_MAX_AGE },
});

let unique = 0;

/**
 * Access-log entries in the order the requests were made. Apache writes a line once its response
 * is sent, so the next request (on another connection) can be logged first on a loaded machine:
 * order by the request's index in its path, then by start time, a 401 before its resend.
 */
function inRequestOrder(entries: readonly ApacheAccessLogEntry[]): ApacheAccessLogEntry[] {
  const index = (e: ApacheAccessLogEntry) =>
    Number(/\/(\d+)$/.exec(e.target)?.[1] ?? Number.POSITIVE_INFINITY);
  return [...entries].sort(
    (a, b) =>
      index(a) - index(b) || a.timeMs - b.timeMs || Number(a.status !== 401) - Number(b.status !== 401),
  );
}

for (const driver of drivers) {
  describe(`Apache GssapiUseSessions × ${driver.name}`, () => {
    test('five requests cost one token; an expired session costs one more, and no extra round trip', async (t) => {
      const skip = fixture.skipReason('apache');
      if (skip) return t.skip(skip);
      const apache = fixture.apache;
      await apache.clearAccessLog();
      const auth = new HTTPSPNEGOAuth({ learnedPreemption: true });
      const prefix = `${apache.url}private/${driver.name}-${++unique}`;
      for (let i = 0; i < 5; i++) {
        const res = await driver.send(auth, `${prefix}/${i}`);
        assert.equal(res.status, 200);
      }
      const log = inRequestOrder(await apache.accessLog({ minEntries: 6 }));
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
      const renewed = await apache.accessLog({ minEntries: 1 });
      // mod_session_cookie gives the cookie the session's expiry: the client drops it too, and
      // the learned origin gets its token up front (no extra round trip at all).
      assert.deepEqual(
        renewed.map((e) => [e.status, e.authorization]),
        [[200, 'negotiate']],
        'the expired session costs one token, no extra round trip',
      );
    });
  });
}
