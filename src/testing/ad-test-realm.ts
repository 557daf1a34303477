/**
 * {@link AdTestRealm}: a throwaway Active Directory domain (Samba AD DC) for integration tests.
 * Its lifecycle is here; the directory changes are in `samba-directory.ts` and
 * `samba-admin-script.ts`, the KDC process is the one {@link TestRealm} uses too.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AdTestRealmOptions,
  type ResolvedAdTestRealmOptions,
  resolveAdTestRealmOptions,
} from './ad-test-realm-options.js';
import type { AdAccount, AdUserOptions } from './ad-test-realm-types.js';
import { onProcessExit } from './exit-cleanup.js';
import { releasePort, reserveKdcPort } from './free-port.js';
import { KdcProcess } from './kdc-process.js';
import { checkPassword, checkPath } from './krb5-arguments.js';
import { Krb5Commands } from './krb5-commands.js';
import { locateKrb5Tools } from './krb5-tools.js';
import { overrideProcessEnv } from './process-env.js';
import { createRealmDir } from './realm-layout.js';
import { type SambaAdminOperation, USER_ACCOUNT_CONTROL } from './samba-admin-script.js';
import { SambaDirectory, type SambaPaths, sambaPaths } from './samba-directory.js';
import { locateSambaTools, type SambaTools } from './samba-tools.js';
import { SecretRedactor } from './secret-redactor.js';
import type { KinitOptions, KinitSecret, Krb5ClientEnv, TestRealmService } from './test-realm-types.js';
import { TestingError } from './testing-error.js';

/** A password with every character class AD's complexity rule asks for, needing no quoting. */
function randomPassword(): string {
  return `Aa1-${randomBytes(15).toString('base64url')}`;
}

// sAMAccountNames go into LDAP filters (escaped there) and keytab file names: keep them plain.
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/;
const SPN = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+$/;

function checkAccount(value: unknown): string {
  if (typeof value !== 'string' || !ACCOUNT.test(value)) {
    throw new TypeError(
      `account must be a sAMAccountName of at most 20 letters, digits, '.', '_', '-', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const STARTED = Symbol('AdTestRealm.constructor');

/**
 * A throwaway Active Directory domain: Samba's AD DC provisioned in a temp directory, running
 * only its KDC on free loopback ports, with its own krb5.conf. Tickets carry a PAC with the
 * user's groups, service tickets are RC4 unless the service account says otherwise, and the
 * account states of AD (disabled, expired, password to change, locked out, sensitive) are one
 * method call away: what tests of what users meet at work need, in CI.
 *
 * `start()` creates the user `user@REALM` (random password, keytab) and the service account
 * `http-svc` with the SPN `HTTP/<hostname>` (keytab in {@link AdTestRealm.service}), starts the
 * KDC and, by default, leaves a forwardable TGT for the user in {@link AdTestRealm.ccache}. Like
 * {@link TestRealm}, it reaches code under test only through {@link AdTestRealm.env}.
 *
 * Needs Samba's AD DC (Debian/Ubuntu: `apt-get install --no-install-recommends samba-ad-dc
 * samba-ad-provision`, about 10 s) and the MIT client programs; provisioning takes about 6 s.
 * Runs as root (Samba's DC refuses otherwise). Without Samba, `start()` throws
 * `ERR_TEST_REALM_MISSING_TOOLS` before creating anything; use {@link AdTestRealm.unavailable}
 * for a skip reason.
 *
 * @example
 * ```ts
 * import { test } from 'node:test';
 * import { AdTestRealm } from 'http-gssapi/testing';
 *
 * test('a disabled account is refused', { skip: await AdTestRealm.unavailable() }, async () => {
 *   await using realm = await AdTestRealm.start();
 *   const alice = await realm.createUser('alice');
 *   await realm.disableAccount('alice');
 *   // ... a password login as alice now fails with KRB5KDC_ERR_CLIENT_REVOKED
 * });
 * ```
 */
export class AdTestRealm implements AsyncDisposable {
  /** The realm (the AD DNS domain in upper case), e.g. `'ADTEST.LOCAL'`. */
  readonly name: string;
  /** The NetBIOS domain name, e.g. `'ADTEST'`. */
  readonly domain: string;
  /** The temp directory holding everything; removed by {@link AdTestRealm.stop}. */
  readonly dir: string;
  /** Host of the service principal (`HTTP/<hostname>`). */
  readonly hostname: string;
  /** The KDC's port on 127.0.0.1 (UDP and TCP). */
  readonly kdcPort: number;
  /** Where clients reach the KDC, `'127.0.0.1:<port>'`. */
  readonly kdcAddress: string;
  /** Path of the realm's krb5.conf (the KDC by address: no DNS SRV records needed). */
  readonly krb5Config: string;
  /** Samba's log: the first place to look when a ticket is refused. */
  readonly kdcLog: string;
  /** The default credential cache, `'FILE:<dir>/ccache'`. */
  readonly ccache: string;
  /** `user@REALM`, its password and a keytab of its keys. */
  readonly user: AdAccount & { readonly keytab: string };
  /** `HTTP/<hostname>@REALM` (an SPN of the account `http-svc`) and its keytab. */
  readonly service: TestRealmService & { readonly account: string };
  /** Variables that point MIT programs and libgssapi_krb5 at this realm. */
  readonly env: Krb5ClientEnv;

  readonly #options: ResolvedAdTestRealmOptions;
  readonly #paths: SambaPaths;
  readonly #kpasswdPort: number;
  readonly #redactor = new SecretRedactor();
  readonly #directory: SambaDirectory;
  readonly #commands: Krb5Commands;
  readonly #kdc: KdcProcess;
  readonly #unregisterExit: () => void;
  #stopped = false;
  #stopping: Promise<void> | undefined;

  /** Use {@link AdTestRealm.start}. */
  private constructor(
    token: typeof STARTED,
    options: ResolvedAdTestRealmOptions,
    tools: { samba: SambaTools; krb5: Awaited<ReturnType<typeof locateKrb5Tools>> },
    dir: string,
    ports: { kdc: number; kpasswd: number },
  ) {
    if (token !== STARTED) throw new TypeError('use AdTestRealm.start()');
    this.#options = options;
    this.name = options.realm;
    this.domain = options.domain;
    this.hostname = options.hostname;
    this.dir = dir;
    this.kdcPort = ports.kdc;
    this.#kpasswdPort = ports.kpasswd;
    this.kdcAddress = `127.0.0.1:${ports.kdc}`;
    this.#paths = sambaPaths(dir);
    this.krb5Config = join(dir, 'krb5.conf');
    this.kdcLog = this.#paths.log;
    this.ccache = `FILE:${join(dir, 'ccache')}`;
    const password = randomPassword();
    this.#redactor.add(password);
    this.user = Object.freeze(
      Object.defineProperty(
        { name: 'user', principal: `user@${this.name}`, keytab: join(dir, 'user.keytab') },
        'password',
        { value: password, enumerable: false },
      ) as AdAccount & { keytab: string },
    );
    this.service = Object.freeze({
      principal: `HTTP/${this.hostname}@${this.name}`,
      hostname: this.hostname,
      keytab: join(dir, 'service.keytab'),
      account: 'http-svc',
    });
    this.env = Object.freeze({
      KRB5_CONFIG: this.krb5Config,
      KRB5CCNAME: this.ccache,
      KRB5_KTNAME: `FILE:${this.service.keytab}`,
      KRB5RCACHEDIR: join(dir, 'rcache'),
    });
    const log = (line: string) => this.#log(line);
    this.#directory = new SambaDirectory(tools.samba, this.#paths, this.#redactor);
    this.#commands = new Krb5Commands({
      realm: this.name,
      dir,
      ccache: this.ccache,
      env: this.env,
      tools: tools.krb5,
      redactor: this.#redactor,
      log,
    });
    this.#kdc = new KdcProcess(
      {
        // -i: interactive (foreground, logs to stdout); -M single: one process, nothing forked.
        command: tools.samba.samba,
        args: ['-i', '-M', 'single', '-s', this.#paths.smbConf],
        env: { ...process.env, LC_ALL: 'C' },
        outputPath: this.#paths.output,
        logFiles: [this.#paths.log],
        redactor: this.#redactor,
        log,
      },
      ports.kdc,
      options.startTimeoutMs,
    );
    this.#unregisterExit = onProcessExit(() => {
      this.#kdc.kill();
      rmSync(dir, { recursive: true, force: true });
    });
  }

  /**
   * Why an AD realm cannot run here (Samba or the MIT client programs missing, not root), or
   * `false` when it can: pass it as a test's `skip` option.
   *
   * @example
   * ```ts
   * describe('against Active Directory', { skip: await AdTestRealm.unavailable() }, () => { ... });
   * ```
   */
  static async unavailable(): Promise<string | false> {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      return 'AdTestRealm needs root: the Samba AD DC refuses to run as another user';
    }
    try {
      await locateSambaTools();
      await locateKrb5Tools();
      return false;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * Provisions and starts a domain. Fails fast, before creating anything, when a program is
   * missing; on a later failure it stops what it started, removes the directory and throws a
   * {@link TestingError} ending with the failing tool's output.
   *
   * @param options - see {@link AdTestRealmOptions}; a bad value throws a `TypeError` naming it.
   * @throws TestingError `ERR_TEST_REALM_MISSING_TOOLS`, `ERR_TEST_REALM_SETUP`,
   *   `ERR_AD_REALM_ADMIN`, `ERR_TEST_REALM_KDC_START`.
   *
   * @example
   * ```ts
   * const realm = await AdTestRealm.start({ lockoutThreshold: 5, log: console.error });
   * try {
   *   console.log(await realm.klist());
   * } finally {
   *   await realm.stop();
   * }
   * ```
   */
  static async start(options?: AdTestRealmOptions): Promise<AdTestRealm> {
    const resolved = resolveAdTestRealmOptions(options);
    const tools = { samba: await locateSambaTools(), krb5: await locateKrb5Tools() };
    const deadline = performance.now() + resolved.startTimeoutMs;
    const dir = await createRealmDir();
    const ports: number[] = [];
    try {
      ports.push(await reserveKdcPort(), await reserveKdcPort());
    } catch (cause) {
      for (const port of ports) releasePort(port);
      await rm(dir, { recursive: true, force: true });
      throw new TestingError('ERR_TEST_REALM_SETUP', `cannot reserve the KDC's ports: ${String(cause)}`, {
        cause,
      });
    }
    const realm = new AdTestRealm(STARTED, resolved, tools, dir, { kdc: ports[0]!, kpasswd: ports[1]! });
    try {
      await realm.#initialize(deadline);
      return realm;
    } catch (error) {
      await realm.stop().catch(() => {});
      throw error;
    }
  }

  /** Process id of the running `samba`, or `null` while it is stopped. */
  get kdcPid(): number | null {
    return this.#kdc.pid;
  }

  /**
   * Sets {@link AdTestRealm.env} on `process.env`, plus `overrides`, and returns a function that
   * puts back what was there before (see {@link TestRealm.applyEnv}).
   *
   * @example
   * ```ts
   * const restore = realm.applyEnv();
   * try {
   *   // ... libgssapi_krb5 in this process now uses the AD realm
   * } finally {
   *   restore();
   * }
   * ```
   */
  applyEnv(overrides: Readonly<Record<string, string | undefined>> = {}): () => void {
    return overrideProcessEnv({ ...this.env, ...overrides });
  }

  /**
   * Runs MIT `kinit` against the domain controller (password on stdin). See {@link TestRealm.kinit}.
   *
   * @throws TestingError `ERR_TEST_REALM_KINIT` with kinit's message, e.g. `Client's credentials have been revoked`.
   *
   * @example
   * ```ts
   * await realm.kinit(alice.principal, { password: alice.password }, { ccache: `FILE:${realm.dir}/alice` });
   * ```
   */
  async kinit(principal: string, secret: KinitSecret, options: KinitOptions = {}): Promise<void> {
    this.#assertRunning('kinit');
    return this.#commands.kinit(principal, secret, options);
  }

  /**
   * Runs `klist -f` on a ccache and returns its output.
   *
   * @example
   * ```ts
   * assert.match(await realm.klist(), /krbtgt\/ADTEST\.LOCAL@ADTEST\.LOCAL/);
   * ```
   */
  async klist(ccache: string = this.ccache): Promise<string> {
    this.#assertRunning('klist');
    return this.#commands.klist(ccache);
  }

  /**
   * Destroys a ccache (`kdestroy`); one that does not exist is not an error.
   *
   * @example
   * ```ts
   * await realm.kdestroy();
   * ```
   */
  async kdestroy(ccache: string = this.ccache): Promise<void> {
    this.#assertRunning('kdestroy');
    return this.#commands.kdestroy(ccache);
  }

  /**
   * Creates a user account (and, with `groups`, that many groups with it as member, in one
   * transaction).
   *
   * @param name - the `sAMAccountName`; the principal is `name@REALM`.
   * @throws TestingError `ERR_AD_REALM_ADMIN`, e.g. when the account exists.
   *
   * @example
   * ```ts
   * const bob = await realm.createUser('bob', { groups: 200 });
   * ```
   */
  async createUser(name: string, options: AdUserOptions = {}): Promise<AdAccount> {
    this.#assertRunning('createUser');
    const account = checkAccount(name);
    const password = checkPassword('options.password', options.password ?? randomPassword());
    const { groups = [], encryptionTypes, userPrincipalName } = options;
    const groupNames =
      typeof groups === 'number'
        ? Array.from({ length: groups }, (_, i) => `${account}-g${i + 1}`)
        : [...groups];
    if (!groupNames.every((group) => ACCOUNT.test(group))) {
      throw new TypeError('options.groups must be a count or group names like account names');
    }
    if (encryptionTypes !== undefined && (!Number.isInteger(encryptionTypes) || encryptionTypes < 0)) {
      throw new TypeError('options.encryptionTypes must be a non-negative integer');
    }
    if (userPrincipalName !== undefined && !/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+$/.test(userPrincipalName)) {
      throw new TypeError(
        `options.userPrincipalName must look like 'user@dns.suffix', got ${JSON.stringify(userPrincipalName)}`,
      );
    }
    const operations: SambaAdminOperation[] = [
      {
        op: 'user',
        name: account,
        password,
        ...(encryptionTypes === undefined ? {} : { encryptionTypes }),
        ...(userPrincipalName === undefined ? {} : { userPrincipalName }),
      },
    ];
    if (groupNames.length > 0) operations.push({ op: 'groups', name: account, groups: groupNames });
    await this.#directory.run(operations, `creating user ${account}`);
    return Object.freeze(
      Object.defineProperty({ name: account, principal: `${account}@${this.name}` }, 'password', {
        value: password,
        enumerable: false,
      }) as AdAccount,
    );
  }

  /**
   * Adds a service principal name to an account (`samba-tool spn add`).
   *
   * @example
   * ```ts
   * const svc = await realm.createUser('api-svc');
   * await realm.addSpn(svc.name, `HTTP/api.${realm.hostname}`);
   * const keytab = await realm.exportKeytab(`HTTP/api.${realm.hostname}`);
   * ```
   */
  async addSpn(account: string, spn: string): Promise<void> {
    this.#assertRunning('addSpn');
    if (typeof spn !== 'string' || !SPN.test(spn)) {
      throw new TypeError(`spn must look like 'HTTP/host', got ${JSON.stringify(spn)}`);
    }
    await this.#directory.run([{ op: 'spn', name: checkAccount(account), spn }], `adding SPN ${spn}`);
  }

  /**
   * Writes a principal's current keys to a keytab (`samba-tool domain exportkeytab`). A later
   * password change makes the keytab stale (kvno mismatch), as on a real domain.
   *
   * @param principal - an SPN (`HTTP/host`) or a user principal; the realm may be omitted.
   * @param path - default `<dir>/<principal>.keytab`.
   * @returns the keytab's path.
   *
   * @example
   * ```ts
   * const keytab = await realm.exportKeytab(realm.service.principal);
   * ```
   */
  async exportKeytab(principal: string, path?: string): Promise<string> {
    this.#assertRunning('exportKeytab');
    const full = principal.includes('@') ? principal : `${principal}@${this.name}`;
    if (!/^[A-Za-z0-9._/-]+@[A-Za-z0-9._-]+$/.test(full)) {
      throw new TypeError(`principal must look like 'HTTP/host' or 'user', got ${JSON.stringify(principal)}`);
    }
    const file = checkPath('path', path ?? join(this.dir, `${full.replace(/[/@]/g, '_')}.keytab`));
    await this.#directory.run(
      [{ op: 'keytab', principal: full, path: file }],
      `exporting the keys of ${full}`,
    );
    return file;
  }

  /**
   * Sets an account's password as an administrator would; its key version number goes up.
   *
   * @example
   * ```ts
   * await realm.setPassword(realm.service.account, 'a-new-one-1'); // the exported keytab is now stale
   * ```
   */
  async setPassword(account: string, password: string): Promise<void> {
    this.#assertRunning('setPassword');
    const value = checkPassword('password', password);
    await this.#directory.run(
      [{ op: 'password', name: checkAccount(account), password: value }],
      'setting a password',
    );
  }

  /**
   * Disables an account (`samba-tool user disable`): the KDC answers `KDC_ERR_CLIENT_REVOKED`.
   *
   * @example
   * ```ts
   * await realm.disableAccount('alice');
   * ```
   */
  async disableAccount(account: string): Promise<void> {
    await this.#flags(account, USER_ACCOUNT_CONTROL.ACCOUNTDISABLE, true, 'disabling');
  }

  /**
   * Enables a disabled account again.
   *
   * @example
   * ```ts
   * await realm.enableAccount('alice');
   * ```
   */
  async enableAccount(account: string): Promise<void> {
    await this.#flags(account, USER_ACCOUNT_CONTROL.ACCOUNTDISABLE, false, 'enabling');
  }

  /**
   * Sets the account's expiry to yesterday (`samba-tool user setexpiry --days=-1`).
   *
   * @example
   * ```ts
   * await realm.expireAccount('alice');
   * ```
   */
  async expireAccount(account: string): Promise<void> {
    this.#assertRunning('expireAccount');
    await this.#directory.run([{ op: 'expire', name: checkAccount(account) }], 'expiring an account');
  }

  /**
   * Requires a password change at next login (`--must-change-at-next-login`): the KDC answers
   * `KDC_ERR_KEY_EXPIRED`.
   *
   * @example
   * ```ts
   * await realm.requirePasswordChange('alice');
   * ```
   */
  async requirePasswordChange(account: string): Promise<void> {
    this.#assertRunning('requirePasswordChange');
    await this.#directory.run(
      [{ op: 'must-change', name: checkAccount(account) }],
      'requiring a password change',
    );
  }

  /**
   * Marks an account "sensitive and cannot be delegated": the KDC issues it no forwardable
   * tickets, so delegation asked for its sessions silently does not happen.
   *
   * @example
   * ```ts
   * await realm.markSensitive('alice');
   * ```
   */
  async markSensitive(account: string, sensitive = true): Promise<void> {
    await this.#flags(account, USER_ACCOUNT_CONTROL.NOT_DELEGATED, sensitive, 'marking sensitive');
  }

  /**
   * Trusts a service account for (unconstrained) delegation (`samba-tool delegation
   * for-any-service`): its tickets carry ok-as-delegate, which `delegate: 'policy'` follows.
   *
   * @example
   * ```ts
   * await realm.trustForDelegation(realm.service.account);
   * ```
   */
  async trustForDelegation(account: string, trusted = true): Promise<void> {
    await this.#flags(
      account,
      USER_ACCOUNT_CONTROL.TRUSTED_FOR_DELEGATION,
      trusted,
      'trusting for delegation',
    );
  }

  /**
   * Sets how many bad passwords lock an account (0: never), for the whole domain
   * (`samba-tool domain passwordsettings set --account-lockout-threshold`).
   *
   * @example
   * ```ts
   * await realm.setLockoutThreshold(5);
   * ```
   */
  async setLockoutThreshold(threshold: number): Promise<void> {
    this.#assertRunning('setLockoutThreshold');
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > 999) {
      throw new TypeError(`threshold must be an integer from 0 to 999, got ${String(threshold)}`);
    }
    await this.#directory.run(
      [{ op: 'settings', lockoutThreshold: threshold }],
      'setting the lockout threshold',
    );
  }

  /**
   * Unlocks a locked-out account and clears its bad-password count.
   *
   * @example
   * ```ts
   * await realm.unlockAccount('alice');
   * ```
   */
  async unlockAccount(account: string): Promise<void> {
    this.#assertRunning('unlockAccount');
    await this.#directory.run([{ op: 'unlock', name: checkAccount(account) }], 'unlocking an account');
  }

  /**
   * The account's `badPwdCount`: bad passwords since the last good one, what AD's lockout
   * counts. (Samba's KDC updates it on each refused pre-authentication.)
   *
   * @example
   * ```ts
   * assert.equal(await realm.badPwdCount('alice'), 1);
   * ```
   */
  async badPwdCount(account: string): Promise<number> {
    const attributes = await this.accountAttributes(account, ['badPwdCount']);
    return Number(attributes['badPwdCount']?.[0] ?? 0);
  }

  /**
   * Reads attributes of an account (`samba-tool user show --attributes`), each as its list of values.
   *
   * @example
   * ```ts
   * const { userAccountControl } = await realm.accountAttributes('alice', ['userAccountControl']);
   * ```
   */
  async accountAttributes(account: string, attributes: readonly string[]): Promise<Record<string, string[]>> {
    this.#assertRunning('accountAttributes');
    if (!attributes.every((a) => typeof a === 'string' && /^[A-Za-z][A-Za-z0-9-]*$/.test(a))) {
      throw new TypeError('attributes must be LDAP attribute names');
    }
    const [shown] = await this.#directory.run(
      [{ op: 'show', name: checkAccount(account), attributes }],
      `reading ${account}`,
    );
    return shown as Record<string, string[]>;
  }

  /**
   * Stops the KDC and removes the directory. Safe to call more than once; every call returns the
   * same promise.
   *
   * @example
   * ```ts
   * after(() => realm.stop());
   * ```
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      await this.#directory.idle();
      await this.#commands.idle();
      await this.#kdc.stop();
      releasePort(this.kdcPort);
      releasePort(this.#kpasswdPort);
      this.#unregisterExit();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.#log('stopped, directory removed');
    })();
    return this.#stopping;
  }

  /** Same as {@link AdTestRealm.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #initialize(deadline: number): Promise<void> {
    const started = performance.now();
    const remaining = () => Math.max(1, deadline - performance.now());
    await this.#directory.provision({
      realm: this.name,
      domain: this.domain,
      kdcPort: this.kdcPort,
      kpasswdPort: this.#kpasswdPort,
      timeoutMs: remaining(),
    });
    this.#log(`provisioned in ${Math.round(performance.now() - started)} ms, KDC port ${this.kdcPort}`);
    await mkdir(this.env.KRB5RCACHEDIR, { recursive: true });
    await writeFile(this.krb5Config, this.#krb5Conf());
    const svc = this.service;
    await this.#directory.run(
      [
        { op: 'settings', lockoutThreshold: this.#options.lockoutThreshold },
        { op: 'user', name: this.user.name, password: this.user.password },
        { op: 'user', name: svc.account, password: randomPassword() },
        { op: 'spn', name: svc.account, spn: `HTTP/${svc.hostname}` },
        { op: 'keytab', principal: this.user.principal, path: this.user.keytab },
        { op: 'keytab', principal: svc.principal, path: svc.keytab },
      ],
      'creating the user and the service account',
    );
    const ccache = this.#options.kinitUser ? this.ccache : `FILE:${join(this.dir, 'probe.ccache')}`;
    await this.#kdc.start(deadline, (signal) =>
      this.#commands.kinit(this.user.principal, { password: this.user.password }, { ccache }, signal),
    );
    this.#log(`ready in ${Math.round(performance.now() - started)} ms`);
  }

  /**
   * The clients' krb5.conf. Samba writes one that finds the KDC through DNS SRV records, which
   * this realm does not publish: this one names it by address.
   */
  #krb5Conf(): string {
    const { name, hostname } = this;
    return [
      '[libdefaults]',
      `  default_realm = ${name}`,
      '  dns_lookup_kdc = false',
      '  dns_lookup_realm = false',
      '  rdns = false',
      // Delegation tests need forwardable TGTs (MIT skips delegation silently without).
      '  forwardable = true',
      '',
      '[realms]',
      `  ${name} = {`,
      `    kdc = ${this.kdcAddress}`,
      `    kpasswd_server = 127.0.0.1:${this.#kpasswdPort}`,
      '  }',
      '',
      '[domain_realm]',
      `  ${hostname} = ${name}`,
      `  .${hostname} = ${name}`,
      '',
    ].join('\n');
  }

  async #flags(account: string, flags: number, on: boolean, what: string): Promise<void> {
    this.#assertRunning(what);
    await this.#directory.run(
      [{ op: 'flags', name: checkAccount(account), flags, on }],
      `${what} ${account}`,
    );
  }

  #assertRunning(method: string): void {
    if (this.#stopped) {
      throw new TestingError(
        'ERR_TEST_REALM_STOPPED',
        `AdTestRealm ${this.name}: ${method}() called after stop()`,
      );
    }
  }

  #log(line: string): void {
    this.#options.log?.(this.#redactor.redact(`[AdTestRealm ${this.name}] ${line}`));
  }
}
