import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { useRealm } from '../helpers/realm-fixture.js';
import { runCli, runCliOnTerminal } from '../helpers/run-cli.js';

// The built http-gssapi command as a subprocess, against the test realm, the project's test
// server and Apache mod_auth_gssapi: exit codes per class of outcome, the -v trace, --json,
// token, and doctor's findings for the failures people meet.

const fixture = useRealm({ negotiateServer: true, apache: { optional: true } });
const env = (): Record<string, string> => ({ ...fixture.realm.env });
const at = (path: string) => new URL(path, fixture.negotiateServer.url).href;

/** A base64 run as long as any real token's: none may appear in what the command prints. */
const WHOLE_TOKEN = /[A-Za-z0-9+/]{20,}={0,2}/;

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

/** A loopback port nothing listens on (bound by the kernel's choice, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('http-gssapi URL', () => {
  test('authenticates; -v shows each leg: challenge, SPN, mechanism, flags asked and granted, sizes, mutual result, timings', async () => {
    const run = await runCli(['-v', '--mutual', 'required', at('/ok/hello')], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).user, fixture.realm.user.principal);
    const trace = run.stderr;
    assert.match(trace, /> GET http:\/\/localhost:\d+\/ok\/hello {2}\(no Authorization\)/);
    assert.match(trace, /< 401 Unauthorized {2}WWW-Authenticate: Negotiate {2}in [\d.]+ ms/);
    assert.match(trace, /\* leg 1: Negotiate challenge \(no token: start a context\)/);
    assert.match(trace, /\* leg 1: token for SPN HTTP@localhost, mechanism SPNEGO: YII\S{3}… \(\d+ bytes\)/);
    assert.match(trace, /flags asked: mutual, sequence; granted so far: .*mutual/);
    assert.match(trace, /> GET \S+ {2}Authorization: Negotiate YII\S{3}… \(\d+ bytes\)/);
    assert.match(
      trace,
      /\* mutual authentication: verified \(server token \d+ bytes, status 200\); flags granted: mutual, sequence/,
    );
    assert.match(trace, /\* result: 200 OK, \d+ bytes, ok, exit 0, 1 token\(s\) sent/);
    assert.match(trace, /^\[ +[\d.]+ ms\] /m, 'every line has its time');
    assert.doesNotMatch(trace, WHOLE_TOKEN, 'no token beyond a few characters');
  });

  test('--json: the result, the response headers (tokens redacted) and the trace', async () => {
    const run = await runCli(['--json', '--mutual', 'optional', at('/ok/json')], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.status, 200);
    assert.equal(report.outcome, 'ok');
    assert.equal(report.exitCode, 0);
    assert.equal(report.error, null);
    assert.equal(report.tokensSent, 1);
    assert.equal(report.mutual, 'verified');
    assert.equal(JSON.parse(report.body).path, '/ok/json');
    assert.equal(report.bodyBytes, Buffer.byteLength(report.body));
    assert.ok(Array.isArray(report.headers));
    const token = report.trace.find((e: { event?: { type: string } }) => e.event?.type === 'token').event;
    assert.equal(token.target, 'HTTP@localhost');
    assert.ok(token.tokenSize > 100);
    assert.ok(token.token.length <= 7, token.token);
    assert.deepEqual(
      report.trace
        .filter((e: { kind: string }) => e.kind !== 'event')
        .map((e: { kind: string; status?: number }) => e.status ?? e.kind),
      ['request', 401, 'request', 200],
    );
    assert.doesNotMatch(run.stdout.replace(JSON.stringify(report.body), ''), WHOLE_TOKEN);
  });

  test('exit 5 when authentication fails, with the reason and its fix', async () => {
    const run = await runCli([at('/always-401/')], { env: env() });
    assert.equal(run.code, 5);
    assert.match(run.stderr, /3 Negotiate challenges in a row/);
    assert.match(run.stderr, /fix: /);
    const basic = await runCli([at('/basic-only/')], { env: env() });
    assert.equal(basic.code, 5);
  });

  test('exit 6 when mutual authentication fails (a corrupted final token), no body printed', async () => {
    const run = await runCli(['--mutual', 'required', at('/corrupt-final-token/')], { env: env() });
    assert.equal(run.code, 6);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /the server token failed verification/);
    const stripped = await runCli(['--mutual', 'required', '--json', at('/error-500/')], { env: env() });
    assert.equal(stripped.code, 6, 'an error response that could not be authenticated is stripped');
    assert.equal(JSON.parse(stripped.stdout).body, '');
  });

  test('exit 4 for an HTTP error, the body still printed', async () => {
    const run = await runCli([at('/error-500/')], { env: env() });
    assert.equal(run.code, 4);
    assert.match(run.stderr, /the server answered 500/);
    assert.notEqual(run.stdout, '');
  });

  test('exit 3 for a network error', async () => {
    const run = await runCli([`http://127.0.0.1:${await closedPort()}/`], { env: env() });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /ECONNREFUSED/);
  });

  test('exit 2 for a usage error, before anything is sent; a password on argv is refused', async () => {
    const before = fixture.negotiateServer.requests.length;
    for (const args of [
      ['--bogus', at('/ok/')],
      [],
      ['--mutual', 'sometimes', at('/ok/')],
      ['ftp://x/'],
      ['--password', 'x', at('/ok/')],
    ]) {
      const run = await runCli(args, { env: env() });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^http-gssapi: /);
    }
    const password = await runCli(['--password', 'x', at('/ok/')], { env: env() });
    assert.match(password.stderr, /--password-env VAR or --ask-password/);
    assert.equal(fixture.negotiateServer.requests.length, before);
  });

  test('a URL with a user name and password: exit 2, nothing sent, the password nowhere in the output', async () => {
    const before = fixture.negotiateServer.requests.length;
    for (const password of ['pw', 'S3cr3t-Pa55']) {
      const url = at('/ok/').replace('//', `//alice:${password}@`);
      for (const flags of [[], ['-v'], ['--json'], ['-v', '--json']]) {
        const run = await runCli([...flags, url], { env: env() });
        const shown = `${flags.join(' ')}: ${run.stderr}`;
        assert.equal(run.code, 2, shown);
        assert.match(
          run.stderr,
          /^http-gssapi: the URL must not carry a user name or password: http:\/\/\*\*\*@localhost:\d+\/ok\//m,
          shown,
        );
        assert.ok(
          !run.stdout.includes(password) && !run.stderr.includes(password),
          `${shown}: ${password} shown`,
        );
        assert.ok(!run.stderr.includes('alice'), shown);
      }
    }
    assert.equal(fixture.negotiateServer.requests.length, before, 'nothing was sent');
  });

  test('a redirect to a URL with a password: not shown by -v or --json; a network error (exit 3), not a usage error', async () => {
    // The password percent-encoded in the Location, as a URL keeps it: `%53%33...`. The command
    // line holds it encoded once more (`%2553%2533...`), so any `%53%33` printed is the redirect's.
    const password = [...'S3cr3t'].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const to = encodeURIComponent(at('/ok/').replace('//', `//bob:${password}@`));
    for (const flags of [['-v'], ['--json'], ['-v', '--json']]) {
      const run = await runCli([...flags, at(`/redirect/?to=${to}`)], { env: env() });
      const shown = `${flags.join(' ')}: ${run.stderr}`;
      assert.equal(run.code, 3, shown);
      assert.ok(!`${run.stdout}${run.stderr}`.includes(password), `${shown}: the password is shown`);
      assert.match(`${run.stdout}${run.stderr}`, /http:\/\/\*\*\*@localhost:\d+\/ok\//, shown);
    }
  });

  test('methods and headers fetch refuses: exit 2 (usage), nothing sent, no header value shown', async () => {
    const before = fixture.negotiateServer.requests.length;
    const cases: [string[], RegExp][] = [
      [['-X', 'CONNECT'], /-X CONNECT cannot be sent with fetch/],
      [['-X', 'connect'], /-X CONNECT cannot be sent with fetch/],
      [['-X', 'TRACE'], /-X TRACE cannot be sent/],
      [['-X', 'TRACK'], /-X TRACK cannot be sent/],
      [['-X', 'GE T'], /-X "GE T" is not an HTTP method/],
      [['-X', 'GET\r\n'], /is not an HTTP method/],
      [['-X', ''], /is not an HTTP method/],
      [['-H', 'X-Note: one\r\nX-Injected: secret-value'], /-H 'X-Note': the value has a line break/],
      [['-H', 'X-Note: one\nsecret-value'], /-H 'X-Note': the value has a line break/],
      [['-H', 'X Bad: v'], /-H "X Bad": not a header name/],
    ];
    for (const [flags, message] of cases) {
      for (const extra of [[], ['--json']]) {
        const run = await runCli([...flags, ...extra, at('/ok/')], { env: env() });
        const shown = `${JSON.stringify([...flags, ...extra])}: ${run.stderr}`;
        assert.equal(run.code, 2, shown);
        assert.match(run.stderr, message, shown);
        assert.ok(!run.stderr.includes('secret-value'), `${shown}: the header value is not shown`);
      }
    }
    assert.equal(fixture.negotiateServer.requests.length, before, 'nothing was sent');
  });

  test("a port fetch refuses (a Fetch standard 'bad port'): exit 2, not a network error", async () => {
    const run = await runCli(['--json', 'http://127.0.0.1:9/'], { env: env() });
    assert.equal(run.code, 2, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.outcome, 'usage-error');
    assert.equal(report.error.code, 'ERR_REQUEST_REFUSED');
  });

  test('-d @file and -d @- send the bytes as they are; -X sets the method', async () => {
    const payload = Buffer.from('{"a": [1, 2, 3]}\n');
    const file = join(fixture.realm.dir, 'payload.json');
    writeFileSync(file, payload);
    const sha = createHash('sha256').update(payload).digest('hex');
    for (const [data, stdin] of [
      [`@${file}`, undefined],
      ['@-', payload],
    ] as const) {
      const run = await runCli(['-X', 'PUT', '-d', data, at('/ok/upload')], {
        env: env(),
        ...(stdin ? { stdin } : {}),
      });
      assert.equal(run.code, 0, run.stderr);
      const seen = JSON.parse(run.stdout);
      assert.equal(seen.method, 'PUT');
      assert.equal(seen.bodySha256, sha);
    }
  });

  test('-o writes the body to a file; -i prints the status line and headers', async () => {
    const file = join(fixture.realm.dir, 'out.json');
    const run = await runCli(['-i', '-o', file, at('/ok/file')], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(run.stdout, /www-authenticate: Negotiate \S+… \(\d+ bytes\)\r\n/);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).path, '/ok/file');
  });

  test('--principal with --password-env logs in without kinit or a ccache', async () => {
    const run = await runCli(
      ['--principal', fixture.realm.user.principal, '--password-env', 'CLI_TEST_PASSWORD', at('/ok/pw')],
      {
        env: {
          ...env(),
          KRB5CCNAME: `FILE:${join(fixture.realm.dir, 'no-such-ccache')}`,
          CLI_TEST_PASSWORD: fixture.realm.user.password,
        },
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).user, fixture.realm.user.principal);
    assert.ok(!run.stderr.includes(fixture.realm.user.password));
  });

  test('redirects: followed with a token per hop (each in the trace), or not with --no-follow', async () => {
    const target = encodeURIComponent('/ok/after');
    const run = await runCli(['-v', at(`/redirect/?to=${target}`)], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).path, '/ok/after');
    assert.match(run.stderr, /\* redirect 302: GET http:\/\/localhost:\d+\/ok\/after/);
    assert.equal(run.stderr.match(/token for SPN HTTP@localhost/g)?.length, 2);
    const manual = await runCli(['--json', '--no-follow', at(`/redirect/?to=${target}`)], { env: env() });
    assert.equal(manual.code, 0);
    assert.equal(JSON.parse(manual.stdout).status, 302);
  });

  test('on a terminal: --ask-password prompts without echo; -o draws a progress line', async (t) => {
    if (!existsSync('/usr/bin/script')) return t.skip('util-linux script is missing (no pseudo-terminal)');
    const file = join(fixture.realm.dir, 'prompted.json');
    const { code, output } = await runCliOnTerminal(
      ['--principal', fixture.realm.user.principal, '--ask-password', '-o', file, at('/ok/prompted')],
      {
        env: { ...env(), KRB5CCNAME: `FILE:${join(fixture.realm.dir, 'no-ccache-here')}` },
        prompt: `Password for ${fixture.realm.user.principal}: `,
        answer: fixture.realm.user.password,
      },
    );
    assert.equal(code, 0, output);
    assert.ok(!output.includes(fixture.realm.user.password), 'the password is not echoed');
    assert.match(output, /\d+ B/, 'the progress line');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).user, fixture.realm.user.principal);
  });

  test('Apache mod_auth_gssapi: authenticated, mutual authentication verified', async (t) => {
    const skip = fixture.skipReason('apache');
    if (skip) return t.skip(skip);
    const run = await runCli(['-v', '--mutual', 'required', new URL('/private/', fixture.apache.url).href], {
      env: env(),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).user, fixture.realm.user.principal);
    assert.match(run.stderr, /mutual authentication: verified/);
    assert.doesNotMatch(run.stderr, WHOLE_TOKEN);
  });
});

describe('http-gssapi token', () => {
  test('prints the token redacted, its size, mechanism and flags; --reveal prints it whole on stdout', async () => {
    const run = await runCli(['token', 'HTTP@localhost'], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^Negotiate YII\S{3}…\ntoken for HTTP@localhost: (\d+) bytes, mechanism SPNEGO; flags asked: sequence;/,
    );
    assert.doesNotMatch(run.stdout, WHOLE_TOKEN);
    const revealed = await runCli(
      ['token', '--reveal', '--mutual', 'required', 'HTTP/localhost@HTTPGSSAPI.TEST'],
      { env: env() },
    );
    assert.equal(revealed.code, 0, revealed.stderr);
    const size = Number(/: (\d+) bytes/.exec(revealed.stderr)?.[1]);
    assert.equal(Buffer.from(revealed.stdout.trim(), 'base64').length, size);
    assert.match(revealed.stderr, /flags asked: mutual, sequence/);
  });

  test('exit 5 for an SPN the KDC does not know, with the code and the fix', async () => {
    const run = await runCli(['token', '--json', 'HTTP@nosuch.localhost'], { env: env() });
    assert.equal(run.code, 5);
    assert.match(run.stderr, /KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN/);
    assert.match(run.stderr, /fix: the KDC does not know this service principal/);
  });
});

describe('http-gssapi doctor', () => {
  interface Report {
    problems: number;
    findings: {
      check: string;
      status: string;
      summary: string;
      code?: string;
      fix?: string;
      details?: string[];
    }[];
  }
  const doctor = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const run = await runCli(['doctor', '--json', ...args], { env: { ...env(), ...extraEnv } });
    const report = JSON.parse(run.stdout) as Report;
    const finding = (check: string) => report.findings.find((f) => f.check === check)!;
    return { run, report, finding };
  };
  const freshCcache = async (name: string, lifetime?: string) => {
    const ccache = `FILE:${join(fixture.realm.dir, name)}`;
    await fixture.realm.kinit(
      fixture.realm.user.principal,
      { password: fixture.realm.user.password },
      {
        ccache,
        ...(lifetime ? { lifetime } : {}),
      },
    );
    return ccache;
  };

  test('all well: library and release, krb5.conf, ccache with principal and expiry, SPN, ticket', async () => {
    const { run, report, finding } = await doctor([at('/ok/')]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(report.problems, 0);
    assert.match(finding('GSSAPI library').summary, /^MIT krb5 \d+\.\d+/);
    assert.match(
      finding('krb5.conf').summary,
      /krb5\.conf \(from KRB5_CONFIG\); default realm HTTPGSSAPI\.TEST/,
    );
    assert.match(
      finding('credentials').summary,
      /^user@HTTPGSSAPI\.TEST, expires \S+ \(in 9 h \d+ min\): ccache FILE:\S+ \(type FILE, KRB5CCNAME\)/,
    );
    assert.equal(finding('service ticket').status, 'ok');
    assert.match(finding('service ticket').summary, /HTTP\/localhost@HTTPGSSAPI\.TEST can be obtained/);
    assert.equal(finding('server').status, 'ok');
    assert.equal(finding('proxy').status, 'info');
    const text = await runCli(['doctor', at('/ok/')], { env: env() });
    assert.match(text.stdout, /no problem found/);
  });

  test('no ccache: the credentials problem, with kinit as the fix; the ticket check is skipped', async () => {
    const { run, finding } = await doctor([at('/ok/')], {
      KRB5CCNAME: `FILE:${join(fixture.realm.dir, 'absent')}`,
    });
    assert.equal(run.code, 7);
    const credentials = finding('credentials');
    assert.equal(credentials.status, 'problem');
    assert.match(credentials.code!, /GSS_S_NO_CRED|KRB5_FCC_NOFILE/);
    assert.match(credentials.fix!, /kinit/);
    assert.equal(finding('service ticket').status, 'skipped');
  });

  test('an expired ticket', async () => {
    const ccache = await freshCcache('expiring', '2s');
    await sleep(3000);
    const { run, finding } = await doctor([at('/ok/')], { KRB5CCNAME: ccache });
    assert.equal(run.code, 7);
    assert.equal(finding('credentials').code, 'GSS_S_CREDENTIALS_EXPIRED');
    assert.match(finding('credentials').summary, /expired/);
    assert.match(finding('credentials').fix!, /kinit -R/);
  });

  test('an SPN the KDC does not know', async () => {
    const { run, finding } = await doctor(['--target-name', 'HTTP@nosuch.localhost', at('/ok/')]);
    assert.equal(run.code, 7);
    const ticket = finding('service ticket');
    assert.equal(ticket.code, 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN');
    assert.match(
      ticket.summary,
      /does not know the service principal HTTP\/nosuch\.localhost@HTTPGSSAPI\.TEST/,
    );
    assert.match(ticket.fix!, /setspn|kadmin/);
  });

  test('a dead KDC (a closed port): unreachable, each KDC probed', async () => {
    const ccache = await freshCcache('dead-kdc');
    const port = await closedPort();
    const config = join(fixture.realm.dir, 'dead-kdc.conf');
    const text = readFileSync(fixture.realm.krb5Config, 'utf8');
    assert.ok(text.includes(fixture.realm.kdcAddress));
    writeFileSync(config, text.replaceAll(fixture.realm.kdcAddress, `127.0.0.1:${port}`));
    const { run, finding } = await doctor([at('/ok/')], { KRB5CCNAME: ccache, KRB5_CONFIG: config });
    assert.equal(run.code, 7);
    const ticket = finding('service ticket');
    assert.equal(ticket.code, 'KRB5_KDC_UNREACH');
    assert.ok(
      ticket.details!.includes(`kdc 127.0.0.1:${port} (TCP): ECONNREFUSED`),
      ticket.details!.join('\n'),
    );
    assert.match(ticket.fix!, /krb5\.conf/);
  });

  test('no encryption type in common: krb5.conf allows none of the TGT', async () => {
    const config = join(fixture.realm.dir, 'enctypes.conf');
    const text = readFileSync(fixture.realm.krb5Config, 'utf8');
    // The realm issues AES tickets; a client that allows only Camellia for TGS requests cannot use them.
    writeFileSync(
      config,
      text.replace('[libdefaults]', '[libdefaults]\n  default_tgs_enctypes = camellia128-cts-cmac'),
    );
    const { run, finding } = await doctor([at('/ok/')], { KRB5_CONFIG: config });
    assert.equal(run.code, 7);
    assert.equal(finding('service ticket').code, 'KRB5_CC_NOT_KTYPE');
    assert.match(finding('service ticket').fix!, /default_tgs_enctypes/);
    assert.ok(finding('krb5.conf').details!.includes('default_tgs_enctypes = camellia128-cts-cmac'));
  });

  test('a skewed clock (libfaketime, 15 minutes ahead): the KDC refuses, the server Date disagrees', async (t) => {
    if (!existsSync(LIBFAKETIME)) return t.skip(`${LIBFAKETIME} is missing: apt-get install faketime`);
    const ccache = await freshCcache('skewed');
    const { run, finding } = await doctor([at('/ok/')], {
      KRB5CCNAME: ccache,
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME: '+15m',
      // Timers and the event loop keep real time; only the wall clock is moved.
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    });
    assert.equal(run.code, 7);
    assert.equal(finding('service ticket').code, 'KRB5KRB_AP_ERR_SKEW');
    assert.match(finding('service ticket').fix!, /NTP/);
    assert.equal(finding('server').code, 'KRB5KRB_AP_ERR_SKEW');
  });

  test('DNS: an IP address in the URL is a warning; the settings that canonicalize the SPN are shown', async () => {
    const byAddress = await doctor([new URL(`http://127.0.0.1:${fixture.negotiateServer.port}/ok/`).href]);
    assert.equal(byAddress.finding('DNS').status, 'warn');
    assert.match(
      byAddress.finding('DNS').summary,
      /an IP address \(127\.0\.0\.1\): the SPN becomes HTTP\/127\.0\.0\.1/,
    );
    assert.equal(byAddress.finding('service ticket').code, 'KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN');
    const config = join(fixture.realm.dir, 'canonicalize.conf');
    const text = readFileSync(fixture.realm.krb5Config, 'utf8')
      .replace('dns_canonicalize_hostname = false', 'dns_canonicalize_hostname = true')
      .replace('rdns = false', 'rdns = true');
    writeFileSync(config, text);
    const { finding } = await doctor([at('/ok/')], { KRB5_CONFIG: config });
    const dns = finding('DNS');
    assert.ok(
      dns.details!.includes('dns_canonicalize_hostname = true, rdns = true'),
      dns.details!.join('\n'),
    );
    assert.ok(
      dns.details!.some((d) => /^reverse \S+ -> /.test(d)),
      dns.details!.join('\n'),
    );
  });

  test('offline: only what needs no network, and no problem for a good ccache', async () => {
    const { run, report } = await doctor(['--offline', at('/ok/')]);
    assert.equal(run.code, 0);
    assert.deepEqual(
      report.findings.map((f) => f.check),
      ['GSSAPI library', 'krb5.conf', 'credentials', 'proxy', 'URL'],
    );
  });

  test('the proxy in effect for the URL, and a no_proxy bypass', async () => {
    const proxied = await doctor(['--offline', 'https://web.example.org/'], {
      https_proxy: 'http://proxy.example.org:3128',
    });
    assert.match(
      proxied.finding('proxy').summary,
      /go through http:\/\/proxy\.example\.org:3128 \(https_proxy\)/,
    );
    const bypassed = await doctor(['--offline', 'https://web.example.org/'], {
      https_proxy: 'http://proxy.example.org:3128',
      no_proxy: '.example.org',
    });
    assert.match(bypassed.finding('proxy').summary, /no_proxy entry '\.example\.org' bypasses/);
  });
});
