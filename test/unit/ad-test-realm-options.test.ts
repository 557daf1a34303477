import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveAdTestRealmOptions } from '../../src/testing/ad-test-realm-options.js';

test('defaults: ADTEST.LOCAL, NetBIOS domain from its first label, no lockout', () => {
  const resolved = resolveAdTestRealmOptions(undefined);
  assert.equal(resolved.realm, 'ADTEST.LOCAL');
  assert.equal(resolved.domain, 'ADTEST');
  assert.equal(resolved.hostname, 'localhost');
  assert.equal(resolved.lockoutThreshold, 0);
  assert.equal(resolved.kinitUser, true);
});

test('a bad value is a TypeError naming the option', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ realm: 'adtest.local' }, /^realm must be an upper-case DNS domain/],
    [{ realm: 'ADTEST' }, /^realm must be/],
    [{ realm: 'AVERYLONGNETBIOSNAME.TEST' }, /^realm must be/],
    [{ hostname: 'Web' }, /^hostname must be/],
    [{ lockoutThreshold: -1 }, /^lockoutThreshold must be/],
    [{ kinitUser: 'yes' }, /^kinitUser must be/],
    [{ startTimeoutMs: 0 }, /^startTimeoutMs must be/],
    [{ lockout: 5 }, /lockout.*lockoutThreshold/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => resolveAdTestRealmOptions(options as never),
      (e: Error) => e instanceof TypeError && message.test(e.message),
    );
  }
});
