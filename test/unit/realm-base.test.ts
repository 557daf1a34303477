import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { RealmBase, startRealm } from '../../src/testing/realm-base.js';
import { SecretRedactor } from '../../src/testing/secret-redactor.js';
import type { Krb5ClientEnv } from '../../src/testing/test-realm-types.js';
import { TestingError } from '../../src/testing/testing-error.js';

// A realm whose KDC is never started: the base's lifecycle alone, with a fake program. The
// real KDCs (MIT, Samba) run through it in test/integration/test-realm.test.ts and
// active-directory.test.ts.
const SECRET = 'a-secret-password-1';
const TOOLS = {
  krb5kdc: '/bin/false',
  kdb5_util: '/bin/false',
  'kadmin.local': '/bin/false',
  kinit: '/bin/false',
  klist: '/bin/false',
  kdestroy: '/bin/false',
};

class FakeRealm extends RealmBase<Krb5ClientEnv> {
  readonly events: string[] = [];

  constructor(dir: string, log: (line: string) => void = () => {}) {
    const redactor = new SecretRedactor();
    redactor.add(SECRET);
    super({
      kind: 'FakeRealm',
      name: 'FAKE.TEST',
      hostname: 'localhost',
      dir,
      kdcPort: 1,
      kdcAddress: '127.0.0.1:1',
      krb5Config: join(dir, 'krb5.conf'),
      kdcLog: join(dir, 'kdc.log'),
      ccache: `FILE:${join(dir, 'ccache')}`,
      env: {
        KRB5_CONFIG: join(dir, 'krb5.conf'),
        KRB5CCNAME: `FILE:${join(dir, 'ccache')}`,
        KRB5_KTNAME: `FILE:${join(dir, 'service.keytab')}`,
        KRB5RCACHEDIR: join(dir, 'rcache'),
      },
      tools: TOOLS,
      redactor,
      log,
      startTimeoutMs: 1000,
      ports: [],
      launch: (context) => ({
        command: '/bin/false',
        args: [],
        env: {},
        outputPath: join(dir, 'out'),
        logFiles: [],
        redactor: context.redactor,
        log: context.log,
      }),
    });
  }

  say(line: string): void {
    this.log(line);
  }

  protected override async beforeStop(): Promise<void> {
    this.events.push('beforeStop');
  }

  protected override async afterKdcStop(): Promise<void> {
    this.events.push('afterKdcStop');
  }
}

describe('RealmBase: the lifecycle every realm shares', () => {
  it('stop() runs the hooks once, removes the directory, and every later command is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-realm-base-'));
    const realm = new FakeRealm(dir);
    const [first, second] = [realm.stop(), realm.stop()];
    assert.equal(first, second);
    await first;
    await realm[Symbol.asyncDispose]();
    assert.deepEqual(realm.events, ['beforeStop', 'afterKdcStop']);
    assert.equal(existsSync(dir), false);
    assert.equal(realm.kdcPid, null);
    await assert.rejects(realm.klist(), (e: unknown) => {
      assert.ok(e instanceof TestingError);
      assert.equal(e.code, 'ERR_TEST_REALM_STOPPED');
      assert.match(e.message, /^FakeRealm FAKE\.TEST: klist\(\) called after stop\(\)$/);
      return true;
    });
  });

  it('applyEnv sets the realm variables and overrides, and puts back what was there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-realm-base-'));
    const realm = new FakeRealm(dir);
    const before = process.env['KRB5_CONFIG'];
    process.env['HTTP_GSSAPI_REALM_BASE_TEST'] = 'kept';
    const restore = realm.applyEnv({ HTTP_GSSAPI_REALM_BASE_TEST: undefined, KRB5_CLIENT_KTNAME: 'FILE:x' });
    try {
      assert.equal(process.env['KRB5_CONFIG'], realm.env.KRB5_CONFIG);
      assert.equal(process.env['KRB5_CLIENT_KTNAME'], 'FILE:x');
      assert.equal('HTTP_GSSAPI_REALM_BASE_TEST' in process.env, false);
    } finally {
      restore();
      await realm.stop();
    }
    assert.equal(process.env['KRB5_CONFIG'], before);
    assert.equal(process.env['HTTP_GSSAPI_REALM_BASE_TEST'], 'kept');
    delete process.env['HTTP_GSSAPI_REALM_BASE_TEST'];
  });

  it('log lines name the realm and never show a secret; printing the realm shows none either', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-realm-base-'));
    const lines: string[] = [];
    const realm = new FakeRealm(dir, (line) => lines.push(line));
    realm.say(`kinit with ${SECRET}`);
    assert.ok(!inspect(realm, { depth: 5 }).includes(SECRET));
    await realm.stop();
    assert.equal(lines[0]?.startsWith('[FakeRealm FAKE.TEST] kinit with '), true);
    assert.ok(!lines.join('\n').includes(SECRET));
  });
});

describe('startRealm', () => {
  it('a failed initialization stops the realm and removes its directory before the error is thrown', async () => {
    let made: FakeRealm | undefined;
    await assert.rejects(
      startRealm({
        reserve: async () => 'ports',
        create: (dir, reserved) => {
          assert.equal(reserved, 'ports');
          made = new FakeRealm(dir);
          return made;
        },
        initialize: async () => {
          throw new Error('setup failed');
        },
      }),
      /setup failed/,
    );
    assert.ok(made);
    assert.deepEqual(made.events, ['beforeStop', 'afterKdcStop']);
    assert.equal(existsSync(made.dir), false);
  });

  it('a successful start hands the initialized realm over', async () => {
    const realm = await startRealm<FakeRealm, undefined>({
      reserve: async () => undefined,
      create: (dir) => new FakeRealm(dir),
      initialize: async (r) => {
        r.events.push('initialized');
      },
    });
    try {
      assert.deepEqual(realm.events, ['initialized']);
      assert.equal(existsSync(realm.dir), true);
    } finally {
      await realm.stop();
    }
  });
});
