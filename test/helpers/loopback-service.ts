/**
 * {@link LoopbackService}: what {@link ApacheServer} and {@link SquidProxy} share. Each is a
 * third-party program that accepts the realm's `HTTP/<hostname>` key, run from a temp directory
 * of its own on a free loopback port, with an access log the tests read. Only the program's
 * configuration and its log format differ; the lifecycle (options common to all, directory and
 * Kerberos files, port, spawn, readiness, access log, stop) lives here once.
 *
 * @module
 */
import { constants } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRealm } from '../../src/testing/index.js';
import { AccessLogReader, type AccessLogReadOptions } from './access-log.js';
import { freeLoopbackPort, type LoopbackPort } from './loopback-port.js';
import { chownTree, isRoot, type ServiceAccount, serviceAccount } from './service-account.js';
import { fileTail, ServiceProcess } from './service-process.js';

/**
 * Options every service takes; each adds its own. Every value is checked before anything
 * starts; a bad one (or a misspelt name) throws a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const options: ServiceOptions = { realm, startTimeoutMs: 30_000 };
 * ```
 */
export interface ServiceOptions {
  /**
   * The realm whose `HTTP/<hostname>` key the service accepts (a hand-made stand-in for a
   * {@link TestRealm} with these fields works too).
   */
  realm: Pick<TestRealm, 'name' | 'hostname' | 'krb5Config' | 'service'>;
  /** Service keytab; default `realm.service.keytab`. Copied at start: later changes are not seen. */
  keytab?: string;
  /** Bound on start-up, readiness included; default 15 000 ms. */
  startTimeoutMs?: number;
}

/** {@link ServiceOptions} with the defaults filled in. */
export type ResolvedServiceOptions = Required<ServiceOptions>;

/** Files every service keeps in its temp directory; a service adds its own. */
export interface ServiceFiles {
  readonly dir: string;
  /** The program's stdout and stderr. */
  readonly output: string;
  readonly accessLog: string;
  /** Copies of the realm's krb5.conf and of the service keytab. */
  readonly krb5Config: string;
  readonly keytab: string;
  /** The replay cache directory (MIT `KRB5RCACHEDIR`). */
  readonly rcache: string;
}

/** How {@link LoopbackService.launch} starts one program. */
export interface ServiceLaunch<Files extends ServiceFiles, Entry> {
  /** The program's name in messages and in the temp directory's name, e.g. `'apache2'`. */
  readonly name: string;
  /** Absolute path of the program. */
  readonly command: string;
  readonly options: ResolvedServiceOptions;
  /**
   * Accounts to switch to when the tests run as root, the first one present is used (Apache
   * will not serve as root and squid will not run as root); that account owns the directory.
   */
  readonly accounts: readonly string[];
  /** The files of a service whose temp directory is `dir`. */
  files(dir: string): Files;
  /**
   * Writes the configuration for a server on `listen`, run as `account` (null: as this process's
   * user); the Kerberos copies and the replay cache directory are there already. Returns the
   * program's arguments.
   */
  configure(files: Files, listen: LoopbackPort, account: ServiceAccount | null): Promise<readonly string[]>;
  /** Variables beyond the Kerberos ones every service gets (e.g. `KRB5_TRACE`). */
  extraEnv?(files: Files): NodeJS.ProcessEnv;
  /**
   * The readiness probe: a GET of `path` with this `Host` header (a fresh connection, 2 s at
   * most) is answered with `status` once the program is ready.
   */
  ready(port: number): { readonly path: string; readonly host: string; readonly status: number };
  /** The program's own logs, whose tails explain a failed start (the output file comes first). */
  logs(files: Files): readonly string[];
  /** Parses one access log line. */
  parseAccessLine(line: string): Entry;
}

/** A started program, for the constructor of a {@link LoopbackService}. */
export interface LaunchedService<Files extends ServiceFiles, Entry> {
  readonly process: ServiceProcess;
  readonly files: Files;
  readonly listen: LoopbackPort;
  /** Marked after the readiness probes. */
  readonly log: AccessLogReader<Entry>;
  /** How long the start took, ms. */
  readonly startMs: number;
}

const COMMON_OPTIONS = ['realm', 'keytab', 'startTimeoutMs'] as const;

/** What {@link LoopbackService.launch} returned: a service is only ever made from one of these. */
const LAUNCHED = new WeakSet<object>();

/**
 * A third-party server run for the tests, as they use it: where it listens, its access log, and
 * a stop that leaves nothing behind. A subclass has a static `start` that checks its options
 * with {@link LoopbackService.checkOptions}, starts its program with
 * {@link LoopbackService.launch}, and adds its own files and logs.
 *
 * @example
 * ```ts
 * await using server = await ApacheServer.start({ realm });
 * await server.clearAccessLog();
 * assert.equal(await server.requestCount(), 0);
 * ```
 */
export abstract class LoopbackService<Entry> implements AsyncDisposable {
  /** The URL clients use, on `realm.hostname`. */
  readonly url: string;
  readonly port: number;
  /** The loopback addresses it listens on. */
  readonly hosts: readonly string[];
  /** The temp directory (configuration, logs, keytab copy); removed by stop(). */
  readonly dir: string;
  readonly accessLogPath: string;
  /** How long start() took, ms (configuration, spawn, readiness). */
  readonly startMs: number;
  readonly #process: ServiceProcess;
  readonly #log: AccessLogReader<Entry>;

  protected constructor(launched: LaunchedService<ServiceFiles, Entry>, url: string) {
    if (!LAUNCHED.has(launched)) throw new TypeError(`use ${new.target.name}.start()`);
    this.#process = launched.process;
    this.#log = launched.log;
    this.url = url;
    this.port = launched.listen.port;
    this.hosts = launched.listen.hosts;
    this.dir = launched.files.dir;
    this.accessLogPath = launched.files.accessLog;
    this.startMs = launched.startMs;
  }

  /**
   * Checks the options every service shares, and that no name outside them and `own` is there.
   * Each bad value is a `TypeError` naming it.
   */
  protected static checkOptions(options: ServiceOptions, own: readonly string[]): ResolvedServiceOptions {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const known = new Set<string>([...COMMON_OPTIONS, ...own]);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
    }
    const { realm } = options;
    if (
      typeof realm !== 'object' ||
      realm === null ||
      typeof realm.name !== 'string' ||
      typeof realm.krb5Config !== 'string' ||
      typeof realm.service?.keytab !== 'string' ||
      typeof realm.service.principal !== 'string'
    ) {
      throw new TypeError('realm must be a TestRealm (name, hostname, krb5Config, service)');
    }
    // The host name goes into configuration files and URLs as it is.
    if (typeof realm.hostname !== 'string' || !/^[a-z0-9.-]+$/.test(realm.hostname)) {
      throw new TypeError('realm.hostname must be a host name');
    }
    // Only copied: the configuration names the copy, inside the service's directory.
    const keytab = options.keytab ?? realm.service.keytab;
    if (typeof keytab !== 'string' || !keytab.startsWith('/')) {
      throw new TypeError('keytab must be an absolute path');
    }
    const startTimeoutMs = options.startTimeoutMs ?? 15_000;
    if (typeof startTimeoutMs !== 'number' || !(startTimeoutMs > 0)) {
      throw new TypeError(`startTimeoutMs must be a number > 0, got ${String(startTimeoutMs)}`);
    }
    return { realm, keytab, startTimeoutMs };
  }

  /** The first of `paths` that is an executable file, or undefined: where a program is installed. */
  protected static async firstExecutable(paths: readonly string[]): Promise<string | undefined> {
    for (const path of paths) {
      try {
        await access(path, constants.X_OK);
        return path;
      } catch {
        // Next.
      }
    }
    return undefined;
  }

  /**
   * Starts a program the way every service here starts: a fresh temp directory with copies of
   * the realm's krb5.conf and the keytab (a root-started program's account owns it all), a free
   * loopback port, then the program, polled until it answers as ready (bounded by
   * `startTimeoutMs`). When another process took the port first, it starts again on another one
   * (three attempts).
   *
   * @throws Error when the program exits or is not ready in time, with the tails of its logs.
   */
  protected static async launch<Files extends ServiceFiles, Entry>(
    spec: ServiceLaunch<Files, Entry>,
  ): Promise<LaunchedService<Files, Entry>> {
    const started = performance.now();
    // Configuration files name paths inside the directory, unquoted where the programs want it so.
    if (/[\s"]/.test(tmpdir())) {
      throw new Error(`${spec.name} needs a temp directory path without spaces or quotes, got ${tmpdir()}`);
    }
    const account = isRoot() ? serviceAccount(spec.accounts) : null;
    for (let attempt = 1; ; attempt++) {
      const dir = await mkdtemp(join(tmpdir(), `http-gssapi-${spec.name}-`));
      const files = spec.files(dir);
      const listen = await freeLoopbackPort();
      const diagnostics = () => logTails(spec.logs(files));
      let child: ServiceProcess | undefined;
      try {
        await mkdir(files.rcache, { recursive: true });
        await copyFile(spec.options.realm.krb5Config, files.krb5Config);
        await copyFile(spec.options.keytab, files.keytab);
        const args = await spec.configure(files, listen, account);
        if (account) await chownTree(dir, account);
        child = ServiceProcess.spawn({
          name: spec.name,
          command: spec.command,
          args,
          env: { ...kerberosEnv(files), ...spec.extraEnv?.(files) },
          cwd: dir,
          outputPath: files.output,
          dir,
        });
        const probe = spec.ready(listen.port);
        await child.waitUntilReady(
          async () => (await loopbackStatus(listen.port, probe.path, probe.host)) === probe.status,
          Math.max(1, spec.options.startTimeoutMs - (performance.now() - started)),
          diagnostics,
        );
        const log = new AccessLogReader(files.accessLog, (line) => spec.parseAccessLine(line));
        // The readiness probes are not the test's requests.
        await log.mark();
        const launched = {
          process: child,
          files,
          listen,
          log,
          startMs: Math.round(performance.now() - started),
        };
        LAUNCHED.add(launched);
        return launched;
      } catch (error) {
        const text = await diagnostics();
        if (child) await child.stop('SIGKILL', 0);
        else await rm(dir, { recursive: true, force: true });
        if (attempt < 3 && /Address already in use/.test(text)) continue;
        throw error;
      }
    }
  }

  /** Process id of the program (the parent, where it forks). */
  get pid(): number {
    return this.#process.pid;
  }

  /**
   * The requests logged since start (readiness probes excluded) or since the last
   * {@link LoopbackService.clearAccessLog}, oldest first. Waits until the log has stopped
   * growing, and with `minEntries` until that many are there (bounded by `timeoutMs`, default 5 s).
   *
   * @example
   * ```ts
   * const entries = await server.accessLog({ minEntries: 2 });
   * assert.deepEqual(entries.map((e) => e.status), [401, 200]);
   * ```
   */
  accessLog(options?: AccessLogReadOptions): Promise<Entry[]> {
    return this.#log.read(options);
  }

  /**
   * How many requests {@link LoopbackService.accessLog} holds.
   *
   * @example
   * ```ts
   * assert.equal(await server.requestCount(), 2);
   * ```
   */
  async requestCount(options?: AccessLogReadOptions): Promise<number> {
    return (await this.#log.read(options)).length;
  }

  /**
   * Makes later {@link LoopbackService.accessLog} calls start from here (the file is kept).
   *
   * @example
   * ```ts
   * beforeEach(() => server.clearAccessLog());
   * ```
   */
  async clearAccessLog(): Promise<void> {
    await this.#log.read();
    await this.#log.mark();
  }

  /**
   * Stops the program and removes the directory. Idempotent. SIGTERM first (Apache's immediate
   * stop: its graceful one would wait for the idle keep-alive connections a client's pool
   * holds; squid runs with `shutdown_lifetime 0`), then SIGKILL to the whole process group after
   * 5 s, or at once for stragglers (Apache's children, squid's helpers).
   *
   * @example
   * ```ts
   * after(() => server.stop());
   * ```
   */
  stop(): Promise<void> {
    return this.#process.stop('SIGTERM', 5000);
  }

  /** Same as {@link LoopbackService.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** The last `lines` non-empty lines of one of the program's logs, or `''` before it exists. */
  protected logTail(path: string, lines: number): Promise<string> {
    return fileTail(path, lines);
  }
}

/**
 * The Kerberos part of a service's environment: the directory's copies and nothing of the test
 * process's Kerberos state (never the user's ccache: the service must not pick up the test
 * user's tickets). Programs that start helpers (squid) hand it on to them.
 */
function kerberosEnv(files: ServiceFiles): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    KRB5_CONFIG: files.krb5Config,
    KRB5_KTNAME: `FILE:${files.keytab}`,
    KRB5RCACHEDIR: files.rcache,
    KRB5CCNAME: `FILE:${join(files.dir, 'service.ccache')}`,
  };
}

/** GETs `path` on 127.0.0.1:`port` over a fresh connection; the status, or 0 on a socket error. */
function loopbackStatus(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    });
    req.setTimeout(2000, () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

async function logTails(paths: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const file of paths) {
    const text = await fileTail(file, 15);
    if (text) parts.push(`--- ${file}\n${text}`);
  }
  return parts.join('\n');
}
