import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { describeOid, OID } from '../../src/gssapi/oid.js';

describe('OID', () => {
  test('encodes the well-known mechanisms to their DER content bytes', () => {
    assert.deepEqual(OID.SPNEGO.der, Uint8Array.from([0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]));
    assert.deepEqual(OID.KRB5.der, Uint8Array.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]));
    assert.equal(String(OID.NTLMSSP), '1.3.6.1.4.1.311.2.2.10');
  });

  test('compares by value', () => {
    assert.ok(OID.fromIntSeq('1.3.6.1.5.5.2').equals(OID.SPNEGO));
    assert.ok(!OID.SPNEGO.equals(OID.KRB5));
    assert.ok(!OID.SPNEGO.equals(null));
  });

  test('round-trips through DER for any valid arc list', () => {
    const arcs = fc
      .tuple(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n })),
      )
      .map(([a, b, rest]) => [a, b, ...rest.map(String)].join('.'));
    fc.assert(
      fc.property(arcs, (dotted) => {
        const oid = OID.fromIntSeq(dotted);
        assert.equal(String(OID.fromDer(oid.der)), dotted);
      }),
    );
  });

  test('rejects malformed text and encodings with TypeError', () => {
    for (const bad of ['', '1', '1.x', '3.1', '1.40', '01.2', '1..2']) {
      assert.throws(() => OID.fromIntSeq(bad), TypeError, bad);
    }
    assert.throws(() => OID.fromDer(Uint8Array.from([0x2b, 0x86])), TypeError);
    assert.throws(() => OID.fromDer(Uint8Array.from([0x80, 0x01])), TypeError);
  });

  test('der getter returns a copy', () => {
    const der = OID.SPNEGO.der;
    der[0] = 0;
    assert.equal(String(OID.SPNEGO), '1.3.6.1.5.5.2');
    assert.equal(OID.SPNEGO.der[0], 0x2b);
  });

  test('describes known OIDs by name', () => {
    assert.equal(describeOid(OID.KRB5), 'Kerberos');
    assert.equal(describeOid(null), 'default');
    assert.equal(describeOid(OID.fromIntSeq('1.2.3')), '1.2.3');
  });
});
