import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as kit from '../../src/adapter-kit.js';
import * as root from '../../src/index.js';

// The values of the adapter kit (its types leave no trace at run time).
const KIT_VALUES = [
  'NegotiateFlow',
  'runExchange',
  'parseChallenges',
  'findNegotiateChallenge',
  'formatNegotiateHeader',
  'MAX_CHALLENGE_HEADER_LENGTH',
  'sanitizedHeaders',
];

test('the adapter kit is its own entry point, and the root keeps only what a user calls', () => {
  assert.deepEqual(Object.keys(kit).sort(), [...KIT_VALUES].sort());
  for (const name of KIT_VALUES) assert.equal(name in root, false, `the root still exports ${name}`);
  for (const name of [
    'HTTPSPNEGOAuth',
    'createFetch',
    'negotiateErrorOf',
    'negotiateDetailsOf',
    'REQUIRED',
  ]) {
    assert.equal(name in root, true, `the root lost ${name}`);
  }
});

test('package.json maps http-gssapi/adapter-kit to the built barrel and its types', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  assert.deepEqual(pkg.exports['./adapter-kit'], {
    types: './dist/adapter-kit.d.ts',
    default: './dist/adapter-kit.js',
  });
});
