/**
 * {@link ApacheServer}: a real Apache httpd with mod_auth_gssapi, the Negotiate server most
 * deployments run, started per test against a `TestRealm`.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoopbackPort, listenAddress } from './loopback-port.js';
import * as service from './loopback-service.js';
import type { ServiceAccount } from './service-account.js';

/**
 * Options of {@link ApacheServer.start}, beyond those of every service (`realm`, `keytab`,
 * `startTimeoutMs`). Every value is checked before anything starts; a bad one (or a misspelt
 * name) throws a `TypeError` naming it.
 *
 * @example
 * ```ts
 * const server = await ApacheServer.start({ realm, connectionBound: true, gssapiConfig: 'GssapiNegotiateOnce On' });
 * ```
 */
export interface ApacheServerOptions extends service.ServiceOptions {
  /** `GssapiConnectionBound On` on every Negotiate location (`/bound/` always has it); default false. */
  connectionBound?: boolean;
  /**
   * `GssapiUseSessions On` with a mod_session cookie (`gssapi_session`, path `/`), so one
   * handshake authenticates later requests that carry the cookie; default false.
   */
  sessionCookie?: boolean;
  /** With `sessionCookie`, `SessionMaxAge` in seconds (the session ends that long after its last use); default 0, none. */
  sessionMaxAge?: number;
  /** Directives added inside every Negotiate location, e.g. `'GssapiNegotiateOnce On'`. */
  gssapiConfig?: string;
  /** Directives appended to httpd.conf at server level (`LoadModule` lines, more `<Location>`s). */
  extraConfig?: string;
  /** Apache `LogLevel`; default `'warn auth_gssapi:info'` (GSS errors and "no auth data" lines). */
  logLevel?: string;
  /** Write MIT's KRB5_TRACE of the server to `<dir>/logs/krb5-trace.log`; default false. */
  krb5Trace?: boolean;
  /**
   * Serve https (mod_ssl) instead of http on the port, with a throwaway self-signed certificate
   * for the realm's hostname (and 127.0.0.1, ::1) made at start with the `openssl` command;
   * clients trust {@link ApacheServer.certificate}. Default false.
   */
  https?: boolean;
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

const OWN_OPTIONS = [
  'connectionBound',
  'sessionCookie',
  'sessionMaxAge',
  'gssapiConfig',
  'extraConfig',
  'logLevel',
  'krb5Trace',
  'https',
];

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
const TLS_MODULES = ['socache_shmcb', 'ssl'] as const;

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

type ResolvedOptions = Required<ApacheServerOptions>;

/**
 * A throwaway self-signed certificate and key (P-256, valid two days) for `hostname`, 127.0.0.1
 * and ::1, made with the `openssl` command: no key is ever committed.
 */
function selfSignedCertificate(paths: ApacheFiles, hostname: string): Promise<void> {
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${hostname}`,
    '-addext',
    `subjectAltName=DNS:${hostname},IP:127.0.0.1,IP:::1`,
    '-keyout',
    paths.privateKey,
    '-out',
    paths.certificate,
  ];
  return new Promise((resolve, reject) => {
    execFile('openssl', args, (error, _stdout, stderr) => {
      if (error)
        reject(new Error(`openssl could not make a test certificate (apt-get install openssl): ${stderr}`));
      else resolve();
    });
  });
}

function checkSeconds(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new TypeError('sessionMaxAge must be a non-negative integer');
  }
  return value as number;
}

function checkString(name: string, value: unknown, pattern?: RegExp): string {
  if (typeof value !== 'string' || (pattern && !pattern.test(value))) {
    throw new TypeError(`${name} must be ${pattern ? `a string matching ${pattern}` : 'a string'}`);
  }
  return value;
}

/** Apache's own options, checked, next to `common`: those every service takes, checked. */
function resolveOptions(
  options: ApacheServerOptions,
  common: Required<service.ServiceOptions>,
): ResolvedOptions {
  const flag = (name: 'connectionBound' | 'sessionCookie' | 'krb5Trace' | 'https') => {
    const value = options[name] ?? false;
    if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
    return value;
  };
  return {
    ...common,
    connectionBound: flag('connectionBound'),
    sessionCookie: flag('sessionCookie'),
    sessionMaxAge: checkSeconds(options.sessionMaxAge ?? 0),
    krb5Trace: flag('krb5Trace'),
    https: flag('https'),
    gssapiConfig: checkString('gssapiConfig', options.gssapiConfig ?? ''),
    extraConfig: checkString('extraConfig', options.extraConfig ?? ''),
    logLevel: checkString('logLevel', options.logLevel ?? 'warn auth_gssapi:info', /^[\w: .-]+$/),
  };
}

/** Files of one server, all inside its temp directory. */
interface ApacheFiles extends service.ServiceFiles {
  readonly conf: string;
  readonly htdocs: string;
  readonly run: string;
  readonly logs: string;
  readonly errorLog: string;
  readonly deleg: string;
  readonly echoLua: string;
  readonly certificate: string;
  readonly privateKey: string;
}

function apacheFiles(dir: string): ApacheFiles {
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
    certificate: join(dir, 'server.crt'),
    privateKey: join(dir, 'server.key'),
  };
}

interface ConfigParams {
  readonly options: ResolvedOptions;
  readonly paths: ApacheFiles;
  readonly modules: string;
  readonly listen: LoopbackPort;
  readonly account: ServiceAccount | null;
  readonly sessionKey: string;
}

/** httpd.conf: only what the tests need, every path inside the server's directory. */
function httpdConf({ options, paths, modules, listen, account, sessionKey }: ConfigParams): string {
  const loaded = [
    ...MODULES,
    ...(options.sessionCookie ? SESSION_MODULES : []),
    ...(options.https ? TLS_MODULES : []),
  ];
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
            ...(options.sessionMaxAge > 0 ? [`SessionMaxAge ${options.sessionMaxAge}`] : []),
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
    // https: the one port speaks TLS with the throwaway certificate (see ApacheServer.certificate).
    ...(options.https
      ? [
          'SSLEngine on',
          `SSLCertificateFile "${paths.certificate}"`,
          `SSLCertificateKeyFile "${paths.privateKey}"`,
        ]
      : []),
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
 * With `https: true` the port speaks TLS (mod_ssl) with a self-signed certificate made at start
 * (`openssl`), {@link ApacheServer.certificate} for clients to trust, and `url` is `https://`.
 *
 * As root (CI), Apache starts as root and its children switch to `www-data` (Apache will not serve
 * as root); the realm's krb5.conf and service keytab are copied into the server's directory,
 * which that account owns, because the realm's own directory is private to root.
 *
 * The lifecycle (port, readiness, access log, stop) is {@link service.LoopbackService}'s.
 *
 * @example
 * ```ts
 * await using server = await ApacheServer.start({ realm });
 * const res = await fetch(`${server.url}private/`); // 401, WWW-Authenticate: Negotiate
 * assert.equal((await server.accessLog({ minEntries: 1 }))[0]?.status, 401);
 * ```
 */
export class ApacheServer extends service.LoopbackService<ApacheAccessLogEntry> {
  readonly errorLogPath: string;
  /** Where `/delegate/` stores delegated credentials: one ccache per client principal. */
  readonly delegatedCcacheDir: string;

  /**
   * With `https`, the server's self-signed certificate (PEM), for clients to trust (`ca`);
   * else null.
   */
  readonly certificate: string | null;

  /** Use {@link ApacheServer.start}. */
  private constructor(
    launched: service.LaunchedService<ApacheFiles, ApacheAccessLogEntry>,
    hostname: string,
    certificate: string | null,
  ) {
    // `http://<hostname>:<port>/`, e.g. `'http://localhost:41234/'` (https with the option).
    super(launched, `${certificate ? 'https' : 'http'}://${hostname}:${launched.listen.port}/`);
    this.errorLogPath = launched.files.errorLog;
    this.delegatedCcacheDir = launched.files.deleg;
    this.certificate = certificate;
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
    const resolved = resolveOptions(options, ApacheServer.checkOptions(options, OWN_OPTIONS));
    const { httpd, modules } = await ApacheServer.#locate();
    const { hostname } = resolved.realm;
    const launched = await ApacheServer.launch({
      name: 'apache2',
      command: httpd,
      options: resolved,
      accounts: ['www-data', 'apache', 'http', 'nobody'],
      files: apacheFiles,
      async configure(paths, listen, account) {
        for (const sub of [paths.htdocs, paths.run, paths.logs, paths.deleg]) {
          await mkdir(sub, { recursive: true });
        }
        await writeFile(paths.echoLua, ECHO_LUA);
        if (resolved.https) await selfSignedCertificate(paths, hostname);
        const sessionKey = randomBytes(32).toString('base64');
        const conf = httpdConf({ options: resolved, paths, modules, listen, account, sessionKey });
        await writeFile(paths.conf, conf);
        return ['-d', paths.dir, '-f', paths.conf, '-DFOREGROUND'];
      },
      extraEnv: (paths) => (resolved.krb5Trace ? { KRB5_TRACE: join(paths.logs, 'krb5-trace.log') } : {}),
      // A plain request to the TLS port gets mod_ssl's 400 once Apache is up.
      ready: (port) => ({
        path: '/public/',
        host: `${hostname}:${port}`,
        status: resolved.https ? 400 : 200,
      }),
      logs: (paths) => [paths.output, paths.errorLog],
      parseAccessLine,
    });
    const certificate = resolved.https ? await readFile(launched.files.certificate, 'utf8') : null;
    return new ApacheServer(launched, hostname, certificate);
  }

  static async #locate(): Promise<{ httpd: string; modules: string }> {
    const httpd = await ApacheServer.firstExecutable(HTTPD_BINARIES);
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
    return this.logTail(this.errorLogPath, lines);
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
}
