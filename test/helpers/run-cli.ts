/**
 * Runs the built `http-gssapi` command (`dist/cli/main.js`, what `npm install` links as the bin)
 * as a subprocess, asynchronously so the test's own servers keep answering.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The command's entry point; `npm run build` makes it. */
export const CLI_PATH = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** What one run gave. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `http-gssapi ...args` with `env` added to this process's environment, `stdin` written to
 * its standard input (then closed).
 *
 * @example
 * ```ts
 * const { code, stderr } = await runCli(['-v', url], { env: realm.env });
 * ```
 */
export function runCli(
  args: readonly string[],
  options: {
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly stdin?: string | Buffer;
  } = {},
): Promise<CliRun> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * Runs `http-gssapi ...args` on a pseudo-terminal (util-linux `script`), so stdin and stderr are
 * TTYs: for the password prompt and the progress line. `answer` is typed once `prompt` appears
 * in the output. Resolves to the exit code and everything the terminal showed.
 *
 * @example
 * ```ts
 * const { code, output } = await runCliOnTerminal(['--ask-password', ...], { env, prompt: 'Password', answer: 'pw' });
 * ```
 */
export function runCliOnTerminal(
  args: readonly string[],
  options: {
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly prompt?: string;
    readonly answer?: string;
  } = {},
): Promise<{ readonly code: number | null; readonly output: string }> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build first`);
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI_PATH, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!answered && options.prompt !== undefined && output.includes(options.prompt)) {
        answered = true;
        child.stdin.write(`${options.answer ?? ''}\r`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
