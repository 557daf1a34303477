/**
 * Parent side of the benchmark's server process (workers/server.ts).
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { workerPath } from './processes.js';

/** What the server saw since the last {@link BenchServer.stats} call. */
export interface ServerStats {
  /** HTTP requests received (each one a round trip). */
  readonly requests: number;
  /** Of those, how many carried `Authorization: Negotiate`. */
  readonly negotiate: number;
  /**
   * Of those, how many the server accepted (answered other than 401). Counted where the server's
   * record has each request's status beside its scheme: Apache's access log.
   */
  readonly acceptedTokens?: number;
  /** Distinct paths: the bench gives each client request a path of its own. */
  readonly paths: number;
  /** Distinct TCP connections. */
  readonly connections: number;
  /** Responses by status code. */
  readonly statuses: Readonly<Record<string, number>>;
}

export class BenchServer {
  readonly url: string;
  readonly port: number;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, url: string, port: number) {
    this.#child = child;
    this.url = url;
    this.port = port;
  }

  /** Starts the server with `env` (a realm's env: KRB5_KTNAME names the service keytab). */
  static async start(env: NodeJS.ProcessEnv): Promise<BenchServer> {
    const child = fork(workerPath('server'), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [message] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(() => {
        throw new Error('the bench server exited during start');
      }),
    ])) as [{ url: string; port: number }];
    return new BenchServer(child, message.url, message.port);
  }

  /**
   * Counts since the last call, by group (a path without its last segment: requests to
   * `/ok/<run>/<i>` count under `/ok/<run>`), and resets them.
   */
  async stats(): Promise<Record<string, ServerStats>> {
    const reply = once(this.#child, 'message');
    this.#child.send({ type: 'stats' });
    const [message] = (await reply) as [{ stats: Record<string, ServerStats> }];
    return message.stats;
  }

  /** Forgets what was counted so far. */
  async reset(): Promise<void> {
    await this.stats();
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.send({ type: 'stop' });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}
