/**
 * {@link SquidProxy}: a real squid forward proxy that demands Negotiate proxy authentication
 * (`407` + `Proxy-Authenticate: Negotiate`, RFC 4559 section 4 applied to RFC 9110's proxy
 * authentication), started per test against a {@link TestRealm}.
 *
 * @module
 */
import { constants } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRealm } from '../../src/testing/index.js';
import { AccessLogReader, type AccessLogReadOptions } from './access-log.js';
import { freeLoopbackPort, type LoopbackPort, listenAddress } from './loopback-port.js';
import { chownTree, isRoot, type ServiceAccount, serviceAccount } from './service-account.js';
import { fileTail, ServiceProcess } from './service-process.js';

/** What the proxy needs of a realm: a hand-made stand-in for a {@link TestRealm} works too. */
export type SquidRealm = Pick<TestRealm, 'name' | 'hostname' | 'krb5Config' | 'service'>;

/**
 * Options of {@link SquidProxy.start}. Every value is checked before anything starts; a bad one
 * (or a misspelt name) throws a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const proxy = await SquidProxy.start({ realm, helpers: 10 });
 * ```
 */
export interface SquidProxyOptions {
  /** The realm whose `HTTP/<hostname>` key the proxy accepts. */
  realm: SquidRealm;
  /** The proxy's service principal (`-s` of the helper); default `realm.service.principal`. */
  servicePrincipal?: string;
  /** Its keytab; default `realm.service.keytab`. Copied at start: later changes are not seen. */
  keytab?: string;
  /** Most negotiate_kerberos_auth helper processes (each checks one token at a time); default 5. */
  helpers?: number;
  /** Full helper debug (`-d`) and squid's auth debug sections into cache.log; default false. */
  debug?: boolean;
  /**
   * squid.conf lines inserted before the proxy's own `http_access` rules (squid applies the
   * first matching rule), e.g. an `acl` plus `http_access allow` for unauthenticated paths.
   */
  extraConfig?: string;
  /** Bound on start-up, readiness included; default 15 000 ms. */
  startTimeoutMs?: number;
}

/**
 * One request as squid's access log recorded it (never a token).
 *
 * @example
 * ```ts
 * const [denied, allowed] = await proxy.accessLog({ minEntries: 2 });
 * assert.equal(denied.status, 407);
 * assert.equal(allowed.user, realm.user.principal);
 * ```
 */
export interface SquidAccessLogEntry {
  /** When the request was logged, ms since the epoch. */
  readonly timeMs: number;
  /** The client's port: identifies the client connection. */
  readonly remotePort: number;
  readonly method: string;
  /** The URL asked for, e.g. `'http://localhost:8080/public/'` (`host:port` for CONNECT). */
  readonly url: string;
  /** Status sent to the client. */
  readonly status: number;
  /** The authenticated user, or `null`. */
  readonly user: string | null;
  /** squid's result code: `'TCP_DENIED'` (407), `'TCP_MISS'` (forwarded), ... */
  readonly result: string;
  /** Bytes sent to the client, headers included. */
  readonly bytes: number;
  /** Time squid took, ms. */
  readonly durationMs: number;
}

const KNOWN_OPTIONS = new Set([
  'realm',
  'servicePrincipal',
  'keytab',
  'helpers',
  'debug',
  'extraConfig',
  'startTimeoutMs',
]);

const SQUID_BINARIES = ['/usr/sbin/squid'];
const HELPERS = ['/usr/lib/squid/negotiate_kerberos_auth', '/usr/lib64/squid/negotiate_kerberos_auth'];
const INSTALL_HINT = 'Debian/Ubuntu: apt-get install squid; Fedora/RHEL: dnf install squid';

// Space-separated: none of these fields can contain a space.
const LOG_FORMAT = '%ts.%03tu %>p %rm %ru %>Hs %un %Ss %<st %tr';

function parseAccessLine(line: string): SquidAccessLogEntry {
  const [time, port, method = '', url = '', status, user, result = '', bytes, duration] = line.split(' ');
  return {
    timeMs: Math.round(Number(time) * 1000),
    remotePort: Number(port),
    method,
    url,
    status: Number(status),
    user: user === undefined || user === '-' ? null : user,
    result: result.split('/')[0] ?? result,
    bytes: Number(bytes),
    durationMs: Number(duration),
  };
}

interface ResolvedOptions {
  readonly realm: SquidRealm;
  readonly servicePrincipal: string;
  readonly keytab: string;
  readonly helpers: number;
  readonly debug: boolean;
  readonly extraConfig: string;
  readonly startTimeoutMs: number;
}

function resolveOptions(options: SquidProxyOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  const { realm } = options;
  if (
    typeof realm !== 'object' ||
    realm === null ||
    typeof realm.krb5Config !== 'string' ||
    typeof realm.service?.keytab !== 'string' ||
    typeof realm.service.principal !== 'string'
  ) {
    throw new TypeError('realm must be a TestRealm (name, hostname, krb5Config, service)');
  }
  if (typeof realm.hostname !== 'string' || !/^[a-z0-9.-]+$/.test(realm.hostname)) {
    throw new TypeError('realm.hostname must be a host name');
  }
  const servicePrincipal = options.servicePrincipal ?? realm.service.principal;
  if (typeof servicePrincipal !== 'string' || !/^[\w./-]+@[\w.-]+$/.test(servicePrincipal)) {
    throw new TypeError(`servicePrincipal must be like 'HTTP/host@REALM', got ${String(servicePrincipal)}`);
  }
  const keytab = options.keytab ?? realm.service.keytab;
  if (typeof keytab !== 'string' || !/^\/\S*$/.test(keytab)) {
    throw new TypeError('keytab must be an absolute path without spaces');
  }
  const helpers = options.helpers ?? 5;
  if (!Number.isInteger(helpers) || helpers < 1 || helpers > 100) {
    throw new TypeError(`helpers must be an integer from 1 to 100, got ${String(helpers)}`);
  }
  const debug = options.debug ?? false;
  if (typeof debug !== 'boolean') throw new TypeError('debug must be a boolean');
  const extraConfig = options.extraConfig ?? '';
  if (typeof extraConfig !== 'string') throw new TypeError('extraConfig must be a string');
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  if (typeof startTimeoutMs !== 'number' || !(startTimeoutMs > 0)) {
    throw new TypeError(`startTimeoutMs must be a number > 0, got ${String(startTimeoutMs)}`);
  }
  return { realm, servicePrincipal, keytab, helpers, debug, extraConfig, startTimeoutMs };
}

async function firstExecutable(paths: readonly string[]): Promise<string | undefined> {
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

async function locateSquid(): Promise<{ squid: string; helper: string }> {
  const squid = await firstExecutable(SQUID_BINARIES);
  const helper = await firstExecutable(HELPERS);
  if (!squid || !helper) {
    throw new Error(
      `SquidProxy needs squid and its negotiate_kerberos_auth helper (looked for ` +
        `${[...SQUID_BINARIES, ...HELPERS].join(', ')}). ${INSTALL_HINT}`,
    );
  }
  return { squid, helper };
}

/** Files of one proxy, all inside its temp directory. */
interface SquidPaths {
  readonly dir: string;
  readonly conf: string;
  readonly accessLog: string;
  readonly cacheLog: string;
  readonly output: string;
  readonly pid: string;
  readonly keytab: string;
  readonly krb5Config: string;
  readonly rcache: string;
}

function squidPaths(dir: string): SquidPaths {
  return {
    dir,
    conf: join(dir, 'squid.conf'),
    accessLog: join(dir, 'access.log'),
    cacheLog: join(dir, 'cache.log'),
    output: join(dir, 'stdout-stderr.log'),
    pid: join(dir, 'squid.pid'),
    keytab: join(dir, 'service.keytab'),
    krb5Config: join(dir, 'krb5.conf'),
    rcache: join(dir, 'rcache'),
  };
}

interface ConfigParams {
  readonly options: ResolvedOptions;
  readonly paths: SquidPaths;
  readonly helper: string;
  readonly listen: LoopbackPort;
  readonly account: ServiceAccount | null;
}

/** squid.conf: a non-caching forward proxy whose only way in is Negotiate. */
function squidConf({ options, paths, helper, listen, account }: ConfigParams): string {
  const helperArgs = [
    `-s ${options.servicePrincipal}`,
    `-k ${paths.keytab}`,
    // The helper's own replay cache, in the proxy's directory.
    `-c ${paths.rcache}`,
    ...(options.debug ? ['-d'] : []),
  ].join(' ');
  return [
    '# Written by test/helpers/squid.ts; removed by SquidProxy.stop().',
    ...listen.hosts.map((host) => `http_port ${listenAddress(host, listen.port)}`),
    // Without it squid asks the resolver for the machine's FQDN at start.
    `visible_hostname ${options.realm.hostname}`,
    `pid_filename ${paths.pid}`,
    `cache_log ${paths.cacheLog}`,
    `logformat httpgssapi ${LOG_FORMAT}`,
    `access_log stdio:${paths.accessLog} logformat=httpgssapi`,
    'cache_store_log none',
    `coredump_dir ${paths.dir}`,
    // A proxy for authentication tests, not a cache: every request goes to the origin.
    'cache deny all',
    'cache_mem 0 MB',
    // Names resolve from /etc/hosts (localhost); nothing is ever asked of the machine's DNS
    // servers, which a test must never reach. Other names fail to resolve.
    'hosts_file /etc/hosts',
    'dns_nameservers 127.0.0.1',
    'pinger_enable off',
    'netdb_filename none',
    // squid otherwise waits 30 s for open connections when it is stopped.
    'shutdown_lifetime 0 seconds',
    // squid refuses to run as root: when started as root it switches to this account, which owns
    // the directory (keytab copy, replay cache, logs) and so can run the helpers.
    ...(account ? [`cache_effective_user ${account.name}`] : []),
    ...(options.debug ? ['debug_options ALL,1 29,9'] : []),
    `auth_param negotiate program ${helper} ${helperArgs}`,
    `auth_param negotiate children ${options.helpers} startup=1 idle=1`,
    'auth_param negotiate keep_alive on',
    'acl authenticated proxy_auth REQUIRED',
    options.extraConfig,
    'http_access allow authenticated',
    'http_access deny all',
    '',
  ].join('\n');
}

function squidEnv(paths: SquidPaths): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    // squid hands its environment to the helpers; negotiate_kerberos_auth reads these.
    KRB5_CONFIG: paths.krb5Config,
    KRB5_KTNAME: `FILE:${paths.keytab}`,
    KRB5RCACHEDIR: paths.rcache,
    KRB5CCNAME: `FILE:${join(paths.dir, 'proxy.ccache')}`,
  };
}

/**
 * Sends a request for an absolute URL without credentials through the proxy: a ready squid
 * answers 407 at once (it never contacts the origin for an unauthenticated request).
 */
function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: 'http://localhost:1/',
        headers: { host: 'localhost:1' },
        agent: false,
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', () => resolve(0));
      },
    );
    req.setTimeout(2000, () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

const STARTED = Symbol('SquidProxy.start');

/**
 * A real squid (`squid -N`, foreground, no cache) as a forward proxy on a free loopback port,
 * admitting only clients that authenticate with Negotiate (`auth_param negotiate` with
 * `negotiate_kerberos_auth`, checking tokens for the realm's `HTTP/<hostname>` key). Everything
 * else gets `407 Proxy Authentication Required` with `Proxy-Authenticate: Negotiate`.
 *
 * The proxy resolves names from /etc/hosts only (so `localhost` and IP literals work, and the
 * machine's DNS servers are never queried). As root (CI) it switches to the `proxy` account, which
 * owns its directory, including copies of the realm's krb5.conf and service keytab.
 *
 * @example
 * ```ts
 * await using proxy = await SquidProxy.start({ realm });
 * // curl --proxy-negotiate -U : -x proxy.url http://localhost:<port>/public/
 * ```
 */
export class SquidProxy implements AsyncDisposable {
  /** `http://<hostname>:<port>`, e.g. `'http://localhost:41235'`. */
  readonly url: string;
  readonly port: number;
  /** The loopback addresses it listens on. */
  readonly hosts: readonly string[];
  /** The proxy's temp directory (squid.conf, logs, keytab copy); removed by stop(). */
  readonly dir: string;
  readonly accessLogPath: string;
  /** squid's own log (`cache_log`): start-up, helper and authentication messages. */
  readonly cacheLogPath: string;
  /** How long start() took, ms (config, spawn, and the first 407). */
  readonly startMs: number;
  readonly #process: ServiceProcess;
  readonly #log: AccessLogReader<SquidAccessLogEntry>;

  /** Use {@link SquidProxy.start}. */
  private constructor(
    token: typeof STARTED,
    child: ServiceProcess,
    paths: SquidPaths,
    listen: LoopbackPort,
    hostname: string,
    startMs: number,
  ) {
    if (token !== STARTED) throw new TypeError('use SquidProxy.start()');
    this.#process = child;
    this.port = listen.port;
    this.hosts = listen.hosts;
    this.url = `http://${hostname}:${listen.port}`;
    this.dir = paths.dir;
    this.accessLogPath = paths.accessLog;
    this.cacheLogPath = paths.cacheLog;
    this.startMs = startMs;
    this.#log = new AccessLogReader(paths.accessLog, parseAccessLine);
  }

  /**
   * Writes squid.conf, starts squid and waits (bounded by `startTimeoutMs`) until an
   * unauthenticated request gets its 407. Retries with another port if the chosen one was taken.
   *
   * @throws Error when squid or the helper is not installed (with the package to install), or when
   *   squid exits or is not ready in time (with the tail of its cache.log).
   *
   * @example
   * ```ts
   * const proxy = await SquidProxy.start({ realm });
   * try {
   *   // ...
   * } finally {
   *   await proxy.stop();
   * }
   * ```
   */
  static async start(options: SquidProxyOptions): Promise<SquidProxy> {
    const resolved = resolveOptions(options);
    const started = performance.now();
    const { squid, helper } = await locateSquid();
    const account = isRoot() ? serviceAccount(['proxy', 'squid', 'nobody']) : null;
    if (/\s/.test(tmpdir())) {
      throw new Error(`SquidProxy needs a temp directory path without spaces, got ${tmpdir()}`);
    }
    for (let attempt = 1; ; attempt++) {
      const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-squid-'));
      const paths = squidPaths(dir);
      const listen = await freeLoopbackPort();
      let child: ServiceProcess | undefined;
      try {
        await mkdir(paths.rcache);
        await copyFile(resolved.realm.krb5Config, paths.krb5Config);
        await copyFile(resolved.keytab, paths.keytab);
        await writeFile(paths.conf, squidConf({ options: resolved, paths, helper, listen, account }));
        if (account) await chownTree(dir, account);
        child = ServiceProcess.spawn({
          name: 'squid',
          command: squid,
          // -N: no daemon, no kid processes; this process sees squid itself exit.
          args: ['-N', '-f', paths.conf],
          env: squidEnv(paths),
          cwd: dir,
          outputPath: paths.output,
          dir,
        });
        await child.waitUntilReady(
          async () => (await probe(listen.port)) === 407,
          Math.max(1, resolved.startTimeoutMs - (performance.now() - started)),
          () => diagnostics(paths),
        );
        const proxy = new SquidProxy(
          STARTED,
          child,
          paths,
          listen,
          resolved.realm.hostname,
          Math.round(performance.now() - started),
        );
        await proxy.#log.mark();
        return proxy;
      } catch (error) {
        const text = await diagnostics(paths);
        if (child) await child.stop('SIGKILL', 0);
        else await rm(dir, { recursive: true, force: true });
        if (attempt < 3 && /Address already in use/.test(text)) continue;
        throw error;
      }
    }
  }

  /** Process id of squid. */
  get pid(): number {
    return this.#process.pid;
  }

  /**
   * The requests logged since start (readiness probes excluded) or since the last
   * {@link SquidProxy.clearAccessLog}, oldest first. Waits until the log has stopped growing,
   * and with `minEntries` until that many are there (bounded by `timeoutMs`, default 5 s).
   *
   * @example
   * ```ts
   * const entries = await proxy.accessLog({ minEntries: 1 });
   * assert.equal(entries[0]?.status, 407);
   * ```
   */
  accessLog(options?: AccessLogReadOptions): Promise<SquidAccessLogEntry[]> {
    return this.#log.read(options);
  }

  /**
   * How many requests {@link SquidProxy.accessLog} holds.
   *
   * @example
   * ```ts
   * assert.equal(await proxy.requestCount(), 1);
   * ```
   */
  async requestCount(options?: AccessLogReadOptions): Promise<number> {
    return (await this.#log.read(options)).length;
  }

  /**
   * Makes later {@link SquidProxy.accessLog} calls start from here.
   *
   * @example
   * ```ts
   * beforeEach(() => proxy.clearAccessLog());
   * ```
   */
  async clearAccessLog(): Promise<void> {
    await this.#log.read();
    await this.#log.mark();
  }

  /**
   * The last lines of squid's cache.log (helper errors such as a wrong keytab show up here).
   *
   * @example
   * ```ts
   * console.log(await proxy.cacheLogTail());
   * ```
   */
  cacheLogTail(lines = 30): Promise<string> {
    return fileTail(this.cacheLogPath, lines);
  }

  /**
   * Stops squid (SIGTERM; SIGKILL to squid and its helpers after 5 s) and removes the
   * directory. Idempotent.
   *
   * @example
   * ```ts
   * after(() => proxy.stop());
   * ```
   */
  stop(): Promise<void> {
    return this.#process.stop('SIGTERM', 5000);
  }

  /** Same as {@link SquidProxy.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

async function diagnostics(paths: SquidPaths): Promise<string> {
  const parts: string[] = [];
  for (const file of [paths.output, paths.cacheLog]) {
    const text = await fileTail(file, 15);
    if (text) parts.push(`--- ${file}\n${text}`);
  }
  return parts.join('\n');
}
