import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelBindings,
  ContextFlag,
  ContextStateError,
  Credentials,
  describeOid,
  GSSError,
  Name,
  NameType,
  OID,
  SecurityContext,
} from '../../src/gssapi/index.js';
import { useRealm } from '../helpers/realm-fixture.js';

// The typed GSSAPI layer against a real throwaway MIT realm: real KDC, real keytabs, real tickets.

const fixture = useRealm({ acceptor: true });

const service = () => new Name(`HTTP@${fixture.realm.hostname}`, NameType.hostbasedService);

/** Runs a whole exchange; returns both contexts (caller disposes). */
async function handshake(
  options: {
    mech?: OID | null;
    flags?: number;
    creds?: Credentials | null;
    initiatorCb?: ChannelBindings;
    acceptorCb?: ChannelBindings;
  } = {},
) {
  const initiator = new SecurityContext({
    usage: 'initiate',
    name: service(),
    mech: options.mech === undefined ? OID.SPNEGO : options.mech,
    flags: options.flags ?? ContextFlag.MUTUAL | ContextFlag.SEQUENCE,
    creds: options.creds ?? null,
    channelBindings: options.initiatorCb ?? null,
  });
  const acceptor = new SecurityContext({
    usage: 'accept',
    creds: fixture.acceptorCredentials,
    channelBindings: options.acceptorCb ?? null,
  });
  let token = await initiator.step();
  let legs = 0;
  while (token) {
    legs++;
    const reply = await acceptor.step(token);
    if (!reply || initiator.complete) break;
    token = await initiator.step(reply);
  }
  return { initiator, acceptor, legs };
}

describe('init/accept exchanges', () => {
  for (const [label, mech] of [
    ['SPNEGO', OID.SPNEGO],
    ['raw Kerberos', OID.KRB5],
  ] as const) {
    test(`${label}: both sides complete with mutual authentication`, async () => {
      const { initiator, acceptor } = await handshake({ mech });
      assert.equal(initiator.complete, true);
      assert.equal(acceptor.complete, true);
      assert.equal(initiator.mutualAuthenticated, true);
      assert.ok(initiator.mech?.equals(OID.KRB5), `mech ${String(initiator.mech)}`);
      assert.equal(String(acceptor.initiatorName), fixture.realm.user.principal);
      assert.equal(String(initiator.targetName), fixture.realm.service.principal);
      assert.ok((initiator.lifetime ?? 0) > 0);
      initiator.dispose();
      acceptor.dispose();
    });
  }

  test('without MUTUAL the initiator completes after its first token', async () => {
    const initiator = new SecurityContext({
      usage: 'initiate',
      name: service(),
      mech: OID.KRB5,
      flags: ContextFlag.SEQUENCE,
    });
    const token = await initiator.step();
    assert.ok(token && token.length > 0);
    assert.equal(initiator.complete, true);
    await assert.rejects(initiator.step(new Uint8Array([1])), ContextStateError);
    initiator.dispose();
  });

  test('a corrupted server token fails the step at once, with a coded GSSError', async () => {
    const initiator = new SecurityContext({ usage: 'initiate', name: service(), mech: OID.SPNEGO });
    const acceptor = new SecurityContext({ usage: 'accept', creds: fixture.acceptorCredentials });
    const reply = (await acceptor.step((await initiator.step())!))!;
    reply[reply.length - 1]! ^= 0xff;
    await assert.rejects(initiator.step(reply), (e: unknown) => e instanceof GSSError && e.routine !== 0);
    assert.equal(initiator.complete, false);
    await assert.rejects(initiator.step(reply), ContextStateError);
    initiator.dispose();
    acceptor.dispose();
  });

  test('two steps at once on one context are refused', async () => {
    const initiator = new SecurityContext({ usage: 'initiate', name: service() });
    const first = initiator.step();
    await assert.rejects(
      initiator.step(),
      (e: unknown) => e instanceof ContextStateError && e.code === 'ERR_GSSAPI_CONTEXT_BUSY',
    );
    await first;
    initiator.dispose();
  });
});

describe('delegation', () => {
  test('the acceptor receives delegated credentials and can use them to reach another service', async () => {
    const { initiator, acceptor } = await handshake({
      flags: ContextFlag.MUTUAL | ContextFlag.SEQUENCE | ContextFlag.DELEG,
    });
    assert.ok(initiator.actualFlags & ContextFlag.DELEG, 'DELEG granted (forwardable TGT)');
    const delegated = acceptor.delegatedCreds;
    assert.ok(delegated, 'delegated credentials present');
    assert.equal(String(delegated.name), fixture.realm.user.principal);
    const onward = new SecurityContext({
      usage: 'initiate',
      name: service(),
      creds: delegated,
      mech: OID.KRB5,
    });
    const token = await onward.step();
    assert.ok(token && token.length > 0);
    onward.dispose();
    delegated.dispose();
    initiator.dispose();
    acceptor.dispose();
  });

  test('without the flag nothing is delegated', async () => {
    const { initiator, acceptor } = await handshake();
    assert.equal(acceptor.delegatedCreds, null);
    initiator.dispose();
    acceptor.dispose();
  });
});

describe('credentials', () => {
  // Another principal than the one in the default ccache: a credential that silently fell back
  // to the ccache (as MIT's SPNEGO does with its default mechanism set) would show up as the user.
  for (const mech of [OID.SPNEGO, OID.KRB5]) {
    test(`from a client keytab of another principal, without kinit (${describeOid(mech)})`, async () => {
      const other = await fixture.realm.addPrincipal(`kt-${describeOid(mech).toLowerCase()}`, {
        password: 'kt-secret-999',
      });
      const keytab = await fixture.realm.extractKeytab(other);
      const creds = await Credentials.acquire({
        name: other,
        store: { client_keytab: keytab, ccache: `MEMORY:kt-${other}` },
      });
      assert.equal(String(creds.name), other);
      const { initiator, acceptor } = await handshake({ creds, mech });
      assert.equal(String(acceptor.initiatorName), other);
      initiator.dispose();
      acceptor.dispose();
      creds.dispose();
    });

    test(`from a password of another principal, without kinit (${describeOid(mech)})`, async () => {
      const other = await fixture.realm.addPrincipal(`pw-${describeOid(mech).toLowerCase()}`, {
        password: 'correct horse battery',
      });
      const creds = await Credentials.withPassword({ name: other, password: 'correct horse battery' });
      assert.equal(String(creds.name), other);
      assert.equal(creds.usage, 'initiate');
      assert.ok((creds.lifetime ?? 0) > 0);
      const { acceptor, initiator } = await handshake({ creds, mech });
      assert.equal(String(acceptor.initiatorName), other);
      initiator.dispose();
      acceptor.dispose();
      creds.dispose();
    });
  }

  test('a wrong password is a coded error without the password in it', async () => {
    const other = await fixture.realm.addPrincipal('bob', { password: 'right-password-123' });
    await assert.rejects(
      Credentials.withPassword({ name: other, password: 'wrong-password-456' }),
      (e: unknown) => {
        assert.ok(e instanceof GSSError);
        assert.match(e.code, /PREAUTH_FAILED|KRB5KRB_AP_ERR_BAD_INTEGRITY|KRB5KDC_ERR/);
        assert.doesNotMatch(JSON.stringify({ ...e, message: e.message, stack: e.stack }), /wrong-password/);
        return true;
      },
    );
  });

  test('credentials without the requested mechanism are refused, not silently replaced by the ccache', async () => {
    const other = await fixture.realm.addPrincipal('krb5-only', { password: 'krb5-only-secret' });
    const creds = await Credentials.withPassword({
      name: other,
      password: 'krb5-only-secret',
      mechs: [OID.KRB5],
    });
    assert.throws(
      () => new SecurityContext({ usage: 'initiate', name: service(), mech: OID.SPNEGO, creds }),
      (e: unknown) => e instanceof ContextStateError && e.code === 'ERR_GSSAPI_CRED_MECH',
    );
    creds.dispose();
  });

  test('for an explicit principal in the ccache', async () => {
    const creds = await Credentials.acquire({ name: fixture.realm.user.principal });
    assert.equal(String(creds.name), fixture.realm.user.principal);
    assert.ok(creds.mechs.some((m) => m.equals(OID.KRB5)));
    creds.dispose();
  });
});

describe('channel bindings', () => {
  const cb = (text: string) => new ChannelBindings({ applicationData: new TextEncoder().encode(text) });

  test('the same bindings on both sides complete', async () => {
    const { initiator, acceptor } = await handshake({
      initiatorCb: cb('tls-server-end-point:abc'),
      acceptorCb: cb('tls-server-end-point:abc'),
    });
    assert.equal(acceptor.complete, true);
    initiator.dispose();
    acceptor.dispose();
  });

  test('different bindings fail with GSS_S_BAD_BINDINGS', async () => {
    await assert.rejects(
      handshake({ initiatorCb: cb('tls-server-end-point:abc'), acceptorCb: cb('tls-server-end-point:xyz') }),
      (e: unknown) =>
        e instanceof GSSError && e.majorName === 'GSS_S_BAD_BINDINGS' && /proxy/.test(e.hint ?? ''),
    );
  });
});

describe('failures have codes and hints', () => {
  for (const mech of [null, OID.SPNEGO]) {
    test(`an unknown service principal (${describeOid(mech)})`, async () => {
      // Through SPNEGO, MIT maps the minor code; the code is then recovered from the message.
      const ctx = new SecurityContext({
        usage: 'initiate',
        mech,
        name: new Name('HTTP@nowhere.invalid', NameType.hostbasedService),
      });
      await assert.rejects(ctx.step(), (e: unknown) => {
        assert.ok(e instanceof GSSError);
        assert.equal(e.code, 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN');
        assert.match(e.hint ?? '', /SPN|service principal/);
        return true;
      });
      ctx.dispose();
    });
  }

  test('no ccache', async () => {
    const saved = process.env['KRB5CCNAME'];
    process.env['KRB5CCNAME'] = `FILE:${fixture.realm.dir}/no-such-ccache`;
    try {
      const ctx = new SecurityContext({ usage: 'initiate', name: service() });
      await assert.rejects(ctx.step(), (e: unknown) => {
        assert.ok(e instanceof GSSError);
        assert.match(e.code, /KRB5_FCC_NOFILE|KRB5_CC_NOTFOUND|GSS_S_NO_CRED/);
        assert.match(e.hint ?? '', /kinit/);
        return true;
      });
      ctx.dispose();
    } finally {
      process.env['KRB5CCNAME'] = saved;
    }
  });
});

describe('negotiableMechs at acquisition (what SSPI needs; gss_set_neg_mechs here)', () => {
  test('default and password credentials limited to Kerberos complete a SPNEGO exchange with Kerberos', async () => {
    const { principal, password } = fixture.realm.user;
    for (const creds of [
      await Credentials.acquire({ negotiableMechs: [OID.KRB5] }),
      await Credentials.withPassword({ name: principal, password, negotiableMechs: [OID.KRB5] }),
    ]) {
      const { initiator, acceptor } = await handshake({ creds, mech: OID.SPNEGO });
      try {
        assert.equal(initiator.complete, true);
        assert.equal(String(initiator.mech), String(OID.KRB5));
      } finally {
        initiator.dispose();
        acceptor.dispose();
        creds.dispose();
      }
    }
  });

  test('the limit is in effect: limited to NTLM alone, the same default credentials do no Kerberos', async () => {
    let creds: Credentials;
    try {
      creds = await Credentials.acquire({ negotiableMechs: [OID.NTLMSSP] });
    } catch (error) {
      // Without gss-ntlmssp the credentials serve nothing the limit allows.
      assert.ok(error instanceof GSSError, String(error));
      return;
    }
    try {
      await assert.rejects(handshake({ creds, mech: OID.SPNEGO }), GSSError);
    } finally {
      creds.dispose();
    }
  });

  test('a bad limit is a TypeError before anything is acquired', async () => {
    for (const bad of [[], ['1.2.840.113554.1.2.2'], 'krb5']) {
      await assert.rejects(
        Credentials.acquire({ negotiableMechs: bad as never }),
        (e: Error) => e instanceof TypeError && /negotiableMechs/.test(e.message),
      );
    }
  });
});
