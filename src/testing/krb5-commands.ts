/**
 * The MIT commands a {@link TestRealm} runs on its database and credential caches: `kdb5_util`,
 * `kadmin.local`, `kinit`, `klist`, `kdestroy`. Internal: not exported from
 * `http-gssapi/testing`; the realm's public methods delegate here.
 *
 * @module
 */
import { join } from 'node:path';
import { checkOptionKeys } from '../internal/option-keys.js';
import { checkDuration, checkPassword, checkPath, checkPrincipal } from './krb5-arguments.js';
import {
  type Krb5CommandContext,
  type Krb5Tools,
  krb5ToolEnv,
  runTool,
  type ToolResult,
  tail,
  toolFailure,
} from './krb5-tools.js';
import type { AddPrincipalOptions, KinitOptions, KinitSecret, PrincipalKey } from './test-realm-types.js';
import { TestingError } from './testing-error.js';

// kadmin.local -q exits 0 even when its command failed (MIT 1.20.1); failures show as lines on
// stderr. These stderr lines are not failures.
const KADMIN_NOISE = [
  /^No policy specified for .*; defaulting to no policy$/,
  /^WARNING: no policy specified/,
];

/**
 * Builds each command line from checked arguments, keeps passwords on stdin (never on a command
 * line, where `ps` would show them) and out of messages, and turns a failed run into a
 * {@link TestingError} that ends with the program's own words.
 *
 * @example
 * ```ts
 * const commands = new Krb5Commands(context);
 * await commands.kinit('user@HTTPGSSAPI.TEST', { keytab: `${dir}/user.keytab` }, {});
 * console.log(await commands.klist(`FILE:${dir}/ccache`));
 * ```
 */
export class Krb5Commands {
  readonly #context: Krb5CommandContext;
  #kadminQueue: Promise<unknown> = Promise.resolve();

  constructor(context: Krb5CommandContext) {
    this.#context = context;
  }

  /** `kdb5_util create -s`: the database and the stash file, so krb5kdc starts without a prompt. */
  async createDatabase(masterPassword: string, timeoutMs: number): Promise<void> {
    const master = `${masterPassword}\n`;
    const created = await this.#run('kdb5_util', ['create', '-s', '-r', this.#context.realm], {
      input: master + master,
      timeoutMs,
    });
    if (created.exitCode !== 0) {
      throw this.#failure('ERR_TEST_REALM_SETUP', 'kdb5_util create failed', 'kdb5_util', created);
    }
  }

  /** `kinit`; `signal` kills it (the realm's readiness probe stops it when the KDC exits). */
  async kinit(
    principal: string,
    secret: KinitSecret,
    options: KinitOptions,
    signal?: AbortSignal,
  ): Promise<void> {
    checkPrincipal('principal', principal);
    checkOptionKeys(options, ['ccache', 'forwardable', 'lifetime', 'renewableLife'], 'kinit option');
    const args: string[] = [];
    let input: string | undefined;
    if (typeof secret !== 'object' || secret === null) {
      throw new TypeError('secret must be { password } or { keytab }');
    }
    if ('password' in secret) {
      const password = checkPassword('secret.password', secret.password);
      this.#context.redactor.add(password);
      input = `${password}\n`;
    } else if ('keytab' in secret) {
      args.push('-k', '-t', checkPath('secret.keytab', secret.keytab));
    } else {
      throw new TypeError('secret must be { password } or { keytab }');
    }
    const { ccache = this.#context.ccache, forwardable = true, lifetime, renewableLife } = options;
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
      throw this.#failure('ERR_TEST_REALM_KINIT', `kinit ${principal} failed`, 'kinit', result);
    }
  }

  /** `klist -f`: the tickets with their flags. */
  async klist(ccache: string): Promise<string> {
    const result = await this.#run('klist', ['-f', checkPath('ccache', ccache)], { timeoutMs: 10_000 });
    if (result.exitCode !== 0) {
      throw this.#failure('ERR_TEST_REALM_TOOL', `klist ${ccache} failed`, 'klist', result);
    }
    return result.stdout;
  }

  /** `klist -s`: whether the ccache holds a ticket that has not expired. */
  async hasValidTicket(ccache: string): Promise<boolean> {
    const result = await this.#run('klist', ['-s', checkPath('ccache', ccache)], { timeoutMs: 10_000 });
    return result.exitCode === 0;
  }

  /** `kdestroy -c`. */
  async kdestroy(ccache: string): Promise<void> {
    const result = await this.#run('kdestroy', ['-c', checkPath('ccache', ccache)], { timeoutMs: 10_000 });
    if (result.exitCode !== 0) {
      throw this.#failure('ERR_TEST_REALM_TOOL', `kdestroy ${ccache} failed`, 'kdestroy', result);
    }
  }

  /** `addprinc`; returns the full principal name. */
  async addPrincipal(name: string, key: PrincipalKey, options: AddPrincipalOptions): Promise<string> {
    const principal = this.#qualify(name);
    checkOptionKeys(
      options,
      ['okAsDelegate', 'requiresPreauth', 'maxLife', 'maxRenewableLife'],
      'addPrincipal option',
    );
    const args: string[] = [];
    let input: string | undefined;
    if (typeof key !== 'object' || key === null) {
      throw new TypeError('key must be { password } or { randkey: true }');
    }
    if ('password' in key) {
      const password = checkPassword('key.password', key.password);
      this.#context.redactor.add(password);
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
    this.#confirmed(output, `Principal "${principal}" created.`, `addprinc ${principal}`);
    this.#context.log(`added principal ${principal}`);
    return principal;
  }

  /** `ktadd -norandkey`; `path` defaults to `<dir>/<principal>.keytab`. Returns the keytab's path. */
  async extractKeytab(principal: string, path: string | undefined): Promise<string> {
    const full = this.#qualify(principal);
    const file = checkPath('path', path ?? join(this.#context.dir, `${full.replace(/[/@]/g, '_')}.keytab`));
    const output = await this.#kadmin(`ktadd -k "${file}" -norandkey ${full}`);
    this.#confirmed(output, 'added to keytab', `ktadd ${full}`);
    return file;
  }

  /** A caller's own `kadmin.local -q` query, checked to be one command on one line. */
  async kadmin(query: string): Promise<string> {
    if (typeof query !== 'string' || query.trim() === '' || /[\r\n]/.test(query)) {
      throw new TypeError('query must be one kadmin command on one line');
    }
    // Defence in depth: if a password was passed anyway, keep it out of errors and logs.
    for (const match of query.matchAll(/-pw\s+("[^"]*"|\S+)/g)) {
      this.#context.redactor.add(match[1]!.replace(/^"|"$/g, ''));
    }
    return this.#kadmin(query);
  }

  /** Settles when the kadmin commands queued so far have finished, failed or not. */
  async idle(): Promise<void> {
    await this.#kadminQueue.catch(() => {});
  }

  /** kadmin.local commands run one at a time: they share one database file and its lock. */
  #kadmin(query: string, input?: string): Promise<string> {
    const run = async () => {
      const result = await this.#run('kadmin.local', ['-r', this.#context.realm, '-q', query], {
        timeoutMs: 30_000,
        ...(input === undefined ? {} : { input }),
      });
      const errors = result.stderr
        .split('\n')
        .filter((line) => line.trim() !== '' && !KADMIN_NOISE.some((noise) => noise.test(line)));
      if (result.exitCode !== 0 || errors.length > 0) {
        throw this.#failure(
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

  /** kadmin reports success only in words on stdout, so their absence is the failure. */
  #confirmed(output: string, confirmation: string, what: string): void {
    if (output.includes(confirmation)) return;
    const redact = (text: string) => this.#context.redactor.redact(text);
    throw new TestingError('ERR_TEST_REALM_KADMIN', redact(`${what} did not confirm:\n${tail(output)}`), {
      tool: this.#context.tools['kadmin.local'],
      output: redact(tail(output)),
    });
  }

  #run(
    tool: keyof Krb5Tools,
    args: string[],
    options: { input?: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<ToolResult> {
    return runTool(this.#context.tools[tool], args, { env: krb5ToolEnv(this.#context.env), ...options });
  }

  #failure(
    code: 'ERR_TEST_REALM_SETUP' | 'ERR_TEST_REALM_KADMIN' | 'ERR_TEST_REALM_KINIT' | 'ERR_TEST_REALM_TOOL',
    what: string,
    tool: keyof Krb5Tools,
    result: ToolResult,
  ): TestingError {
    return toolFailure(code, what, this.#context.tools[tool], result, (text) =>
      this.#context.redactor.redact(text),
    );
  }

  #qualify(name: string): string {
    checkPrincipal('name', name);
    const at = name.indexOf('@');
    const realm = this.#context.realm;
    if (at === -1) return `${name}@${realm}`;
    if (name.slice(at + 1) !== realm) {
      throw new TypeError(`principal ${name} is not in realm ${realm}`);
    }
    return name;
  }
}
