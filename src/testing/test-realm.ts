/**
 * {@link TestRealm}: a throwaway MIT Kerberos realm for integration tests.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayProxy } from './delay-proxy.js';
import { onProcessExit } from './exit-cleanup.js';
import { releasePort, reserveKdcPort } from './free-port.js';
import { type Krb5Tools, locateKrb5Tools, runTool, type ToolResult, tail } from './krb5-tools.js';
import { kdcConf, krb5Conf, type RealmPaths } from './realm-config.js';
import { SecretRedactor } from './secret-redactor.js';
import {
  KRB5_DURATION,
  type ResolvedTestRealmOptions,
  resolveTestRealmOptions,
  type TestRealmOptions,
} from './test-realm-options.js';
import type {
  AddPrincipalOptions,
  KinitOptions,
  KinitSecret,
  PrincipalKey,
  TestRealmEnv,
  TestRealmService,
  TestRealmUser,
} from './test-realm-types.js';
import { TestingError, type TestingErrorCode } from './testing-error.js';

// Principal names go into kadmin command lines: no quoting, no spaces, no second realm.
const PRINCIPAL = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*(?:@[A-Za-z0-9._-]+)?$/;

// kadmin.local -q exits 0 even when its command failed (MIT 1.20.1); failures show as lines on
// stderr. These stderr lines are not failures.
const KADMIN_NOISE = [
  /^No policy specified for .*; defaulting to no policy$/,
  /^WARNING: no policy specified/,
];

function checkPrincipal(name: string, value: unknown): string {
  if (typeof value !== 'string' || !PRINCIPAL.test(value)) {
    throw new TypeError(
      `${name} must be a principal name like 'user' or 'HTTP/host@REALM', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function checkDuration(name: string, value: unknown): string {
  if (typeof value !== 'string' || !KRB5_DURATION.test(value)) {
    throw new TypeError(
      `${name} must be a krb5 duration such as '10h' or '5s', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function checkPassword(name: string, value: unknown): string {
  // Never echo the value: it is a password.
  if (typeof value !== 'string' || value === '' || /[\r\n]/.test(value)) {
    throw new TypeError(`${name} must be a non-empty string without line breaks`);
  }
  return value;
}

function checkPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes('"') || /[\r\n]/.test(value)) {
    throw new TypeError(
      `${name} must be a file path without quotes or line breaks, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A password that passes any policy and needs no quoting anywhere. */
function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

const STARTED = Symbol('TestRealm.constructor');

/**
 * A throwaway MIT Kerberos realm: its own temp directory, database, free loopback port and
 * `krb5kdc` process, reachable only through the files and environment variables it exposes
 * (the approach of python-gssapi's k5test). Several realms can run side by side, and the
 * machine's own Kerberos configuration is never read or changed.
 *
 * `start()` creates `user@REALM` (random password, plus a keytab) and `HTTP/<hostname>@REALM`
 * (random key, keytab), starts the KDC, waits until a real `kinit` succeeds, and by default
 * leaves a forwardable TGT for the user in {@link TestRealm.ccache}. Code under test sees the
 * realm after {@link TestRealm.applyEnv} (or with {@link TestRealm.env} in a child process).
 *
 * Needs the MIT programs `krb5kdc`, `kdb5_util`, `kadmin.local`, `kinit`, `klist`, `kdestroy`
 * (Debian/Ubuntu: `apt-get install krb5-kdc krb5-admin-server krb5-user`). No root needed.
 *
 * @example
 * ```ts
 * import { test } from 'node:test';
 * import { TestRealm } from 'http-gssapi/testing';
 *
 * test('gets a ticket', async () => {
 *   await using realm = await TestRealm.start();
 *   const restore = realm.applyEnv();
 *   try {
 *     // ... code under test: libgssapi_krb5 now uses the realm's krb5.conf, ccache and keytabs
 *   } finally {
 *     restore();
 *   }
 * });
 * ```
 */
export class TestRealm implements AsyncDisposable {
  /** The realm name, e.g. `'HTTPGSSAPI.TEST'`. */
  readonly name: string;
  /** The temp directory holding everything; removed by {@link TestRealm.stop}. */
  readonly dir: string;
  /** The service host name (`HTTP/<hostname>`), e.g. `'localhost'`. */
  readonly hostname: string;
  /** The port krb5kdc listens on, on 127.0.0.1, for UDP and TCP. Kept across stopKdc()/startKdc(). */
  readonly kdcPort: number;
  /** Where clients reach the KDC, `'127.0.0.1:<port>'`: the delay proxy's address when `kdcDelayMs` is set. */
  readonly kdcAddress: string;
  /** Path of the realm's krb5.conf. */
  readonly krb5Config: string;
  /** Path of the realm's kdc.conf. */
  readonly kdcProfile: string;
  /** Path of the KDC's log file: the first place to look when a ticket is refused. */
  readonly kdcLog: string;
  /** The default credential cache, `'FILE:<dir>/ccache'`. */
  readonly ccache: string;
  /** `user@REALM`, its password and keytab. */
  readonly user: TestRealmUser;
  /** `HTTP/<hostname>@REALM` and its keytab. */
  readonly service: TestRealmService;
  /** Variables that point MIT programs and libgssapi_krb5 at this realm. */
  readonly env: TestRealmEnv;
  /** The proxy in front of the KDC when `kdcDelayMs` was given, else `null`. */
  readonly proxy: DelayProxy | null;

  readonly #options: ResolvedTestRealmOptions;
  readonly #tools: Krb5Tools;
  readonly #paths: RealmPaths & {
    readonly kdcOutput: string;
    readonly kdcPid: string;
    readonly rcache: string;
  };
  readonly #redactor = new SecretRedactor();
  readonly #masterPassword = randomPassword();
  readonly #unregisterExit: () => void;
  #kdc: ChildProcess | null = null;
  #kdcExited: Promise<void> = Promise.resolve();
  #kadminQueue: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #stopping: Promise<void> | undefined;

  /** Use {@link TestRealm.start}. */
  private constructor(
    token: typeof STARTED,
    options: ResolvedTestRealmOptions,
    tools: Krb5Tools,
    dir: string,
    kdcPort: number,
    proxy: DelayProxy | null,
  ) {
    if (token !== STARTED) throw new TypeError('use TestRealm.start()');
    this.#options = options;
    this.#tools = tools;
    this.name = options.realm;
    this.hostname = options.hostname;
    this.dir = dir;
    this.kdcPort = kdcPort;
    this.proxy = proxy;
    this.kdcAddress = proxy ? `${proxy.host}:${proxy.port}` : `127.0.0.1:${kdcPort}`;
    this.#paths = {
      krb5Config: join(dir, 'krb5.conf'),
      kdcProfile: join(dir, 'kdc.conf'),
      database: join(dir, 'principal'),
      stash: join(dir, 'stash'),
      acl: join(dir, 'kadm5.acl'),
      kdcLog: join(dir, 'kdc.log'),
      kdcOutput: join(dir, 'krb5kdc.out'),
      kdcPid: join(dir, 'krb5kdc.pid'),
      ccache: join(dir, 'ccache'),
      serviceKeytab: join(dir, 'service.keytab'),
      unusedClientKeytab: join(dir, 'no-default-client.keytab'),
      rcache: join(dir, 'rcache'),
    };
    this.krb5Config = this.#paths.krb5Config;
    this.kdcProfile = this.#paths.kdcProfile;
    this.kdcLog = this.#paths.kdcLog;
    this.ccache = `FILE:${this.#paths.ccache}`;
    const password = randomPassword();
    this.#redactor.add(password);
    this.#redactor.add(this.#masterPassword);
    this.user = Object.freeze(
      Object.defineProperty(
        { principal: `user@${this.name}`, keytab: join(dir, 'user.keytab') },
        'password',
        {
          value: password,
          enumerable: false,
        },
      ) as TestRealmUser,
    );
    this.service = Object.freeze({
      principal: `HTTP/${this.hostname}@${this.name}`,
      hostname: this.hostname,
      keytab: this.#paths.serviceKeytab,
    });
    this.env = Object.freeze({
      KRB5_CONFIG: this.krb5Config,
      KRB5_KDC_PROFILE: this.kdcProfile,
      KRB5CCNAME: this.ccache,
      KRB5_KTNAME: `FILE:${this.service.keytab}`,
      KRB5RCACHEDIR: this.#paths.rcache,
    });
    // If the process exits without stop(), the KDC would outlive it (it is not our process
    // group's to clean up) and the temp dir would stay: kill and remove, synchronously.
    this.#unregisterExit = onProcessExit(() => {
      this.#kdc?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
  }

  /**
   * Creates and starts a realm. Fails fast, before creating anything, when the MIT programs are
   * missing; on any later failure it stops what it started, removes the directory and throws a
   * {@link TestingError} whose message ends with the failing tool's output (or the KDC log).
   *
   * @param options - see {@link TestRealmOptions}; a bad value throws a `TypeError` naming it.
   * @throws TestingError `ERR_TEST_REALM_MISSING_TOOLS`, `ERR_TEST_REALM_SETUP`,
   *   `ERR_TEST_REALM_KADMIN`, `ERR_TEST_REALM_KDC_START`.
   *
   * @example
   * ```ts
   * const realm = await TestRealm.start({ kdcDelayMs: 300, log: console.error });
   * try {
   *   console.log(await realm.klist());
   * } finally {
   *   await realm.stop();
   * }
   * ```
   */
  static async start(options?: TestRealmOptions): Promise<TestRealm> {
    const resolved = resolveTestRealmOptions(options);
    const tools = await locateKrb5Tools(resolved.toolPaths);
    const deadline = performance.now() + resolved.startTimeoutMs;
    let dir: string;
    try {
      dir = await mkdtemp(join(tmpdir(), 'http-gssapi-realm-'));
    } catch (cause) {
      throw new TestingError('ERR_TEST_REALM_SETUP', `cannot create the realm directory in ${tmpdir()}`, {
        cause,
      });
    }
    let kdcPort: number | undefined;
    let proxy: DelayProxy | null = null;
    try {
      kdcPort = await reserveKdcPort();
      if (resolved.kdcDelayMs !== undefined) {
        proxy = await DelayProxy.start({
          target: { host: '127.0.0.1', port: kdcPort },
          delayMs: resolved.kdcDelayMs,
        });
      }
    } catch (cause) {
      await proxy?.stop();
      if (kdcPort !== undefined) releasePort(kdcPort);
      await rm(dir, { recursive: true, force: true });
      if (cause instanceof TestingError) throw cause;
      throw new TestingError('ERR_TEST_REALM_SETUP', `cannot set up the KDC's port: ${String(cause)}`, {
        cause,
      });
    }
    const realm = new TestRealm(STARTED, resolved, tools, dir, kdcPort, proxy);
    try {
      await realm.#initialize(deadline);
      return realm;
    } catch (error) {
      await realm.stop().catch(() => {});
      throw error;
    }
  }

  /** Process id of the running krb5kdc, or `null` while it is stopped. */
  get kdcPid(): number | null {
    return this.#kdc?.pid ?? null;
  }

  /**
   * Sets {@link TestRealm.env} on `process.env`, plus `overrides` (a value of `undefined` unsets
   * the variable), and returns a function that puts back what was there before. libgssapi_krb5
   * reads these variables when it creates a krb5 context, i.e. on each GSSAPI call, so code
   * under test in this process sees the realm from then on.
   *
   * @example
   * ```ts
   * // Let MIT fetch tickets from the user keytab by itself (see TestRealmEnv):
   * const restore = realm.applyEnv({ KRB5_CLIENT_KTNAME: `FILE:${realm.user.keytab}` });
   * try {
   *   // ...
   * } finally {
   *   restore();
   * }
   * ```
   */
  applyEnv(overrides: Readonly<Record<string, string | undefined>> = {}): () => void {
    const values: Record<string, string | undefined> = { ...this.env, ...overrides };
    const previous = new Map<string, string | undefined>();
    for (const [name, value] of Object.entries(values)) {
      previous.set(name, process.env[name]);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    let restored = false;
    return () => {
      if (restored) return;
      restored = true;
      for (const [name, value] of previous) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
  }

  /**
   * Runs MIT `kinit` against this realm. A password goes to kinit's stdin, never on its
   * command line (where `ps` would show it) and never into logs or errors.
   *
   * @param principal - e.g. `realm.user.principal` or `'alice'` (the realm is appended by kinit).
   * @param secret - `{ password }` or `{ keytab }` (a path).
   * @param options - ccache (default {@link TestRealm.ccache}), forwardable (default true), lifetimes.
   * @throws TestingError `ERR_TEST_REALM_KINIT` with kinit's message, e.g. `Password incorrect`.
   *
   * @example
   * ```ts
   * await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache: `FILE:${realm.dir}/other` });
   * ```
   */
  async kinit(principal: string, secret: KinitSecret, options: KinitOptions = {}): Promise<void> {
    this.#assertRunning('kinit');
    return this.#kinit(principal, secret, options);
  }

  async #kinit(
    principal: string,
    secret: KinitSecret,
    options: KinitOptions,
    signal?: AbortSignal,
  ): Promise<void> {
    checkPrincipal('principal', principal);
    const args: string[] = [];
    let input: string | undefined;
    if (typeof secret !== 'object' || secret === null) {
      throw new TypeError('secret must be { password } or { keytab }');
    }
    if ('password' in secret) {
      const password = checkPassword('secret.password', secret.password);
      this.#redactor.add(password);
      input = `${password}\n`;
    } else if ('keytab' in secret) {
      args.push('-k', '-t', checkPath('secret.keytab', secret.keytab));
    } else {
      throw new TypeError('secret must be { password } or { keytab }');
    }
    const { ccache = this.ccache, forwardable = true, lifetime, renewableLife } = options;
    args.push(forwardable ? '-f' : '-F', '-c', checkPath('options.ccache', ccache));
    if (lifetime !== undefined) args.push('-l', checkDuration('options.lifetime', lifetime));
    if (renewableLife !== undefined) args.push('-r', checkDuration('options.renewableLife', renewableLife));
    args.push(principal);
    const result = await this.#run('kinit', args, {
      timeoutMs: 15_000,
      ...(input === undefined ? {} : { input }),
      ...(signal === undefined ? {} : { signal }),
    });
    if (result.exitCode !== 0) {
      throw this.#toolError('ERR_TEST_REALM_KINIT', `kinit ${principal} failed`, 'kinit', result);
    }
  }

  /**
   * Runs `klist -f` (flags shown, `F` = forwardable) on a ccache and returns its output.
   *
   * @param ccache - default {@link TestRealm.ccache}.
   * @throws TestingError `ERR_TEST_REALM_TOOL` when the ccache does not exist.
   *
   * @example
   * ```ts
   * assert.match(await realm.klist(), /krbtgt\/HTTPGSSAPI\.TEST@HTTPGSSAPI\.TEST/);
   * ```
   */
  async klist(ccache: string = this.ccache): Promise<string> {
    this.#assertRunning('klist');
    const result = await this.#run('klist', ['-f', checkPath('ccache', ccache)], { timeoutMs: 10_000 });
    if (result.exitCode !== 0) {
      throw this.#toolError('ERR_TEST_REALM_TOOL', `klist ${ccache} failed`, 'klist', result);
    }
    return result.stdout;
  }

  /**
   * Whether a ccache holds a ticket that has not expired (`klist -s`).
   *
   * @param ccache - default {@link TestRealm.ccache}.
   *
   * @example
   * ```ts
   * assert.equal(await realm.hasValidTicket(), true);
   * ```
   */
  async hasValidTicket(ccache: string = this.ccache): Promise<boolean> {
    this.#assertRunning('hasValidTicket');
    const result = await this.#run('klist', ['-s', checkPath('ccache', ccache)], { timeoutMs: 10_000 });
    return result.exitCode === 0;
  }

  /**
   * Destroys a ccache (`kdestroy`). A ccache that does not exist is not an error.
   *
   * @param ccache - default {@link TestRealm.ccache}.
   *
   * @example
   * ```ts
   * await realm.kdestroy(); // now the user has no ticket
   * ```
   */
  async kdestroy(ccache: string = this.ccache): Promise<void> {
    this.#assertRunning('kdestroy');
    const result = await this.#run('kdestroy', ['-c', checkPath('ccache', ccache)], { timeoutMs: 10_000 });
    if (result.exitCode !== 0) {
      throw this.#toolError('ERR_TEST_REALM_TOOL', `kdestroy ${ccache} failed`, 'kdestroy', result);
    }
  }

  /**
   * Creates a principal in the realm's database and returns its full name.
   *
   * @param name - `'alice'` or `'HTTP/api.localhost'`; `@REALM` is appended when absent.
   * @param key - `{ password }` (sent to kadmin's stdin) or `{ randkey: true }`.
   * @param options - `okAsDelegate`, `requiresPreauth`, `maxLife`, `maxRenewableLife`.
   * @returns the principal, e.g. `'HTTP/api.localhost@HTTPGSSAPI.TEST'`.
   * @throws TestingError `ERR_TEST_REALM_KADMIN`, e.g. when the principal exists.
   *
   * @example
   * ```ts
   * const spn = await realm.addPrincipal(`HTTP/api.${realm.hostname}`, { randkey: true });
   * const keytab = await realm.extractKeytab(spn);
   * ```
   */
  async addPrincipal(name: string, key: PrincipalKey, options: AddPrincipalOptions = {}): Promise<string> {
    this.#assertRunning('addPrincipal');
    const principal = this.#qualify(name);
    const args: string[] = [];
    let input: string | undefined;
    if (typeof key !== 'object' || key === null) {
      throw new TypeError('key must be { password } or { randkey: true }');
    }
    if ('password' in key) {
      const password = checkPassword('key.password', key.password);
      this.#redactor.add(password);
      // kadmin's prompter asks twice; stdin keeps the password off the command line.
      input = `${password}\n${password}\n`;
    } else if ('randkey' in key && key.randkey === true) {
      args.push('-randkey');
    } else {
      throw new TypeError('key must be { password } or { randkey: true }');
    }
    if (options.okAsDelegate) args.push('+ok_as_delegate');
    if (options.requiresPreauth) args.push('+requires_preauth');
    if (options.maxLife !== undefined) {
      args.push('-maxlife', checkDuration('options.maxLife', options.maxLife));
    }
    if (options.maxRenewableLife !== undefined) {
      args.push('-maxrenewlife', checkDuration('options.maxRenewableLife', options.maxRenewableLife));
    }
    const output = await this.#kadmin(`addprinc ${[...args, principal].join(' ')}`, input);
    if (!output.includes(`Principal "${principal}" created.`)) {
      throw new TestingError(
        'ERR_TEST_REALM_KADMIN',
        this.#redact(`addprinc ${principal} did not confirm:\n${tail(output)}`),
        {
          tool: this.#tools['kadmin.local'],
          output: this.#redact(tail(output)),
        },
      );
    }
    this.#log(`added principal ${principal}`);
    return principal;
  }

  /**
   * Writes a principal's current keys to a keytab (`ktadd -norandkey`: the keys are not changed,
   * so a password stays valid and tickets already issued stay usable).
   *
   * @param principal - e.g. the value {@link TestRealm.addPrincipal} returned.
   * @param path - default `<dir>/<principal>.keytab` (`/` and `@` replaced by `_`).
   * @returns the keytab's path.
   *
   * @example
   * ```ts
   * const keytab = await realm.extractKeytab(await realm.addPrincipal('alice', { password: 'pw-alice-1' }));
   * await realm.kinit('alice', { keytab });
   * ```
   */
  async extractKeytab(principal: string, path?: string): Promise<string> {
    this.#assertRunning('extractKeytab');
    const full = this.#qualify(principal);
    const file = checkPath('path', path ?? join(this.dir, `${full.replace(/[/@]/g, '_')}.keytab`));
    const output = await this.#kadmin(`ktadd -k "${file}" -norandkey ${full}`);
    if (!output.includes('added to keytab')) {
      throw new TestingError(
        'ERR_TEST_REALM_KADMIN',
        this.#redact(`ktadd ${full} did not confirm:\n${tail(output)}`),
        {
          tool: this.#tools['kadmin.local'],
          output: this.#redact(tail(output)),
        },
      );
    }
    return file;
  }

  /**
   * Runs one `kadmin.local -q` command on the realm's database and returns its standard output,
   * for what {@link TestRealm.addPrincipal} does not cover (`modprinc`, `delprinc`, `getprinc`,
   * `cpw -randkey`). Do not put passwords here: the query is on kadmin's command line.
   *
   * @throws TestingError `ERR_TEST_REALM_KADMIN` when kadmin reports an error (it exits 0 even then).
   *
   * @example
   * ```ts
   * await realm.kadmin(`modprinc +ok_as_delegate ${realm.service.principal}`);
   * ```
   */
  async kadmin(query: string): Promise<string> {
    this.#assertRunning('kadmin');
    if (typeof query !== 'string' || query.trim() === '' || /[\r\n]/.test(query)) {
      throw new TypeError('query must be one kadmin command on one line');
    }
    // Defence in depth: if a password was passed anyway, keep it out of errors and logs.
    for (const match of query.matchAll(/-pw\s+("[^"]*"|\S+)/g)) {
      this.#redactor.add(match[1]!.replace(/^"|"$/g, ''));
    }
    return this.#kadmin(query);
  }

  /**
   * Stops the KDC (SIGTERM, then SIGKILL after 5 s) and waits until it has exited. Requests
   * then fail fast with "Cannot contact any KDC". The port stays reserved for
   * {@link TestRealm.startKdc}.
   *
   * @example
   * ```ts
   * await realm.stopKdc();
   * await assert.rejects(realm.kinit(realm.user.principal, { keytab: realm.user.keytab }));
   * await realm.startKdc();
   * ```
   */
  async stopKdc(): Promise<void> {
    const child = this.#kdc;
    if (!child) return;
    this.#kdc = null;
    if (child.exitCode === null && child.signalCode === null) {
      // The handle is unref'd while the KDC runs; hold the loop open until its exit is seen.
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.#kdcExited;
      clearTimeout(timer);
    }
    this.#log(`krb5kdc pid ${child.pid} stopped`);
  }

  /**
   * Starts the KDC again on the same port and waits until it issues tickets. Does nothing when
   * it is running.
   *
   * @throws TestingError `ERR_TEST_REALM_KDC_START` with the KDC log tail (e.g. the port was
   *   taken meanwhile).
   *
   * @example
   * ```ts
   * await realm.startKdc();
   * await realm.kinit(realm.user.principal, { keytab: realm.user.keytab });
   * ```
   */
  async startKdc(): Promise<void> {
    this.#assertRunning('startKdc');
    if (this.#kdc) return;
    await this.#launchKdc(performance.now() + this.#options.startTimeoutMs, false);
  }

  /**
   * Stops the KDC and the delay proxy, waits until they have exited and removes the directory.
   * Safe to call more than once and concurrently; every call returns the same promise.
   *
   * @example
   * ```ts
   * after(() => realm.stop());
   * ```
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      // Let a kadmin command that is running finish before its files disappear.
      await this.#kadminQueue.catch(() => {});
      await this.stopKdc();
      await this.proxy?.stop();
      releasePort(this.kdcPort);
      this.#unregisterExit();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.#log('stopped, directory removed');
    })();
    return this.#stopping;
  }

  /** Same as {@link TestRealm.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #initialize(deadline: number): Promise<void> {
    const started = performance.now();
    const paths = this.#paths;
    const params = {
      realm: this.name,
      hostname: this.hostname,
      dir: this.dir,
      kdcPort: this.kdcPort,
      kdcAddress: this.kdcAddress,
      tcpOnly: this.proxy !== null,
      maxLife: this.#options.maxLife,
      maxRenewableLife: this.#options.maxRenewableLife,
      paths,
    };
    try {
      await mkdir(paths.rcache);
      await writeFile(paths.krb5Config, krb5Conf(params));
      await writeFile(paths.kdcProfile, kdcConf(params));
      // Nobody gets kadmind rights: only kadmin.local (direct database access) is used.
      await writeFile(paths.acl, '');
    } catch (cause) {
      throw new TestingError('ERR_TEST_REALM_SETUP', `cannot write the realm's files in ${this.dir}`, {
        cause,
      });
    }
    this.#log(`dir ${this.dir}, KDC port ${this.kdcPort}, clients use ${this.kdcAddress}`);

    // -s writes the stash file, so krb5kdc starts without asking for the master password.
    const master = `${this.#masterPassword}\n`;
    const created = await this.#run('kdb5_util', ['create', '-s', '-r', this.name], {
      input: master + master,
      timeoutMs: Math.max(1, deadline - performance.now()),
    });
    if (created.exitCode !== 0) {
      throw this.#toolError('ERR_TEST_REALM_SETUP', 'kdb5_util create failed', 'kdb5_util', created);
    }
    await this.addPrincipal(this.user.principal, { password: this.user.password });
    await this.addPrincipal(this.service.principal, { randkey: true });
    await this.extractKeytab(this.user.principal, this.user.keytab);
    await this.extractKeytab(this.service.principal, this.service.keytab);
    await this.#launchKdc(deadline, this.#options.kinitUser);
    this.#log(`ready in ${Math.round(performance.now() - started)} ms`);
  }

  /**
   * Spawns krb5kdc, waits for its TCP port, then proves it serves by a real AS exchange through
   * the address clients use (the proxy included): a listening socket alone does not show that the
   * database, the stash and krb5.conf agree.
   */
  async #launchKdc(deadline: number, kinitUser: boolean): Promise<void> {
    const output = openSync(this.#paths.kdcOutput, 'a');
    let child: ChildProcess;
    try {
      // -n: stay in the foreground, so this process owns it and sees it exit.
      child = spawn(this.#tools.krb5kdc, ['-n', '-r', this.name, '-P', this.#paths.kdcPid], {
        env: this.#toolEnv(),
        stdio: ['ignore', output, output],
      });
    } finally {
      closeSync(output);
    }
    let exit: string | undefined;
    this.#kdcExited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exit = `exit code ${String(code)}, signal ${String(signal)}`;
        resolve();
      });
      child.once('error', (error) => {
        exit = error.message;
        resolve();
      });
    });
    this.#kdc = child;
    // The realm never keeps the event loop alive by itself: a test runner whose tests are done
    // exits, and the 'exit' hook kills the KDC.
    child.unref();
    const fail = async (message: string, cause?: unknown): Promise<never> => {
      await this.stopKdc();
      const log = await this.#kdcLogTail();
      throw new TestingError('ERR_TEST_REALM_KDC_START', this.#redact(`${message}\n${log}`), {
        tool: this.#tools.krb5kdc,
        output: this.#redact(log),
        ...(cause === undefined ? {} : { cause }),
      });
    };

    while (!(await canConnect(this.kdcPort))) {
      if (exit !== undefined) {
        return fail(`krb5kdc exited before listening on 127.0.0.1:${this.kdcPort} (${exit})`);
      }
      if (performance.now() > deadline) {
        return fail(
          `krb5kdc did not listen on 127.0.0.1:${this.kdcPort} within ${this.#options.startTimeoutMs} ms`,
        );
      }
      await sleep(20);
    }
    this.#log(`krb5kdc pid ${child.pid} listening on 127.0.0.1:${this.kdcPort}`);

    const ccache = kinitUser ? this.ccache : `FILE:${join(this.dir, 'probe.ccache')}`;
    const secret = kinitUser ? { password: this.user.password } : { keytab: this.user.keytab };
    // Something else may have accepted the TCP connection (a KDC that failed to bind exits, and
    // kinit would then wait on the other listener until its own timeout): stop kinit the moment
    // the KDC exits.
    const kdcGone = new AbortController();
    void this.#kdcExited.then(() => kdcGone.abort());
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#kinit(this.user.principal, secret, { ccache }, kdcGone.signal);
        break;
      } catch (error) {
        if (exit !== undefined) return fail(`krb5kdc exited (${exit})`, error);
        if (attempt >= 5 || performance.now() > deadline) {
          return fail(
            `krb5kdc listens but kinit failed ${attempt} times: ${(error as Error).message}`,
            error,
          );
        }
        await sleep(100 * attempt);
      }
    }
    if (!kinitUser) await rm(join(this.dir, 'probe.ccache'), { force: true });
  }

  async #kdcLogTail(): Promise<string> {
    const parts: string[] = [];
    for (const file of [this.#paths.kdcOutput, this.#paths.kdcLog]) {
      try {
        const text = tail(await readFile(file, 'utf8'), 10);
        if (text) parts.push(`--- ${file}\n${text}`);
      } catch {
        // Not written yet.
      }
    }
    return parts.join('\n');
  }

  /** kadmin.local commands run one at a time: they share one database file and its lock. */
  #kadmin(query: string, input?: string): Promise<string> {
    const run = async () => {
      const result = await this.#run('kadmin.local', ['-r', this.name, '-q', query], {
        timeoutMs: 30_000,
        ...(input === undefined ? {} : { input }),
      });
      const errors = result.stderr
        .split('\n')
        .filter((line) => line.trim() !== '' && !KADMIN_NOISE.some((noise) => noise.test(line)));
      if (result.exitCode !== 0 || errors.length > 0) {
        throw this.#toolError(
          'ERR_TEST_REALM_KADMIN',
          `kadmin.local "${query}" failed`,
          'kadmin.local',
          result,
        );
      }
      return result.stdout;
    };
    const next = this.#kadminQueue.then(run, run);
    this.#kadminQueue = next.catch(() => {});
    return next;
  }

  async #run(
    tool: keyof Krb5Tools,
    args: string[],
    options: { input?: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<ToolResult> {
    try {
      return await runTool(this.#tools[tool], args, { env: this.#toolEnv(), ...options });
    } catch (cause) {
      throw new TestingError(
        'ERR_TEST_REALM_TOOL',
        `cannot run ${this.#tools[tool]}: ${(cause as Error).message}`,
        {
          tool: this.#tools[tool],
          cause,
        },
      );
    }
  }

  #toolError(code: TestingErrorCode, what: string, tool: keyof Krb5Tools, result: ToolResult): TestingError {
    // MIT tools write their errors to stderr; stdout holds prompts and progress.
    const output = this.#redact(tail(result.stderr.trim() === '' ? result.stdout : result.stderr));
    const status = result.timedOut
      ? 'killed after its time limit'
      : result.signal
        ? `killed by ${result.signal}`
        : result.exitCode === 0
          ? 'it reported an error'
          : `exit code ${result.exitCode}`;
    return new TestingError(code, this.#redact(`${what} (${status})${output ? `:\n${output}` : ''}`), {
      tool: this.#tools[tool],
      exitCode: result.exitCode,
      output,
    });
  }

  /** The environment of every MIT program the realm runs. */
  #toolEnv(): NodeJS.ProcessEnv {
    // LC_ALL=C: messages in English, so that kadmin's confirmations can be recognised.
    return { ...process.env, ...this.env, LC_ALL: 'C' };
  }

  #qualify(name: string): string {
    checkPrincipal('name', name);
    const at = name.indexOf('@');
    if (at === -1) return `${name}@${this.name}`;
    if (name.slice(at + 1) !== this.name) {
      throw new TypeError(`principal ${name} is not in realm ${this.name}`);
    }
    return name;
  }

  #assertRunning(method: string): void {
    if (this.#stopped) {
      throw new TestingError(
        'ERR_TEST_REALM_STOPPED',
        `TestRealm ${this.name}: ${method}() called after stop()`,
      );
    }
  }

  #redact(text: string): string {
    return this.#redactor.redact(text);
  }

  #log(line: string): void {
    this.#options.log?.(this.#redact(`[TestRealm ${this.name}] ${line}`));
  }
}

/** Whether a TCP connection to 127.0.0.1:port is accepted within 500 ms. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
