import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loginNames } from '../../src/core/login-names.js';
import { NameType } from '../../src/gssapi/name-type.js';

test('a principal with an upper-case realm, or none, is tried as it is', () => {
  for (const principal of ['alice@EXAMPLE.ORG', 'alice', 'HTTP/web@EXAMPLE.ORG']) {
    assert.deepEqual(loginNames(principal), [{ text: principal, type: NameType.krb5Principal }]);
  }
});

test('a lower-case realm: upper-cased first, then the UPN as an enterprise name', () => {
  const [first, second, ...rest] = loginNames('alice@corp.example.org');
  assert.deepEqual(first, { text: 'alice@CORP.EXAMPLE.ORG', type: NameType.krb5Principal });
  assert.deepEqual(second, { text: 'alice@corp.example.org', type: NameType.krb5Enterprise });
  assert.equal(rest.length, 0);
});
