import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFinalToken } from '../../src/core/malformed-negotiate.js';

// What a final response says about the server's last token: absent, a token, or garbled.

describe('readFinalToken', () => {
  test('absent: no header, another scheme, a bare Negotiate, Negotiate with auth-params', () => {
    for (const header of [
      null,
      undefined,
      'Basic realm="x"',
      'Negotiate',
      'negotiate token="x"',
      ['Basic realm="a, Negotiate b"'],
    ]) {
      assert.deepEqual(readFinalToken(header), { kind: 'absent' }, String(header));
    }
  });

  test('a token: base64 decoded, from one line or several', () => {
    const one = readFinalToken('Negotiate YIIGhg==');
    assert.ok(one.kind === 'token');
    assert.deepEqual([...one.token], [0x60, 0x82, 0x06, 0x86]);
    assert.equal(readFinalToken(['Basic realm="x"', 'Negotiate YIIGhg==']).kind, 'token');
  });

  test('garbled: a token68 that is not base64, or a Negotiate element the grammar dropped', () => {
    const notBase64 = readFinalToken('Negotiate YII');
    assert.ok(notBase64.kind === 'garbled');
    assert.equal((notBase64.cause as { code?: string }).code, 'ERR_CHALLENGE_PARSE');
    assert.equal(readFinalToken('Negotiate !!not*base64!!').kind, 'garbled');
    assert.equal(readFinalToken(['Basic realm="x"', 'Negotiate abc def']).kind, 'garbled');
  });
});
