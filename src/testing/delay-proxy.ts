/**
 * {@link DelayProxy}: a TCP proxy in a child process that makes a fast server slow.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkOptionKeys } from '../internal/option-keys.js';
import { onProcessExit } from './exit-cleanup.js';
import { tail } from './krb5-tools.js';
import { TestingError } from './testing-error.js';

/**
 * Options of {@link DelayProxy.start}.
 *
 * @example
 * ```ts
 * const options: DelayProxyOptions = { target: { host: '127.0.0.1', port: 8080 }, delayMs: 300 };
 * ```
 */
export interface DelayProxyOptions {
  /** Where connections are forwarded. */
  target: { host: string; port: number };
  /** How long every chunk is held, in each direction, in milliseconds (0 to forward at once). */
  delayMs: number;
  /** Address to listen on; default `'127.0.0.1'`. The port is always chosen by the system. */
  host?: string;
  /** How long to wait for the child to listen; default 10 000 ms. */
  startTimeoutMs?: number;
}

// The child script is compiled next to this file (dist/testing/ or build/src/testing/), so it is
// found relative to this module wherever the package is installed.
const CHILD_SCRIPT = fileURLToPath(new URL('./delay-proxy-child.js', import.meta.url));

interface ChildMessage {
  type: 'listening' | 'connection';
  port?: number;
}

function checkOptions(options: DelayProxyOptions): Required<DelayProxyOptions> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(options, ['target', 'delayMs', 'host', 'startTimeoutMs'], 'DelayProxy option');
  const { target, delayMs, host = '127.0.0.1', startTimeoutMs = 10_000 } = options;
  if (
    typeof target !== 'object' ||
    target === null ||
    typeof target.host !== 'string' ||
    target.host === ''
  ) {
    throw new TypeError('target must be { host: string, port: number }');
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new TypeError(`target.port must be an integer from 1 to 65535, got ${String(target.port)}`);
  }
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new TypeError(`delayMs must be a finite number >= 0, got ${String(delayMs)}`);
  }
  if (typeof host !== 'string' || host === '') throw new TypeError('host must be a non-empty string');
  if (typeof startTimeoutMs !== 'number' || !(startTimeoutMs > 0)) {
    throw new TypeError(`startTimeoutMs must be a positive number, got ${String(startTimeoutMs)}`);
  }
  return { target: { host: target.host, port: target.port }, delayMs, host, startTimeoutMs };
}

/**
 * A TCP proxy that delays every chunk of data, in each direction, by `delayMs`: a request/response
 * round trip through it takes at least `2 * delayMs`. {@link TestRealm} puts one in front of its
 * KDC (option `kdcDelayMs`); it works for any TCP server.
 *
 * The proxy runs in a separate Node process. That is the point of it: a test that wants to prove
 * that a call does not block the event loop makes the KDC slow and watches its own timers. If
 * the proxy lived in the same process, a blocking call would stall the proxy too, and the test
 * would measure a deadlock-shaped artefact instead. The child exits when this process does (its
 * IPC channel closes), and the proxy never keeps the event loop alive by itself.
 *
 * @example
 * ```ts
 * import { DelayProxy } from 'http-gssapi/testing';
 * await using proxy = await DelayProxy.start({ target: { host: '127.0.0.1', port: 8080 }, delayMs: 300 });
 * await fetch(`http://${proxy.host}:${proxy.port}/`); // takes >= 600 ms
 * console.log(proxy.connections); // 1
 * ```
 */
export class DelayProxy implements AsyncDisposable {
  /** The address the proxy listens on. */
  readonly host: string;
  /** The port the proxy listens on, chosen by the system. */
  readonly port: number;
  /** Where it forwards to. */
  readonly target: { readonly host: string; readonly port: number };
  /** The delay per chunk and direction, in milliseconds. */
  readonly delayMs: number;
  readonly #child: ChildProcess;
  readonly #unregisterExit: () => void;
  #connections = 0;
  #exited: Promise<void>;
  #stopping: Promise<void> | undefined;

  private constructor(
    options: Required<DelayProxyOptions>,
    port: number,
    child: ChildProcess,
    exited: Promise<void>,
  ) {
    this.host = options.host;
    this.port = port;
    this.target = Object.freeze({ ...options.target });
    this.delayMs = options.delayMs;
    this.#child = child;
    this.#exited = exited;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'connection') this.#connections++;
    });
    this.#unregisterExit = onProcessExit(() => {
      child.kill('SIGKILL');
    });
    // Nothing here keeps the event loop alive: a test that forgets stop() still ends, and the
    // child follows when the IPC channel closes.
    child.unref();
    child.channel?.unref();
    (child.stderr as Socket | null)?.unref();
  }

  /**
   * Spawns the proxy process and resolves once it listens.
   *
   * @throws TypeError for invalid options; {@link TestingError} `ERR_DELAY_PROXY_START` when the
   *   child exits or does not listen within `startTimeoutMs`.
   *
   * @example
   * ```ts
   * const proxy = await DelayProxy.start({ target: { host: '127.0.0.1', port: kdcPort }, delayMs: 300 });
   * try {
   *   // point clients at proxy.host:proxy.port
   * } finally {
   *   await proxy.stop();
   * }
   * ```
   */
  static async start(options: DelayProxyOptions): Promise<DelayProxy> {
    const checked = checkOptions(options);
    if (!existsSync(CHILD_SCRIPT)) {
      throw new TestingError('ERR_DELAY_PROXY_START', `the delay proxy script is missing: ${CHILD_SCRIPT}`, {
        hint: 'delay-proxy-child.js must be compiled next to delay-proxy.js (run the package from dist/ or a tsc build).',
      });
    }
    const env = { ...process.env };
    // The child is plain compiled JS: loaders, inspector flags or the test runner's context
    // meant for this process would only get in its way.
    delete env['NODE_OPTIONS'];
    delete env['NODE_TEST_CONTEXT'];
    const config = {
      listenHost: checked.host,
      targetHost: checked.target.host,
      targetPort: checked.target.port,
      delayMs: checked.delayMs,
    };
    const child = spawn(process.execPath, [CHILD_SCRIPT, JSON.stringify(config)], {
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      windowsHide: true,
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const fail = (message: string, cause?: unknown) =>
          reject(
            new TestingError('ERR_DELAY_PROXY_START', stderr ? `${message}\n${tail(stderr)}` : message, {
              tool: process.execPath,
              output: tail(stderr),
              ...(cause === undefined ? {} : { cause }),
            }),
          );
        const timer = setTimeout(
          () => fail(`the delay proxy did not listen within ${checked.startTimeoutMs} ms`),
          checked.startTimeoutMs,
        );
        child.once('error', (error) => {
          clearTimeout(timer);
          fail(`the delay proxy could not be started: ${error.message}`, error);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          fail(`the delay proxy exited before listening (code ${String(code)}, signal ${String(signal)})`);
        });
        child.on('message', (message: ChildMessage) => {
          if (message.type === 'listening' && typeof message.port === 'number') {
            clearTimeout(timer);
            resolve(message.port);
          }
        });
      });
      return new DelayProxy(checked, port, child, exited);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }

  /** Connections accepted so far (as reported by the child; a message may lag a few ms). */
  get connections(): number {
    return this.#connections;
  }

  /** Process id of the proxy process. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Kills the proxy process and waits until it has exited. Safe to call more than once.
   *
   * @example
   * ```ts
   * await proxy.stop();
   * ```
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#unregisterExit();
      if (this.#child.exitCode === null && this.#child.signalCode === null) {
        // Hold the loop open until the exit is seen; the handle is otherwise unref'd.
        this.#child.ref();
        this.#child.kill('SIGTERM');
        const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
        await this.#exited;
        clearTimeout(timer);
      }
      this.#child.stderr?.destroy();
    })();
    return this.#stopping;
  }

  /** Same as {@link DelayProxy.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
