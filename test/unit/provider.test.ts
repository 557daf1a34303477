import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gssLibraryCapabilities, gssProvider } from '../../src/gssapi/gss/gss-provider.js';
import { GSSError } from '../../src/gssapi/gss-error.js';
import { gssapiProvider, providerCapabilities, unexplainedLoginFailure } from '../../src/gssapi/provider.js';
import { loadGssapiLibrary } from '../../src/gssapi/raw/index.js';
import { SecStatus } from '../../src/gssapi/sspi/raw/constants.js';
import { SSPIError } from '../../src/gssapi/sspi/sspi-error.js';
import { sspiProvider } from '../../src/gssapi/sspi/sspi-provider.js';

// What each provider says it can do: the client asks these by name (core/credential-source.ts,
// core/mechanism-policy.ts, core/login-refusal.ts), never which provider it has.

describe('provider capabilities', () => {
  test('a GSSAPI library with gss_set_neg_mechs (MIT) limits a handle after acquisition; one without (Heimdal 7) at acquisition', () => {
    assert.deepEqual(gssLibraryCapabilities(true), {
      limitMechsAfterAcquisition: true,
      limitMechsAtAcquisition: false,
      loginPerMechanism: true,
      ccacheAndKeytab: true,
      refusalAtFirstStep: false,
    });
    const heimdal = gssLibraryCapabilities(false);
    assert.equal(heimdal.limitMechsAfterAcquisition, false);
    assert.equal(heimdal.limitMechsAtAcquisition, true);
  });

  test('SSPI: the package list at acquisition, no ccache or keytab, the login at the first step', () => {
    assert.deepEqual(sspiProvider.capabilities, {
      limitMechsAfterAcquisition: false,
      limitMechsAtAcquisition: true,
      loginPerMechanism: false,
      ccacheAndKeytab: false,
      refusalAtFirstStep: true,
    });
  });

  test('the provider in use answers for the library loaded', { skip: process.platform === 'win32' }, () => {
    assert.equal(gssapiProvider(), 'gssapi');
    assert.equal(
      providerCapabilities().limitMechsAfterAcquisition,
      loadGssapiLibrary().info.capabilities.setNegMechs,
    );
    assert.equal(providerCapabilities(), gssProvider.capabilities);
  });

  test("a login failure that says nothing (Wine's STATUS_UNSUCCESSFUL at acquisition) is recognized by the provider that raised it", () => {
    const wine = new SSPIError('AcquireCredentialsHandleW', SecStatus.STATUS_UNSUCCESSFUL);
    assert.match(unexplainedLoginFailure(wine) ?? '', /Wine's Kerberos package/);
    const atStep = new SSPIError('InitializeSecurityContextW', SecStatus.STATUS_UNSUCCESSFUL);
    assert.equal(unexplainedLoginFailure(atStep), null);
    const mit = new GSSError('gss_acquire_cred_with_password', { major: 13 << 16, minor: -1765328228 >>> 0 });
    assert.equal(unexplainedLoginFailure(mit), null);
  });
});
