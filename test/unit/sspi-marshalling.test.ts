import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type * as Koffi from 'koffi';
import { ChannelBindings } from '../../src/gssapi/channel-bindings.js';
import { GSSError } from '../../src/gssapi/gss-error.js';
import { NameType } from '../../src/gssapi/name-type.js';
import { OID } from '../../src/gssapi/oid.js';
import { gssapiProvider, selectGssapiProvider } from '../../src/gssapi/provider.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import {
  encodeSecChannelBindings,
  SEC_CHANNEL_BINDINGS_SIZE,
} from '../../src/gssapi/sspi/raw/channel-bindings.js';
import {
  IscReq,
  IscRet,
  SEC_WINNT_AUTH_IDENTITY_UNICODE,
  SEC_WINNT_AUTH_IDENTITY_VERSION,
  SecBufferType,
  SecStatus,
} from '../../src/gssapi/sspi/raw/constants.js';
import { type AuthIdentity, encodeAuthIdentity } from '../../src/gssapi/sspi/raw/credentials.js';
import { NO_HANDLE, packHandle, unpackHandle } from '../../src/gssapi/sspi/raw/handles.js';
import {
  readWideString,
  SspiArena,
  sspiOutstandingAllocations,
  sspiStructs,
  wideString,
} from '../../src/gssapi/sspi/raw/memory.js';
import {
  negotiatePackageList,
  packageForMechs,
  refuseStore,
  secondsUntil,
  sspiAuthIdentity,
} from '../../src/gssapi/sspi/sspi-credentials.js';
import { SSPIError } from '../../src/gssapi/sspi/sspi-error.js';
import { contextFlagsOf, iscRequestFlags } from '../../src/gssapi/sspi/sspi-flags.js';
import { checkSspiName, sspiTargetName, sspiUserAndDomain } from '../../src/gssapi/sspi/sspi-names.js';
import { mechOfPackage, sspiPackageFor, sspiPackageList } from '../../src/gssapi/sspi/sspi-packages.js';
import { describeSecStatus, secStatusName } from '../../src/gssapi/sspi/status.js';

// The SSPI provider's marshalling, checked on every platform: struct layouts (Windows x64, which
// koffi lays out the same on Linux x64 since every field has an explicit width), buffers, the
// SEC_CHANNEL_BINDINGS blob, status mapping, name and flag translation. The calls themselves
// run in test/integration/sspi-wine.test.ts.

const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;

const u32 = (bytes: Uint8Array, at: number) =>
  new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);

describe('SEC_CHANNEL_BINDINGS blob', () => {
  test('application data only (RFC 5929 tls-server-end-point): header then data at offset 32', () => {
    const cb = ChannelBindings.tlsServerEndPoint(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]));
    const data = cb.applicationData!;
    const blob = encodeSecChannelBindings(cb.toRaw());
    assert.equal(SEC_CHANNEL_BINDINGS_SIZE, 32);
    assert.equal(blob.length, 32 + data.length);
    // dwInitiatorAddrType, cbInitiatorLength, dwInitiatorOffset, dwAcceptorAddrType,
    // cbAcceptorLength, dwAcceptorOffset, cbApplicationDataLength, dwApplicationDataOffset
    assert.deepEqual(
      [0, 4, 8, 12, 16, 20, 24, 28].map((at) => u32(blob, at)),
      [0, 0, 0, 0, 0, 0, data.length, 32],
    );
    assert.deepEqual(blob.subarray(32), data);
    assert.equal(new TextDecoder().decode(blob.subarray(32, 32 + 21)), 'tls-server-end-point:');
  });

  test('every field: addresses and data follow the header in order, offsets from its start', () => {
    const blob = encodeSecChannelBindings({
      initiatorAddrType: 2,
      initiatorAddress: Uint8Array.of(10, 0, 0, 1),
      acceptorAddrType: 24,
      acceptorAddress: new Uint8Array(16).fill(0xfe),
      applicationData: Uint8Array.of(1, 2, 3),
    });
    assert.deepEqual(
      [0, 4, 8, 12, 16, 20, 24, 28].map((at) => u32(blob, at)),
      [2, 4, 32, 24, 16, 36, 3, 52],
    );
    assert.deepEqual(blob.subarray(32, 36), Uint8Array.of(10, 0, 0, 1));
    assert.deepEqual(blob.subarray(52), Uint8Array.of(1, 2, 3));
  });

  test('no fields: a zeroed 32-byte header', () => {
    assert.deepEqual(encodeSecChannelBindings({}), new Uint8Array(32));
  });

  test('lengths and offsets always describe the bytes that follow (property)', () => {
    const bytes = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined });
    fc.assert(
      fc.property(bytes, bytes, bytes, (initiatorAddress, acceptorAddress, applicationData) => {
        const blob = encodeSecChannelBindings({
          ...(initiatorAddress ? { initiatorAddress } : {}),
          ...(acceptorAddress ? { acceptorAddress } : {}),
          ...(applicationData ? { applicationData } : {}),
        });
        for (const [lengthAt, offsetAt, part] of [
          [4, 8, initiatorAddress],
          [16, 20, acceptorAddress],
          [24, 28, applicationData],
        ] as const) {
          const length = u32(blob, lengthAt);
          assert.equal(length, part?.length ?? 0);
          if (length > 0)
            assert.deepEqual(blob.subarray(u32(blob, offsetAt), u32(blob, offsetAt) + length), part);
          else assert.equal(u32(blob, offsetAt), 0);
        }
      }),
    );
  });
});

describe('SSPI structures (Windows x64 layout)', () => {
  const t = sspiStructs();
  const layout = (type: Koffi.TypeObject, fields: readonly string[]) => [
    koffi.sizeof(type),
    ...fields.map((f) => koffi.offsetof(type, f)),
  ];

  test('SecHandle, SecBuffer, SecBufferDesc', () => {
    assert.deepEqual(layout(t.secHandle, ['dwLower', 'dwUpper']), [16, 0, 8]);
    assert.deepEqual(layout(t.secBuffer, ['cbBuffer', 'BufferType', 'pvBuffer']), [16, 0, 4, 8]);
    assert.deepEqual(layout(t.secBufferDesc, ['ulVersion', 'cBuffers', 'pBuffers']), [16, 0, 4, 8]);
  });

  test('SEC_WINNT_AUTH_IDENTITY_W: pointers 8-aligned, ULONG lengths', () => {
    assert.deepEqual(
      layout(t.authIdentity, [
        'User',
        'UserLength',
        'Domain',
        'DomainLength',
        'Password',
        'PasswordLength',
        'Flags',
      ]),
      [48, 0, 8, 16, 24, 32, 40, 44],
    );
  });

  test('SEC_WINNT_AUTH_IDENTITY_EXW: Version and Length first, then the W fields, then PackageList', () => {
    assert.deepEqual(
      layout(t.authIdentityEx, [
        'Version',
        'Length',
        'User',
        'UserLength',
        'Domain',
        'DomainLength',
        'Password',
        'PasswordLength',
        'Flags',
        'PackageList',
        'PackageListLength',
      ]),
      [72, 0, 4, 8, 16, 24, 32, 40, 48, 52, 56, 64],
    );
  });

  test('SecPkgInfoW, NegotiationInfoW, Sizes, NamesW', () => {
    assert.deepEqual(
      layout(t.pkgInfo, ['fCapabilities', 'wVersion', 'wRPCID', 'cbMaxToken', 'Name', 'Comment']),
      [32, 0, 4, 6, 8, 16, 24],
    );
    assert.deepEqual(layout(t.negotiationInfo, ['PackageInfo', 'NegotiationState']), [16, 0, 8]);
    assert.deepEqual(
      layout(t.sizes, ['cbMaxToken', 'cbMaxSignature', 'cbBlockSize', 'cbSecurityTrailer']),
      [16, 0, 4, 8, 12],
    );
    assert.deepEqual(layout(t.names, ['sUserName']), [8, 0]);
  });

  test('a SecBufferDesc as built for InitializeSecurityContextW: token, channel bindings, output', () => {
    const arena = new SspiArena();
    try {
      const token = Uint8Array.of(0x60, 0x82, 0x01);
      const cb = encodeSecChannelBindings({ applicationData: Uint8Array.of(9, 9) });
      const input = arena.bufferDesc([
        { type: SecBufferType.TOKEN, data: token },
        { type: SecBufferType.CHANNEL_BINDINGS, data: cb },
      ]);
      const desc = koffi.decode(input.desc, t.secBufferDesc) as {
        ulVersion: number;
        cBuffers: number;
        pBuffers: bigint;
      };
      assert.equal(desc.ulVersion, 0);
      assert.equal(desc.cBuffers, 2);
      assert.equal(desc.pBuffers, input.buffers);
      assert.deepEqual(arena.readBuffer(input.buffers, 0), { type: SecBufferType.TOKEN, data: token });
      assert.deepEqual(arena.readBuffer(input.buffers, 1), {
        type: SecBufferType.CHANNEL_BINDINGS,
        data: cb,
      });
      const output = arena.bufferDesc([{ type: SecBufferType.TOKEN, size: 12000 }]);
      const out = koffi.decode(output.buffers, t.secBuffer) as { cbBuffer: number; pvBuffer: bigint };
      assert.equal(out.cbBuffer, 12000, 'the package sees a buffer of cbMaxToken bytes');
      assert.notEqual(out.pvBuffer, 0n);
      assert.deepEqual(arena.bufferDesc([]), { desc: 0n, buffers: 0n }, 'no buffers: a NULL pInput');
    } finally {
      arena.free();
    }
    assert.equal(sspiOutstandingAllocations(), 0, 'everything freed');
  });

  test('LPWSTR: UTF-16LE, NUL-terminated, read back from native memory', () => {
    assert.deepEqual(wideString('HT'), Uint8Array.of(0x48, 0, 0x54, 0, 0, 0));
    const arena = new SspiArena();
    try {
      for (const text of ['HTTP/web.example.org', 'Jürgen@BÜRO.EXAMPLE', 'user\u{1F511}']) {
        assert.equal(readWideString(arena.wide(text)), text);
      }
      assert.equal(arena.wide(null), 0n);
      assert.equal(readWideString(0n), null);
    } finally {
      arena.free();
    }
  });

  /** Encodes `identity` and reads the structure back, strings included. */
  function encoded(identity: AuthIdentity) {
    const arena = new SspiArena();
    try {
      const at = encodeAuthIdentity(arena, identity);
      const type = identity.packageList != null ? t.authIdentityEx : t.authIdentity;
      // koffi decodes a NULL pointer as null: 0n here, as in C.
      const raw = Object.fromEntries(
        Object.entries(koffi.decode(at, type) as Record<string, number | bigint | null>).map(([k, v]) => [
          k,
          v ?? 0n,
        ]),
      );
      const text = (field: string) => readWideString(raw[field] as bigint);
      const list = raw['PackageList'] as bigint | undefined;
      return {
        raw,
        bytes: new Uint8Array(koffi.view(at, koffi.sizeof(type))).slice(),
        user: text('User'),
        domain: text('Domain'),
        password: text('Password'),
        packageList: list === undefined ? undefined : readWideString(list),
        packageListBytes:
          list === undefined
            ? undefined
            : new Uint8Array(koffi.view(list, Number(raw['PackageListLength']) * 2)).slice(),
      };
    } finally {
      arena.free();
    }
  }

  test('the logged-on user limited to Kerberos: an EX identity with only a UTF-16 PackageList', () => {
    const e = encoded({ user: null, domain: null, password: null, packageList: 'Kerberos,!NTLM' });
    assert.equal(SEC_WINNT_AUTH_IDENTITY_VERSION, 0x200);
    assert.equal(e.raw['Version'], SEC_WINNT_AUTH_IDENTITY_VERSION);
    assert.equal(u32(e.bytes, 0), 0x200, 'Version is the first ULONG (how a package tells EX from W)');
    assert.equal(e.raw['Length'], 72, 'Length is the structure size');
    for (const field of ['User', 'Domain', 'Password']) assert.equal(e.raw[field], 0n, `${field} is NULL`);
    for (const field of ['UserLength', 'DomainLength', 'PasswordLength']) assert.equal(e.raw[field], 0);
    assert.equal(e.raw['Flags'], SEC_WINNT_AUTH_IDENTITY_UNICODE);
    assert.equal(e.packageList, 'Kerberos,!NTLM');
    assert.equal(e.raw['PackageListLength'], 14, 'in characters, without the NUL');
    assert.deepEqual(e.packageListBytes, wideString('Kerberos,!NTLM').subarray(0, 28), 'UTF-16LE');
    assert.equal(sspiOutstandingAllocations(), 0, 'wiped and freed');
  });

  test('a password login with a package list: every string, lengths in UTF-16 units', () => {
    const e = encoded({
      user: 'jürgen',
      domain: 'BÜRO.EXAMPLE',
      password: 'pw\u{1F511}x',
      packageList: 'Kerberos,!NTLM',
    });
    assert.equal(e.raw['Version'], 0x200);
    assert.deepEqual([e.user, e.domain, e.password], ['jürgen', 'BÜRO.EXAMPLE', 'pw\u{1F511}x']);
    assert.deepEqual(
      [e.raw['UserLength'], e.raw['DomainLength'], e.raw['PasswordLength'], e.raw['PackageListLength']],
      [6, 12, 5, 14],
      'a surrogate pair counts two',
    );
  });

  test('without a package list: the plain SEC_WINNT_AUTH_IDENTITY_W, as before', () => {
    const e = encoded({ user: 'alice@upn.example', domain: null, password: 'pw' });
    assert.equal(e.bytes.length, 48);
    assert.equal(e.user, 'alice@upn.example');
    assert.equal(e.domain, '', 'an empty domain beside a UPN, not NULL');
    assert.deepEqual([e.raw['DomainLength'], e.raw['PasswordLength'], e.raw['Flags']], [0, 2, 2]);
  });

  test('pAuthData: none for the logged-on user, the list alone, or the logon with its list', () => {
    assert.equal(sspiAuthIdentity(null, null, null), null, 'no structure at all');
    assert.deepEqual(sspiAuthIdentity(null, null, 'Kerberos,!NTLM'), {
      user: null,
      domain: null,
      password: null,
      packageList: 'Kerberos,!NTLM',
    });
    for (const list of ['Kerberos,!NTLM', null]) {
      assert.deepEqual(sspiAuthIdentity('alice@EXAMPLE.ORG', 'pw', list), {
        user: 'alice',
        domain: 'EXAMPLE.ORG',
        password: 'pw',
        packageList: list,
      });
    }
    assert.equal(sspiAuthIdentity('alice@EXAMPLE.ORG', null, null), null, 'a principal alone logs nobody in');
  });

  test('handles pack the two words of a SecHandle into one bigint and back', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (lower, upper) => {
          const handle = packHandle(lower, upper);
          assert.notEqual(handle, NO_HANDLE, 'even {0, 0} is a present handle');
          assert.deepEqual(unpackHandle(handle), { lower, upper });
        },
      ),
    );
    assert.throws(() => unpackHandle(NO_HANDLE), TypeError);
  });
});

describe('SECURITY_STATUS mapping', () => {
  const cases: readonly (readonly [keyof typeof SecStatus, string, string])[] = [
    ['SEC_E_TARGET_UNKNOWN', 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN', 'GSS_S_FAILURE'],
    ['SEC_E_NO_CREDENTIALS', 'GSS_S_NO_CRED', 'GSS_S_NO_CRED'],
    ['SEC_E_WRONG_PRINCIPAL', 'KRB5KRB_AP_ERR_MODIFIED', 'GSS_S_FAILURE'],
    ['SEC_E_LOGON_DENIED', 'KRB5KDC_ERR_PREAUTH_FAILED', 'GSS_S_FAILURE'],
    ['SEC_E_TIME_SKEW', 'KRB5KRB_AP_ERR_SKEW', 'GSS_S_FAILURE'],
    ['SEC_E_BAD_BINDINGS', 'GSS_S_BAD_BINDINGS', 'GSS_S_BAD_BINDINGS'],
    ['SEC_E_NO_AUTHENTICATING_AUTHORITY', 'KRB5_KDC_UNREACH', 'GSS_S_FAILURE'],
    ['SEC_E_INVALID_TOKEN', 'GSS_S_DEFECTIVE_TOKEN', 'GSS_S_DEFECTIVE_TOKEN'],
    ['SEC_E_MUTUAL_AUTH_FAILED', 'SEC_E_MUTUAL_AUTH_FAILED', 'GSS_S_FAILURE'],
    ['SEC_E_DELEGATION_POLICY', 'SEC_E_DELEGATION_POLICY', 'GSS_S_FAILURE'],
  ];
  for (const [name, code, majorName] of cases) {
    test(`${name} is ${code} (${majorName}), with a hint`, () => {
      const d = describeSecStatus(SecStatus[name]);
      assert.equal(d.statusName, name);
      assert.equal(d.code, code);
      assert.equal(d.majorName, majorName);
      assert.ok(d.hint, 'a hint');
      assert.equal(secStatusName(SecStatus[name]), name);
    });
  }

  test('the values are winerror.h\u2019s', () => {
    assert.equal(SecStatus.SEC_E_TARGET_UNKNOWN, 0x80090303);
    assert.equal(SecStatus.SEC_E_NO_CREDENTIALS, 0x8009030e);
    assert.equal(SecStatus.SEC_E_LOGON_DENIED, 0x8009030c);
    assert.equal(SecStatus.SEC_E_WRONG_PRINCIPAL, 0x80090322);
    assert.equal(SecStatus.SEC_E_TIME_SKEW, 0x80090324);
    assert.equal(SecStatus.SEC_E_BAD_BINDINGS, 0x80090346);
    assert.equal(SecStatus.SEC_I_CONTINUE_NEEDED, 0x00090312);
  });

  test('an unknown status keeps its hex form and is a plain failure; signed values are read unsigned', () => {
    const d = describeSecStatus(0x80091234);
    assert.equal(d.statusName, undefined);
    assert.equal(d.code, 'GSS_S_FAILURE');
    assert.match(d.message, /0x80091234/);
    assert.equal(describeSecStatus(0x80090303 | 0).statusName, 'SEC_E_TARGET_UNKNOWN');
  });

  test('SSPIError is a GSSError with the shared code, the routine error and the status', () => {
    const e = new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_NO_CREDENTIALS, {
      context: 'target HTTP/web',
    });
    assert.ok(e instanceof GSSError);
    assert.equal(e.name, 'SSPIError');
    assert.equal(e.code, 'GSS_S_NO_CRED');
    assert.equal(e.majorName, 'GSS_S_NO_CRED');
    assert.equal(e.credentialFailure, 'missing', 'the client drops cached default credentials on it');
    assert.equal(e.status, 0x8009030e);
    assert.equal(e.minor, 0x8009030e);
    assert.equal(e.statusName, 'SEC_E_NO_CREDENTIALS');
    assert.match(
      e.message,
      /^InitializeSecurityContextW failed \(target HTTP\/web\): SEC_E_NO_CREDENTIALS \(0x8009030e\)/,
    );
    assert.match(e.hint ?? '', /log on to Windows/);
    const denied = new SSPIError('InitializeSecurityContextW', SecStatus.SEC_E_LOGON_DENIED);
    assert.equal(denied.code, 'KRB5KDC_ERR_PREAUTH_FAILED', 'the code MIT gives a refused password');
    assert.equal(denied.credentialFailure, null);
  });
});

describe('names, packages and flags as SSPI takes them', () => {
  test('HTTP@host becomes HTTP/host; a Kerberos principal passes unchanged', () => {
    assert.equal(
      sspiTargetName({ text: 'HTTP@web.example.org', type: NameType.hostbasedService }),
      'HTTP/web.example.org',
    );
    assert.equal(sspiTargetName({ text: 'HTTP@::1', type: NameType.hostbasedService }), 'HTTP/::1');
    assert.match(sspiTargetName({ text: 'HTTP', type: NameType.hostbasedService }), /^HTTP\/.+/);
    assert.equal(
      sspiTargetName({ text: 'HTTP/web@EXAMPLE.ORG', type: NameType.krb5Principal }),
      'HTTP/web@EXAMPLE.ORG',
    );
    assert.equal(sspiTargetName({ text: 'HTTP/web', type: null }), 'HTTP/web');
  });

  test('name types SSPI cannot express are coded errors', () => {
    assert.throws(
      () => checkSspiName({ text: '1000', type: NameType.machineUid }),
      (e: Error & { code?: string }) => e.code === 'ERR_GSSAPI_UNSUPPORTED',
    );
    assert.throws(() => checkSspiName({ text: '', type: null }), TypeError);
    assert.throws(
      () => sspiTargetName({ text: 'alice', type: NameType.user }),
      (e: Error & { code?: string }) => e.code === 'ERR_GSSAPI_UNSUPPORTED',
    );
  });

  test('user and domain of SEC_WINNT_AUTH_IDENTITY_W', () => {
    assert.deepEqual(sspiUserAndDomain('alice@EXAMPLE.ORG'), { user: 'alice', domain: 'EXAMPLE.ORG' });
    assert.deepEqual(sspiUserAndDomain('alice@upn.example@EXAMPLE.ORG'), {
      user: 'alice@upn.example',
      domain: 'EXAMPLE.ORG',
    });
    assert.deepEqual(sspiUserAndDomain('EXAMPLE\\alice'), { user: 'alice', domain: 'EXAMPLE' });
    assert.deepEqual(sspiUserAndDomain('alice'), { user: 'alice', domain: null });
  });

  test('mechanisms are packages: SPNEGO Negotiate, Kerberos (both OIDs) Kerberos, NTLMSSP NTLM', () => {
    assert.equal(sspiPackageFor(null), 'Negotiate');
    assert.equal(sspiPackageFor(OID.SPNEGO), 'Negotiate');
    assert.equal(sspiPackageFor(OID.KRB5), 'Kerberos');
    assert.equal(sspiPackageFor(OID.fromIntSeq('1.2.840.48018.1.2.2')), 'Kerberos');
    assert.equal(sspiPackageFor(OID.NTLMSSP), 'NTLM');
    assert.throws(
      () => sspiPackageFor(OID.fromIntSeq('1.3.6.1.5.2.5')),
      (e: Error & { code?: string }) => e.code === 'ERR_GSSAPI_UNSUPPORTED',
    );
    assert.ok(mechOfPackage('Kerberos')?.equals(OID.KRB5));
    assert.ok(mechOfPackage('NEGOTIATE')?.equals(OID.SPNEGO));
    assert.equal(mechOfPackage('Schannel'), null);
    assert.equal(packageForMechs([OID.KRB5, OID.SPNEGO]), 'Negotiate');
    assert.equal(packageForMechs([OID.KRB5]), 'Kerberos');
  });

  test('the package list that limits Negotiate: Kerberos alone never falls back to NTLM', () => {
    assert.equal(sspiPackageList([OID.KRB5]), 'Kerberos,!NTLM');
    assert.equal(sspiPackageList([OID.KRB5, OID.fromIntSeq('1.2.840.48018.1.2.2')]), 'Kerberos,!NTLM');
    assert.equal(sspiPackageList([OID.KRB5, OID.NTLMSSP]), 'Kerberos,NTLM');
    for (const bad of [[], [OID.SPNEGO], [OID.fromIntSeq('1.2.3.4')]]) {
      assert.throws(
        () => sspiPackageList(bad),
        (e: Error & { code?: string }) => e.code === 'ERR_GSSAPI_UNSUPPORTED',
      );
    }
    // Not Wine (not Windows at all here): the Negotiate package gets the list; other packages
    // and no limit get none.
    assert.equal(negotiatePackageList('Negotiate', [OID.KRB5]), 'Kerberos,!NTLM');
    assert.equal(negotiatePackageList('Kerberos', [OID.KRB5]), null);
    assert.equal(negotiatePackageList('Negotiate', null), null);
    assert.equal(negotiatePackageList('Negotiate', undefined), null);
  });

  test('context flags: requests map to ISC_REQ_*, both delegation requests to ISC_REQ_DELEGATE', () => {
    assert.equal(
      iscRequestFlags(ContextFlag.MUTUAL | ContextFlag.SEQUENCE),
      IscReq.MUTUAL_AUTH | IscReq.SEQUENCE_DETECT,
    );
    assert.equal(iscRequestFlags(ContextFlag.DELEG), IscReq.DELEGATE);
    assert.equal(iscRequestFlags(ContextFlag.DELEG_POLICY), IscReq.DELEGATE);
    assert.equal(
      iscRequestFlags(ContextFlag.INTEG | ContextFlag.CONF),
      IscReq.INTEGRITY | IscReq.CONFIDENTIALITY,
    );
    assert.equal(
      iscRequestFlags(0) & IscReq.ALLOCATE_MEMORY,
      0,
      'never ISC_REQ_ALLOCATE_MEMORY (Wine 8 rejects it)',
    );
    assert.throws(
      () => iscRequestFlags(ContextFlag.ANON),
      (e: Error & { code?: string }) => e.code === 'ERR_GSSAPI_UNSUPPORTED',
    );
    assert.equal(
      contextFlagsOf(IscRet.MUTUAL_AUTH | IscRet.SEQUENCE_DETECT | IscRet.DELEGATE | 0x100),
      ContextFlag.MUTUAL | ContextFlag.SEQUENCE | ContextFlag.DELEG,
    );
  });

  test('credential stores SSPI cannot honour are coded errors naming the option', () => {
    for (const key of ['ccache', 'keytab', 'client_keytab', 'rcache', 'other']) {
      assert.throws(
        () => refuseStore({ [key]: 'x' }),
        (e: Error & { code?: string }) =>
          e.code === 'ERR_GSSAPI_UNSUPPORTED' && e.message.includes(`store.${key}`),
      );
    }
    refuseStore(null);
    refuseStore({ ccache: undefined });
  });

  test('FILETIME expiry to seconds; "never" is null', () => {
    const now = Date.UTC(2026, 0, 1);
    const inAnHour = 116444736000000000n + BigInt(now + 3_600_000) * 10000n;
    assert.equal(secondsUntil(inAnHour, now), 3600);
    assert.equal(secondsUntil(0x7fffffffffffffffn, now), null);
    assert.equal(secondsUntil(0n, now), null);
  });
});

describe('provider choice', () => {
  test('Linux defaults to the GSSAPI provider; switching once it is in use is a coded error', () => {
    assert.equal(gssapiProvider(), process.platform === 'win32' ? 'sspi' : 'gssapi');
    selectGssapiProvider(gssapiProvider());
    const other = gssapiProvider() === 'gssapi' ? 'sspi' : 'gssapi';
    assert.throws(
      () => selectGssapiProvider(other),
      (e: Error & { code?: string }) => e.code === 'ERR_GSSAPI_UNSUPPORTED',
    );
    assert.throws(() => selectGssapiProvider('mit' as 'gssapi'), TypeError);
  });

  const probe = fileURLToPath(new URL('../../src/gssapi/index.js', import.meta.url));
  const entry = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const run = (env: Record<string, string>, code: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });

  test('HTTP_GSSAPI_PROVIDER=sspi off Windows: names work, the first call is a coded error, not a crash', () => {
    const r = run(
      { HTTP_GSSAPI_PROVIDER: 'sspi' },
      `const g = await import(${JSON.stringify(probe)});
       const name = new g.Name('HTTP@web.example.org', g.NameType.hostbasedService);
       const ctx = new g.SecurityContext({ usage: 'initiate', name });
       const out = { provider: g.gssapiProvider(), name: String(name) };
       try { await ctx.step(); } catch (e) { out.code = e.code; }
       try { await g.Credentials.acquire({ store: { keytab: '/etc/krb5.keytab' } }); } catch (e) { out.store = e.code; }
       const { HTTPSPNEGOAuth } = await import(${JSON.stringify(entry)});
       try { new HTTPSPNEGOAuth({ creds: { ccache: 'FILE:/tmp/cc' } }); } catch (e) { out.options = e.message; }
       console.log(JSON.stringify(out));`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      provider: 'sspi',
      name: 'HTTP@web.example.org',
      code: process.platform === 'win32' ? undefined : 'ERR_GSSAPI_LIBRARY_NOT_FOUND',
      store: 'ERR_GSSAPI_UNSUPPORTED',
      options:
        'the SSPI provider cannot use creds.ccache: SSPI keeps tickets in the logon session, not in a credential cache',
    });
  });

  test('an unknown HTTP_GSSAPI_PROVIDER is a coded error naming the value', () => {
    const r = run(
      { HTTP_GSSAPI_PROVIDER: 'kfw' },
      `const g = await import(${JSON.stringify(probe)});
       try { g.gssapiProvider(); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { code: string; message: string };
    assert.equal(out.code, 'ERR_GSSAPI_UNSUPPORTED');
    assert.match(out.message, /"kfw"/);
  });
});
