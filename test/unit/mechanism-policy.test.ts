import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import {
  limitedContextFactory,
  limitToKerberos,
  negotiableMechsFor,
  refuseNtlm,
} from '../../src/core/mechanism-policy.js';
import type { ContextFactory, ContextRequest } from '../../src/core/negotiate-context.js';
import { resolveOptions } from '../../src/core/options.js';
import { OID } from '../../src/gssapi/oid.js';

// The allowNtlm option and the token check in isolation; against gss-ntlmssp and the real realm
// in test/integration/undici.test.ts ("allowNtlm off ...").

/** An NTLM NEGOTIATE message's first bytes (MS-NLMP 2.2.1.1): signature, then type 1. */
const ntlmNegotiate = Buffer.concat([
  Buffer.from('NTLMSSP\0', 'latin1'),
  Buffer.from([1, 0, 0, 0, 0x07, 0x82]),
]);
/** The same inside a SPNEGO-looking wrapper: found wherever it sits. */
const wrapped = Buffer.concat([Buffer.from([0x60, 0x48, 0x06, 0x06, 0x2b, 0x06, 0x01]), ntlmNegotiate]);

describe('allowNtlm option', () => {
  test('defaults to false; true and false accepted', () => {
    assert.equal(new HTTPSPNEGOAuth().options.allowNtlm, false);
    assert.equal(new HTTPSPNEGOAuth({ allowNtlm: true }).options.allowNtlm, true);
    assert.equal(new HTTPSPNEGOAuth({ allowNtlm: false }).options.allowNtlm, false);
  });

  test('anything but a boolean is a TypeError at construction', () => {
    for (const bad of ['yes', 1, null, {}]) {
      assert.throws(() => new HTTPSPNEGOAuth({ allowNtlm: bad as never }), {
        name: 'TypeError',
        message: /allowNtlm must be a boolean/,
      });
    }
  });

  test('a misspelt key is refused with a suggestion', () => {
    assert.throws(() => new HTTPSPNEGOAuth({ allowNTLM: true } as never), /allowNtlm/);
  });

  test('mech: OID.NTLMSSP needs allowNtlm: true', () => {
    assert.throws(() => new HTTPSPNEGOAuth({ mech: OID.NTLMSSP }), /allowNtlm: true/);
    assert.ok(OID.NTLMSSP.equals(new HTTPSPNEGOAuth({ mech: OID.NTLMSSP, allowNtlm: true }).options.mech!));
  });
});

describe('refuseNtlm (checked before any token is sent)', () => {
  const off = resolveOptions({});
  const on = resolveOptions({ allowNtlm: true });

  test('an NTLM message, bare or wrapped, is refused with ERR_NTLM_NOT_ALLOWED and a hint naming allowNtlm', () => {
    for (const token of [ntlmNegotiate, wrapped]) {
      assert.throws(
        () => refuseNtlm(token, null, off),
        (error: { code?: string; hint?: string; message: string }) => {
          assert.equal(error.code, 'ERR_NTLM_NOT_ALLOWED');
          assert.match(error.hint ?? '', /allowNtlm/);
          // The token itself is not quoted.
          assert.doesNotMatch(error.message, /NTLMSSP/);
          return true;
        },
      );
    }
  });

  test('a context whose mechanism is NTLM is refused whatever the bytes', () => {
    assert.throws(() => refuseNtlm(Buffer.from([1, 2, 3]), OID.NTLMSSP, off), {
      code: 'ERR_NTLM_NOT_ALLOWED',
    });
  });

  test('other tokens pass; with allowNtlm everything passes', () => {
    assert.doesNotThrow(() => refuseNtlm(Buffer.from('NTLMSSP', 'latin1'), OID.KRB5, off));
    assert.doesNotThrow(() => refuseNtlm(Buffer.alloc(64, 0x41), OID.SPNEGO, off));
    assert.doesNotThrow(() => refuseNtlm(wrapped, OID.NTLMSSP, on));
  });
});

describe('negotiableMechsFor and limitedContextFactory', () => {
  test('Kerberos only by default; no limit with allowNtlm or another mechanism than SPNEGO', () => {
    assert.deepEqual(negotiableMechsFor(resolveOptions({}))?.map(String), ['1.2.840.113554.1.2.2']);
    assert.deepEqual(negotiableMechsFor(resolveOptions({ mech: OID.SPNEGO }))?.map(String), [
      '1.2.840.113554.1.2.2',
    ]);
    assert.equal(negotiableMechsFor(resolveOptions({ allowNtlm: true })), null);
    assert.equal(negotiableMechsFor(resolveOptions({ mech: OID.KRB5 })), null);
  });

  test('every context request carries the limit, so a context without credentials acquires limited ones', () => {
    const seen: ContextRequest[] = [];
    const inner: ContextFactory = (request) => {
      seen.push(request);
      return { step: async () => null, complete: true, mutualAuthenticated: false, dispose() {} };
    };
    const request = { target: 'HTTP@web.example.org', flags: 0, mech: null, creds: null };
    limitedContextFactory(inner, resolveOptions({}))(request);
    assert.deepEqual(seen[0]?.negotiableMechs?.map(String), ['1.2.840.113554.1.2.2']);
    assert.equal(seen[0]?.target, request.target);
    assert.equal(
      limitedContextFactory(inner, resolveOptions({ allowNtlm: true })),
      inner,
      'unchanged with allowNtlm',
    );
  });
});

describe('limitToKerberos', () => {
  test('nothing to limit for the library default credentials (null) or with allowNtlm', () => {
    assert.doesNotThrow(() => limitToKerberos(null, resolveOptions({})));
    assert.doesNotThrow(() => limitToKerberos(null, resolveOptions({ allowNtlm: true })));
  });
});
