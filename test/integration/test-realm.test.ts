import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { TestingError, TestRealm } from '../../src/testing/index.js';

// TestRealm against the real MIT programs: every test starts real krb5kdc processes.

/** Every error a test provoked on purpose; the last test checks that none shows a password. */
const provoked: unknown[] = [];
/** Every password a test used. */
const passwords = new Set<string>();

async function rejection(promise: Promise<unknown>): Promise<TestingError> {
  try {
    await promise;
  } catch (error) {
    provoked.push(error);
    assert.ok(error instanceof TestingError, `expected a TestingError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** True while `pid` is a live process (a zombie counts as gone: it no longer serves anything). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitUntilGone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (isAlive(pid)) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

describe('a started realm', () => {
  let realm: TestRealm;
  const logLines: string[] = [];

  before(async () => {
    realm = await TestRealm.start({ log: (line) => logLines.push(line) });
    passwords.add(realm.user.password);
  });
  after(() => realm?.stop());

  test('the user has a forwardable TGT in the default ccache', async () => {
    const listing = await realm.klist();
    assert.match(listing, new RegExp(`Default principal: ${realm.user.principal}`));
    assert.match(listing, /krbtgt\/HTTPGSSAPI\.TEST@HTTPGSSAPI\.TEST/);
    assert.match(listing, /Flags: F/, 'forwardable, so that delegation tests mean something');
    assert.equal(await realm.hasValidTicket(), true);
  });

  test('lives in its own directory, on its own loopback port, reachable through env', async () => {
    assert.ok(realm.dir.startsWith(join(tmpdir(), 'http-gssapi-realm-')));
    assert.notEqual(realm.kdcPort, 88);
    assert.equal(realm.kdcAddress, `127.0.0.1:${realm.kdcPort}`);
    assert.equal(realm.name, 'HTTPGSSAPI.TEST');
    assert.equal(realm.hostname, 'localhost');
    assert.equal(realm.service.principal, 'HTTP/localhost@HTTPGSSAPI.TEST');
    assert.equal(realm.env.KRB5_CONFIG, realm.krb5Config);
    assert.equal(realm.env.KRB5CCNAME, realm.ccache);
    assert.equal(realm.env.KRB5_KTNAME, `FILE:${realm.service.keytab}`);
    // No client keytab in env: MIT would silently replace missing and expired tickets from it.
    assert.ok(!('KRB5_CLIENT_KTNAME' in realm.env));
    assert.match(await readFile(realm.krb5Config, 'utf8'), /default_client_keytab_name = FILE:.*no-default/);
    for (const value of Object.values(realm.env)) assert.ok(value.includes(realm.dir), value);
    assert.ok(!('KRB5_TRACE' in realm.env));
    const conf = await readFile(realm.krb5Config, 'utf8');
    assert.match(conf, new RegExp(`kdc = 127\\.0\\.0\\.1:${realm.kdcPort}`));
    assert.match(conf, /forwardable = true/);
    assert.doesNotMatch(conf, /udp_preference_limit/, 'UDP stays allowed without a proxy');
    assert.ok(existsSync(realm.service.keytab) && existsSync(realm.user.keytab));
    assert.ok(realm.kdcPid !== null && isAlive(realm.kdcPid));
  });

  test('kinit works with the user keytab and with the password', async () => {
    const byKeytab = `FILE:${join(realm.dir, 'by-keytab')}`;
    await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache: byKeytab });
    assert.match(await realm.klist(byKeytab), /krbtgt\/HTTPGSSAPI\.TEST/);
    const byPassword = `FILE:${join(realm.dir, 'by-password')}`;
    await realm.kinit(
      realm.user.principal,
      { password: realm.user.password },
      { ccache: byPassword, forwardable: false },
    );
    assert.doesNotMatch(await realm.klist(byPassword), /Flags: F/);
    await realm.kdestroy(byPassword);
    assert.equal(await realm.hasValidTicket(byPassword), false);
  });

  test('a wrong password fails, and the error does not show it', async () => {
    const wrong = 'not-the-Password-42';
    passwords.add(wrong);
    const error = await rejection(
      realm.kinit(realm.user.principal, { password: wrong }, { ccache: `FILE:${join(realm.dir, 'wrong')}` }),
    );
    assert.equal(error.code, 'ERR_TEST_REALM_KINIT');
    assert.match(error.message, /Password incorrect/);
    assert.equal(error.exitCode, 1);
    assert.match(error.tool ?? '', /\/kinit$/);
  });

  test('addPrincipal and extractKeytab make principals that can log in', async () => {
    const password = 'alice-Secret-7781';
    passwords.add(password);
    const alice = await realm.addPrincipal('alice', { password }, { requiresPreauth: true });
    assert.equal(alice, 'alice@HTTPGSSAPI.TEST');
    const keytab = await realm.extractKeytab(alice);
    const ccache = `FILE:${join(realm.dir, 'alice')}`;
    await realm.kinit(alice, { keytab }, { ccache });
    // -norandkey: extracting the keytab left the password valid.
    await realm.kinit(alice, { password }, { ccache });
    assert.match(await realm.klist(ccache), /Default principal: alice@HTTPGSSAPI\.TEST/);

    const spn = await realm.addPrincipal('HTTP/api.localhost', { randkey: true }, { okAsDelegate: true });
    assert.equal(spn, 'HTTP/api.localhost@HTTPGSSAPI.TEST');
    assert.match(await realm.kadmin(`getprinc ${spn}`), /Attributes:.*OK_AS_DELEGATE/);

    // kadmin.local exits 0 here; the failure is still reported.
    const duplicate = await rejection(realm.addPrincipal('alice', { password }));
    assert.equal(duplicate.code, 'ERR_TEST_REALM_KADMIN');
    assert.match(duplicate.message, /already exists/);
    await assert.rejects(realm.addPrincipal('bob@OTHER.TEST', { randkey: true }), TypeError);
  });

  test('applyEnv sets the variables and the returned function restores them', () => {
    const before = { ...process.env };
    process.env['KRB5_CLIENT_KTNAME'] = 'FILE:/elsewhere';
    process.env['KRB5_TRACE'] = '/dev/stderr';
    const restore = realm.applyEnv({
      KRB5_CLIENT_KTNAME: `FILE:${realm.user.keytab}`,
      KRB5_TRACE: undefined,
    });
    try {
      assert.equal(process.env['KRB5_CONFIG'], realm.krb5Config);
      assert.equal(process.env['KRB5CCNAME'], realm.ccache);
      assert.equal(process.env['KRB5_CLIENT_KTNAME'], `FILE:${realm.user.keytab}`);
      assert.equal(process.env['KRB5_TRACE'], undefined);
    } finally {
      restore();
    }
    assert.equal(process.env['KRB5_CLIENT_KTNAME'], 'FILE:/elsewhere');
    assert.equal(process.env['KRB5_TRACE'], '/dev/stderr');
    delete process.env['KRB5_CLIENT_KTNAME'];
    delete process.env['KRB5_TRACE'];
    assert.deepEqual({ ...process.env }, before);
  });

  test('stopKdc makes kinit fail fast; startKdc brings it back on the same port', async () => {
    const firstPid = realm.kdcPid!;
    await realm.stopKdc();
    assert.equal(realm.kdcPid, null);
    assert.equal(isAlive(firstPid), false);
    const started = performance.now();
    const error = await rejection(realm.kinit(realm.user.principal, { password: realm.user.password }));
    const elapsed = performance.now() - started;
    assert.equal(error.code, 'ERR_TEST_REALM_KINIT');
    assert.match(error.message, /Cannot contact any KDC/);
    assert.ok(elapsed < 5000, `kinit failed after ${elapsed.toFixed(0)} ms`);

    await realm.startKdc();
    assert.ok(realm.kdcPid !== null && realm.kdcPid !== firstPid);
    assert.match(await readFile(realm.krb5Config, 'utf8'), new RegExp(`:${realm.kdcPort}\\b`));
    await realm.kinit(realm.user.principal, { keytab: realm.user.keytab });
    assert.equal(await realm.hasValidTicket(), true);
  });

  test('a KDC that cannot bind its port fails to start with the KDC log in the error', async () => {
    await realm.stopKdc();
    // Node listens without SO_REUSEPORT, so krb5kdc (which sets it) cannot share the port. The
    // squatter accepts connections and says nothing, like a wrong service on the KDC's port.
    const accepted = new Set<Socket>();
    const squatter: Server = createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => squatter.listen(realm.kdcPort, '127.0.0.1', resolve));
    try {
      const started = performance.now();
      const error = await rejection(realm.startKdc());
      const elapsed = performance.now() - started;
      assert.equal(error.code, 'ERR_TEST_REALM_KDC_START');
      assert.match(error.message, /Address already in use/);
      assert.match(error.output ?? '', /Address already in use/);
      assert.equal(realm.kdcPid, null);
      assert.ok(elapsed < 5000, `failed after ${elapsed.toFixed(0)} ms, not after kinit's timeout`);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
    await realm.startKdc();
    await realm.kinit(realm.user.principal, { keytab: realm.user.keytab });
  });

  test('the password is kept out of logs, inspection and JSON', () => {
    assert.ok(logLines.some((line) => line.includes('ready in')));
    assert.ok(logLines.some((line) => line.includes(`listening on 127.0.0.1:${realm.kdcPort}`)));
    const shown = [logLines.join('\n'), inspect(realm, { depth: 5 }), JSON.stringify(realm)].join('\n');
    assert.ok(!shown.includes(realm.user.password));
    assert.equal(typeof realm.user.password, 'string');
    assert.equal(realm.user.password.length, 24);
  });

  test('bad options throw a TypeError naming the option, before anything starts', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ realm: 'TWO WORDS' }, /^realm /],
      [{ hostname: 'Upper.Case' }, /^hostname /],
      [{ maxLife: '5 parsecs' }, /^maxLife /],
      [{ maxRenewableLife: '0s' }, /^maxRenewableLife /],
      [{ kdcDelayMs: -1 }, /^kdcDelayMs /],
      [{ kinitUser: 'yes' }, /^kinitUser /],
      [{ log: 'console' }, /^log /],
      [{ toolPaths: { sbin: 'relative/sbin' } }, /^toolPaths\.sbin /],
      [{ maxlife: '5s' }, /unknown option "maxlife" \(did you mean "maxLife"\?\)/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(TestRealm.start(options as never), (error: unknown) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, message);
        return true;
      });
    }
  });

  test('kinit and addPrincipal options are checked by name too, before any tool runs', async () => {
    const kinit = realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, {
      renewable_life: '1d',
    } as never);
    await assert.rejects(kinit, /unknown kinit option "renewable_life" \(did you mean "renewableLife"\?\)/);
    const add = realm.addPrincipal('typo', { randkey: true }, { okAsDelegates: true } as never);
    await assert.rejects(
      add,
      /unknown addPrincipal option "okAsDelegates" \(did you mean "okAsDelegate"\?\)/,
    );
    assert.doesNotMatch(await realm.kadmin('listprincs'), /typo@/, 'the principal was not created');
  });
});

describe('several realms', () => {
  test('two realms run side by side, and stop() removes the dir and ends the KDC', async () => {
    const [a, b] = await Promise.all([
      TestRealm.start({ realm: 'A.TEST' }),
      TestRealm.start({ realm: 'B.TEST' }),
    ]);
    const kdcs = [a.kdcPid!, b.kdcPid!];
    passwords.add(a.user.password).add(b.user.password);
    try {
      assert.notEqual(a.kdcPort, b.kdcPort);
      assert.notEqual(a.dir, b.dir);
      assert.match(await a.klist(), /krbtgt\/A\.TEST@A\.TEST/);
      assert.match(await b.klist(), /krbtgt\/B\.TEST@B\.TEST/);
      // Each KDC knows only its own realm's keys: B's keytab does not log in at A.
      await b.kinit(b.user.principal, { keytab: b.user.keytab }, { ccache: `FILE:${join(b.dir, 'again')}` });
      const foreign = await rejection(
        a.kinit(a.user.principal, { keytab: b.user.keytab }, { ccache: `FILE:${join(a.dir, 'foreign')}` }),
      );
      assert.equal(foreign.code, 'ERR_TEST_REALM_KINIT');
    } finally {
      // stop() twice at once, then once more; the other one through Symbol.asyncDispose.
      await Promise.all([a.stop(), a.stop()]);
      await a.stop();
      await b[Symbol.asyncDispose]();
    }
    for (const realm of [a, b]) assert.equal(existsSync(realm.dir), false, `${realm.dir} removed`);
    for (const pid of kdcs) assert.equal(isAlive(pid), false, `krb5kdc ${pid} gone`);
    const late = await rejection(a.kinit(a.user.principal, { keytab: a.user.keytab }));
    assert.equal(late.code, 'ERR_TEST_REALM_STOPPED');
  });

  test('a realm left running does not keep the process alive, and the exit hook cleans it up', async () => {
    const index = fileURLToPath(new URL('../../src/testing/index.js', import.meta.url));
    const script = `
      const { TestRealm } = await import(${JSON.stringify(index)});
      const realm = await TestRealm.start({ kdcDelayMs: 1 });
      console.log(JSON.stringify({ dir: realm.dir, kdc: realm.kdcPid, proxy: realm.proxy.pid }));`;
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    const elapsed = performance.now() - started;
    const left = JSON.parse(stdout) as { dir: string; kdc: number; proxy: number };
    assert.ok(elapsed < 15_000, `the child exited after ${elapsed.toFixed(0)} ms`);
    assert.equal(await waitUntilGone(left.kdc), true, 'krb5kdc killed at exit');
    assert.equal(await waitUntilGone(left.proxy), true, 'delay proxy gone with its parent');
    assert.equal(existsSync(left.dir), false, 'directory removed at exit');
  });
  test('a realm whose process gets SIGTERM is cleaned up, and the process still dies of SIGTERM', async () => {
    const index = fileURLToPath(new URL('../../src/testing/index.js', import.meta.url));
    const script = `
      const { TestRealm } = await import(${JSON.stringify(index)});
      const realm = await TestRealm.start();
      console.log(JSON.stringify({ dir: realm.dir, kdc: realm.kdcPid }));
      setInterval(() => {}, 1000); // stays alive until killed`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const left = JSON.parse(line) as { dir: string; kdc: number };
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM');
    assert.equal(await waitUntilGone(left.kdc), true, 'krb5kdc killed on SIGTERM');
    assert.equal(existsSync(left.dir), false, 'directory removed on SIGTERM');
  });
});

describe('short-lived tickets', () => {
  test("maxLife '5s': tickets expire after 5 s, even when a longer life is asked for", async () => {
    const realm = await TestRealm.start({ maxLife: '5s', maxRenewableLife: '5s' });
    try {
      const issued = performance.now();
      const asked = `FILE:${join(realm.dir, 'asked-1h')}`;
      await realm.kinit(
        realm.user.principal,
        { keytab: realm.user.keytab },
        { ccache: asked, lifetime: '1h' },
      );
      assert.equal(await realm.hasValidTicket(), true);
      assert.equal(await realm.hasValidTicket(asked), true);
      await sleep(Math.max(0, 6000 - (performance.now() - issued)));
      assert.equal(await realm.hasValidTicket(), false, 'klist -s: the TGT from start() expired');
      assert.equal(await realm.hasValidTicket(asked), false, "klist -s: the TGT asked for '1h' expired too");
    } finally {
      await realm.stop();
    }
  });
});

describe('a KDC behind a delay proxy', () => {
  let realm: TestRealm;
  before(async () => {
    realm = await TestRealm.start({ kdcDelayMs: 300 });
  });
  after(() => realm?.stop());

  test('clients go through the proxy over TCP, and each exchange takes at least two delays', async () => {
    assert.ok(realm.proxy);
    assert.equal(realm.kdcAddress, `127.0.0.1:${realm.proxy.port}`);
    assert.notEqual(realm.proxy.port, realm.kdcPort);
    assert.match(await readFile(realm.krb5Config, 'utf8'), /udp_preference_limit = 1/);
    const connections = realm.proxy.connections;
    const started = performance.now();
    await realm.kinit(
      realm.user.principal,
      { keytab: realm.user.keytab },
      { ccache: `FILE:${join(realm.dir, 'slow')}` },
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 600, `kinit took ${elapsed.toFixed(0)} ms`);
    await sleep(50); // the child's IPC message may trail kinit's exit
    assert.ok(realm.proxy.connections > connections, 'the proxy saw the connection');
  });

  test('the proxy keeps working while this process blocks its event loop', async () => {
    const started = performance.now();
    const kinit = realm.kinit(
      realm.user.principal,
      { keytab: realm.user.keytab },
      {
        ccache: `FILE:${join(realm.dir, 'blocked')}`,
      },
    );
    // kinit is already running (spawn is synchronous). Block for 1.5 s: an in-process proxy would
    // hold the request until the end of the block and need 600 ms more, >= 2100 ms in all.
    while (performance.now() - started < 1500) {
      // busy wait
    }
    await kinit;
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1800, `kinit finished ${elapsed.toFixed(0)} ms after it started`);
  });

  test('with the KDC stopped, requests through the proxy fail fast, and startKdc() recovers', async () => {
    await realm.stopKdc();
    const started = performance.now();
    const error = await rejection(realm.kinit(realm.user.principal, { keytab: realm.user.keytab }));
    const elapsed = performance.now() - started;
    assert.equal(error.code, 'ERR_TEST_REALM_KINIT');
    assert.ok(elapsed < 5000, `failed after ${elapsed.toFixed(0)} ms`);
    await realm.startKdc();
  });
});

describe('without the MIT programs', () => {
  test('start() fails at once, names the missing programs and the packages, creates nothing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'http-gssapi-no-tools-'));
    const previousTmp = process.env['TMPDIR'];
    // os.tmpdir() reads TMPDIR on every call: an empty one shows whether a realm dir was made.
    process.env['TMPDIR'] = empty;
    try {
      const error = await rejection(TestRealm.start({ toolPaths: { sbin: empty, bin: empty } }));
      assert.equal(error.code, 'ERR_TEST_REALM_MISSING_TOOLS');
      assert.deepEqual(
        error.missing,
        ['krb5kdc', 'kdb5_util', 'kadmin.local', 'kinit', 'klist', 'kdestroy'].map((tool) =>
          join(empty, tool),
        ),
      );
      assert.match(error.message, /apt-get install krb5-kdc krb5-admin-server krb5-user/);
      assert.match(error.message, /dnf install krb5-server krb5-workstation/);
      assert.match(error.message, /apk add krb5-server krb5/);
      assert.deepEqual(await readdir(empty), []);

      // The environment variables do the same for every realm; the client programs are still found.
      process.env['HTTP_GSSAPI_KRB5_SBIN'] = empty;
      const sbinOnly = await rejection(TestRealm.start());
      assert.deepEqual(sbinOnly.missing, [
        join(empty, 'krb5kdc'),
        join(empty, 'kdb5_util'),
        join(empty, 'kadmin.local'),
      ]);
      assert.deepEqual(await readdir(empty), []);
    } finally {
      delete process.env['HTTP_GSSAPI_KRB5_SBIN'];
      if (previousTmp === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = previousTmp;
      await rm(empty, { recursive: true, force: true });
    }
  });
});

test('no provoked error shows a password', () => {
  assert.ok(provoked.length >= 8, `${provoked.length} errors checked`);
  for (const error of provoked) {
    const shown = `${inspect(error, { depth: 5 })}\n${JSON.stringify(error)}`;
    for (const password of passwords) assert.ok(!shown.includes(password), `password in: ${shown}`);
  }
});
