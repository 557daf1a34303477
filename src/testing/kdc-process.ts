/**
 * The KDC process of a test realm (MIT `krb5kdc` for {@link TestRealm}, Samba's `samba` for
 * `AdTestRealm`): spawning it, waiting until it serves, stopping it, and reading its logs when
 * it does not. Internal: not exported from `http-gssapi/testing`.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayProxy } from './delay-proxy.js';
import { releasePort, reserveKdcPort } from './free-port.js';
import { krb5ToolEnv, type RealmToolContext, tail } from './krb5-tools.js';
import type { SecretRedactor } from './secret-redactor.js';
import { TestingError } from './testing-error.js';

/**
 * Where the KDC listens, and the proxy clients reach it through when the realm simulates a slow
 * network.
 *
 * @example
 * ```ts
 * const { port, proxy } = await reserveKdcEndpoint(300);
 * const kdcAddress = proxy ? `${proxy.host}:${proxy.port}` : `127.0.0.1:${port}`;
 * ```
 */
export interface KdcEndpoint {
  /** Reserved until `releasePort(port)`. */
  readonly port: number;
  readonly proxy: DelayProxy | null;
}

/**
 * Reserves a free loopback port for the KDC and, when `delayMs` is given, starts a
 * {@link DelayProxy} in front of it. On failure it undoes both before throwing.
 *
 * @throws TestingError `ERR_TEST_REALM_SETUP`, or the proxy's `ERR_DELAY_PROXY_START`.
 *
 * @example
 * ```ts
 * const endpoint = await reserveKdcEndpoint(undefined); // no proxy
 * ```
 */
export async function reserveKdcEndpoint(delayMs: number | undefined): Promise<KdcEndpoint> {
  let port: number | undefined;
  let proxy: DelayProxy | null = null;
  try {
    port = await reserveKdcPort();
    if (delayMs !== undefined) {
      proxy = await DelayProxy.start({ target: { host: '127.0.0.1', port }, delayMs });
    }
    return { port, proxy };
  } catch (cause) {
    await proxy?.stop();
    if (port !== undefined) releasePort(port);
    if (cause instanceof TestingError) throw cause;
    throw new TestingError('ERR_TEST_REALM_SETUP', `cannot set up the KDC's port: ${String(cause)}`, {
      cause,
    });
  }
}

/**
 * Proves the KDC serves, e.g. by a `kinit` through the address clients use; rejects when it does
 * not. Must stop its work when `signal` aborts (the KDC has exited).
 *
 * @example
 * ```ts
 * const probe: KdcProbe = (signal) => commands.kinit(user.principal, { keytab: user.keytab }, {}, signal);
 * ```
 */
export type KdcProbe = (signal: AbortSignal) => Promise<void>;

/**
 * How to run a KDC program: it must stay in the foreground, so that its exit is seen at once.
 *
 * @example
 * ```ts
 * const launch: KdcLaunch = { command: '/usr/sbin/samba', args: ['-i', '-M', 'single', '-s', conf], env, outputPath, logFiles: [], redactor, log };
 * ```
 */
export interface KdcLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Receives the program's stdout and stderr. */
  readonly outputPath: string;
  /** Files whose tails explain a failed start (besides `outputPath`). */
  readonly logFiles: readonly string[];
  readonly redactor: SecretRedactor;
  readonly log: (line: string) => void;
}

/**
 * The launch of an MIT realm's `krb5kdc`, in the foreground (`-n`).
 *
 * @example
 * ```ts
 * const kdc = new KdcProcess(krb5kdcLaunch(context), port, 15_000);
 * ```
 */
export function krb5kdcLaunch(context: RealmToolContext): KdcLaunch {
  const { paths, tools, realm, env, redactor, log } = context;
  return {
    command: tools.krb5kdc,
    args: ['-n', '-r', realm, '-P', paths.kdcPid],
    env: krb5ToolEnv(env),
    outputPath: paths.kdcOutput,
    logFiles: [paths.kdcLog],
    redactor,
    log,
  };
}

/**
 * One realm's KDC, started and stopped as often as a test needs, as this process's child.
 *
 * @example
 * ```ts
 * const kdc = new KdcProcess(krb5kdcLaunch(context), port, 15_000);
 * await kdc.start(performance.now() + 15_000, (signal) => commands.kinit(user, secret, {}, signal));
 * await kdc.stop();
 * ```
 */
export class KdcProcess {
  readonly #launch: KdcLaunch;
  readonly #name: string;
  readonly #port: number;
  readonly #startTimeoutMs: number;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();

  /**
   * @param port - where it listens, on 127.0.0.1, kept across stop() and start().
   * @param startTimeoutMs - only for the message when it does not listen in time.
   */
  constructor(launch: KdcLaunch, port: number, startTimeoutMs: number) {
    this.#launch = launch;
    this.#name = launch.command.replace(/^.*\//, '');
    this.#port = port;
    this.#startTimeoutMs = startTimeoutMs;
  }

  /** Whether start() spawned a process that stop() has not stopped yet. */
  get started(): boolean {
    return this.#child !== null;
  }

  /** Process id of the running KDC, or `null` while it is stopped. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Kills it at once, for the process-exit hook, where nothing asynchronous can run. */
  kill(): void {
    this.#child?.kill('SIGKILL');
  }

  /**
   * Spawns the KDC, waits for its TCP port, then proves it serves with `probe`: a listening
   * socket alone does not show that the database, the stash and krb5.conf agree. On failure the
   * process is stopped and the error carries the tail of its logs.
   *
   * @param deadline - a `performance.now()` value, shared with the realm's other setup steps.
   */
  async start(deadline: number, probe: KdcProbe): Promise<void> {
    const { command, args, env, outputPath, redactor } = this.#launch;
    const name = this.#name;
    const port = this.#port;
    const output = openSync(outputPath, 'a');
    let child: ChildProcess;
    try {
      // -n: stay in the foreground, so this process owns it and sees it exit.
      child = spawn(command, args, {
        env,
        stdio: ['ignore', output, output],
      });
    } finally {
      closeSync(output);
    }
    let exit: string | undefined;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exit = `exit code ${String(code)}, signal ${String(signal)}`;
        resolve();
      });
      child.once('error', (error) => {
        exit = error.message;
        resolve();
      });
    });
    this.#child = child;
    // The realm never keeps the event loop alive by itself: a test runner whose tests are done
    // exits, and the 'exit' hook kills the KDC.
    child.unref();
    const fail = async (message: string, cause?: unknown): Promise<never> => {
      await this.stop();
      const log = await this.#logTail();
      const redact = (text: string) => redactor.redact(text);
      throw new TestingError('ERR_TEST_REALM_KDC_START', redact(`${message}\n${log}`), {
        tool: command,
        output: redact(log),
        ...(cause === undefined ? {} : { cause }),
      });
    };

    while (!(await canConnect(port))) {
      if (exit !== undefined) {
        return fail(`${name} exited before listening on 127.0.0.1:${port} (${exit})`);
      }
      if (performance.now() > deadline) {
        return fail(`${name} did not listen on 127.0.0.1:${port} within ${this.#startTimeoutMs} ms`);
      }
      await sleep(20);
    }
    this.#launch.log(`${name} pid ${child.pid} listening on 127.0.0.1:${port}`);

    // Something else may have accepted the TCP connection (a KDC that failed to bind exits, and
    // kinit would then wait on the other listener until its own timeout): stop the probe the
    // moment the KDC exits.
    const kdcGone = new AbortController();
    void this.#exited.then(() => kdcGone.abort());
    for (let attempt = 1; ; attempt++) {
      try {
        await probe(kdcGone.signal);
        return;
      } catch (error) {
        if (exit !== undefined) return fail(`${name} exited (${exit})`, error);
        if (attempt >= 5 || performance.now() > deadline) {
          return fail(
            `${name} listens but kinit failed ${attempt} times: ${(error as Error).message}`,
            error,
          );
        }
        await sleep(100 * attempt);
      }
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. Does nothing when stopped. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    if (child.exitCode === null && child.signalCode === null) {
      // The handle is unref'd while the KDC runs; hold the loop open until its exit is seen.
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#launch.log(`${this.#name} pid ${child.pid} stopped`);
  }

  /** The last lines of the KDC's own output and of its log: why it did not start. */
  async #logTail(): Promise<string> {
    const parts: string[] = [];
    for (const file of [this.#launch.outputPath, ...this.#launch.logFiles]) {
      try {
        const text = tail(await readFile(file, 'utf8'), 10);
        if (text) parts.push(`--- ${file}\n${text}`);
      } catch {
        // Not written yet.
      }
    }
    return parts.join('\n');
  }
}

/** Whether a TCP connection to 127.0.0.1:port is accepted within 500 ms. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
