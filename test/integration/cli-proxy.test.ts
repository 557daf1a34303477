import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { connect, createServer, type default as net } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { ApacheServer } from '../helpers/apache.js';
import { CliProxyProcess } from '../helpers/cli-proxy-process.js';
import { type RealmFixture, useRealm } from '../helpers/realm-fixture.js';
import { runCli } from '../helpers/run-cli.js';
import type { SquidAccessLogEntry } from '../helpers/squid.js';
import { makeCertificate } from '../helpers/test-certificates.js';

// `http-gssapi proxy`, the built command as a subprocess, in front of a real squid that demands
// Negotiate (negotiate_kerberos_auth against the test realm): curl, git and npm, which speak no
// Kerberos to a proxy here, are configured with nothing but the local proxy's URL and reach
// Apache origins (http with git http-backend as CGI, https) and a registry stand-in through it.

/** Where the test keeps its repositories, clones and caches; Apache's CGI reads the repositories. */
const work = mkdtempSync(join(tmpdir(), 'http-gssapi-cli-proxy-'));
chmodSync(work, 0o755);

const MODULE_DIRS = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules'];
const GIT_BACKENDS = ['/usr/lib/git-core/git-http-backend', '/usr/libexec/git-core/git-http-backend'];
const modules = MODULE_DIRS.find((dir) => existsSync(join(dir, 'mod_cgid.so')));
const gitBackend = GIT_BACKENDS.find((path) => existsSync(path));

/** `git http-backend` as a CGI under /git/ (mod_cgid), serving the repositories in `work/repos`. */
const gitConfig =
  modules && gitBackend
    ? [
        '<IfModule !cgid_module>',
        `  LoadModule cgid_module "${join(modules, 'mod_cgid.so')}"`,
        '</IfModule>',
        '<IfModule !env_module>',
        `  LoadModule env_module "${join(modules, 'mod_env.so')}"`,
        '</IfModule>',
        `ScriptSock "${join(work, 'cgid.sock')}"`,
        `SetEnv GIT_PROJECT_ROOT "${join(work, 'repos')}"`,
        'SetEnv GIT_HTTP_EXPORT_ALL 1',
        // The CGI runs as Apache's account, not the repositories' owner.
        'SetEnv GIT_CONFIG_COUNT 1',
        'SetEnv GIT_CONFIG_KEY_0 safe.directory',
        'SetEnv GIT_CONFIG_VALUE_0 *',
        `ScriptAlias /git/ "${gitBackend}/"`,
        `<Directory "${join(gitBackend, '..')}">`,
        '  Require all granted',
        '</Directory>',
      ].join('\n')
    : '';

let fixture: RealmFixture;
let secure: ApacheServer | null = null;
let certificate = '';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (a failure is a result, not an exception). */
function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = work): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env, cwd, timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The environment of every program here: this one's without proxy settings or npm's own
 * variables (a test run under `npm test` has them), with the realm's, plus `extra`.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(https?|no|all|ftp)_proxy$/i.test(name) || /^npm_/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...fixture.realm.env, HOME: join(work, 'home'), ...extra };
}

/** curl through the local proxy; the last output line is the status (`%{http_code}`, or `%{http_connect}` for a refused tunnel). */
async function curl(proxy: string, url: string, extra: readonly string[] = [], env = cleanEnv()) {
  const result = await run(
    'curl',
    [
      '-sS',
      '-v',
      '-x',
      proxy,
      '--cacert',
      join(work, 'origin.crt'),
      '-w',
      '\n%{http_code} %{http_connect}',
      ...extra,
      url,
    ],
    env,
  );
  const lines = result.stdout.trimEnd().split('\n');
  const [status = '', connect = ''] = (lines.pop() ?? '').split(' ');
  return { ...result, status: Number(status), connect: Number(connect), body: lines.join('\n') };
}

/** squid's entries once `count` of them match (it logs a tunnel when the tunnel closes). */
async function squidEntries(match: (entry: SquidAccessLogEntry) => boolean, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const matching = (await fixture.squid.accessLog()).filter(match);
    if (matching.length >= count || Date.now() > deadline) return matching;
    await sleep(50);
  }
}

/** No base64 run long enough to be a token (a redacted one shows a few characters). */
function assertNoToken(text: string) {
  assert.doesNotMatch(text, /[A-Za-z0-9+/]{40,}={0,2}/, 'no token in the output');
}

const proxyArgs = (...more: string[]) => ['--listen', '127.0.0.1:0', ...more];

const skip = () => fixture.skipReason('squid') ?? fixture.skipReason('apache');

/** A port the system says is free now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A CONNECT through the local proxy, by hand: the raw answer and the socket, left open. */
function rawConnect(proxy: string, authority: string): Promise<{ status: number; socket: net.Socket }> {
  const { hostname, port } = new URL(proxy);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, method: 'CONNECT', path: authority });
    request.once('connect', (response, socket) => resolve({ status: response.statusCode ?? 0, socket }));
    request.once('error', reject);
    request.end();
  });
}

/** Polls `check` every 20 ms until it holds or `ms` pass; whether it held. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** A server that accepts, reads everything and never answers; `open` counts its open sockets. */
async function silentServer() {
  const sockets = new Set<net.Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return sockets.size;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A raw client of the local proxy: `head` written as is, what comes back collected. */
function rawClient(proxy: string, head: string) {
  const { hostname, port } = new URL(proxy);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => {});
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => {
    received += chunk;
  });
  if (head !== '') socket.write(head);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received: () => received };
}

/** The first non-loopback IPv4 address of this machine, or undefined. */
function interfaceAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
}

/** A plain http server on `host` that says hello and counts requests. */
async function helloServer(host: string) {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests += 1;
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get requests() {
      return requests;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An upstream proxy without authentication that answers every request and CONNECT after `ms`. */
async function slowUpstream(ms: number) {
  let current = 0;
  let maxConcurrent = 0;
  const enter = () => {
    current += 1;
    maxConcurrent = Math.max(maxConcurrent, current);
  };
  const server = http.createServer(async (req, res) => {
    enter();
    req.resume();
    await sleep(ms);
    current -= 1;
    res.end('slow but fine');
  });
  const tunnels = new Set<net.Socket>();
  server.on('connect', async (_req, socket: net.Socket) => {
    enter();
    tunnels.add(socket);
    socket.on('error', () => {});
    await sleep(ms);
    current -= 1;
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get maxConcurrent() {
      return maxConcurrent;
    },
    close: () => {
      for (const socket of tunnels) socket.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A forward proxy over TLS (certificate for `localhost`, trusted through `caFile`) that answers
 * absolute-form requests itself, naming the Host: the SNI names and targets it saw.
 */
async function tlsForwardProxy() {
  const { key, cert } = await makeCertificate('rsa-sha256', 'localhost');
  const caFile = join(work, 'tls-proxy.crt');
  await writeFile(caFile, cert);
  const servernames: (string | false | null)[] = [];
  const targets: string[] = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    servernames.push((req.socket as TLSSocket).servername);
    targets.push(req.url ?? '');
    req.resume();
    res.end(`answered by the TLS proxy for ${req.headers.host}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    caFile,
    servernames,
    targets,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('http-gssapi proxy in front of a Negotiate squid', () => {
  fixture = useRealm({ squid: { optional: true }, apache: { optional: true, extraConfig: gitConfig } });
  before(async () => {
    mkdirSync(join(work, 'home'), { recursive: true });
    if (skip()) return;
    secure = await ApacheServer.start({ realm: fixture.realm, https: true });
    certificate = secure.certificate!;
    await writeFile(join(work, 'origin.crt'), certificate);
  });
  after(async () => {
    await secure?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('curl to http and https origins: 200, squid saw the user, one log line each, no token', async (t) => {
    if (skip()) return t.skip(skip()!);
    // The upstream from the environment, as a user's shell has it.
    const proxy = await CliProxyProcess.start(
      proxyArgs(),
      cleanEnv({ HTTPS_PROXY: fixture.squid.url, HTTP_PROXY: fixture.squid.url }),
    );
    try {
      await fixture.squid.clearAccessLog();
      const plain = await curl(proxy.url, `${fixture.apache.url}public/`);
      assert.equal(plain.status, 200, plain.stderr);
      const tls = await curl(proxy.url, `${secure!.url}public/`);
      assert.equal(tls.status, 200, tls.stderr);
      assert.equal(tls.connect, 200);
      // The origin's own Negotiate inside the tunnel: curl's, for Apache; ours, for squid.
      const both = await curl(proxy.url, `${secure!.url}private/`, ['--negotiate', '-u', ':']);
      assert.equal(both.status, 200, both.stderr);
      assert.equal((JSON.parse(both.body) as { user: string }).user, fixture.realm.user.principal);

      const through = await squidEntries((e) => e.status === 200, 3);
      assert.deepEqual(through.map((e) => [e.method, e.user]).sort(), [
        ['CONNECT', fixture.realm.user.principal],
        ['CONNECT', fixture.realm.user.principal],
        ['GET', fixture.realm.user.principal],
      ]);
      assert.equal(
        (await proxy.logLines(/ GET http:\/\/\S+\/public\/ 200 via http:\/\/\S+ legs=[12] \d+ms$/)).length,
        1,
      );
      assert.equal((await proxy.logLines(/ CONNECT \S+ 200 via http:\/\/\S+ legs=[12] \d+ms$/, 2)).length, 2);
      assertNoToken(proxy.log);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('git clone over http (git http-backend as CGI) with only http.proxy set', async (t) => {
    if (skip()) return t.skip(skip()!);
    if (!gitConfig) return t.skip('git http-backend or Apache mod_cgid is not installed');
    const git = (args: string[], cwd = work) =>
      run(
        'git',
        ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args],
        cleanEnv({ GIT_TERMINAL_PROMPT: '0' }),
        cwd,
      );
    const source = join(work, 'source');
    assert.equal((await git(['init', '-q', source])).code, 0);
    await writeFile(join(source, 'README.md'), 'cloned through http-gssapi proxy\n');
    assert.equal((await git(['add', 'README.md'], source)).code, 0);
    assert.equal((await git(['commit', '-q', '-m', 'first'], source)).code, 0);
    assert.equal((await git(['clone', '-q', '--bare', source, join(work, 'repos', 'demo.git')])).code, 0);
    await run('chmod', ['-R', 'a+rX', join(work, 'repos')], cleanEnv());

    const proxy = await CliProxyProcess.start(proxyArgs('--upstream', fixture.squid.url), cleanEnv());
    try {
      await fixture.squid.clearAccessLog();
      const clone = join(work, 'clone');
      const result = await git([
        '-c',
        `http.proxy=${proxy.url}`,
        'clone',
        `${fixture.apache.url}git/demo.git`,
        clone,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await readFile(join(clone, 'README.md'), 'utf8'), 'cloned through http-gssapi proxy\n');
      const entries = await squidEntries((e) => e.status === 200 && e.url.includes('/git/demo.git/'), 2);
      assert.ok(
        entries.some((e) => e.method === 'POST' && e.url.endsWith('/git-upload-pack')),
        'the pack request went through squid',
      );
      for (const entry of entries) assert.equal(entry.user, fixture.realm.user.principal);
      assert.ok((await proxy.logLines(/ POST http:\/\/\S+\/git-upload-pack 200 via /)).length >= 1);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('npm view against a registry stand-in with only HTTP_PROXY set', async (t) => {
    if (skip()) return t.skip(skip()!);
    if ((await run('npm', ['--version'], cleanEnv())).code !== 0) return t.skip('npm is not on PATH');
    const requests: string[] = [];
    const registry = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const url = `http://localhost:${(registry.address() as net.AddressInfo).port}`;
      if (req.url !== '/http-gssapi-demo') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          name: 'http-gssapi-demo',
          'dist-tags': { latest: '1.2.3' },
          versions: {
            '1.2.3': {
              name: 'http-gssapi-demo',
              version: '1.2.3',
              description: 'a package served by the test',
              dist: {
                tarball: `${url}/http-gssapi-demo/-/http-gssapi-demo-1.2.3.tgz`,
                shasum: '0'.repeat(40),
              },
            },
          },
          time: { '1.2.3': '2026-01-01T00:00:00.000Z' },
        }),
      );
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const port = (registry.address() as net.AddressInfo).port;
    const proxy = await CliProxyProcess.start(proxyArgs('--upstream', fixture.squid.url), cleanEnv());
    try {
      await fixture.squid.clearAccessLog();
      const result = await run(
        'npm',
        ['view', 'http-gssapi-demo', 'version', '--registry', `http://127.0.0.1:${port}/`],
        cleanEnv({
          HTTP_PROXY: proxy.url,
          npm_config_cache: join(work, 'npm-cache'),
          npm_config_update_notifier: 'false',
        }),
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), '1.2.3');
      assert.ok(requests.includes('GET /http-gssapi-demo'), requests.join(', '));
      const through = await squidEntries((e) => e.status === 200 && e.url.endsWith('/http-gssapi-demo'), 1);
      assert.equal(through[0]?.user, fixture.realm.user.principal, 'npm went through the Kerberos proxy');
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
      await new Promise((resolve) => registry.close(resolve));
    }
  });

  test('a ccache empty at start: 407 with the reason, then after kinit 200 without a restart', async (t) => {
    if (skip()) return t.skip(skip()!);
    const ccache = `FILE:${join(work, 'later-ccache')}`;
    const env = cleanEnv({ KRB5CCNAME: ccache });
    const proxy = await CliProxyProcess.start(proxyArgs('--upstream', fixture.squid.url), env);
    try {
      const plain = await curl(proxy.url, `${fixture.apache.url}public/`, ['-i']);
      assert.equal(plain.status, 407);
      assert.match(plain.body, /^x-http-gssapi-reason: .+$/im);
      assert.match(plain.body, /http-gssapi proxy: .*HTTP@localhost/);
      const tls = await curl(proxy.url, `${secure!.url}public/`);
      assert.equal(tls.connect, 407, tls.stderr);
      assert.match(tls.stderr, /< X-Http-Gssapi-Reason: .+/);
      assertNoToken(plain.stdout + tls.stderr + proxy.log);
      assert.equal((await proxy.logLines(/ 407 via \S+ legs=0 \d+ms reason: /, 2)).length, 2);

      await fixture.realm.kinit(
        fixture.realm.user.principal,
        { password: fixture.realm.user.password },
        { ccache },
      );
      assert.equal((await curl(proxy.url, `${fixture.apache.url}public/`)).status, 200);
      assert.equal((await curl(proxy.url, `${secure!.url}public/`)).status, 200);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('--ccache with a ticket that expires: 407 with the reason; a new kinit fixes the next request', async (t) => {
    if (skip()) return t.skip(skip()!);
    const ccache = `FILE:${join(work, 'short-ccache')}`;
    const kinit = () =>
      fixture.realm.kinit(
        fixture.realm.user.principal,
        { password: fixture.realm.user.password },
        { ccache, lifetime: '4s' },
      );
    await kinit();
    const expires = Date.now() + 4_000;
    const proxy = await CliProxyProcess.start(
      proxyArgs('--upstream', fixture.squid.url, '--ccache', ccache),
      cleanEnv(),
    );
    try {
      assert.equal((await curl(proxy.url, `${secure!.url}public/`)).status, 200);
      await sleep(Math.max(0, expires - Date.now()) + 1_500);
      const refused = await curl(proxy.url, `${secure!.url}public/`);
      assert.equal(refused.connect, 407, refused.stderr);
      assert.match(refused.stderr, /< X-Http-Gssapi-Reason: .*expired/i);
      await kinit();
      assert.equal((await curl(proxy.url, `${secure!.url}public/`)).status, 200);
      assert.equal((await curl(proxy.url, `${fixture.apache.url}public/`)).status, 200);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('--keytab: a stale keytab gives a 407 with the reason; the rewritten keytab works without a restart', async (t) => {
    if (skip()) return t.skip(skip()!);
    const principal = await fixture.realm.addPrincipal('proxykeytab', { randkey: true });
    const keytab = await fixture.realm.extractKeytab(principal, join(work, 'proxy-user.keytab'));
    // New keys in the KDC: the keytab no longer matches (the key rotation a service account sees).
    await fixture.realm.kadmin(`cpw -randkey ${principal}`);
    const proxy = await CliProxyProcess.start(
      proxyArgs('--upstream', fixture.squid.url, '--principal', principal, '--keytab', keytab),
      cleanEnv({ KRB5CCNAME: `FILE:${join(work, 'unused-ccache')}` }),
    );
    try {
      await fixture.squid.clearAccessLog();
      const refused = await curl(proxy.url, `${secure!.url}public/`);
      assert.equal(refused.connect, 407, refused.stderr);
      assert.match(
        refused.stderr,
        /< X-Http-Gssapi-Reason: .*refused the keytab login of proxykeytab@HTTPGSSAPI\.TEST/,
      );
      // Still the stale keytab: refused again, from memory (no second attempt at the KDC).
      assert.equal((await curl(proxy.url, `${secure!.url}public/`)).connect, 407);
      await fixture.realm.extractKeytab(principal, keytab);
      const fixed = await curl(proxy.url, `${secure!.url}public/`);
      assert.equal(fixed.status, 200, fixed.stderr);
      const through = await squidEntries((e) => e.status === 200 && e.method === 'CONNECT', 1);
      assert.equal(through[0]?.user, principal);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('concurrent clients: each tunnel and each request with a token of its own, every one accepted', async (t) => {
    if (skip()) return t.skip(skip()!);
    const proxy = await CliProxyProcess.start(proxyArgs('--upstream', fixture.squid.url), cleanEnv());
    try {
      await fixture.squid.clearAccessLog();
      const urls = Array.from({ length: 4 }, (_, i) => [
        `${secure!.url}public/${i}`,
        `${fixture.apache.url}public/${i}`,
      ]).flat();
      const results = await Promise.all(urls.map((url) => curl(proxy.url, url)));
      for (const result of results) assert.equal(result.status, 200, result.stderr);
      // squid's replay cache would refuse a token sent twice: eight accepted requests, eight tokens.
      const through = await squidEntries((e) => e.status === 200, 8);
      assert.equal(through.length, 8);
      for (const entry of through) assert.equal(entry.user, fixture.realm.user.principal);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('the request command with --proxy: Negotiate to squid and to the origin, http and https', async (t) => {
    if (skip()) return t.skip(skip()!);
    const env = cleanEnv({ NODE_EXTRA_CA_CERTS: join(work, 'origin.crt') });
    await fixture.squid.clearAccessLog();
    for (const origin of [fixture.apache.url, secure!.url]) {
      const result = await runCli(['-v', '--proxy', fixture.squid.url, `${origin}private/`], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { user: string }).user, fixture.realm.user.principal);
      assertNoToken(result.stderr);
    }
    const through = await squidEntries((e) => e.status === 200, 2);
    assert.deepEqual(through.map((e) => [e.method, e.user]).sort(), [
      ['CONNECT', fixture.realm.user.principal],
      ['GET', fixture.realm.user.principal],
    ]);
    const bad = await runCli(['--proxy', 'socks5://localhost:1', `${fixture.apache.url}public/`], { env });
    assert.equal(bad.code, 2, bad.stderr);
  });

  test('NO_PROXY hosts are reached directly', async (t) => {
    if (skip()) return t.skip(skip()!);
    const proxy = await CliProxyProcess.start(
      proxyArgs('--upstream', fixture.squid.url),
      cleanEnv({ NO_PROXY: 'example.invalid,localhost' }),
    );
    try {
      await fixture.squid.clearAccessLog();
      assert.equal((await curl(proxy.url, `${fixture.apache.url}public/`)).status, 200);
      assert.equal((await curl(proxy.url, `${secure!.url}public/`)).status, 200);
      assert.equal((await proxy.logLines(/ 200 direct legs=0 \d+ms$/, 2)).length, 2);
      assert.deepEqual(await fixture.squid.accessLog(), [], 'nothing went through squid');
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
    }
  });

  test('SIGTERM with a tunnel open: the tunnel is closed and the command exits 0', async (t) => {
    if (skip()) return t.skip(skip()!);
    const proxy = await CliProxyProcess.start(proxyArgs('--upstream', fixture.squid.url), cleanEnv());
    const { status, socket } = await rawConnect(proxy.url, new URL(secure!.url).host);
    assert.equal(status, 200);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    assert.deepEqual(await proxy.stop('SIGTERM'), { code: 0, signal: null });
    await closed;
  });

  test('SIGINT stops it too; a non-loopback listen needs --allow, then warns; usage errors exit 2', async (t) => {
    if (skip()) return t.skip(skip()!);
    const cli = join(import.meta.dirname, '../../../dist/cli/main.js');
    // Every client spends the user's Kerberos identity: a wide listen says who may, or does not start.
    const open = await run(
      process.execPath,
      [cli, 'proxy', '--listen', '0.0.0.0:0', '--upstream', fixture.squid.url],
      cleanEnv(),
    );
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /reachable from other hosts.*Kerberos identity.*--allow/s);
    const proxy = await CliProxyProcess.start(
      ['--listen', '0.0.0.0:0', '--allow', '192.0.2.0/24', '--upstream', fixture.squid.url],
      cleanEnv(),
    );
    assert.equal(
      (await proxy.logLines(/warning: listening on 0\.0\.0\.0, not loopback: clients from 192\.0\.2\.0\/24/))
        .length,
      1,
    );
    assert.deepEqual(await proxy.stop('SIGINT'), { code: 0, signal: null });
    const quiet = await CliProxyProcess.start(proxyArgs('--upstream', fixture.squid.url), cleanEnv());
    assert.deepEqual(await quiet.stop('SIGINT'), { code: 0, signal: null });
    assert.doesNotMatch(quiet.log, /warning/, 'no warning on loopback');
    const none = await run(process.execPath, [cli, 'proxy'], cleanEnv());
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no upstream proxy/);
    for (const bad of [
      ['--allow', 'example.org'],
      ['--idle-timeout', '0'],
      ['--max-connections', 'many'],
    ]) {
      const refused = await run(
        process.execPath,
        [cli, 'proxy', ...bad, '--upstream', fixture.squid.url],
        cleanEnv(),
      );
      assert.equal(refused.code, 2, bad.join(' '));
    }
  });

  test('an upstream that is the proxy itself is refused at start, however it is spelled', async (t) => {
    if (skip()) return t.skip(skip()!);
    const cli = join(import.meta.dirname, '../../../dist/cli/main.js');
    const port = await freePort();
    const loops: [string[], Record<string, string>][] = [
      [['--listen', `127.0.0.1:${port}`], { HTTPS_PROXY: `http://localhost:${port}` }],
      [['--listen', `127.0.0.1:${port}`, '--upstream', `http://0.0.0.0:${port}`], {}],
      [['--listen', `127.0.0.1:${port}`, '--upstream', `http://[::ffff:127.0.0.1]:${port}`], {}],
      // The documented case: a wide listen and HTTPS_PROXY pointing back at it by name.
      [
        ['--listen', `0.0.0.0:${port}`, '--allow', '192.0.2.0/24'],
        { HTTPS_PROXY: `http://localhost:${port}` },
      ],
      [
        ['--listen', `0.0.0.0:${port}`, '--allow', '192.0.2.0/24', '--upstream', `http://192.0.2.2:${port}`],
        {},
      ],
    ];
    for (const [args, env] of loops) {
      const loop = await run(process.execPath, [cli, 'proxy', ...args], cleanEnv(env));
      assert.equal(loop.code, 2, `${args.join(' ')}: ${loop.stderr}`);
      assert.match(loop.stderr, /is this proxy itself/);
    }
  });

  test('a loop through another proxy is caught at run time by its Via entry: 508, no socket storm', async (t) => {
    if (skip()) return t.skip(skip()!);
    const [portA, portB] = [await freePort(), await freePort()];
    // Each one's upstream is the other: neither can see the loop at start.
    const a = await CliProxyProcess.start(
      ['--listen', `127.0.0.1:${portA}`, '--upstream', `http://127.0.0.1:${portB}`],
      cleanEnv(),
    );
    const b = await CliProxyProcess.start(
      ['--listen', `127.0.0.1:${portB}`, '--upstream', `http://127.0.0.1:${portA}`],
      cleanEnv(),
    );
    try {
      const plain = await curl(a.url, 'http://example.invalid/', ['--max-time', '10']);
      assert.equal(plain.status, 508, plain.stderr);
      assert.match(plain.body, /already been through this proxy/);
      const tunnel = await curl(a.url, 'https://example.invalid/', ['--max-time', '10']);
      assert.equal(tunnel.connect, 508, tunnel.stderr);
      // One turn of the loop, not thousands: A logs the client's request and the one that came back.
      assert.equal((await a.logLines(/ 508 /, 4)).length, 4);
      await sleep(200);
      assert.equal(a.log.split('\n').filter((line) => / 508 /.test(line)).length, 4, a.log);
      assert.doesNotMatch(a.log, /pseudonym|http-gssapi-[0-9a-f]{12}/, 'the Via pseudonym is not logged');
    } finally {
      assert.deepEqual(await a.stop(), { code: 0, signal: null });
      assert.deepEqual(await b.stop(), { code: 0, signal: null });
    }
  });

  test('clients that give up free the upstream side: tunnels, requests and an aborted upload', async (t) => {
    if (skip()) return t.skip(skip()!);
    const dead = await silentServer();
    const proxy = await CliProxyProcess.start(
      proxyArgs('--upstream', `http://localhost:${dead.port}`),
      cleanEnv(),
    );
    try {
      const heads = [
        ...Array.from(
          { length: 5 },
          (_, i) => `CONNECT site${i}.example:443 HTTP/1.1\r\nHost: site${i}.example:443\r\n\r\n`,
        ),
        ...Array.from(
          { length: 5 },
          (_, i) => `GET http://site${i}.example/ HTTP/1.1\r\nHost: site${i}.example\r\n\r\n`,
        ),
      ];
      const clients = heads.map((head) => rawClient(proxy.url, head));
      // An upload larger than the replay limit (1 MiB), streamed upstream, then abandoned.
      const upload = rawClient(
        proxy.url,
        'POST http://site.example/up HTTP/1.1\r\nHost: site.example\r\nContent-Length: 8388608\r\n\r\n',
      );
      upload.socket.write(Buffer.alloc(2 << 20));
      clients.push(upload);
      assert.ok(
        await until(() => dead.open === 11, 10_000),
        `the upstream saw ${dead.open} of 11 connections`,
      );
      await sleep(500);
      for (const client of clients) client.socket.destroy();
      assert.ok(
        await until(() => dead.open === 0, 1_000),
        `${dead.open} upstream connections still open 1 s after their clients left`,
      );
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
      await dead.close();
    }
  });

  test('an https upstream proxy for plain http: its own certificate checked, its own name as SNI', async (t) => {
    if (skip()) return t.skip(skip()!);
    const tlsProxy = await tlsForwardProxy();
    const env = cleanEnv({ NODE_EXTRA_CA_CERTS: tlsProxy.caFile });
    const proxy = await CliProxyProcess.start(
      proxyArgs('--upstream', `https://localhost:${tlsProxy.port}`),
      env,
    );
    try {
      // A target by another name than the proxy's: node would take the SNI and the name to check
      // the proxy's certificate against from the target's Host (the issue's "a.test is not in the
      // cert's altnames").
      const target = 'http://a.test/page';
      const result = await curl(proxy.url, target);
      assert.equal(result.status, 200, `${result.body} ${proxy.log}`);
      assert.equal(result.body, 'answered by the TLS proxy for a.test');
      assert.deepEqual(tlsProxy.servernames, ['localhost']);
      // Not trusted, not used: the proxy's certificate is checked.
      const untrusting = await CliProxyProcess.start(
        proxyArgs('--upstream', `https://localhost:${tlsProxy.port}`),
        cleanEnv(),
      );
      const refused = await curl(untrusting.url, target);
      assert.deepEqual(await untrusting.stop(), { code: 0, signal: null });
      assert.equal(refused.status, 502);
      assert.match(refused.body, /certificate/);
      assert.equal(tlsProxy.targets.length, 1, 'nothing was sent to the untrusted proxy');
      assert.deepEqual(tlsProxy.targets, [target]);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
      await tlsProxy.close();
    }
  });

  test('limits: a slow request head, a silent tunnel and connections over the cap are cut off', async (t) => {
    if (skip()) return t.skip(skip()!);
    const silent = await silentServer();
    const proxy = await CliProxyProcess.start(
      proxyArgs(
        '--upstream',
        fixture.squid.url,
        '--header-timeout',
        '0.5',
        '--idle-timeout',
        '1',
        '--max-connections',
        '3',
      ),
      cleanEnv({ NO_PROXY: 'localhost' }),
    );
    try {
      const started = Date.now();
      const slow = rawClient(proxy.url, 'GET http://localhost/ HTTP/1.1\r\nHost: local');
      await slow.closed;
      assert.ok(Date.now() - started < 5_000, 'a client that never finishes its head is closed');
      const tunnel = rawClient(
        proxy.url,
        `CONNECT localhost:${silent.port} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
      );
      assert.ok(await until(() => tunnel.received().startsWith('HTTP/1.1 200'), 5_000), tunnel.received());
      const opened = Date.now();
      await tunnel.closed;
      assert.ok(
        Date.now() - opened < 5_000 && Date.now() - opened >= 900,
        'a silent tunnel is closed after the idle timeout',
      );
      assert.ok(await until(() => silent.open === 0, 1_000), 'with its upstream side');
      const held = [rawClient(proxy.url, ''), rawClient(proxy.url, ''), rawClient(proxy.url, '')];
      await sleep(200);
      const over = rawClient(proxy.url, '');
      await over.closed;
      assert.match(over.received(), /^HTTP\/1\.1 503 .*too many connections/s);
      for (const client of held) client.socket.destroy();
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
      await silent.close();
    }
  });

  test('--allow: other hosts are refused; allowed ones never reach this machine through NO_PROXY', async (t) => {
    if (skip()) return t.skip(skip()!);
    const lan = interfaceAddress();
    if (!lan) return t.skip('no non-loopback IPv4 interface to connect from');
    const local = await helloServer('0.0.0.0');
    const env = cleanEnv({ NO_PROXY: `localhost,127.0.0.1,${lan}` });
    const refuseAll = await CliProxyProcess.start(
      ['--listen', '0.0.0.0:0', '--allow', '198.51.100.0/24', '--upstream', fixture.squid.url],
      env,
    );
    try {
      const port = new URL(refuseAll.url).port;
      const stranger = await curl(`http://${lan}:${port}`, `http://localhost:${local.port}/`, [
        '--interface',
        lan,
      ]);
      assert.equal(stranger.status, 403, stranger.stderr);
      assert.match(stranger.body, new RegExp(`client ${lan.replaceAll('.', '\\.')} is not allowed`));
    } finally {
      assert.deepEqual(await refuseAll.stop(), { code: 0, signal: null });
    }
    const proxy = await CliProxyProcess.start(
      ['--listen', '0.0.0.0:0', '--allow', `${lan}/32`, '--upstream', fixture.squid.url],
      env,
    );
    try {
      const via = `http://${lan}:${new URL(proxy.url).port}`;
      const fromLan = ['--interface', lan];
      // A client on loopback reaches loopback services, as before.
      assert.equal((await curl(proxy.url, `http://localhost:${local.port}/`)).status, 200);
      for (const url of [
        `http://localhost:${local.port}/`,
        `http://127.0.0.1:${local.port}/`,
        `http://${lan}:${local.port}/`,
      ]) {
        const result = await curl(via, url, fromLan);
        assert.equal(result.status, 403, `${url}: ${result.stderr}`);
        assert.match(result.body, /is this machine/);
      }
      const tunnel = await curl(via, `https://localhost:${local.port}/`, fromLan);
      assert.equal(tunnel.connect, 403, tunnel.stderr);
      assert.equal(local.requests, 1, 'only the loopback client got through');
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
      await local.close();
    }
  });

  test('twenty concurrent requests and tunnels: no MaxListenersExceededWarning', async (t) => {
    if (skip()) return t.skip(skip()!);
    const slow = await slowUpstream(300);
    const proxy = await CliProxyProcess.start(
      proxyArgs('--upstream', `http://localhost:${slow.port}`),
      cleanEnv(),
    );
    try {
      const requests = Array.from({ length: 20 }, (_, i) => curl(proxy.url, `http://site${i}.example/`));
      const tunnels = Array.from({ length: 20 }, (_, i) =>
        rawConnect(proxy.url, `site${i}.example:443`).then(({ status, socket }) => {
          socket.destroy();
          return status;
        }),
      );
      for (const result of await Promise.all(requests)) assert.equal(result.status, 200, result.stderr);
      assert.deepEqual(new Set(await Promise.all(tunnels)), new Set([200]));
      assert.ok(slow.maxConcurrent > 10, `${slow.maxConcurrent} at once`);
      await sleep(200);
      assert.doesNotMatch(proxy.log, /MaxListenersExceededWarning|Warning/);
    } finally {
      assert.deepEqual(await proxy.stop(), { code: 0, signal: null });
      await slow.close();
    }
  });
});
