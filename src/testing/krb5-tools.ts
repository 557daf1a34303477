/**
 * Finding and running the MIT Kerberos programs a {@link TestRealm} drives. Internal: not
 * exported from `http-gssapi/testing`.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { RealmPaths } from './realm-layout.js';
import type { SecretRedactor } from './secret-redactor.js';
import type { Krb5ClientEnv } from './test-realm-types.js';
import { TestingError, type TestingErrorCode } from './testing-error.js';

/** Absolute paths of the MIT programs, found once per realm. */
export interface Krb5Tools {
  readonly krb5kdc: string;
  readonly kdb5_util: string;
  readonly 'kadmin.local': string;
  readonly kinit: string;
  readonly klist: string;
  readonly kdestroy: string;
}

/**
 * Where to look for the MIT programs: `sbin` holds `krb5kdc`, `kdb5_util` and `kadmin.local`,
 * `bin` holds `kinit`, `klist` and `kdestroy`.
 *
 * @example
 * ```ts
 * const realm = await TestRealm.start({ toolPaths: { sbin: '/opt/krb5/sbin', bin: '/opt/krb5/bin' } });
 * ```
 */
export interface Krb5ToolPaths {
  /** Directory of `krb5kdc`, `kdb5_util`, `kadmin.local`. */
  sbin?: string;
  /** Directory of `kinit`, `klist`, `kdestroy`. */
  bin?: string;
}

const SBIN_TOOLS = ['krb5kdc', 'kdb5_util', 'kadmin.local'] as const;
const BIN_TOOLS = ['kinit', 'klist', 'kdestroy'] as const;

// Install prefixes of MIT krb5, most common first. The sbin and bin directories are taken from
// the same prefix: on macOS /usr/bin/kinit is Heimdal's, while Homebrew's MIT kinit lives beside
// its krb5kdc, and mixing the two would feed MIT's KDC a Heimdal client's idea of the config.
const PREFIXES = ['/usr', '/usr/local', '/opt/homebrew/opt/krb5', '/usr/local/opt/krb5'];

/** Environment variables that override the directories, e.g. for a krb5 built from source. */
export const SBIN_ENV = 'HTTP_GSSAPI_KRB5_SBIN';
export const BIN_ENV = 'HTTP_GSSAPI_KRB5_BIN';

const INSTALL_HINT =
  'Install the MIT Kerberos KDC and client programs: ' +
  'Debian/Ubuntu `apt-get install krb5-kdc krb5-admin-server krb5-user`; ' +
  'RHEL/Fedora `dnf install krb5-server krb5-workstation`; ' +
  'Alpine `apk add krb5-server krb5`. ' +
  `A krb5 installed elsewhere can be named with the toolPaths option or ${SBIN_ENV} / ${BIN_ENV}.`;

/** Whether `path` exists and this process may execute it (the tool lookups of both test realms). */
export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the six programs. Throws `ERR_TEST_REALM_MISSING_TOOLS` listing every missing path and
 * the packages that provide them, so that one run tells the whole story.
 */
export async function locateKrb5Tools(paths: Krb5ToolPaths = {}): Promise<Krb5Tools> {
  let prefix: string | undefined;
  for (const candidate of PREFIXES) {
    if (await isExecutable(join(candidate, 'sbin', 'krb5kdc'))) {
      prefix = candidate;
      break;
    }
  }
  const sbin = paths.sbin ?? process.env[SBIN_ENV] ?? join(prefix ?? '/usr', 'sbin');
  let bin = paths.bin ?? process.env[BIN_ENV];
  if (bin === undefined) {
    const sibling = join(prefix ?? '/usr', 'bin');
    bin = (await isExecutable(join(sibling, 'kinit'))) ? sibling : '/usr/bin';
  }
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const [dir, names] of [
    [sbin, SBIN_TOOLS],
    [bin, BIN_TOOLS],
  ] as const) {
    for (const name of names) {
      const path = join(dir, name);
      if (await isExecutable(path)) found[name] = path;
      else missing.push(path);
    }
  }
  if (missing.length > 0) {
    throw new TestingError(
      'ERR_TEST_REALM_MISSING_TOOLS',
      `TestRealm needs the MIT Kerberos programs; not found: ${missing.join(', ')}. ${INSTALL_HINT}`,
      { missing, hint: INSTALL_HINT },
    );
  }
  return found as unknown as Krb5Tools;
}

/**
 * What the modules that run a realm's programs (its commands, its KDC) share about the realm.
 *
 * @example
 * ```ts
 * const context: RealmToolContext = { realm: 'HTTPGSSAPI.TEST', dir, paths, ccache, env, tools, redactor, log };
 * const commands = new Krb5Commands(context);
 * ```
 */
export interface RealmToolContext {
  /** The realm name: appended to short principal names, and the only realm they may name. */
  readonly realm: string;
  /** The realm's directory, where keytabs go by default. */
  readonly dir: string;
  readonly paths: RealmPaths;
  /** The ccache kinit fills when none is given. */
  readonly ccache: string;
  /** The realm's variables, set for every program on top of this process's environment. */
  readonly env: Krb5ClientEnv;
  readonly tools: Krb5Tools;
  /** Learns every password that passes through; every message and output tail goes through it. */
  readonly redactor: SecretRedactor;
  /** Progress lines, redacted by the receiver. */
  readonly log: (line: string) => void;
}

/**
 * What the client commands (`kinit`, `klist`, `kdestroy`, and `kadmin.local` for an MIT realm)
 * need of a realm: an Active Directory realm has no MIT database paths.
 *
 * @example
 * ```ts
 * const commands = new Krb5Commands({ realm: 'ADTEST.LOCAL', dir, ccache, env, tools, redactor, log });
 * ```
 */
export type Krb5CommandContext = Omit<RealmToolContext, 'paths'>;

/** What a finished tool run produced. */
export interface ToolResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** How to run a tool. */
export interface RunToolOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed: how passwords reach the MIT prompter. */
  readonly input?: string;
  readonly timeoutMs: number;
  /** Kills the program when aborted (the run then resolves with `signal: 'SIGKILL'`). */
  readonly signal?: AbortSignal;
}

/**
 * The environment of every MIT program a realm runs: this process's, with the realm's variables
 * over it.
 *
 * @example
 * ```ts
 * const result = await runTool(tools.klist, ['-s'], { env: krb5ToolEnv(realm.env), timeoutMs: 10_000 });
 * ```
 */
export function krb5ToolEnv(realmEnv: Krb5ClientEnv): NodeJS.ProcessEnv {
  // LC_ALL=C: messages in English, so that kadmin's confirmations can be recognised.
  return { ...process.env, ...realmEnv, LC_ALL: 'C' };
}

/**
 * Runs a program to completion. Never rejects for a non-zero exit (the caller decides what a
 * failure is: `kadmin.local -q` exits 0 when its command failed); rejects only when the program
 * could not be started, with `ERR_TEST_REALM_TOOL`. Stdin is always closed, so a prompt that was
 * not expected reads EOF and fails instead of hanging the test.
 *
 * @example
 * ```ts
 * const result = await runTool(tools.kinit, ['-c', ccache, principal], { env, input: `${password}\n`, timeoutMs: 15_000 });
 * if (result.exitCode !== 0) throw toolFailure('ERR_TEST_REALM_KINIT', 'kinit failed', tools.kinit, result, redact);
 * ```
 */
export async function runTool(
  file: string,
  args: readonly string[],
  options: RunToolOptions,
): Promise<ToolResult> {
  try {
    return await spawnTool(file, args, options);
  } catch (cause) {
    throw new TestingError('ERR_TEST_REALM_TOOL', `cannot run ${file}: ${(cause as Error).message}`, {
      tool: file,
      cause,
    });
  }
}

/**
 * The error for a run that failed: what was attempted, how the program ended, and the tail of
 * what it said, every known password redacted.
 *
 * @example
 * ```ts
 * if (result.exitCode !== 0) throw toolFailure('ERR_TEST_REALM_TOOL', `klist ${ccache} failed`, tools.klist, result, redact);
 * ```
 */
export function toolFailure(
  code: TestingErrorCode,
  what: string,
  tool: string,
  result: ToolResult,
  redact: (text: string) => string,
): TestingError {
  // MIT tools write their errors to stderr; stdout holds prompts and progress.
  const output = redact(tail(result.stderr.trim() === '' ? result.stdout : result.stderr));
  const status = result.timedOut
    ? 'killed after its time limit'
    : result.signal
      ? `killed by ${result.signal}`
      : result.exitCode === 0
        ? 'it reported an error'
        : `exit code ${result.exitCode}`;
  return new TestingError(code, redact(`${what} (${status})${output ? `:\n${output}` : ''}`), {
    tool,
    exitCode: result.exitCode,
    output,
  });
}

function spawnTool(file: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const abort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // EPIPE when the program exits without reading its input (e.g. kinit failing early).
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    child.once('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** The last `maxLines` non-empty lines of `text`, at most `maxChars` characters. */
export function tail(text: string, maxLines = 12, maxChars = 2000): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const kept = lines.slice(-maxLines).join('\n');
  return kept.length > maxChars ? '…' + kept.slice(-maxChars) : kept;
}
