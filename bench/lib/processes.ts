/**
 * Running the benchmark's helpers: Node workers (forked, one JSON result over IPC) and external
 * programs (curl, Python, the C reference), each bounded in time.
 *
 * @module
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The message a worker sends when it is done. */
export interface WorkerReply<T> {
  readonly type: 'result' | 'error';
  readonly result?: T;
  readonly error?: string;
}

/** Path of a compiled worker beside this file (build/bench/workers/<name>.js). */
export function workerPath(name: string): string {
  return fileURLToPath(new URL(`../workers/${name}.js`, import.meta.url));
}

/**
 * Forks `build/bench/workers/<name>.js` with `--expose-gc`, sends it `input`, and resolves with
 * its one result. Rejects with the worker's message (and stderr) when it fails or times out.
 */
export function runWorker<T>(
  name: string,
  input: unknown,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; execArgv?: readonly string[] } = {},
): Promise<T> {
  const { env = process.env, timeoutMs = 300_000, execArgv = [] } = options;
  return new Promise<T>((resolve, reject) => {
    const child = fork(workerPath(name), [], {
      env,
      execArgv: ['--expose-gc', ...execArgv],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let settled = false;
    const finish = (error: Error | null, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      if (error) reject(error);
      else resolve(value as T);
    };
    const timer = setTimeout(
      () => finish(new Error(`worker ${name} timed out after ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    child.on('message', (message: WorkerReply<T>) => {
      if (message.type === 'result') finish(null, message.result);
      else finish(new Error(`worker ${name}: ${message.error}\n${stderr}`));
    });
    child.on('error', (error) => finish(error));
    child.on('exit', (code, signal) =>
      finish(new Error(`worker ${name} exited (${code ?? signal}) without a result\n${stderr}`)),
    );
    child.send(input as object);
  });
}

/** Worker side: reads the one input, runs `body`, sends the result and exits. */
export function serveWorker<I, O>(body: (input: I) => Promise<O>): void {
  process.once('message', (input: I) => {
    body(input).then(
      (result) => process.send!({ type: 'result', result } satisfies WorkerReply<O>, () => process.exit(0)),
      (error: unknown) =>
        process.send!(
          { type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          () => process.exit(1),
        ),
    );
  });
}

/** What a program printed, and how it ended. */
export interface ProgramResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/**
 * Runs a program to completion. `onLine` sees each stdout line as it arrives, with the time it
 * arrived (performance.now()), for programs that report per request.
 */
export function runProgram(
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    onLine?: (line: string, at: number) => void;
    input?: string;
  } = {},
): Promise<ProgramResult> {
  const { env = process.env, timeoutMs = 300_000, onLine } = options;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn(command, args, {
      env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.now();
      if (onLine) {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) onLine(line, at);
      } else {
        stdout += chunk;
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (onLine && partial) onLine(partial, performance.now());
      resolve({ code, stdout, stderr, wallMs: performance.now() - started });
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => {}); // a program that exits without reading its input
      child.stdin!.end(options.input);
    }
  });
}
