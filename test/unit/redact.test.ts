import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { hidePassword, redactToken, redactUrl } from '../../src/core/redact.js';

describe('redactToken', () => {
  const cases: Array<{ name: string; input: string | Uint8Array; expected: string }> = [
    { name: 'a long token', input: 'YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgI', expected: 'YIIGhg…' },
    { name: 'exactly 7 characters', input: 'abcdefg', expected: 'abcdef…' },
    { name: 'a short string, still marked', input: 'abc', expected: 'abc…' },
    { name: 'the empty string', input: '', expected: '' },
    {
      name: 'bytes, base64-encoded first',
      input: new Uint8Array([0x60, 0x82, 0x06, 0x86]),
      expected: 'YIIGhg…',
    },
    {
      name: 'a view on a larger buffer',
      input: new Uint8Array([0, 0x60, 0x82, 0x06, 0x86]).subarray(1),
      expected: 'YIIGhg…',
    },
    { name: 'surrogate pairs kept whole', input: 'abcde😀xyz', expected: 'abcde😀…' },
    { name: 'code points counted, not code units', input: '😀😀😀😀😀😀😀', expected: '😀😀😀😀😀😀…' },
  ];
  for (const { name, input, expected } of cases) {
    it(`redacts ${name}`, () => {
      assert.equal(redactToken(input), expected);
    });
  }

  it('keeps at most 6 code points, a prefix of the input, and marks every non-empty value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        const redacted = redactToken(value);
        if (value === '') return assert.equal(redacted, '');
        assert.ok(redacted.endsWith('…'));
        const kept = redacted.slice(0, -1);
        assert.ok(value.startsWith(kept));
        assert.equal([...kept].length, Math.min(6, [...value].length));
      }),
    );
  });
});

test('redactUrl replaces the userinfo of every URL in a text, and nothing else', () => {
  assert.equal(redactUrl('http://alice:s3cret@h.test/x?y=1'), 'http://***@h.test/x?y=1');
  assert.equal(
    redactUrl('see https://bob@h.test/ and HTTP://c:d@e.test'),
    'see https://***@h.test/ and HTTP://***@e.test',
  );
  assert.equal(redactUrl('http://h.test/a@b'), 'http://h.test/a@b');
  assert.equal(redactUrl('http://alice:p@ss@h.test/'), 'http://***@h.test/', 'an @ in the password');
  assert.equal(redactUrl('mail alice@h.test'), 'mail alice@h.test');
});

test('hidePassword keeps the password readable but out of inspect and JSON', () => {
  const kept = hidePassword({ principal: 'alice', password: 's3cret' });
  assert.equal(kept.password, 's3cret');
  assert.equal(JSON.stringify(kept), '{"principal":"alice"}');
  assert.ok(!inspect(kept, { depth: Number.POSITIVE_INFINITY }).includes('s3cret'));
  const none: { keytab: string; password?: string } = { keytab: '/k' };
  assert.equal(hidePassword(none), none);
});
