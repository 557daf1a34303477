/**
 * {@link SquidProxy}: a real squid forward proxy that demands Negotiate proxy authentication
 * (`407` + `Proxy-Authenticate: Negotiate`, RFC 4559 section 4 applied to RFC 9110's proxy
 * authentication), started per test against a `TestRealm`.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoopbackPort, listenAddress } from './loopback-port.js';
import * as service from './loopback-service.js';
import type { ServiceAccount } from './service-account.js';

/**
 * Options of {@link SquidProxy.start}, beyond those of every service (`realm`, `keytab`,
 * `startTimeoutMs`). Every value is checked before anything starts; a bad one (or a misspelt
 * name) throws a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const proxy = await SquidProxy.start({ realm, helpers: 10 });
 * ```
 */
export interface SquidProxyOptions extends service.ServiceOptions {
  /** The proxy's service principal (`-s` of the helper); default `realm.service.principal`. */
  servicePrincipal?: string;
  /** Most negotiate_kerberos_auth helper processes (each checks one token at a time); default 5. */
  helpers?: number;
  /** Full helper debug (`-d`) and squid's auth debug sections into cache.log; default false. */
  debug?: boolean;
  /**
   * squid.conf lines inserted before the proxy's own `http_access` rules (squid applies the
   * first matching rule), e.g. an `acl` plus `http_access allow` for unauthenticated paths.
   */
  extraConfig?: string;
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

const OWN_OPTIONS = ['servicePrincipal', 'helpers', 'debug', 'extraConfig'];

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

type ResolvedOptions = Required<SquidProxyOptions>;

/** squid's own options, checked, next to `common`: those every service takes, checked. */
function resolveOptions(
  options: SquidProxyOptions,
  common: Required<service.ServiceOptions>,
): ResolvedOptions {
  const servicePrincipal = options.servicePrincipal ?? common.realm.service.principal;
  if (typeof servicePrincipal !== 'string' || !/^[\w./-]+@[\w.-]+$/.test(servicePrincipal)) {
    throw new TypeError(`servicePrincipal must be like 'HTTP/host@REALM', got ${String(servicePrincipal)}`);
  }
  const helpers = options.helpers ?? 5;
  if (!Number.isInteger(helpers) || helpers < 1 || helpers > 100) {
    throw new TypeError(`helpers must be an integer from 1 to 100, got ${String(helpers)}`);
  }
  const debug = options.debug ?? false;
  if (typeof debug !== 'boolean') throw new TypeError('debug must be a boolean');
  const extraConfig = options.extraConfig ?? '';
  if (typeof extraConfig !== 'string') throw new TypeError('extraConfig must be a string');
  return { ...common, servicePrincipal, helpers, debug, extraConfig };
}

/** Files of one proxy, all inside its temp directory. */
interface SquidFiles extends service.ServiceFiles {
  readonly conf: string;
  readonly cacheLog: string;
  readonly pid: string;
}

function squidFiles(dir: string): SquidFiles {
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
  readonly paths: SquidFiles;
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
 * The lifecycle (port, readiness, access log, stop) is {@link service.LoopbackService}'s.
 *
 * @example
 * ```ts
 * await using proxy = await SquidProxy.start({ realm });
 * // curl --proxy-negotiate -U : -x proxy.url http://localhost:<port>/public/
 * ```
 */
export class SquidProxy extends service.LoopbackService<SquidAccessLogEntry> {
  /** squid's own log (`cache_log`): start-up, helper and authentication messages. */
  readonly cacheLogPath: string;

  /** Use {@link SquidProxy.start}. */
  private constructor(launched: service.LaunchedService<SquidFiles, SquidAccessLogEntry>, hostname: string) {
    // `http://<hostname>:<port>`, e.g. `'http://localhost:41235'`: a proxy URL has no path.
    super(launched, `http://${hostname}:${launched.listen.port}`);
    this.cacheLogPath = launched.files.cacheLog;
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
    const resolved = resolveOptions(options, SquidProxy.checkOptions(options, OWN_OPTIONS));
    const squid = await SquidProxy.firstExecutable(SQUID_BINARIES);
    const helper = await SquidProxy.firstExecutable(HELPERS);
    if (!squid || !helper) {
      throw new Error(
        `SquidProxy needs squid and its negotiate_kerberos_auth helper (looked for ` +
          `${[...SQUID_BINARIES, ...HELPERS].join(', ')}). ${INSTALL_HINT}`,
      );
    }
    const launched = await SquidProxy.launch({
      name: 'squid',
      command: squid,
      options: resolved,
      accounts: ['proxy', 'squid', 'nobody'],
      files: squidFiles,
      async configure(paths, listen, account) {
        await writeFile(paths.conf, squidConf({ options: resolved, paths, helper, listen, account }));
        // -N: no daemon, no kid processes; this process sees squid itself exit.
        return ['-N', '-f', paths.conf];
      },
      // An absolute URL without credentials: a ready squid answers 407 at once (it never contacts
      // the origin for an unauthenticated request).
      ready: () => ({ path: 'http://localhost:1/', host: 'localhost:1', status: 407 }),
      logs: (paths) => [paths.output, paths.cacheLog],
      parseAccessLine,
    });
    return new SquidProxy(launched, resolved.realm.hostname);
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
    return this.logTail(this.cacheLogPath, lines);
  }
}
