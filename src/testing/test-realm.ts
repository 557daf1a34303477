/**
 * {@link TestRealm}: a throwaway MIT Kerberos realm for integration tests. This file holds what
 * is MIT's own (the database, kadmin, stopping and starting krb5kdc); the lifecycle shared with
 * {@link AdTestRealm} is `realm-base.ts`, the KDC process `kdc-process.ts` and the MIT commands
 * `krb5-commands.ts`, as k5test keeps `realm.py` apart from each implementation's commands.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { DelayProxy } from './delay-proxy.js';
import { type KdcEndpoint, krb5kdcLaunch, reserveKdcEndpoint } from './kdc-process.js';
import { type Krb5Tools, locateKrb5Tools } from './krb5-tools.js';
import { RealmBase, startRealm } from './realm-base.js';
import { writeRealmFiles } from './realm-config.js';
import { type RealmLayout, type RealmPaths, realmLayout } from './realm-layout.js';
import { SecretRedactor } from './secret-redactor.js';
import {
  type ResolvedTestRealmOptions,
  resolveTestRealmOptions,
  type TestRealmOptions,
} from './test-realm-options.js';
import type {
  AddPrincipalOptions,
  PrincipalKey,
  TestRealmEnv,
  TestRealmService,
  TestRealmUser,
} from './test-realm-types.js';

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
export class TestRealm extends RealmBase<TestRealmEnv> {
  /** The port krb5kdc listens on, on 127.0.0.1, for UDP and TCP. Kept across stopKdc()/startKdc(). */
  declare readonly kdcPort: number;
  /** Where clients reach the KDC, `'127.0.0.1:<port>'`: the delay proxy's address when `kdcDelayMs` is set. */
  declare readonly kdcAddress: string;
  /** Path of the realm's kdc.conf. */
  readonly kdcProfile: string;
  /** `user@REALM`, its password and keytab. */
  readonly user: TestRealmUser;
  /** `HTTP/<hostname>@REALM` and its keytab. */
  readonly service: TestRealmService;
  /** The proxy in front of the KDC when `kdcDelayMs` was given, else `null`. */
  readonly proxy: DelayProxy | null;

  readonly #options: ResolvedTestRealmOptions;
  readonly #paths: RealmPaths;
  readonly #masterPassword: string;

  /** Use {@link TestRealm.start}. */
  private constructor(
    token: typeof STARTED,
    options: ResolvedTestRealmOptions,
    tools: Krb5Tools,
    dir: string,
    { port: kdcPort, proxy }: KdcEndpoint,
  ) {
    if (token !== STARTED) throw new TypeError('use TestRealm.start()');
    const redactor = new SecretRedactor();
    const masterPassword = randomPassword();
    const password = randomPassword();
    redactor.add(password);
    redactor.add(masterPassword);
    const layout: RealmLayout = realmLayout(options.realm, options.hostname, dir, password);
    super({
      kind: 'TestRealm',
      name: options.realm,
      hostname: options.hostname,
      dir,
      kdcPort,
      kdcAddress: proxy ? `${proxy.host}:${proxy.port}` : `127.0.0.1:${kdcPort}`,
      krb5Config: layout.paths.krb5Config,
      kdcLog: layout.paths.kdcLog,
      ccache: layout.ccache,
      env: layout.env,
      tools,
      redactor,
      log: options.log,
      startTimeoutMs: options.startTimeoutMs,
      ports: [kdcPort],
      launch: (context) => krb5kdcLaunch({ ...context, paths: layout.paths }),
    });
    this.#options = options;
    this.#paths = layout.paths;
    this.#masterPassword = masterPassword;
    this.proxy = proxy;
    this.kdcProfile = layout.paths.kdcProfile;
    this.user = layout.user;
    this.service = layout.service;
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
    return startRealm({
      reserve: () => reserveKdcEndpoint(resolved.kdcDelayMs),
      create: (dir, endpoint) => new TestRealm(STARTED, resolved, tools, dir, endpoint),
      initialize: (realm) => realm.#initialize(deadline),
    });
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
    this.assertRunning('hasValidTicket');
    return this.commands.hasValidTicket(ccache);
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
    this.assertRunning('addPrincipal');
    return this.commands.addPrincipal(name, key, options);
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
    this.assertRunning('extractKeytab');
    return this.commands.extractKeytab(principal, path);
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
    this.assertRunning('kadmin');
    return this.commands.kadmin(query);
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
    return this.kdc.stop();
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
    this.assertRunning('startKdc');
    if (this.kdc.started) return;
    // The probe uses the keytab, so the user's ccache stays as the test left it.
    await this.launchKdc(
      performance.now() + this.#options.startTimeoutMs,
      this.user.principal,
      { keytab: this.user.keytab },
      false,
    );
  }

  protected override async afterKdcStop(): Promise<void> {
    await this.proxy?.stop();
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
    this.log(`dir ${this.dir}, KDC port ${this.kdcPort}, clients use ${this.kdcAddress}`);

    await this.commands.createDatabase(this.#masterPassword, Math.max(1, deadline - performance.now()));
    await this.addPrincipal(this.user.principal, { password: this.user.password });
    await this.addPrincipal(this.service.principal, { randkey: true });
    await this.extractKeytab(this.user.principal, this.user.keytab);
    await this.extractKeytab(this.service.principal, this.service.keytab);
    const { kinitUser } = this.#options;
    const secret = kinitUser ? { password: this.user.password } : { keytab: this.user.keytab };
    await this.launchKdc(deadline, this.user.principal, secret, kinitUser);
    this.log(`ready in ${Math.round(performance.now() - started)} ms`);
  }
}
