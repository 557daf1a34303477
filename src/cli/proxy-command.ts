/**
 * `http-gssapi proxy`: a local forward proxy that adds Kerberos for an upstream proxy, so that
 * tools which cannot speak Negotiate work behind one with only `HTTPS_PROXY`/`HTTP_PROXY`
 * pointed at it (`HTTPS_PROXY=http://127.0.0.1:3128 npm install`), as cntlm and Px do for NTLM.
 * Runs until SIGINT or SIGTERM (`stop`), then closes its listener and every open tunnel and
 * returns 0.
 *
 * @module
 */
import { authFlagsNamed, authFromFlags, CREDENTIAL_FLAG_NAMES } from './auth-flags.js';
import { type AllowList, LOOPBACK_ONLY, parseAllowList } from './client-allow-list.js';
import type { CommandIo } from './command-io.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { booleanFlag, type FlagSpec, HELP_FLAG, stringFlag } from './flag-spec.js';
import { ForwardProxy } from './forward-proxy.js';
import { type HelpPage, renderHelp } from './help-text.js';
import { DEFAULT_LISTEN, isLoopbackHost, parseListenAddress } from './listen-address.js';
import { parseCommandLine } from './parse-arguments.js';
import { DEFAULT_LIMITS, limitsFromFlags } from './proxy-limits.js';
import { refuseLoop, resolveUpstream } from './proxy-upstream.js';

/**
 * The auth flags that matter for the upstream proxy leg: whose ticket, and which mechanism.
 * No `--target-name` (the token is always for `HTTP@<upstream host>`), no `--delegate` (a proxy
 * never gets the user's TGT), no `--mutual` (never required of a proxy).
 */
const PROXY_AUTH_FLAGS = authFlagsNamed(['opportunistic', 'mech', ...CREDENTIAL_FLAG_NAMES]);

// biome-ignore format: a table, one flag per line
const PROXY_ONLY_FLAGS: readonly FlagSpec[] = [
  { name: 'listen', short: 'l', type: 'string', value: 'HOST:PORT', help: `where to listen (default ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}; port 0: any free port)` },
  { name: 'upstream', short: 'u', type: 'string', value: 'URL', help: 'the Kerberos proxy to go through (default HTTPS_PROXY/HTTP_PROXY at start)' },
  { name: 'no-proxy', type: 'string', value: 'LIST', help: 'hosts reached directly, as NO_PROXY spells them (default NO_PROXY)' },
  { name: 'allow', type: 'string', value: 'CIDR,...', help: 'client addresses that may use it (default loopback only; needed with a non-loopback --listen)' },
  { name: 'max-connections', type: 'string', value: 'N', help: `client connections at once; more get a 503 (default ${DEFAULT_LIMITS.maxConnections})` },
  { name: 'header-timeout', type: 'string', value: 'SECONDS', help: `time for a client to send its request head (default ${DEFAULT_LIMITS.headerTimeout / 1000})` },
  { name: 'idle-timeout', type: 'string', value: 'SECONDS', help: `silence that closes a connection, request or tunnel (default ${DEFAULT_LIMITS.idleTimeout / 1000})` },
  { name: 'connect-timeout', type: 'string', value: 'SECONDS', help: `time to open a tunnel upstream or a direct connection (default ${DEFAULT_LIMITS.connectTimeout / 1000})` },
  { name: 'quiet', short: 'q', type: 'boolean', help: 'no log line per request' },
];

/** Every flag of `http-gssapi proxy`. */
export const PROXY_FLAGS: readonly FlagSpec[] = [...PROXY_ONLY_FLAGS, ...PROXY_AUTH_FLAGS, HELP_FLAG];

const PROXY_HELP: HelpPage = {
  usage: 'http-gssapi proxy [options]',
  description:
    'A local forward proxy that authenticates to an upstream proxy with Kerberos (Negotiate), for\n' +
    'tools that cannot: point HTTP_PROXY/HTTPS_PROXY at it. Plain http is forwarded with\n' +
    'Proxy-Authorization, https goes through CONNECT tunnels (a fresh token per upstream connection).\n' +
    'Local clients are not asked to authenticate: it listens on loopback and serves loopback clients\n' +
    'only, unless --listen and --allow say otherwise (clients on other hosts never reach this\n' +
    "machine's own addresses through it). A request that went round a loop back to it gets a 508.\n" +
    'A ticket obtained with kinit after start is used by the next request. A 407 that Kerberos cannot\n' +
    'satisfy reaches the client with the reason in X-Http-Gssapi-Reason. One log line per request on\n' +
    'stderr (no tokens). Stops on SIGINT/SIGTERM.',
  groups: [
    { title: 'Proxy', flags: PROXY_ONLY_FLAGS },
    { title: 'Upstream credentials', flags: PROXY_AUTH_FLAGS },
    { title: 'Other', flags: [HELP_FLAG] },
  ],
  footer:
    'Examples:\n' +
    '  http-gssapi proxy --upstream http://proxy.corp.example:3128\n' +
    '  HTTPS_PROXY=http://127.0.0.1:3128 HTTP_PROXY=http://127.0.0.1:3128 npm install\n' +
    '  git -c http.proxy=http://127.0.0.1:3128 clone https://git.example.org/repo.git\n' +
    '  http-gssapi proxy --listen 0.0.0.0:3128 --allow 192.168.1.0/24   # share it with a LAN\n\n' +
    'Exit codes: 0 stopped by SIGINT/SIGTERM; 2 usage error; 3 cannot listen.',
};

/**
 * Runs `http-gssapi proxy` until `stop` is aborted, and returns its exit code.
 *
 * @throws {CliError} usage errors (exit 2): no upstream, a bad `--listen`, a non-loopback
 *   `--listen` without `--allow`, a bad limit, an upstream that is this proxy itself; a listen
 *   failure (exit 3).
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort());
 * process.exitCode = await proxyCommand(['--upstream', 'http://proxy:3128'], io, stop.signal);
 * ```
 */
export async function proxyCommand(
  args: readonly string[],
  io: CommandIo,
  stop: AbortSignal,
): Promise<ExitCode> {
  const { values } = parseCommandLine(args, PROXY_FLAGS, { max: 0 });
  if (booleanFlag(values, 'help')) {
    io.stdout.write(renderHelp(PROXY_HELP));
    return EXIT.OK;
  }
  const listenFlag = stringFlag(values, 'listen');
  const listen = listenFlag === undefined ? DEFAULT_LISTEN : parseListenAddress(listenFlag);
  const allowFlag = stringFlag(values, 'allow');
  const allow: AllowList = allowFlag === undefined ? LOOPBACK_ONLY : parseAllowList(allowFlag);
  const loopback = isLoopbackHost(listen.host);
  if (!loopback && allowFlag === undefined) {
    throw new CliError(
      EXIT.USAGE,
      `--listen ${listen.host} is reachable from other hosts, and every client of this proxy uses your ` +
        'Kerberos identity without being asked for anything: say which clients may use it with --allow',
      `--listen ${listen.host}:${listen.port} --allow 192.168.1.0/24 (or listen on 127.0.0.1)`,
    );
  }
  const limits = limitsFromFlags(values);
  const upstream = resolveUpstream(stringFlag(values, 'upstream'), stringFlag(values, 'no-proxy'), io.env);
  const auth = await authFromFlags(values, io);
  const quiet = booleanFlag(values, 'quiet');
  let proxy: ForwardProxy;
  try {
    proxy = await ForwardProxy.start({
      listen,
      upstream,
      auth,
      limits,
      allow,
      log: quiet ? () => {} : (line) => io.stderr.write(`${line}\n`),
    });
  } catch (error) {
    auth.dispose();
    throw new CliError(
      EXIT.NETWORK,
      `cannot listen on ${listen.host}:${listen.port}: ${(error as Error).message}`,
      (error as { code?: string }).code === 'EADDRINUSE'
        ? 'another proxy runs there: choose --listen HOST:PORT'
        : undefined,
      { cause: error },
    );
  }
  try {
    await refuseLoop(upstream, proxy.address);
    const { host, port } = proxy.address;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (!loopback) {
      io.stderr.write(
        `http-gssapi proxy: warning: listening on ${host}, not loopback: clients from ${allow.text} (and loopback) use your Kerberos credentials\n`,
      );
    }
    const route = (what: string, via: URL | null) => `${what} via ${via ? via.origin : 'none (direct)'}`;
    io.stdout.write(
      `http-gssapi proxy: listening on ${url}; ${route('http', upstream.http)}, ${route('https', upstream.https)}` +
        `${upstream.noProxy ? `; direct: ${upstream.noProxy}` : ''}\n`,
    );
    if (!stop.aborted)
      await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    return EXIT.OK;
  } finally {
    await proxy.close();
    auth.dispose();
  }
}
