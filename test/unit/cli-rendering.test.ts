import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { redactAuthHeader } from '../../src/cli/auth-header-text.js';
import { renderFindings } from '../../src/cli/doctor-render.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { renderHelp } from '../../src/cli/help-text.js';
import { parseProfile, profileBoolean } from '../../src/cli/krb5-profile.js';
import { formatBytes, progressLine } from '../../src/cli/progress-meter.js';
import { selectProxy } from '../../src/cli/proxy-environment.js';
import { REQUEST_FLAGS, REQUEST_HELP } from '../../src/cli/request-command.js';
import { classifyError } from '../../src/cli/request-outcome.js';
import { SUBCOMMANDS } from '../../src/cli/subcommands.js';
import type { TraceEntry } from '../../src/cli/trace-recorder.js';
import { renderTrace } from '../../src/cli/trace-render.js';
import { MutualAuthenticationError } from '../../src/core/errors.js';

const TOKEN = 'YIIDEgYGKwYBBQUCoIIDBjCCAwKgDTALBgkqhkiG9xIBAgKiggLvBIIC6';

describe('redactAuthHeader', () => {
  it('keeps the scheme, a few characters of the token and its size', () => {
    assert.equal(redactAuthHeader(`Negotiate ${TOKEN}`), 'Negotiate YIIDEg… (42 bytes)');
    assert.equal(redactAuthHeader('Basic realm="intranet"'), 'Basic realm="intranet"');
    assert.equal(
      redactAuthHeader(`Negotiate ${TOKEN}, Basic realm="x"`),
      'Negotiate YIIDEg… (42 bytes), Basic realm="x"',
    );
  });

  it('reduces what it cannot parse to its first word', () => {
    assert.equal(redactAuthHeader(`Negotiate ${TOKEN} "`), 'Negotiate (unparsable, not shown)');
  });
});

describe('renderTrace', () => {
  const entries: TraceEntry[] = [
    { kind: 'request', method: 'GET', url: 'http://web/', authorization: null, cookies: false, at: 1 },
    {
      kind: 'response',
      status: 401,
      statusText: 'Unauthorized',
      challenge: 'Negotiate',
      setsCookies: false,
      ms: 3.5,
      at: 4.5,
    },
    {
      kind: 'event',
      at: 5,
      event: {
        type: 'challenge',
        url: 'http://web/',
        status: 401,
        scheme: 'Negotiate',
        token: null,
        tokenSize: null,
        leg: 1,
      },
    },
    {
      kind: 'event',
      at: 30,
      event: {
        type: 'token',
        url: 'http://web/',
        target: 'HTTP@web',
        mech: 'SPNEGO',
        leg: 1,
        preemptive: false,
        token: 'YIIDEg…',
        tokenSize: 790,
        flagsRequested: ['mutual', 'sequence'],
        flagsGranted: ['mutual', 'sequence', 'conf'],
        binding: null,
      },
    },
    {
      kind: 'event',
      at: 60,
      event: {
        type: 'mutual',
        url: 'http://web/',
        result: 'verified',
        status: 200,
        tokenSize: 186,
        flagsGranted: ['mutual', 'sequence'],
      },
    },
    {
      kind: 'event',
      at: 61,
      event: {
        type: 'error',
        url: 'http://web/',
        code: 'KRB5_FCC_NOFILE',
        message: 'no ccache',
        hint: 'run kinit',
      },
    },
    { kind: 'network-error', message: 'connect ECONNREFUSED', ms: 2, at: 70 },
  ];

  it('one timed line per attempt and event: SPN, mechanism, flags, sizes, mutual result, fix', () => {
    assert.deepEqual(renderTrace(entries), [
      '[    1.0 ms] > GET http://web/  (no Authorization)',
      '[    4.5 ms] < 401 Unauthorized  WWW-Authenticate: Negotiate  in 3.5 ms',
      '[    5.0 ms] * leg 1: Negotiate challenge (no token: start a context)',
      '[   30.0 ms] * leg 1: token for SPN HTTP@web, mechanism SPNEGO: YIIDEg… (790 bytes)',
      '[   30.0 ms] *   flags asked: mutual, sequence; granted so far: mutual, sequence, conf',
      '[   60.0 ms] * mutual authentication: verified (server token 186 bytes, status 200); flags granted: mutual, sequence',
      '[   61.0 ms] * exchange failed: KRB5_FCC_NOFILE: no ccache',
      '[   61.0 ms] *   fix: run kinit',
      '[   70.0 ms] ! network error after 2 ms: connect ECONNREFUSED',
    ]);
  });
});

describe('help', () => {
  it('lists every flag of the request command and the exit codes', () => {
    const text = renderHelp(REQUEST_HELP);
    for (const flag of REQUEST_FLAGS) assert.ok(text.includes(`--${flag.name}`), flag.name);
    for (const code of Object.values(EXIT)) assert.match(text, new RegExp(`^  ${code}  `, 'm'));
  });

  it('the main help lists every command main.ts dispatches, with its usage and summary', () => {
    const text = renderHelp(REQUEST_HELP);
    // The commands as main.ts dispatches them (main.ts runs on import, so it is read, not loaded).
    const main = readFileSync(new URL('../../../src/cli/main.ts', import.meta.url), 'utf8');
    const table = main.match(/const COMMANDS[\s\S]*? = \{\n([\s\S]*?)\n\};/)?.[1] ?? '';
    const dispatched = [...table.matchAll(/^ {2}([a-z-]+):/gm)].map((m) => m[1]);
    assert.deepEqual([...dispatched].sort(), ['doctor', 'proxy', 'token']);
    assert.deepEqual(SUBCOMMANDS.map((c) => c.name).sort(), [...dispatched].sort());
    for (const name of dispatched) assert.match(text, new RegExp(`^ {2}${name} `, 'm'), `${name} missing`);
    for (const command of SUBCOMMANDS) {
      assert.ok(text.includes(command.summary), command.name);
      assert.ok(text.includes(command.usage.replace(/^http-gssapi /, '')), command.name);
    }
    const commandLines = text
      .split('\n')
      .filter((line) => dispatched.some((name) => line.startsWith(`  ${name} `)));
    assert.equal(commandLines.length, dispatched.length);
    for (const line of commandLines) assert.ok(line.length <= 100, `wider than 100 columns: ${line}`);
  });

  it('docs/cli.md lists the same commands', () => {
    const doc = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    for (const command of SUBCOMMANDS) assert.ok(doc.includes(`${command.usage} `), command.usage);
  });
});

describe('classifyError', () => {
  it('mutual authentication, network failures and timeouts get their own exit codes', () => {
    assert.equal(
      classifyError(new MutualAuthenticationError('bad server token'))?.exitCode,
      EXIT.MUTUAL_FAILED,
    );
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    assert.deepEqual(classifyError(refused), {
      kind: 'network-error',
      exitCode: EXIT.NETWORK,
      error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9', hint: null },
    });
    assert.equal(classifyError(new DOMException('timed out', 'TimeoutError'))?.exitCode, EXIT.NETWORK);
    assert.equal(classifyError(new RangeError('a bug')), null);
  });
});

describe('krb5.conf reading', () => {
  it('sections, subsections, comments and includes', () => {
    const parsed = parseProfile(
      [
        'include /etc/krb5.local.conf',
        '[libdefaults]',
        '  default_realm = EXAMPLE.ORG   # not a comment in MIT, kept',
        '; a comment',
        '  rdns = false',
        '[realms]',
        '  EXAMPLE.ORG = {',
        '    kdc = kdc1.example.org:88',
        '    kdc = kdc2.example.org',
        '  }',
      ].join('\n'),
    );
    assert.deepEqual(parsed.includes, [{ dir: false, path: '/etc/krb5.local.conf' }]);
    assert.deepEqual(
      parsed.relations.map((r) => [r.path.join('/'), r.value]),
      [
        ['libdefaults/default_realm', 'EXAMPLE.ORG   # not a comment in MIT, kept'],
        ['libdefaults/rdns', 'false'],
        ['realms/EXAMPLE.ORG/kdc', 'kdc1.example.org:88'],
        ['realms/EXAMPLE.ORG/kdc', 'kdc2.example.org'],
      ],
    );
    assert.equal(profileBoolean('no', true), false);
    assert.equal(profileBoolean(undefined, true), true);
  });
});

describe('selectProxy', () => {
  const url = new URL('https://web.corp.example/');
  it('the scheme variable, lower case first, then all_proxy', () => {
    assert.equal(
      selectProxy(url, { HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2' }).proxy,
      'http://b:2',
    );
    assert.equal(selectProxy(url, { all_proxy: 'http://c:3' }).proxy, 'http://c:3');
    assert.equal(selectProxy(url, { http_proxy: 'http://d:4' }).proxy, null);
  });
  it('no_proxy as the library reads it: suffixes with or without a dot, ports, * alone, IPv6', () => {
    const env = { https_proxy: 'http://p:1' };
    for (const entry of ['corp.example', '.corp.example', '*.corp.example', 'web.corp.example:443']) {
      assert.equal(selectProxy(url, { ...env, no_proxy: `other, ${entry}` }).bypassedBy, entry, entry);
    }
    assert.equal(selectProxy(url, { ...env, no_proxy: '*' }).bypassedBy, '*');
    // A `*` among other entries matches nothing, as for curl and the library's requests.
    assert.equal(selectProxy(url, { ...env, no_proxy: 'other, *' }).proxy, 'http://p:1');
    const loopback = new URL('http://[::1]:8080/');
    const local = { http_proxy: 'http://p:1', no_proxy: 'localhost,127.0.0.1,::1' };
    assert.equal(selectProxy(loopback, local).bypassedBy, '::1');
    assert.equal(
      selectProxy(url, { ...env, no_proxy: 'web.corp.example:8443,example.com' }).proxy,
      'http://p:1',
    );
  });
});

describe('doctor rendering and progress', () => {
  it('prints status, details and the fix, then counts problems', () => {
    const text = renderFindings([
      {
        check: 'credentials',
        status: 'problem',
        summary: 'no ccache',
        code: 'KRB5_FCC_NOFILE',
        details: ['FILE:/tmp/x'],
        fix: 'run kinit',
      },
      { check: 'proxy', status: 'info', summary: 'none' },
    ]);
    assert.equal(
      text,
      'credentials  PROBLEM  no ccache [KRB5_FCC_NOFILE]\n                      FILE:/tmp/x\n                      fix: run kinit\nproxy        info     none\n\n1 problem found\n',
    );
  });
  it('sizes and the progress bar', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(progressLine(512, 1024, 1), '[##########----------]  50%  512 B / 1.0 KiB  512 B/s');
    assert.equal(progressLine(2048, null, 0), '2.0 KiB');
  });
});
