/**
 * {@link ApacheServer}: a real Apache httpd with mod_auth_gssapi, the Negotiate server most
 * deployments run, started per test against a {@link TestRealm}.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
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

/** What the server needs of a realm: a hand-made stand-in for a {@link TestRealm} works too. */
export type ApacheRealm = Pick<TestRealm, 'name' | 'hostname' | 'krb5Config' | 'service'>;

/**
 * Options of {@link ApacheServer.start}. Every value is checked before anything starts; a bad
 * one (or a misspelt name) throws a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const server = await ApacheServer.start({ realm, connectionBound: true, gssapiConfig: 'GssapiNegotiateOnce On' });
 * ```
 */
export interface ApacheServerOptions {
  /** The realm whose `HTTP/<hostname>` key the server accepts. */
  realm: ApacheRealm;
  /** `GssapiConnectionBound On` on every Negotiate location (`/bound/` always has it); default false. */
  connectionBound?: boolean;
  /**
   * `GssapiUseSessions On` with a mod_session cookie (`gssapi_session`, path `/`), so one
   * handshake authenticates later requests that carry the cookie; default false.
   */
  sessionCookie?: boolean;
  /** Directives added inside every Negotiate location, e.g. `'GssapiNegotiateOnce On'`. */
  gssapiConfig?: string;
  /** Directives appended to httpd.conf at server level (`LoadModule` lines, more `<Location>`s). */
  extraConfig?: string;
  /** Apache `LogLevel`; default `'warn auth_gssapi:info'` (GSS errors and "no auth data" lines). */
  logLevel?: string;
  /** Write MIT's KRB5_TRACE of the server to `<dir>/logs/krb5-trace.log`; default false. */
  krb5Trace?: boolean;
  /** Service keytab; default `realm.service.keytab`. Copied at start: later changes are not seen. */
  keytab?: string;
  /** Bound on start-up, readiness included; default 15 000 ms. */
  startTimeoutMs?: number;
}

/**
 * One request as the access log recorded it. The log never holds a token: only whether an
 * `Authorization` header was there, and its scheme.
 *
 * Two entries with the same `remotePort` and consecutive `keepAliveRequests` (0, 1, ...) came
 * over one TCP connection: that is how a test sees that the 401 and the authenticated retry of
 * a Negotiate handshake shared a connection, or that a connection-bound context was reused.
 *
 * @example
 * ```ts
 * const [challenge, retry] = await server.accessLog({ minEntries: 2 });
 * assert.equal(retry.remotePort, challenge.remotePort);
 * ```
 */
export interface ApacheAccessLogEntry {
  /** When the request started, ms since the epoch. */
  readonly timeMs: number;
  /** The client's port: identifies the connection. */
  readonly remotePort: number;
  /** Requests that came before this one on the same connection (Apache's `%k`). */
  readonly keepAliveRequests: number;
  readonly method: string;
  /** The request target as sent, e.g. `'/private/?x=1'`. */
  readonly target: string;
  readonly protocol: string;
  readonly status: number;
  /** Scheme of the request's `Authorization` header, or `null` when it had none. */
  readonly authorization: 'negotiate' | 'basic' | 'other' | null;
  /** The authenticated user (`REMOTE_USER`), or `null`. */
  readonly user: string | null;
  /** Response body bytes. */
  readonly bytes: number;
  /** Time taken to serve the request, microseconds. */
  readonly durationUs: number;
  /** The Apache child process that served it. */
  readonly pid: number;
}

const KNOWN_OPTIONS = new Set([
  'realm',
  'connectionBound',
  'sessionCookie',
  'gssapiConfig',
  'extraConfig',
  'logLevel',
  'krb5Trace',
  'keytab',
  'startTimeoutMs',
]);

/** Where Debian, then Fedora/RHEL, put the binary and the modules. */
const HTTPD_BINARIES = ['/usr/sbin/apache2', '/usr/sbin/httpd'];
const MODULE_DIRS = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules'];
const INSTALL_HINT =
  'Debian/Ubuntu: apt-get install apache2 libapache2-mod-auth-gssapi; Fedora/RHEL: dnf install httpd mod_auth_gssapi mod_session';

/** Modules every server loads (log_config and unixd are built into Debian's binary; see config). */
const MODULES = [
  'mpm_event',
  'unixd',
  'log_config',
  'authn_core',
  'authz_core',
  'authz_user',
  'auth_gssapi',
  'alias',
  'headers',
  'setenvif',
  'lua',
  'reflector',
] as const;
const SESSION_MODULES = ['session', 'session_cookie'] as const;

/**
 * The handler behind /public/, /private/, /delegate/ and /bound/: describes the request as JSON.
 * mod_lua runs in-process (no fork per request, unlike CGI), so benchmarks measure
 * mod_auth_gssapi rather than process start-up.
 */
const ECHO_LUA = `-- Written by test/helpers/apache.ts: describes the request it answers, as JSON.
local function json(value)
  if value == nil then return "null" end
  local escaped = string.gsub(value, '[%c"\\\\]', function(c)
    return string.format("\\\\u%04x", string.byte(c))
  end)
  return '"' .. escaped .. '"'
end

function handle(r)
  if r.user then r.headers_out["X-Remote-User"] = r.user end
  r.content_type = "application/json"
  r:puts("{" .. table.concat({
    '"user":' .. json(r.user),
    '"method":' .. json(r.method),
    '"uri":' .. json(r.unparsed_uri),
    '"delegatedCcache":' .. json(r.subprocess_env["KRB5CCNAME"]),
  }, ",") .. "}\\n")
  return apache2.OK
end

-- Redirects answered by the handler, i.e. after authentication. (mod_alias's Redirect inside a
-- <Location> is applied when the URL is translated, before authentication: measured with 2.4.71.)
local function redirect(r, status, path)
  r.headers_out["Location"] = "http://" .. (r.headers_in["Host"] or r.server_name) .. path
  return status
end

function redirect_private(r)
  return redirect(r, 302, "/private/")
end

function redirect_post(r)
  return redirect(r, 307, "/post/")
end
`;

// Tab-separated; Apache escapes tabs, quotes and control characters inside %r and %u, so a field
// never contains the separator. %{AUTHZ}e is set by SetEnvIf from the Authorization header's
// scheme: the header itself (a Kerberos token) is never logged.
const LOG_FORMAT = '%{msec}t\\t%{remote}p\\t%k\\t%r\\t%>s\\t%{AUTHZ}e\\t%u\\t%B\\t%D\\t%P';

function parseAccessLine(line: string): ApacheAccessLogEntry {
  const [time, port, keepAlive, requestLine, status, authz, user, bytes, duration, pid] = line.split('\t');
  const [method = '', target = '', protocol = ''] = (requestLine ?? '').split(' ');
  const dash = (value: string | undefined) => (value === undefined || value === '-' ? null : value);
  return {
    timeMs: Number(time),
    remotePort: Number(port),
    keepAliveRequests: Number(keepAlive),
    method,
    target,
    protocol,
    status: Number(status),
    authorization: dash(authz) as ApacheAccessLogEntry['authorization'],
    user: dash(user),
    bytes: bytes === '-' ? 0 : Number(bytes),
    durationUs: Number(duration),
    pid: Number(pid),
  };
}

interface ResolvedOptions {
  readonly realm: ApacheRealm;
  readonly connectionBound: boolean;
  readonly sessionCookie: boolean;
  readonly gssapiConfig: string;
  readonly extraConfig: string;
  readonly logLevel: string;
  readonly krb5Trace: boolean;
  readonly keytab: string;
  readonly startTimeoutMs: number;
}

function checkString(name: string, value: unknown, pattern?: RegExp): string {
  if (typeof value !== 'string' || (pattern && !pattern.test(value))) {
    throw new TypeError(`${name} must be ${pattern ? `a string matching ${pattern}` : 'a string'}`);
  }
  return value;
}

function resolveOptions(options: ApacheServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  const { realm } = options;
  if (
    typeof realm !== 'object' ||
    realm === null ||
    typeof realm.name !== 'string' ||
    typeof realm.krb5Config !== 'string' ||
    typeof realm.service?.keytab !== 'string'
  ) {
    throw new TypeError('realm must be a TestRealm (name, hostname, krb5Config, service.keytab)');
  }
  checkString('realm.hostname', realm.hostname, /^[a-z0-9.-]+$/);
  const flag = (name: 'connectionBound' | 'sessionCookie' | 'krb5Trace') => {
    const value = options[name] ?? false;
    if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
    return value;
  };
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  if (typeof startTimeoutMs !== 'number' || !(startTimeoutMs > 0)) {
    throw new TypeError(`startTimeoutMs must be a number > 0, got ${String(startTimeoutMs)}`);
  }
  return {
    realm,
    connectionBound: flag('connectionBound'),
    sessionCookie: flag('sessionCookie'),
    krb5Trace: flag('krb5Trace'),
    gssapiConfig: checkString('gssapiConfig', options.gssapiConfig ?? ''),
    extraConfig: checkString('extraConfig', options.extraConfig ?? ''),
    logLevel: checkString('logLevel', options.logLevel ?? 'warn auth_gssapi:info', /^[\w: .-]+$/),
    keytab: checkString('keytab', options.keytab ?? realm.service.keytab, /^\/[^"\n]*$/),
    startTimeoutMs,
  };
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
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

async function locateApache(): Promise<{ httpd: string; modules: string }> {
  const httpd = await firstExisting(HTTPD_BINARIES);
  let modules: string | undefined;
  for (const dir of MODULE_DIRS) {
    try {
      await access(join(dir, 'mod_auth_gssapi.so'));
      modules = dir;
      break;
    } catch {
      // Next.
    }
  }
  if (!httpd || !modules) {
    throw new Error(
      `ApacheServer needs Apache httpd and mod_auth_gssapi (looked for ${HTTPD_BINARIES.join(', ')} and ` +
        `mod_auth_gssapi.so in ${MODULE_DIRS.join(', ')}). ${INSTALL_HINT}`,
    );
  }
  return { httpd, modules };
}

/** Files of one server, all inside its temp directory. */
interface ApachePaths {
  readonly dir: string;
  readonly conf: string;
  readonly htdocs: string;
  readonly run: string;
  readonly logs: string;
  readonly accessLog: string;
  readonly errorLog: string;
  readonly output: string;
  readonly keytab: string;
  readonly krb5Config: string;
  readonly rcache: string;
  readonly deleg: string;
  readonly echoLua: string;
}

function apachePaths(dir: string): ApachePaths {
  const logs = join(dir, 'logs');
  return {
    dir,
    conf: join(dir, 'httpd.conf'),
    htdocs: join(dir, 'htdocs'),
    run: join(dir, 'run'),
    logs,
    accessLog: join(logs, 'access.log'),
    errorLog: join(logs, 'error.log'),
    output: join(logs, 'stdout-stderr.log'),
    keytab: join(dir, 'service.keytab'),
    krb5Config: join(dir, 'krb5.conf'),
    rcache: join(dir, 'rcache'),
    deleg: join(dir, 'delegated'),
    echoLua: join(dir, 'echo.lua'),
  };
}

interface ConfigParams {
  readonly options: ResolvedOptions;
  readonly paths: ApachePaths;
  readonly modules: string;
  readonly listen: LoopbackPort;
  readonly account: ServiceAccount | null;
  readonly sessionKey: string;
}

/** httpd.conf: only what the tests need, every path inside the server's directory. */
function httpdConf({ options, paths, modules, listen, account, sessionKey }: ConfigParams): string {
  const loaded = options.sessionCookie ? [...MODULES, ...SESSION_MODULES] : MODULES;
  // Locations that require Negotiate. Every one gets the keytab and the mechanism; mod_auth_gssapi
  // directives are per directory, so they are repeated rather than inherited.
  const negotiate = (path: string, body: string[], extra: string[] = []) => {
    const lines = [
      'AuthType GSSAPI',
      `AuthName "${options.realm.name}"`,
      `GssapiCredStore keytab:${paths.keytab}`,
      'GssapiAllowedMech krb5',
      ...(options.connectionBound ? ['GssapiConnectionBound On'] : []),
      ...(options.sessionCookie
        ? [
            'GssapiUseSessions On',
            // One key for every location and child process, so a cookie from one works on all.
            `GssapiSessionKey key:${sessionKey}`,
            'Session On',
            'SessionCookieName gssapi_session path=/;httponly',
          ]
        : []),
      ...extra,
      ...options.gssapiConfig.split('\n').filter((line) => line.trim() !== ''),
      'Require valid-user',
      ...body,
    ];
    return [`<Location "${path}">`, ...lines.map((line) => `  ${line}`), '</Location>'];
  };
  const lines = [
    '# Written by test/helpers/apache.ts; removed by ApacheServer.stop().',
    `ServerRoot "${paths.dir}"`,
    `ServerName ${options.realm.hostname}`,
    ...listen.hosts.map((host) => `Listen ${listenAddress(host, listen.port)}`),
    `PidFile "${join(paths.run, 'httpd.pid')}"`,
    `DefaultRuntimeDir "${paths.run}"`,
    // Built-in modules (log_config, unixd on Debian) cannot be loaded again: load only if absent.
    ...loaded.map(
      (name) =>
        `<IfModule !${name}_module>\n  LoadModule ${name}_module "${join(modules, `mod_${name}.so`)}"\n</IfModule>`,
    ),
    // Apache refuses to serve as root: when the tests run as root the parent opens the port and
    // the logs, then the children switch to this account (which owns the whole directory).
    ...(account ? [`User #${account.uid}`, `Group #${account.gid}`] : []),
    `ErrorLog "${paths.errorLog}"`,
    `LogLevel ${options.logLevel}`,
    // Record whether an Authorization header came, and its scheme, never its value (a token).
    'SetEnvIf Authorization . AUTHZ=other',
    'SetEnvIfNoCase Authorization "^Negotiate " AUTHZ=negotiate',
    'SetEnvIfNoCase Authorization "^Basic " AUTHZ=basic',
    `LogFormat "${LOG_FORMAT}" httpgssapi`,
    `CustomLog "${paths.accessLog}" httpgssapi`,
    'KeepAlive On',
    'MaxKeepAliveRequests 0',
    'KeepAliveTimeout 15',
    'Timeout 30',
    // One child process at first (fast start-up); grows under a benchmark's load.
    'StartServers 1',
    'ServerLimit 4',
    'ThreadLimit 32',
    'ThreadsPerChild 32',
    'MinSpareThreads 32',
    'MaxSpareThreads 128',
    'MaxRequestWorkers 128',
    `DocumentRoot "${paths.htdocs}"`,
    'TraceEnable Off',
    // One Lua state per worker thread, reused across requests.
    'LuaScope thread',
    `LuaMapHandler "^/(public|private|delegate|bound)/" "${paths.echoLua}" handle`,
    `LuaMapHandler "^/auth-redirect/" "${paths.echoLua}" redirect_private`,
    `LuaMapHandler "^/auth-redirect-307/" "${paths.echoLua}" redirect_post`,
    '',
    '# /public/: no authentication; the JSON echo (user null).',
    // /public/ needs no block: the Lua map above serves it and nothing requires auth there.
    '',
    '# /private/: Negotiate required; JSON echo with the user, X-Remote-User header.',
    ...negotiate('/private/', []),
    '# /post/: Negotiate required; POST only, the response body is the request body (mod_reflector,',
    '# which reads chunked bodies too). X-Request-Content-Length / -Transfer-Encoding tell how it came.',
    ...negotiate('/post/', [
      'SetHandler reflector',
      'ReflectorHeader Content-Type',
      'Header set X-Remote-User "expr=%{REMOTE_USER}" "expr=-n %{REMOTE_USER}"',
      'Header set X-Request-Content-Length "expr=%{HTTP:Content-Length}" "expr=-n %{HTTP:Content-Length}"',
      'Header set X-Request-Transfer-Encoding "expr=%{HTTP:Transfer-Encoding}" "expr=-n %{HTTP:Transfer-Encoding}"',
    ]),
    '# /delegate/: Negotiate required; delegated credentials are stored in the delegated/ directory,',
    '# in a ccache named after the client principal, and the echo shows its KRB5CCNAME.',
    // Unquoted: mod_auth_gssapi keeps quotes as part of the path (start() refuses a path with spaces).
    ...negotiate('/delegate/', [], [`GssapiDelegCcacheDir ${paths.deleg}`]),
    '# /bound/: Negotiate required, context bound to the TCP connection (later requests on it pass).',
    ...negotiate('/bound/', [], options.connectionBound ? [] : ['GssapiConnectionBound On']),
    '# Redirects: /auth-redirect/ authenticates first (Lua handler), /open-redirect/ does not (mod_alias).',
    ...negotiate('/auth-redirect/', []),
    ...negotiate('/auth-redirect-307/', []),
    '<Location "/open-redirect/">',
    '  Redirect 302 "/private/"',
    '</Location>',
    '<Location "/open-redirect-307/">',
    '  Redirect 307 "/post/"',
    '</Location>',
    '',
    options.extraConfig,
    '',
  ];
  return lines.join('\n');
}

/** The environment of the server: the realm's copies and nothing of the test process's Kerberos state. */
function serverEnv(paths: ApachePaths, krb5Trace: boolean): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    KRB5_CONFIG: paths.krb5Config,
    KRB5_KTNAME: `FILE:${paths.keytab}`,
    KRB5RCACHEDIR: paths.rcache,
    // Never the user's ccache: the server must not pick up the test user's tickets.
    KRB5CCNAME: `FILE:${join(paths.dir, 'server.ccache')}`,
    ...(krb5Trace ? { KRB5_TRACE: join(paths.logs, 'krb5-trace.log') } : {}),
  };
}

/** GET `path` on 127.0.0.1 with `Host: localhost`; resolves with the status, or 0 on a socket error. */
function probe(port: number, path: string, hostname: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `${hostname}:${port}` }, agent: false },
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

const STARTED = Symbol('ApacheServer.start');

/**
 * A real Apache httpd (`/usr/sbin/apache2 -DFOREGROUND`) with mod_auth_gssapi, in its own temp
 * directory, on a free loopback port (127.0.0.1, and ::1 where available), accepting the realm's
 * `HTTP/<hostname>` key. Keep-alive is on and unlimited; `GssapiUseSessions` is off unless
 * `sessionCookie` is set, so every request on a non-bound location needs its own handshake.
 *
 * Locations (all answer on any path below them):
 *
 * | path                  | auth      | answer                                                            |
 * | --------------------- | --------- | ----------------------------------------------------------------- |
 * | `/public/`            | none      | JSON `{ user: null, method, uri, delegatedCcache: null }`         |
 * | `/private/`           | Negotiate | JSON with `user`; `X-Remote-User` header; any method              |
 * | `/post/`              | Negotiate | POST only: the request body echoed back (chunked too); headers `X-Remote-User`, `X-Request-Content-Length`, `X-Request-Transfer-Encoding` |
 * | `/delegate/`          | Negotiate | JSON; delegated creds stored in {@link ApacheServer.delegatedCcacheDir}, `delegatedCcache` is their KRB5CCNAME |
 * | `/bound/`             | Negotiate | JSON; `GssapiConnectionBound On`: later requests on the connection need no token |
 * | `/auth-redirect/`     | Negotiate | 302 to `/private/` after authenticating                           |
 * | `/auth-redirect-307/` | Negotiate | 307 to `/post/` after authenticating                              |
 * | `/open-redirect/`     | none      | 302 to `/private/`                                                |
 * | `/open-redirect-307/` | none      | 307 to `/post/`                                                   |
 *
 * What mod_auth_gssapi 1.6.4 does (measured): a request without a token gets `401` with a bare
 * `WWW-Authenticate: Negotiate`; a good token (SPNEGO, or a raw Kerberos token) gets the response
 * plus `WWW-Authenticate: Negotiate <final token>` (RFC 4559 section 5: mutual authentication
 * works); a replayed token gets `401` with `Negotiate <error token>` and "Request is a replay" in
 * the error log (MIT's replay cache, kept in the server's directory). On a connection that
 * `/bound/` authenticated, other locations still demand a token.
 *
 * As root (CI), Apache starts as root and its children switch to `www-data` (Apache will not serve
 * as root); the realm's krb5.conf and service keytab are copied into the server's directory,
 * which that account owns, because the realm's own directory is private to root.
 *
 * @example
 * ```ts
 * await using server = await ApacheServer.start({ realm });
 * const res = await fetch(`${server.url}private/`); // 401, WWW-Authenticate: Negotiate
 * assert.equal((await server.accessLog({ minEntries: 1 }))[0]?.status, 401);
 * ```
 */
export class ApacheServer implements AsyncDisposable {
  /** `http://<hostname>:<port>/`, e.g. `'http://localhost:41234/'`. */
  readonly url: string;
  readonly port: number;
  /** The loopback addresses it listens on. */
  readonly hosts: readonly string[];
  /** The server's temp directory (httpd.conf, logs, keytab copy); removed by stop(). */
  readonly dir: string;
  readonly accessLogPath: string;
  readonly errorLogPath: string;
  /** Where `/delegate/` stores delegated credentials: one ccache per client principal. */
  readonly delegatedCcacheDir: string;
  /** How long start() took, ms (config, spawn, and the first 200 from /public/). */
  readonly startMs: number;
  readonly #process: ServiceProcess;
  readonly #log: AccessLogReader<ApacheAccessLogEntry>;

  /** Use {@link ApacheServer.start}. */
  private constructor(
    token: typeof STARTED,
    process: ServiceProcess,
    paths: ApachePaths,
    listen: LoopbackPort,
    hostname: string,
    startMs: number,
  ) {
    if (token !== STARTED) throw new TypeError('use ApacheServer.start()');
    this.#process = process;
    this.port = listen.port;
    this.hosts = listen.hosts;
    this.url = `http://${hostname}:${listen.port}/`;
    this.dir = paths.dir;
    this.accessLogPath = paths.accessLog;
    this.errorLogPath = paths.errorLog;
    this.delegatedCcacheDir = paths.deleg;
    this.startMs = startMs;
    this.#log = new AccessLogReader(paths.accessLog, parseAccessLine);
  }

  /**
   * Writes the configuration, starts Apache and waits (bounded by `startTimeoutMs`) until
   * `GET /public/` answers 200. Retries with another port if the chosen one was taken meanwhile.
   *
   * @throws Error when Apache or mod_auth_gssapi is not installed (with the packages to install),
   *   or when Apache exits or is not ready in time (with the tail of its error log).
   *
   * @example
   * ```ts
   * const server = await ApacheServer.start({ realm });
   * try {
   *   // ...
   * } finally {
   *   await server.stop();
   * }
   * ```
   */
  static async start(options: ApacheServerOptions): Promise<ApacheServer> {
    const resolved = resolveOptions(options);
    const started = performance.now();
    const { httpd, modules } = await locateApache();
    const account = isRoot() ? serviceAccount(['www-data', 'apache', 'http', 'nobody']) : null;
    if (/[\s"]/.test(tmpdir())) {
      throw new Error(`ApacheServer needs a temp directory path without spaces or quotes, got ${tmpdir()}`);
    }
    for (let attempt = 1; ; attempt++) {
      const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-apache-'));
      const paths = apachePaths(dir);
      const listen = await freeLoopbackPort();
      let child: ServiceProcess | undefined;
      try {
        for (const sub of [paths.htdocs, paths.run, paths.logs, paths.rcache, paths.deleg]) {
          await mkdir(sub, { recursive: true });
        }
        await copyFile(resolved.realm.krb5Config, paths.krb5Config);
        await copyFile(resolved.keytab, paths.keytab);
        await writeFile(paths.echoLua, ECHO_LUA);
        const sessionKey = randomBytes(32).toString('base64');
        await writeFile(
          paths.conf,
          httpdConf({ options: resolved, paths, modules, listen, account, sessionKey }),
        );
        if (account) await chownTree(dir, account);
        child = ServiceProcess.spawn({
          name: 'apache2',
          command: httpd,
          args: ['-d', dir, '-f', paths.conf, '-DFOREGROUND'],
          env: serverEnv(paths, resolved.krb5Trace),
          cwd: dir,
          outputPath: paths.output,
          dir,
        });
        await child.waitUntilReady(
          async () => (await probe(listen.port, '/public/', resolved.realm.hostname)) === 200,
          Math.max(1, resolved.startTimeoutMs - (performance.now() - started)),
          () => diagnostics(paths),
        );
        const server = new ApacheServer(
          STARTED,
          child,
          paths,
          listen,
          resolved.realm.hostname,
          Math.round(performance.now() - started),
        );
        // The readiness probe is not one of the test's requests.
        await server.#log.mark();
        return server;
      } catch (error) {
        const text = await diagnostics(paths);
        if (child) await child.stop('SIGKILL', 0);
        else await rm(dir, { recursive: true, force: true });
        if (attempt < 3 && /Address already in use/.test(text)) continue;
        throw error;
      }
    }
  }

  /** Process id of the Apache parent process. */
  get pid(): number {
    return this.#process.pid;
  }

  /**
   * The requests logged since start (the readiness probe excluded) or since the last
   * {@link ApacheServer.clearAccessLog}, oldest first. Waits until the log has stopped growing,
   * and with `minEntries` until that many are there (bounded by `timeoutMs`, default 5 s).
   *
   * @example
   * ```ts
   * const entries = await server.accessLog({ minEntries: 2 });
   * assert.deepEqual(entries.map((e) => e.status), [401, 200]);
   * ```
   */
  accessLog(options?: AccessLogReadOptions): Promise<ApacheAccessLogEntry[]> {
    return this.#log.read(options);
  }

  /**
   * How many requests {@link ApacheServer.accessLog} holds.
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
   * Makes later {@link ApacheServer.accessLog} calls start from here (the file is kept).
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
   * The last lines of Apache's error log: GSS failures show up here
   * (`gss_accept_sec_context() failed: ... Request is a replay`).
   *
   * @example
   * ```ts
   * assert.match(await server.errorLogTail(), /Request is a replay/);
   * ```
   */
  errorLogTail(lines = 30): Promise<string> {
    return fileTail(this.errorLogPath, lines);
  }

  /**
   * Where `/delegate/` stores the credentials `principal` delegated (the file exists only after
   * a request with delegation).
   *
   * @example
   * ```ts
   * assert.ok(existsSync(server.delegatedCcache(realm.user.principal)));
   * ```
   */
  delegatedCcache(principal: string): string {
    return join(this.delegatedCcacheDir, principal);
  }

  /**
   * Stops Apache and removes the directory. Idempotent. SIGTERM is Apache's immediate stop; its
   * graceful stop (SIGWINCH) would wait for idle keep-alive connections a client's pool still
   * holds open. SIGKILL to the whole process group follows after 5 s, or at once for stragglers.
   *
   * @example
   * ```ts
   * after(() => server.stop());
   * ```
   */
  stop(): Promise<void> {
    return this.#process.stop('SIGTERM', 5000);
  }

  /** Same as {@link ApacheServer.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

async function diagnostics(paths: ApachePaths): Promise<string> {
  const parts: string[] = [];
  for (const file of [paths.output, paths.errorLog]) {
    const text = await fileTail(file, 15);
    if (text) parts.push(`--- ${file}\n${text}`);
  }
  return parts.join('\n');
}
