/**
 * {@link CliProxyProcess}: the built `http-gssapi proxy` command running as a subprocess, as a
 * user runs it, for tests that put curl, git and npm in front of it.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH } from './run-cli.js';

/** How a stopped proxy ended. */
export interface ProxyExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const START_TIMEOUT_MS = 15_000;

/**
 * A running `http-gssapi proxy`. {@link CliProxyProcess.start} waits for its "listening on"
 * line; {@link CliProxyProcess.stop} sends a signal and waits for the exit.
 *
 * @example
 * ```ts
 * const proxy = await CliProxyProcess.start(['--listen', '127.0.0.1:0', '--upstream', squid.url], env);
 * // curl -x proxy.url ...
 * const { code } = await proxy.stop();
 * ```
 */
export class CliProxyProcess {
  /** `http://127.0.0.1:PORT`, as clients' proxy setting. */
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<ProxyExit>;
  readonly #stderr: string[];

  private constructor(child: ChildProcess, url: string, exited: Promise<ProxyExit>, stderr: string[]) {
    this.#child = child;
    this.url = url;
    this.#exited = exited;
    this.#stderr = stderr;
  }

  /**
   * Starts `http-gssapi proxy ...args` with exactly `env` as its environment.
   *
   * @throws when the command exits or stays silent instead of listening (its stderr in the message).
   */
  static async start(args: readonly string[], env: Readonly<Record<string, string | undefined>>) {
    if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build first`);
    const child = spawn(process.execPath, [CLI_PATH, 'proxy', ...args], {
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    let stdout = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const exited = new Promise<ProxyExit>((resolve) =>
      // 'close', not 'exit': its output has been read to the end by then.
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`http-gssapi proxy did not start: ${stderr.join('')}`));
      }, START_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const listening = /listening on (http:\/\/\S+?);/.exec(stdout)?.[1];
        if (listening) {
          clearTimeout(timer);
          resolve(listening);
        }
      });
      void exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`http-gssapi proxy exited with ${code}: ${stderr.join('')}`));
      });
    });
    return new CliProxyProcess(child, url, exited, stderr);
  }

  /** The process id: the same one across requests shows no restart happened. */
  get pid(): number {
    return this.#child.pid!;
  }

  /** Everything it wrote on stderr so far (its log lines). */
  get log(): string {
    return this.#stderr.join('');
  }

  /** Log lines matching `pattern`, once at least `count` are there (waits up to 5 s: a line follows the response). */
  async logLines(pattern: RegExp, count = 1): Promise<string[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const lines = this.log.split('\n').filter((line) => pattern.test(line));
      if (lines.length >= count || Date.now() > deadline) return lines;
      await sleep(20);
    }
  }

  /** Sends `signal` and resolves with how the process ended (SIGKILL after 10 s, reported as such). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProxyExit> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
