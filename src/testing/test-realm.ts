/**
 * {@link TestRealm}: a throwaway MIT Kerberos realm for integration tests. This file holds the
 * realm's lifecycle; the KDC process lives in `kdc-process.ts` and the MIT commands in
 * `krb5-commands.ts`, as k5test keeps `realm.py` apart from each implementation's commands.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DelayProxy } from './delay-proxy.js';
import { onProcessExit } from './exit-cleanup.js';
import { releasePort } from './free-port.js';
import { type KdcEndpoint, KdcProcess, krb5kdcLaunch, reserveKdcEndpoint } from './kdc-process.js';
import { Krb5Commands } from './krb5-commands.js';
import { type Krb5Tools, locateKrb5Tools } from './krb5-tools.js';
import { overrideProcessEnv } from './process-env.js';
import { writeRealmFiles } from './realm-config.js';
import { createRealmDir, type RealmPaths, realmLayout } from './realm-layout.js';
import { SecretRedactor } from './secret-redactor.js';
import {
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
import { TestingError } from './testing-error.js';

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
  readonly #paths: RealmPaths;
  readonly #redactor = new SecretRedactor();
  readonly #masterPassword = randomPassword();
  readonly #unregisterExit: () => void;
  readonly #kdc: KdcProcess;
  readonly #commands: Krb5Commands;
  #stopped = false;
  #stopping: Promise<void> | undefined;

  /** Use {@link TestRealm.start}. */
  private constructor(
    token: typeof STARTED,
    options: ResolvedTestRealmOptions,
    tools: Krb5Tools,
    dir: string,
    { port: kdcPort, proxy }: KdcEndpoint,
  ) {
    if (token !== STARTED) throw new TypeError('use TestRealm.start()');
    this.#options = options;
    this.name = options.realm;
    this.hostname = options.hostname;
    this.dir = dir;
    this.kdcPort = kdcPort;
    this.proxy = proxy;
    this.kdcAddress = proxy ? `${proxy.host}:${proxy.port}` : `127.0.0.1:${kdcPort}`;
    const password = randomPassword();
    this.#redactor.add(password);
    this.#redactor.add(this.#masterPassword);
    const layout = realmLayout(this.name, this.hostname, dir, password);
    this.#paths = layout.paths;
    this.krb5Config = layout.paths.krb5Config;
    this.kdcProfile = layout.paths.kdcProfile;
    this.kdcLog = layout.paths.kdcLog;
    this.ccache = layout.ccache;
    this.user = layout.user;
    this.service = layout.service;
    this.env = layout.env;
    const context = {
      realm: this.name,
      dir,
      paths: layout.paths,
      ccache: layout.ccache,
      env: layout.env,
      tools,
      redactor: this.#redactor,
      log: (line: string) => this.#log(line),
    };
    this.#kdc = new KdcProcess(krb5kdcLaunch(context), kdcPort, options.startTimeoutMs);
    this.#commands = new Krb5Commands(context);
    // If the process exits without stop(), the KDC would outlive it (it is not our process
    // group's to clean up) and the temp dir would stay: kill and remove, synchronously.
    this.#unregisterExit = onProcessExit(() => {
      this.#kdc.kill();
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
    const dir = await createRealmDir();
    let endpoint: KdcEndpoint;
    try {
      endpoint = await reserveKdcEndpoint(resolved.kdcDelayMs);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const realm = new TestRealm(STARTED, resolved, tools, dir, endpoint);
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
    return this.#kdc.pid;
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
    return overrideProcessEnv({ ...this.env, ...overrides });
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
    return this.#commands.kinit(principal, secret, options);
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
    return this.#commands.klist(ccache);
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
    return this.#commands.hasValidTicket(ccache);
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
    return this.#commands.kdestroy(ccache);
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
    return this.#commands.addPrincipal(name, key, options);
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
    return this.#commands.extractKeytab(principal, path);
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
    return this.#commands.kadmin(query);
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
  stopKdc(): Promise<void> {
    return this.#kdc.stop();
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
    if (this.#kdc.started) return;
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
      await this.#commands.idle();
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
    await writeRealmFiles({
      realm: this.name,
      hostname: this.hostname,
      dir: this.dir,
      kdcPort: this.kdcPort,
      kdcAddress: this.kdcAddress,
      tcpOnly: this.proxy !== null,
      maxLife: this.#options.maxLife,
      maxRenewableLife: this.#options.maxRenewableLife,
      paths: this.#paths,
    });
    this.#log(`dir ${this.dir}, KDC port ${this.kdcPort}, clients use ${this.kdcAddress}`);

    await this.#commands.createDatabase(this.#masterPassword, Math.max(1, deadline - performance.now()));
    await this.addPrincipal(this.user.principal, { password: this.user.password });
    await this.addPrincipal(this.service.principal, { randkey: true });
    await this.extractKeytab(this.user.principal, this.user.keytab);
    await this.extractKeytab(this.service.principal, this.service.keytab);
    await this.#launchKdc(deadline, this.#options.kinitUser);
    this.#log(`ready in ${Math.round(performance.now() - started)} ms`);
  }

  /**
   * Starts the KDC and proves it serves by a real AS exchange through the address clients use
   * (the proxy included). When `kinitUser` is false the probe's ticket goes to a scratch ccache,
   * so {@link TestRealm.ccache} stays as the test left it.
   */
  async #launchKdc(deadline: number, kinitUser: boolean): Promise<void> {
    const probeCcache = join(this.dir, 'probe.ccache');
    const ccache = kinitUser ? this.ccache : `FILE:${probeCcache}`;
    const secret = kinitUser ? { password: this.user.password } : { keytab: this.user.keytab };
    await this.#kdc.start(deadline, (signal) =>
      this.#commands.kinit(this.user.principal, secret, { ccache }, signal),
    );
    if (!kinitUser) await rm(probeCcache, { force: true });
  }

  #assertRunning(method: string): void {
    if (this.#stopped) {
      throw new TestingError(
        'ERR_TEST_REALM_STOPPED',
        `TestRealm ${this.name}: ${method}() called after stop()`,
      );
    }
  }

  #log(line: string): void {
    this.#options.log?.(this.#redactor.redact(`[TestRealm ${this.name}] ${line}`));
  }
}
