import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoginRefusedError } from '../../src/core/errors.js';
import { loginRefusal } from '../../src/core/login-refusal.js';
import { SecStatus } from '../../src/gssapi/sspi/raw/constants.js';
import { SSPIError } from '../../src/gssapi/sspi/sspi-error.js';

// The one rule that decides which failures of a `creds` login are remembered (no retry, to spare
// the account a lockout), whether MIT reports them at acquisition or SSPI at the first step.

const password = { principal: 'alice@EXAMPLE.ORG', password: 'pw' };
const keytab = { principal: 'svc@EXAMPLE.ORG', keytab: '/etc/svc.keytab' };

describe('loginRefusal', () => {
  test("Windows' SEC_E_LOGON_DENIED at the first step is a refused password login", () => {
    const cause = new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_LOGON_DENIED);
    const refused = loginRefusal(cause, password);
    assert.ok(refused instanceof LoginRefusedError);
    assert.equal(refused.code, 'ERR_LOGIN_REFUSED');
    assert.equal(refused.cause, cause);
    assert.match(refused.message, /password login of alice@EXAMPLE\.ORG: KRB5KDC_ERR_PREAUTH_FAILED/);
    assert.match(refused.hint ?? '', /domain refused.*not tried again.*retryLogin/);
    assert.doesNotMatch(refused.message + refused.hint, /\bpw\b/, 'no password');
  });

  test('a keytab login says so, and that a rewritten keytab is tried again by itself', () => {
    const refused = loginRefusal(
      new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_LOGON_DENIED),
      keytab,
    );
    assert.match(refused?.message ?? '', /keytab login of svc@EXAMPLE\.ORG/);
    assert.match(refused?.hint ?? '', /rewritten keytab file is tried again/);
  });

  test("Wine's STATUS_UNSUCCESSFUL counts only from AcquireCredentialsHandleW (its Kerberos login)", () => {
    const atAcquisition = new SSPIError('AcquireCredentialsHandleW', SecStatus.STATUS_UNSUCCESSFUL);
    assert.ok(loginRefusal(atAcquisition, password) instanceof LoginRefusedError);
    assert.match(loginRefusal(atAcquisition, password)?.hint ?? '', /under Wine.*every krb5 error/);
    assert.match(loginRefusal(atAcquisition, password)?.message ?? '', /failed in Wine's Kerberos package/);
    const atStep = new SSPIError('InitializeSecurityContextW', SecStatus.STATUS_UNSUCCESSFUL);
    assert.equal(loginRefusal(atStep, password), null);
  });

  test('not a refusal: other failures, other errors, and descriptions that log nobody in', () => {
    const denied = new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_LOGON_DENIED);
    assert.equal(
      loginRefusal(new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_TARGET_UNKNOWN), password),
      null,
    );
    assert.equal(
      loginRefusal(new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_NO_CREDENTIALS), password),
      null,
    );
    assert.equal(loginRefusal(new Error('KRB5KDC_ERR_PREAUTH_FAILED'), password), null);
    assert.equal(loginRefusal(denied, { ccache: 'FILE:/tmp/cc' }), null);
    assert.equal(loginRefusal(denied, {}), null);
  });
});
