/**
 * {@link AdTestRealm}: a throwaway Active Directory domain (Samba AD DC) for integration tests.
 * This file holds what is Samba's own (provisioning, the account methods); the lifecycle shared
 * with {@link TestRealm} is `realm-base.ts`, the directory changes are in `samba-directory.ts`
 * and `samba-admin-script.ts`, the argument checks in `ad-account-arguments.ts`.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  adClientKrb5Conf,
  checkAccount,
  checkSpn,
  createUserOperations,
  fullPrincipal,
  randomAdPassword,
} from './ad-account-arguments.js';
import { adRealmLayout } from './ad-realm-layout.js';
import {
  type AdTestRealmOptions,
  type ResolvedAdTestRealmOptions,
  resolveAdTestRealmOptions,
} from './ad-test-realm-options.js';
import type { AdAccount, AdUserOptions } from './ad-test-realm-types.js';
import { reserveKdcPortPair } from './free-port.js';
import { checkPassword, checkPath } from './krb5-arguments.js';
import { type Krb5Tools, locateKrb5Tools } from './krb5-tools.js';
import { RealmBase, startRealm } from './realm-base.js';
import { USER_ACCOUNT_CONTROL } from './samba-admin-script.js';
import { SambaDirectory } from './samba-directory.js';
import { locateSambaTools, type SambaTools } from './samba-tools.js';
import type { Krb5ClientEnv, TestRealmService } from './test-realm-types.js';

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
export class AdTestRealm extends RealmBase<Krb5ClientEnv> {
  /** The NetBIOS domain name, e.g. `'ADTEST'`. */
  readonly domain: string;
  /** `user@REALM`, its password and a keytab of its keys. */
  readonly user: AdAccount & { readonly keytab: string };
  /** `HTTP/<hostname>@REALM` (an SPN of the account `http-svc`) and its keytab. */
  readonly service: TestRealmService & { readonly account: string };

  readonly #options: ResolvedAdTestRealmOptions;
  readonly #kpasswdPort: number;
  readonly #directory: SambaDirectory;

  /** Use {@link AdTestRealm.start}. */
  private constructor(
    token: typeof STARTED,
    options: ResolvedAdTestRealmOptions,
    tools: { samba: SambaTools; krb5: Krb5Tools },
    dir: string,
    ports: { kdc: number; kpasswd: number },
  ) {
    if (token !== STARTED) throw new TypeError('use AdTestRealm.start()');
    const layout = adRealmLayout(options, tools, dir, ports);
    super(layout.setup);
    this.#options = options;
    this.domain = options.domain;
    this.#kpasswdPort = ports.kpasswd;
    this.user = layout.user;
    this.service = layout.service;
    this.#directory = new SambaDirectory(tools.samba, layout.paths, layout.redactor);
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
    return startRealm({
      reserve: reserveKdcPortPair,
      create: (dir, [kdc, kpasswd]) => new AdTestRealm(STARTED, resolved, tools, dir, { kdc, kpasswd }),
      initialize: (realm) => realm.#initialize(deadline),
    });
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
    this.assertRunning('createUser');
    const { account, password, operations } = createUserOperations(name, options);
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
    this.assertRunning('addSpn');
    await this.#directory.run(
      [{ op: 'spn', name: checkAccount(account), spn: checkSpn(spn) }],
      `adding SPN ${spn}`,
    );
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
    this.assertRunning('exportKeytab');
    const full = fullPrincipal(principal, this.name);
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
    this.assertRunning('setPassword');
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
    this.assertRunning('expireAccount');
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
    this.assertRunning('requirePasswordChange');
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
    this.assertRunning('setLockoutThreshold');
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
    this.assertRunning('unlockAccount');
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
    this.assertRunning('accountAttributes');
    if (!attributes.every((a) => typeof a === 'string' && /^[A-Za-z][A-Za-z0-9-]*$/.test(a))) {
      throw new TypeError('attributes must be LDAP attribute names');
    }
    const [shown] = await this.#directory.run(
      [{ op: 'show', name: checkAccount(account), attributes }],
      `reading ${account}`,
    );
    return shown as Record<string, string[]>;
  }

  protected override async beforeStop(): Promise<void> {
    await this.#directory.idle();
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
    this.log(`provisioned in ${Math.round(performance.now() - started)} ms, KDC port ${this.kdcPort}`);
    await mkdir(this.env.KRB5RCACHEDIR, { recursive: true });
    await writeFile(
      this.krb5Config,
      adClientKrb5Conf(this.name, this.hostname, this.kdcAddress, this.#kpasswdPort),
    );
    const svc = this.service;
    await this.#directory.run(
      [
        { op: 'settings', lockoutThreshold: this.#options.lockoutThreshold },
        { op: 'user', name: this.user.name, password: this.user.password },
        { op: 'user', name: svc.account, password: randomAdPassword() },
        { op: 'spn', name: svc.account, spn: `HTTP/${svc.hostname}` },
        { op: 'keytab', principal: this.user.principal, path: this.user.keytab },
        { op: 'keytab', principal: svc.principal, path: svc.keytab },
      ],
      'creating the user and the service account',
    );
    await this.launchKdc(
      deadline,
      this.user.principal,
      { password: this.user.password },
      this.#options.kinitUser,
    );
    this.log(`ready in ${Math.round(performance.now() - started)} ms`);
  }

  async #flags(account: string, flags: number, on: boolean, what: string): Promise<void> {
    this.assertRunning(what);
    await this.#directory.run(
      [{ op: 'flags', name: checkAccount(account), flags, on }],
      `${what} ${account}`,
    );
  }
}
