import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SessionStore } from '../../src/core/session-store.js';

// The session store alone: what stands in for a token, what a refusal does, and how cookies that
// never worked get (or do not get) another chance.

const url = new URL('https://app.example.test/api/a');
const other = new URL('https://other.example.test/api/a');

describe('SessionStore', () => {
  test('a cookie is kept per origin and stands in for a token there only', () => {
    const store = new SessionStore();
    assert.equal(store.store(url, 'sid=1; Path=/', true), 1);
    assert.equal(store.cookieFor(url), 'sid=1');
    assert.equal(store.hasSession(url), true);
    assert.equal(store.cookieFor(other), null);
    assert.equal(store.hasSession(other), false);
  });

  test('a proven session that is refused ends; its successor stands in again', () => {
    const store = new SessionStore();
    store.store(url, 'sid=1; Path=/', true);
    store.proved(url);
    assert.equal(store.rejected(url), true, 'a session that had worked ended');
    assert.equal(store.cookieFor(url), null, 'its cookies are dropped');
    store.store(url, 'sid=2; Path=/', true);
    assert.equal(store.hasSession(url), true);
  });

  test('a session refused before its first reuse gets another chance when the server issues a new one', () => {
    const store = new SessionStore();
    store.store(url, 'sid=1; Path=/', true);
    assert.equal(store.rejected(url), false, 'it never worked');
    assert.equal(store.hasSession(url), false);
    store.store(url, 'sid=2; Path=/', true);
    assert.equal(store.hasSession(url), true, 'a new session id after a token: a session again');
  });

  test('a sticky load-balancer cookie (the same value again) never holds the token back again', () => {
    const store = new SessionStore();
    store.store(url, 'lb=7; Path=/', true);
    store.rejected(url);
    store.store(url, 'lb=7; Path=/', true);
    assert.equal(store.hasSession(url), false);
    assert.equal(store.cookieFor(url), 'lb=7', 'it is still sent');
  });

  test('a cookie set on a response that accepted no token does not lift the mark', () => {
    const store = new SessionStore();
    store.store(url, 'sid=1; Path=/', true);
    store.rejected(url);
    store.store(url, 'sid=2; Path=/', false);
    assert.equal(store.hasSession(url), false);
  });

  test('a load balancer that sets a new value on every response costs a bounded number of round trips', () => {
    const store = new SessionStore();
    let value = 0;
    let refusals = 0;
    store.store(url, `lb=${++value}; Path=/`, true);
    for (let request = 0; request < 20; request++) {
      if (!store.hasSession(url)) {
        // The token goes up front and is accepted; the balancer sets its cookie again.
        store.store(url, `lb=${++value}; Path=/`, true);
        continue;
      }
      // The cookie alone is refused (it never was a session); the token is accepted.
      store.rejected(url);
      refusals++;
      store.store(url, `lb=${++value}; Path=/`, true);
    }
    assert.equal(refusals, 3, 'three refusals at most, then the token goes up front for good');
  });

  test('a proven session resets the count of second chances', () => {
    const store = new SessionStore();
    for (let round = 0; round < 5; round++) {
      store.store(url, `sid=${round}; Path=/`, true);
      assert.equal(store.hasSession(url), true, `round ${round}`);
      if (round % 2 === 0) store.rejected(url);
      else {
        store.proved(url);
        store.rejected(url);
      }
    }
  });

  test('bounded: at most 50 cookies per origin, the oldest forgotten first', () => {
    const store = new SessionStore();
    for (let i = 0; i < 60; i++) store.store(url, `c${i}=${i}; Path=/`);
    const names = store
      .cookieFor(url)!
      .split('; ')
      .map((c) => c.split('=')[0]);
    assert.equal(names.length, 50);
    assert.ok(!names.includes('c0') && names.includes('c59'));
  });

  test('a cookie whose name and value exceed 4096 bytes is ignored whole (RFC 6265 section 6.1)', () => {
    const store = new SessionStore();
    assert.equal(store.store(url, `sid=${'a'.repeat(4093)}; Path=/`, true), 1, '4096 bytes: kept');
    assert.equal(store.store(url, `sid=${'b'.repeat(4094)}; Path=/`, true), 0, '4097 bytes: ignored');
    assert.equal(store.cookieFor(url), `sid=${'a'.repeat(4093)}`, 'nor does it replace the one kept');
    assert.equal(store.store(other, `big=${'é'.repeat(2047)}`, true), 0, 'counted in bytes, not characters');
    assert.equal(
      store.store(other, ` ${'n'.repeat(3000)} = ${'v'.repeat(1096)} ; Path=/`, true),
      1,
      'trimmed',
    );
  });

  test("an origin's Cookie header is bounded at 8 KiB: the oldest cookies go first", () => {
    const store = new SessionStore();
    for (let i = 0; i < 20; i++)
      store.store(url, `c${String(i).padStart(2, '0')}=${'x'.repeat(1000)}; Path=/`);
    const header = store.cookieFor(url)!;
    assert.ok(Buffer.byteLength(header) <= 8192, `${Buffer.byteLength(header)} bytes`);
    const names = header.split('; ').map((c) => c.split('=')[0]);
    assert.deepEqual(names, ['c12', 'c13', 'c14', 'c15', 'c16', 'c17', 'c18', 'c19']);
    store.store(url, `sid=${'s'.repeat(4000)}; Path=/`, true);
    assert.match(store.cookieFor(url)!, /sid=s{4000}/, 'the cookie just set is kept');
    assert.ok(Buffer.byteLength(store.cookieFor(url)!) <= 8192);
  });

  test("an auth's worst case is bounded: 256 origins x 8 KiB", () => {
    const store = new SessionStore();
    let largest = 0;
    for (let o = 0; o < 300; o++) {
      const at = new URL(`https://h${o}.example.test/`);
      for (let i = 0; i < 60; i++) store.store(at, `c${i}=${'v'.repeat(4000)}; Path=/`);
      largest = Math.max(largest, Buffer.byteLength(store.cookieFor(at)!));
    }
    let total = 0;
    for (let o = 0; o < 300; o++)
      total += Buffer.byteLength(store.cookieFor(new URL(`https://h${o}.example.test/`)) ?? '');
    assert.ok(largest <= 8192, `the largest header: ${largest} bytes`);
    assert.ok(total <= 256 * 8192, `all headers together: ${total} bytes`);
    assert.equal(
      store.cookieFor(new URL('https://h0.example.test/')),
      null,
      'the least recently used origin is gone',
    );
  });
});
