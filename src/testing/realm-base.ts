/**
 * {@link RealmBase}: what every throwaway realm shares, whichever KDC implements it: the
 * lifecycle (start, the readiness probe, stop, cleanup at process exit), the environment it
 * reaches code under test through, and the MIT client commands run against it (`kinit`,
 * `klist`, `kdestroy`). Each implementation ({@link TestRealm} on MIT's krb5kdc,
 * {@link AdTestRealm} on Samba's AD DC) adds only how its KDC is set up and administered, as
 * k5test keeps a realm's lifecycle apart from each implementation's commands. Internal: the
 * class is not exported from `http-gssapi/testing`; its public members are documented on the
 * realms that extend it.
 *
 * @module
 */
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';
import { releasePort } from './free-port.js';
import { type KdcLaunch, KdcProcess } from './kdc-process.js';
import { Krb5Commands } from './krb5-commands.js';
import type { Krb5CommandContext, Krb5Tools } from './krb5-tools.js';
import { overrideProcessEnv } from './process-env.js';
import { createRealmDir } from './realm-layout.js';
import type { SecretRedactor } from './secret-redactor.js';
import type { KinitOptions, KinitSecret, Krb5ClientEnv } from './test-realm-types.js';
import { TestingError } from './testing-error.js';

/**
 * What an implementation hands its base: where the realm lives and how its KDC is launched.
 *
 * @example
 * ```ts
 * const setup: RealmSetup<Krb5ClientEnv> = { kind: 'AdTestRealm', name, hostname, dir, kdcPort,
 *   kdcAddress, krb5Config, kdcLog, ccache, env, tools, redactor, log: options.log,
 *   startTimeoutMs: 30_000, ports: [kdcPort, kpasswdPort], launch: (context) => sambaLaunch(context) };
 * ```
 */
export interface RealmSetup<Env extends Krb5ClientEnv> {
  /** The class name, for log lines and errors. */
  readonly kind: string;
  readonly name: string;
  readonly hostname: string;
  readonly dir: string;
  readonly kdcPort: number;
  readonly kdcAddress: string;
  readonly krb5Config: string;
  readonly kdcLog: string;
  readonly ccache: string;
  readonly env: Env;
  readonly tools: Krb5Tools;
  /** Learns every password of the realm; every log line, message and output tail goes through it. */
  readonly redactor: SecretRedactor;
  /** The user's progress sink (`options.log`), or `undefined` for none. */
  readonly log: ((line: string) => void) | undefined;
  readonly startTimeoutMs: number;
  /** Ports reserved for this realm (`reserveKdcPort`), given back by stop(). */
  readonly ports: readonly number[];
  /** The KDC program, given the context the MIT commands run in (its `log` is the realm's). */
  readonly launch: (context: Krb5CommandContext) => KdcLaunch;
}

/**
 * The lifecycle and MIT client commands shared by {@link TestRealm} and {@link AdTestRealm}.
 * Secrets (the redactor, the commands, the KDC process) stay in private fields, so printing a
 * realm never shows a password.
 *
 * @example
 * ```ts
 * class MyRealm extends RealmBase<Krb5ClientEnv> {
 *   protected override async beforeStop(): Promise<void> {} // stop what only this realm runs
 * }
 * ```
 */
export abstract class RealmBase<Env extends Krb5ClientEnv> implements AsyncDisposable {
  /** The realm name. */
  readonly name: string;
  /** The temp directory holding everything; removed by stop(). */
  readonly dir: string;
  /** Host of the service principal (`HTTP/<hostname>`). */
  readonly hostname: string;
  /** The KDC's port on 127.0.0.1 (UDP and TCP). */
  readonly kdcPort: number;
  /** Where clients reach the KDC, `'<host>:<port>'`. */
  readonly kdcAddress: string;
  /** Path of the realm's krb5.conf. */
  readonly krb5Config: string;
  /** The KDC's log: the first place to look when a ticket is refused. */
  readonly kdcLog: string;
  /** The default credential cache, `'FILE:<dir>/ccache'`. */
  readonly ccache: string;
  /** Variables that point MIT programs and libgssapi_krb5 at this realm. */
  readonly env: Env;

  readonly #kind: string;
  readonly #redactor: SecretRedactor;
  readonly #sink: ((line: string) => void) | undefined;
  readonly #ports: readonly number[];
  readonly #commands: Krb5Commands;
  readonly #kdc: KdcProcess;
  readonly #unregisterExit: () => void;
  #stopped = false;
  #stopping: Promise<void> | undefined;

  protected constructor(setup: RealmSetup<Env>) {
    this.#kind = setup.kind;
    this.name = setup.name;
    this.hostname = setup.hostname;
    this.dir = setup.dir;
    this.kdcPort = setup.kdcPort;
    this.kdcAddress = setup.kdcAddress;
    this.krb5Config = setup.krb5Config;
    this.kdcLog = setup.kdcLog;
    this.ccache = setup.ccache;
    this.env = setup.env;
    this.#redactor = setup.redactor;
    this.#sink = setup.log;
    this.#ports = setup.ports;
    const context: Krb5CommandContext = {
      realm: setup.name,
      dir: setup.dir,
      ccache: setup.ccache,
      env: setup.env,
      tools: setup.tools,
      redactor: setup.redactor,
      log: (line) => this.log(line),
    };
    this.#commands = new Krb5Commands(context);
    this.#kdc = new KdcProcess(setup.launch(context), setup.kdcPort, setup.startTimeoutMs);
    // If the process exits without stop(), the KDC would outlive it (it is not our process
    // group's to clean up) and the temp dir would stay: kill and remove, synchronously.
    const { dir } = setup;
    this.#unregisterExit = onProcessExit(() => {
      this.#kdc.kill();
      rmSync(dir, { recursive: true, force: true });
    });
  }

  /** Process id of the running KDC, or `null` while it is stopped. */
  get kdcPid(): number | null {
    return this.#kdc.pid;
  }

  /**
   * Sets the realm's `env` on `process.env`, plus `overrides` (a value of `undefined` unsets
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
   * @param options - ccache (default the realm's `ccache`), forwardable (default true), lifetimes.
   * @throws TestingError `ERR_TEST_REALM_KINIT` with kinit's message, e.g. `Password incorrect`
   *   or `Client's credentials have been revoked`.
   *
   * @example
   * ```ts
   * await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache: `FILE:${realm.dir}/other` });
   * ```
   */
  async kinit(principal: string, secret: KinitSecret, options: KinitOptions = {}): Promise<void> {
    this.assertRunning('kinit');
    return this.#commands.kinit(principal, secret, options);
  }

  /**
   * Runs `klist -f` (flags shown, `F` = forwardable) on a ccache and returns its output.
   *
   * @param ccache - default the realm's `ccache`.
   * @throws TestingError `ERR_TEST_REALM_TOOL` when the ccache does not exist.
   *
   * @example
   * ```ts
   * assert.match(await realm.klist(), /krbtgt\/HTTPGSSAPI\.TEST@HTTPGSSAPI\.TEST/);
   * ```
   */
  async klist(ccache: string = this.ccache): Promise<string> {
    this.assertRunning('klist');
    return this.#commands.klist(ccache);
  }

  /**
   * Destroys a ccache (`kdestroy`). A ccache that does not exist is not an error.
   *
   * @param ccache - default the realm's `ccache`.
   *
   * @example
   * ```ts
   * await realm.kdestroy(); // now the user has no ticket
   * ```
   */
  async kdestroy(ccache: string = this.ccache): Promise<void> {
    this.assertRunning('kdestroy');
    return this.#commands.kdestroy(ccache);
  }

  /**
   * Stops the KDC (and what else the realm runs), waits until it has exited and removes the
   * directory. Safe to call more than once and concurrently; every call returns the same promise.
   *
   * @example
   * ```ts
   * after(() => realm.stop());
   * ```
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      await this.beforeStop();
      // Let a command that is running finish before its files disappear.
      await this.#commands.idle();
      await this.#kdc.stop();
      await this.afterKdcStop();
      for (const port of this.#ports) releasePort(port);
      this.#unregisterExit();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.log('stopped, directory removed');
    })();
    return this.#stopping;
  }

  /** Same as stop(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** The MIT commands run against this realm, for the implementation's own methods. */
  protected get commands(): Krb5Commands {
    return this.#commands;
  }

  /** The KDC process, for an implementation that stops and starts it on request. */
  protected get kdc(): KdcProcess {
    return this.#kdc;
  }

  /** Waits for work only this implementation runs (its admin queue) before the KDC stops. */
  protected async beforeStop(): Promise<void> {}

  /** Stops what only this implementation runs in front of the KDC (a delay proxy). */
  protected async afterKdcStop(): Promise<void> {}

  /**
   * Starts the KDC and proves it serves by a real AS exchange through the address clients use.
   * With `intoUserCcache` false the probe's ticket goes to a scratch ccache, removed after, so
   * the realm's `ccache` stays as the test left it.
   */
  protected async launchKdc(
    deadline: number,
    principal: string,
    secret: KinitSecret,
    intoUserCcache: boolean,
  ): Promise<void> {
    const probeCcache = join(this.dir, 'probe.ccache');
    const ccache = intoUserCcache ? this.ccache : `FILE:${probeCcache}`;
    await this.#kdc.start(deadline, (signal) => this.#commands.kinit(principal, secret, { ccache }, signal));
    if (!intoUserCcache) await rm(probeCcache, { force: true });
  }

  /** Throws `ERR_TEST_REALM_STOPPED` once stop() has been called. */
  protected assertRunning(method: string): void {
    if (this.#stopped) {
      throw new TestingError(
        'ERR_TEST_REALM_STOPPED',
        `${this.#kind} ${this.name}: ${method}() called after stop()`,
      );
    }
  }

  /** A progress line to the user's `log` option, secrets redacted. */
  protected log(line: string): void {
    this.#sink?.(this.#redactor.redact(`[${this.#kind} ${this.name}] ${line}`));
  }
}

/**
 * Runs the steps every realm's `start()` shares: a fresh directory, ports reserved in it (undone
 * by `reserve` itself when it fails), the realm built, then initialized; on a failure after the
 * directory exists, everything started is stopped and the directory removed before rethrowing.
 *
 * @example
 * ```ts
 * return startRealm({
 *   reserve: () => reserveKdcEndpoint(resolved.kdcDelayMs),
 *   create: (dir, endpoint) => new TestRealm(STARTED, resolved, tools, dir, endpoint),
 *   initialize: (realm) => realm.#initialize(deadline),
 * });
 * ```
 */
export async function startRealm<R extends RealmBase<Krb5ClientEnv>, Reserved>(steps: {
  readonly reserve: () => Promise<Reserved>;
  readonly create: (dir: string, reserved: Reserved) => R;
  readonly initialize: (realm: R) => Promise<void>;
}): Promise<R> {
  const dir = await createRealmDir();
  let reserved: Reserved;
  try {
    reserved = await steps.reserve();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const realm = steps.create(dir, reserved);
  try {
    await steps.initialize(realm);
    return realm;
  } catch (error) {
    await realm.stop().catch(() => {});
    throw error;
  }
}
