import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CredentialAcquirer, CredentialSource } from '../../src/core/credential-source.js';
import { LoginRefusedError } from '../../src/core/errors.js';
import { Credentials } from '../../src/gssapi/credentials.js';
import { GSSError } from '../../src/gssapi/gss-error.js';
import { OID } from '../../src/gssapi/oid.js';

// Where a client's credentials come from (core/credential-source.ts), with a fake acquirer: given
// credentials as they are; the default ones reused for a minute and dropped on a credential
// failure; a refused login remembered, so that no request tries it again. The real acquisitions
// are proven against a KDC in test/integration (credential-renewal, login-*).

/** A stand-in for acquired credentials: a Credentials for `instanceof`, with its own fields. */
function fakeCreds(
  label: string,
  lifetime: number | null = 36_000,
  principal: string | null = null,
): Credentials {
  const creds = Object.create(Credentials.prototype) as Credentials;
  Object.defineProperties(creds, {
    label: { value: label },
    name: { value: principal === null ? null : { toString: () => principal } },
    lifetime: { value: lifetime },
    mechs: { value: [OID.SPNEGO, OID.KRB5] },
    dispose: { value: () => {} },
    store: { value: async () => {} },
  });
  return creds;
}

const labelOf = (creds: Credentials | null) => (creds as unknown as { label?: string } | null)?.label ?? null;

/** An acquirer that answers from a script and records what it was asked. */
function scripted(answers: {
  acquire?: () => Promise<Credentials>;
  withPassword?: () => Promise<Credentials>;
}) {
  const calls: string[] = [];
  let made = 0;
  const acquirer: CredentialAcquirer = {
    acquire(options) {
      calls.push(`acquire${options.store ? ' store' : ''}`);
      return answers.acquire?.() ?? Promise.resolve(fakeCreds(`acquired-${++made}`));
    },
    withPassword() {
      calls.push('withPassword');
      return answers.withPassword?.() ?? Promise.resolve(fakeCreds(`login-${++made}`));
    },
  };
  return { acquirer, calls };
}

// GSS_S_CREDENTIALS_EXPIRED: the credentials' own failure (GSSError.credentialFailure 'expired').
const expired = () => new GSSError('gss_init_sec_context', { major: 11 << 16, minor: 0 });
// GSS_S_DEFECTIVE_CREDENTIAL: what MIT says of a ccache handle after a kinit as another user.
const defective = () => new GSSError('gss_init_sec_context', { major: 10 << 16, minor: 0 });
// GSS_S_FAILURE with KRB5KDC_ERR_PREAUTH_FAILED: the KDC refused the password.
const preauthFailed = () =>
  new GSSError('gss_acquire_cred_with_password', { major: 13 << 16, minor: (-1765328384 + 24) >>> 0 });
// GSS_S_FAILURE with KRB5_KDC_UNREACH: no KDC answered; nothing was refused.
const unreachable = () =>
  new GSSError('gss_acquire_cred_with_password', { major: 13 << 16, minor: -1765328228 >>> 0 });

describe('CredentialSource: given credentials', () => {
  test('are handed out as they are, never acquired, never dropped', async () => {
    const given = fakeCreds('given');
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(given, null, acquirer);
    assert.equal(await source.get(), given);
    assert.equal(await source.get(), given);
    assert.equal(source.dropStale(given, expired()), false, 'the caller owns them');
    assert.equal(source.noteRefusal(given, preauthFailed()) instanceof GSSError, true);
    assert.deepEqual(calls, []);
  });
});

describe('CredentialSource: the default credentials', () => {
  test('are acquired once and reused for a minute, then acquired again', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(null, null, acquirer);
    const first = await source.get();
    assert.equal(labelOf(first), 'acquired-1');
    t.mock.timers.tick(59_000);
    assert.equal(await source.get(), first);
    assert.ok(source.isDefault(first));
    t.mock.timers.tick(2_000);
    assert.equal(labelOf(await source.get()), 'acquired-2');
    assert.deepEqual(calls, ['acquire', 'acquire']);
  });

  test('credentials about to expire are reused only until 30 s before they do', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { acquirer } = scripted({ acquire: async () => fakeCreds('short', 40) });
    const source = new CredentialSource(null, null, acquirer);
    const first = await source.get();
    t.mock.timers.tick(9_000);
    assert.equal(await source.get(), first);
    t.mock.timers.tick(2_000);
    assert.notEqual(await source.get(), first, 'acquired again after 10 s');
  });

  test('a credential failure drops them: the next request acquires fresh ones', async () => {
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(null, null, acquirer);
    const first = await source.get();
    assert.equal(source.dropStale(first, unreachable()), false, 'not the credentials’ failure');
    assert.equal(await source.get(), first);
    assert.equal(source.dropStale(first, expired()), true);
    assert.equal(source.isDefault(first), false);
    const second = await source.get();
    assert.notEqual(second, first);
    assert.equal(source.dropStale(first, expired()), false, 'already dropped');
    assert.deepEqual(calls, ['acquire', 'acquire']);
  });

  test('none to be had: null (the library reports why at the step), and tried again next time', async () => {
    let fail = true;
    const { acquirer, calls } = scripted({
      acquire: async () => {
        if (fail) throw expired();
        return fakeCreds('later');
      },
    });
    const source = new CredentialSource(null, null, acquirer);
    assert.equal(await source.get(), null);
    fail = false;
    assert.equal(labelOf(await source.get()), 'later');
    assert.deepEqual(calls, ['acquire', 'acquire']);
  });

  test('concurrent requests share one acquisition', async () => {
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(null, null, acquirer);
    const [a, b] = await Promise.all([source.get(), source.get()]);
    assert.equal(a, b);
    assert.deepEqual(calls, ['acquire']);
  });
});

describe('CredentialSource: a described login', () => {
  const login = { principal: 'alice@EXAMPLE.ORG', password: 'not-logged' };

  test('is done once, then reused', async () => {
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(login, null, acquirer);
    const first = await source.get();
    assert.equal(await source.get(), first);
    assert.equal(calls.filter((c) => c === 'withPassword').length, 1);
  });

  test('a refused login is remembered: no request tries it again until retryLogin()', async () => {
    const { acquirer, calls } = scripted({ withPassword: () => Promise.reject(preauthFailed()) });
    const source = new CredentialSource(login, null, acquirer);
    const refused = await source.get().then(
      () => assert.fail('must be refused'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof LoginRefusedError);
    assert.match(refused.message, /KRB5KDC_ERR_PREAUTH_FAILED/);
    assert.doesNotMatch(`${refused.message} ${refused.hint}`, /not-logged/, 'no password in the error');
    await assert.rejects(source.get(), (e) => e === refused);
    await assert.rejects(source.get(), (e) => e === refused);
    assert.deepEqual(calls, ['withPassword'], 'one attempt toward the lockout');
    source.retryLogin();
    await assert.rejects(source.get(), LoginRefusedError);
    assert.deepEqual(calls, ['withPassword', 'withPassword']);
  });

  test('a failure that refused nothing (no KDC) is not remembered: the next request tries again', async () => {
    let fail = true;
    const { acquirer, calls } = scripted({
      withPassword: async () => {
        if (fail) throw unreachable();
        return fakeCreds('login');
      },
    });
    const source = new CredentialSource(login, null, acquirer);
    await assert.rejects(source.get(), (e) => e instanceof GSSError && e.code === 'KRB5_KDC_UNREACH');
    fail = false;
    assert.ok(await source.get());
    assert.equal(calls.filter((c) => c === 'withPassword').length, 2);
  });

  test('a refusal at the first step is remembered like one at acquisition', async () => {
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(login, null, acquirer);
    const creds = await source.get();
    const refused = source.noteRefusal(creds, preauthFailed());
    assert.ok(refused instanceof LoginRefusedError);
    assert.equal(source.noteRefusal(creds, preauthFailed()), refused, 'the same refusal for another request');
    await assert.rejects(source.get(), (e) => e === refused);
    const before = calls.length;
    await assert.rejects(source.get(), LoginRefusedError);
    assert.equal(calls.length, before, 'not tried again');
    const other = unreachable();
    assert.equal(new CredentialSource(login, null, acquirer).noteRefusal(creds, other), other);
  });

  test('expired tickets of the login: dropped, and the next request logs in again', async () => {
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource(login, null, acquirer);
    const first = await source.get();
    assert.equal(source.dropStale(first, expired()), true);
    assert.notEqual(await source.get(), first);
    assert.equal(calls.filter((c) => c === 'withPassword').length, 2);
  });
});

describe('CredentialSource: a described ccache', () => {
  test('a credential failure drops the handle: the next request reads the ccache afresh', async () => {
    const { acquirer, calls } = scripted({});
    const source = new CredentialSource({ ccache: 'FILE:/tmp/some.ccache' }, null, acquirer);
    const first = await source.get();
    assert.equal(await source.get(), first, 'reused while it works');
    assert.equal(source.dropStale(first, unreachable()), false, 'not the credentials’ failure');
    assert.equal(source.dropStale(first, defective()), true, 'GSS_S_DEFECTIVE_CREDENTIAL: dropped');
    const second = await source.get();
    assert.notEqual(second, first);
    assert.equal(source.dropStale(first, defective()), false, 'already dropped');
    assert.deepEqual(calls, ['acquire store', 'acquire store']);
  });
});

describe('CredentialSource: a change of principal', () => {
  for (const [kind, option] of [
    ['the default ccache', null],
    ['a described ccache', { ccache: 'FILE:/tmp/some.ccache' }],
  ] as const) {
    test(`is reported when credentials acquired again belong to someone else (${kind})`, async () => {
      const principals = ['alice@R', 'alice@R', 'bob@R', null, 'bob@R'];
      let made = 0;
      const { acquirer } = scripted({
        acquire: async () => fakeCreds(`c${made}`, 36_000, principals[made++] ?? null),
      });
      let changes = 0;
      const source = new CredentialSource(option, null, acquirer, () => changes++);
      const next = async () => {
        const creds = await source.get();
        assert.equal(source.dropStale(creds, defective()), true);
      };
      await next(); // alice
      assert.equal(changes, 0, 'the first acquisition is no change');
      await next(); // alice again: a renewal
      assert.equal(changes, 0, 'the same principal again is no change');
      await next(); // bob
      assert.equal(changes, 1, 'another principal: reported at once');
      await next(); // unknown
      assert.equal(changes, 1, 'a name not known changes nothing');
      await source.get(); // bob
      assert.equal(changes, 1, 'bob still');
    });
  }
});

describe('CredentialSource: recheck() before a session cookie stands in for a token', () => {
  test('a rewritten ccache file is read again, and a change of principal reported then', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'creds-recheck-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'cc');
    writeFileSync(file, 'alice');
    const principals = ['alice@R', 'alice@R', 'bob@R'];
    let made = 0;
    const { acquirer, calls } = scripted({
      acquire: async () => fakeCreds(`c${made}`, 36_000, principals[made++] ?? null),
    });
    let changes = 0;
    const source = new CredentialSource({ ccache: `FILE:${file}` }, null, acquirer, () => changes++);
    await source.recheck();
    assert.deepEqual(calls, [], 'nothing acquired yet: nothing to recheck');
    const first = await source.get();
    await source.recheck();
    assert.equal(await source.get(), first, 'the file unchanged: one stat, the same handle');
    writeFileSync(file, 'alice renewed');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    await source.recheck();
    assert.notEqual(await source.get(), first, 'read again');
    assert.equal(changes, 0, 'the same principal');
    writeFileSync(file, 'bob, after kinit bob');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    await source.recheck();
    assert.equal(changes, 1, 'another principal: reported before the session is reused');
    assert.equal(calls.length, 3);
  });

  test('no file to watch: a login, given credentials, a MEMORY ccache', async () => {
    let changes = 0;
    for (const option of [{ principal: 'a@R', password: 'x' }, { ccache: 'MEMORY:x' }, fakeCreds('given')]) {
      const { acquirer, calls } = scripted({});
      const source = new CredentialSource(option, null, acquirer, () => changes++);
      await source.get();
      const before = calls.length;
      await source.recheck();
      assert.equal(calls.length, before);
    }
    assert.equal(changes, 0);
  });
});
