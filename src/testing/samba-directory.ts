/**
 * What an {@link AdTestRealm} does to its Samba directory: provisioning the domain, configuring
 * the DC to run its KDC alone, and batches of directory changes through
 * {@link SAMBA_ADMIN_SCRIPT}. Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool, type ToolResult, toolFailure } from './krb5-tools.js';
import { SAMBA_ADMIN_SCRIPT, type SambaAdminOperation } from './samba-admin-script.js';
import type { SambaTools } from './samba-tools.js';
import type { SecretRedactor } from './secret-redactor.js';
import type { TestingErrorCode } from './testing-error.js';

/** Where a Samba domain lives inside the realm's directory. */
export interface SambaPaths {
  /** `samba-tool domain provision --targetdir`. */
  readonly target: string;
  readonly smbConf: string;
  /** `samba`'s stdout and stderr. */
  readonly output: string;
  /** Samba's own log. */
  readonly log: string;
}

/**
 * The paths of a Samba domain under `dir`.
 *
 * @example
 * ```ts
 * const paths = sambaPaths(realm.dir);
 * ```
 */
export function sambaPaths(dir: string): SambaPaths {
  const target = join(dir, 'samba');
  return {
    target,
    smbConf: join(target, 'etc', 'smb.conf'),
    output: join(dir, 'samba.out'),
    log: join(dir, 'samba.log'),
  };
}

/** What {@link SambaDirectory.provision} needs. */
export interface ProvisionRequest {
  readonly realm: string;
  readonly domain: string;
  readonly kdcPort: number;
  readonly kpasswdPort: number;
  readonly timeoutMs: number;
}

/**
 * One realm's Samba directory. Changes run one batch at a time (they share `sam.ldb` and its
 * locks with the running KDC, which Samba's ldb handles).
 *
 * @example
 * ```ts
 * const directory = new SambaDirectory(tools, sambaPaths(dir), redactor);
 * await directory.provision({ realm: 'ADTEST.LOCAL', domain: 'ADTEST', kdcPort, kpasswdPort, timeoutMs: 60_000 });
 * await directory.run([{ op: 'user', name: 'alice', password }]);
 * ```
 */
export class SambaDirectory {
  readonly #tools: SambaTools;
  readonly #paths: SambaPaths;
  readonly #redactor: SecretRedactor;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(tools: SambaTools, paths: SambaPaths, redactor: SecretRedactor) {
    this.#tools = tools;
    this.#paths = paths;
    this.#redactor = redactor;
  }

  /**
   * `samba-tool domain provision` without DNS (no DNS server: the realm's krb5.conf names the
   * KDC), then an smb.conf whose DC runs only its KDC, on the given ports, with its pid and log
   * files inside the realm's directory.
   */
  async provision(request: ProvisionRequest): Promise<void> {
    const { target, smbConf } = this.#paths;
    const result = await runTool(
      this.#tools['samba-tool'],
      [
        'domain',
        'provision',
        `--targetdir=${target}`,
        `--realm=${request.realm}`,
        `--domain=${request.domain}`,
        // A fixed NetBIOS name: the machine's host name may be longer than NetBIOS allows.
        '--host-name=dc',
        '--server-role=dc',
        '--dns-backend=NONE',
        '--host-ip=127.0.0.1',
        '--option=interfaces=127.0.0.1',
        '--option=bind interfaces only=yes',
      ],
      { env: sambaEnv(), timeoutMs: request.timeoutMs },
    );
    if (result.exitCode !== 0) {
      throw this.#failure('ERR_TEST_REALM_SETUP', 'samba-tool domain provision failed', 'samba-tool', result);
    }
    const conf = await readFile(smbConf, 'utf8');
    const own = [
      // The KDC alone: no SMB, LDAP, DNS or RPC servers to bind, start or wait for.
      'server services = kdc',
      `krb5 port = ${request.kdcPort}`,
      `kpasswd port = ${request.kpasswdPort}`,
      `pid directory = ${target}`,
      `log file = ${this.#paths.log}`,
      `ncalrpc dir = ${join(target, 'ncalrpc')}`,
    ];
    const global = conf
      .split('\n')
      .filter((line) => !/^\s*(server services|log file)\s*=/.test(line))
      .join('\n')
      .replace(/^\[global\]$/m, `[global]\n${own.map((line) => `\t${line}`).join('\n')}`);
    await writeFile(smbConf, global);
  }

  /**
   * Runs a batch of operations in one process; returns each one's result. Passwords go in on
   * stdin and are redacted from any failure.
   *
   * @throws TestingError `ERR_AD_REALM_ADMIN` with Samba's message.
   */
  run(operations: readonly SambaAdminOperation[], what: string): Promise<unknown[]> {
    for (const operation of operations) {
      if ('password' in operation) this.#redactor.add(operation.password);
    }
    const run = async () => {
      const result = await runTool(this.#tools.python, ['-c', SAMBA_ADMIN_SCRIPT, this.#paths.smbConf], {
        env: sambaEnv(),
        input: JSON.stringify(operations),
        timeoutMs: 60_000,
      });
      if (result.exitCode !== 0)
        throw this.#failure('ERR_AD_REALM_ADMIN', `${what} failed`, 'python', result);
      return JSON.parse(result.stdout) as unknown[];
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Settles when the batches queued so far have finished, failed or not. */
  async idle(): Promise<void> {
    await this.#queue.catch(() => {});
  }

  #failure(code: TestingErrorCode, what: string, tool: keyof SambaTools, result: ToolResult) {
    // Provisioning prints the random administrator password it made; it is never used.
    const redact = (text: string) =>
      this.#redactor.redact(text).replace(/(Admin(?:istrator)? password:\s*)\S+/gi, '$1…');
    return toolFailure(code, what, this.#tools[tool], result, redact);
  }
}

/** Samba's programs in English (messages are matched), reading no system smb.conf by accident. */
function sambaEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C' };
}
