/**
 * A third-party server (apache2, squid) run as a child process for the integration tests: its own
 * process group, output to a file, bounded readiness wait, and a stop that leaves nothing behind.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { onProcessExit } from '../../src/testing/exit-cleanup.js';

/** How to start a {@link ServiceProcess}. */
export interface ServiceProcessOptions {
  /** Used in messages, e.g. `'apache2'`. */
  readonly name: string;
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
  /** The complete environment (nothing is inherited that is not in here). */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** File that receives the program's stdout and stderr. */
  readonly outputPath: string;
  /** The server's temp directory: removed by {@link ServiceProcess.stop} and at process exit. */
  readonly dir: string;
}

/**
 * A running server program. It leads its own process group, so that stop() also ends what it
 * forked (apache's children, squid's auth helpers) even when the parent died first, and so that a
 * Ctrl-C in the terminal does not kill it behind the test's back. It does not keep the event loop
 * alive; if the test process exits without stop(), an exit hook kills the group with SIGKILL and
 * removes the directory.
 */
export class ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly outputPath: string;
  readonly dir: string;
  /** Resolves when the program has exited (or could not be started). */
  readonly exited: Promise<void>;
  readonly #child: ChildProcess;
  readonly #unregisterExit: () => void;
  #exitStatus: string | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(options: ServiceProcessOptions) {
    this.name = options.name;
    this.outputPath = options.outputPath;
    this.dir = options.dir;
    const output = openSync(options.outputPath, 'a');
    try {
      this.#child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', output, output],
      });
    } finally {
      closeSync(output);
    }
    this.exited = new Promise<void>((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitStatus = signal ? `killed by ${signal}` : `exit code ${String(code)}`;
        resolve();
      });
      this.#child.once('error', (error) => {
        this.#exitStatus = `could not be started: ${error.message}`;
        resolve();
      });
    });
    this.#child.unref();
    // A failed spawn has no pid; the 'error' event then settles `exited`.
    this.pid = this.#child.pid ?? -1;
    const pid = this.pid;
    const dir = this.dir;
    this.#unregisterExit = onProcessExit(() => {
      killGroup(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
  }

  /** Starts the program. Check {@link ServiceProcess.exitStatus} (or wait for readiness) next. */
  static spawn(options: ServiceProcessOptions): ServiceProcess {
    return new ServiceProcess(options);
  }

  /** `undefined` while running; else how it ended (`'exit code 1'`, `'killed by SIGTERM'`, ...). */
  get exitStatus(): string | undefined {
    return this.#exitStatus;
  }

  /**
   * Polls `probe` every 50 ms until it returns true. Throws when the program exits first or the
   * time is up; the message ends with `diagnostics()` (the server's own log tails).
   */
  async waitUntilReady(
    probe: () => Promise<boolean>,
    timeoutMs: number,
    diagnostics: () => Promise<string>,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#exitStatus !== undefined) {
        throw new Error(`${this.name} ${this.#exitStatus} before it was ready\n${await diagnostics()}`);
      }
      if (await probe()) return;
      if (performance.now() > deadline) {
        throw new Error(`${this.name} was not ready within ${timeoutMs} ms\n${await diagnostics()}`);
      }
      await sleep(50);
    }
  }

  /**
   * Sends `signal` to the program, waits up to `graceMs` for it to exit, then SIGKILLs the whole
   * process group (stragglers included), waits for the exit and removes the directory.
   * Idempotent: every call returns the same promise.
   */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#exitStatus === undefined) {
        // Unref'd while running: hold the event loop open until the exit is seen.
        this.#child.ref();
        killOne(this.pid, signal);
        await Promise.race([this.exited, sleep(graceMs)]);
      }
      killGroup(this.pid, 'SIGKILL');
      await this.exited;
      this.#unregisterExit();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return this.#stopping;
  }
}

function killOne(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // No member left.
  }
}

/** The last `lines` non-empty lines of a file, or `''` when it does not exist (yet). */
export async function fileTail(path: string, lines = 30): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return '';
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}
