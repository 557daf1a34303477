import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenWithheldError } from '../../src/core/errors.js';
import { hostMatcher } from '../../src/core/host-policy.js';
import { OriginBinding, type OriginBindingOptions } from '../../src/core/origin-binding.js';

const base: OriginBindingOptions = {
  targetName: 'HTTP',
  delegate: false,
  serverAllowlist: null,
  delegateAllowlist: null,
};
const at = (host: string) => new URL(`https://${host}/x`);

test('a host-based targetName without full delegation binds nothing', () => {
  const binding = new OriginBinding();
  assert.deepEqual(binding.check({ ...base, delegate: 'policy' }, at('a.corp')), {
    refusal: null,
    downgradeDelegation: false,
  });
  assert.deepEqual(binding.check({ ...base, delegate: 'policy' }, at('b.corp')), {
    refusal: null,
    downgradeDelegation: false,
  });
});

test('a fixed targetName is bound to the first host: another host is refused with a hint', () => {
  const binding = new OriginBinding();
  const options = { ...base, targetName: 'HTTP@a.corp' };
  assert.equal(binding.check(options, at('A.corp')).refusal, null);
  assert.equal(binding.check(options, at('a.corp')).refusal, null, 'host names compare without case');
  const refusal = binding.check(options, at('b.corp')).refusal;
  assert.ok(refusal instanceof TokenWithheldError);
  assert.equal(refusal.code, 'ERR_TOKEN_WITHHELD');
  assert.match(refusal.message, /first used for a\.corp, not b\.corp/);
  assert.match(refusal.hint ?? '', /serverAllowlist/);
});

test('serverAllowlist lifts the binding of a fixed targetName', () => {
  const binding = new OriginBinding();
  const options = {
    ...base,
    targetName: 'HTTP@a.corp',
    serverAllowlist: hostMatcher('*.corp', 'serverAllowlist'),
  };
  binding.check(options, at('a.corp'));
  assert.equal(binding.check(options, at('b.corp')).refusal, null);
});

test('delegate: true is downgraded on another host unless delegateAllowlist names the hosts', () => {
  const binding = new OriginBinding();
  const options = { ...base, delegate: true };
  assert.equal(binding.check(options, at('a.corp')).downgradeDelegation, false);
  assert.deepEqual(binding.check(options, at('b.corp')), { refusal: null, downgradeDelegation: true });
  const listed = { ...options, delegateAllowlist: hostMatcher('a.corp, b.corp', 'delegateAllowlist') };
  assert.equal(binding.check(listed, at('b.corp')).downgradeDelegation, false);
});
