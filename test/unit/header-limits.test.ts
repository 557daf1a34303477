import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderTooLargeError } from '../../src/core/errors.js';
import { headerTooLarge } from '../../src/core/header-limits.js';

const sent = { header: 'authorization', tokenBytes: 6273, delegated: true, origin: 'http://web.test' };

test('400 and 413 to a large header: the sizes and the server limits', () => {
  for (const status of [400, 413]) {
    const error = headerTooLarge({ ...sent, status, headerBytes: 8374 });
    assert.ok(error instanceof HeaderTooLargeError);
    assert.equal(error.code, 'ERR_HEADER_TOO_LARGE');
    assert.match(
      error.message,
      new RegExp(
        `answered ${status} to a request whose Authorization header was 8374 bytes \\(a 6273-byte Negotiate token with a delegated ticket\\)`,
      ),
    );
    assert.match(error.hint ?? '', /LimitRequestFieldSize \(default 8190/);
    assert.match(error.hint ?? '', /MaxFieldLength and MaxRequestBytes/);
    assert.match(error.hint ?? '', /maxHeaderSize/);
    assert.match(error.hint ?? '', /without delegation/);
  }
});

test('431 is about headers whatever the size; 400/413 below every common limit are not', () => {
  assert.ok(headerTooLarge({ ...sent, status: 431, headerBytes: 1500 }) instanceof HeaderTooLargeError);
  assert.equal(headerTooLarge({ ...sent, status: 400, headerBytes: 1500 }), null);
  assert.equal(headerTooLarge({ ...sent, status: 413, headerBytes: 4000 }), null);
  for (const status of [200, 401, 403, 414, 500]) {
    assert.equal(headerTooLarge({ ...sent, status, headerBytes: 20_000 }), null);
  }
});

test('without delegation the hint is about group memberships, and a proxy header is named', () => {
  const error = headerTooLarge({
    ...sent,
    header: 'proxy-authorization',
    delegated: false,
    status: 400,
    headerBytes: 9000,
  });
  assert.match(error?.message ?? '', /Proxy-Authorization header was 9000 bytes/);
  assert.doesNotMatch(error?.hint ?? '', /without delegation/);
  assert.match(error?.hint ?? '', /fewer group memberships/);
});
