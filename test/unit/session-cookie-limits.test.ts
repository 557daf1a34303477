import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drivers } from '../helpers/adapter-drivers.js';
import { fakeAuth, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { challenge, ok } from '../helpers/scripted-server.js';

// Issue 23 item 10: a server's cookies cannot make an auth keep or send without bound. A cookie
// over 4096 bytes (name and value) is ignored (RFC 6265 section 6.1, as browsers do), and what
// the store adds to a Cookie header stays within 8 KiB, the oldest cookies going first.

const server = useScriptedServer();

for (const driver of drivers) {
  describe(`session cookie limits × ${driver.name}`, () => {
    test('a 15,000-byte cookie is not kept; the session cookie beside it is', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: 'disabled' });
      server().script(
        challenge(),
        ok(null, 200, { 'set-cookie': [`huge=${'h'.repeat(15_000)}; Path=/`, 'sid=s1; Path=/'] as never }),
        ok(null),
      );
      assert.equal((await driver.send(auth, server().url('/a'))).status, 200);
      assert.equal((await driver.send(auth, server().url('/b'))).status, 200);
      assert.equal(server().requests.at(-1)?.cookie, 'sid=s1');
    });

    test('twelve 1,000-byte cookies: the Cookie header sent back stays within 8 KiB, the newest kept', async () => {
      const { auth } = fakeAuth({ mutualAuthentication: 'disabled' });
      const many = Array.from({ length: 12 }, (_, i) => `c${i}=${'x'.repeat(1000)}; Path=/`);
      server().script(challenge(), ok(null, 200, { 'set-cookie': many as never }), ok(null));
      assert.equal((await driver.send(auth, server().url('/a'))).status, 200);
      assert.equal(
        (await driver.send(auth, server().url('/b'), { headers: { cookie: 'mine=1' } })).status,
        200,
      );
      const sent = server().requests.at(-1)?.cookie ?? '';
      assert.ok(sent.startsWith('mine=1; '), "the caller's own part first");
      const ours = sent.slice('mine=1; '.length);
      assert.ok(Buffer.byteLength(ours) <= 8192, `${Buffer.byteLength(ours)} bytes`);
      assert.match(ours, /(^|; )c11=/, 'the newest is kept');
      assert.doesNotMatch(ours, /(^|; )c0=/, 'the oldest went first');
    });
  });
}
