import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AUTH_FLAGS, authOptionsFromFlags, parseMech } from '../../src/cli/auth-flags.js';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';
import { parseCommandLine } from '../../src/cli/parse-arguments.js';
import { REQUEST_FLAGS } from '../../src/cli/request-command.js';
import { classifyError } from '../../src/cli/request-outcome.js';
import { shownEntry } from '../../src/cli/request-report.js';
import { requestHeaders, requestMethod, requestUrl } from '../../src/cli/request-values.js';
import { KRB5, SPNEGO } from '../../src/core/options.js';

const io = (env: Record<string, string> = {}) => ({
  stdin: Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream,
  stderr: new PassThrough(),
  env,
});
const parse = (...args: string[]) => parseCommandLine(args, REQUEST_FLAGS, { max: 1 });
const options = (args: string[], env: Record<string, string> = {}) =>
  authOptionsFromFlags(parse(...args).values, io(env));

/** Asserts a usage error (exit 2) whose message matches. */
async function rejectsUsage(run: () => unknown, message: RegExp) {
  await assert.rejects(
    async () => run(),
    (error: unknown) => {
      assert.ok(error instanceof CliError, String(error));
      assert.equal(error.exitCode, EXIT.USAGE);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('command-line parsing', () => {
  it('reads short and long flags, repeated headers and the URL', () => {
    const { values, positionals } = parse(
      '-v',
      '-X',
      'post',
      '-H',
      'A: 1',
      '--header',
      'B: 2',
      '--json',
      'https://h/',
    );
    assert.equal(values['verbose'], true);
    assert.equal(values['request'], 'post');
    assert.deepEqual(values['header'], ['A: 1', 'B: 2']);
    assert.equal(values['json'], true);
    assert.deepEqual(positionals, ['https://h/']);
  });

  it('an unknown flag, a missing value or a second URL is a usage error', async () => {
    await rejectsUsage(() => parse('--bogus', 'https://h/'), /Unknown option '--bogus'/);
    await rejectsUsage(() => parse('https://h/', '-o'), /'-o, --output <value>' argument missing/);
    await rejectsUsage(() => parse('https://a/', 'https://b/'), /unexpected argument: https:\/\/b\//);
  });

  it('refuses --password with the safe ways to give one', async () => {
    await assert.rejects(
      async () => parse('--password', 'secret', 'https://h/'),
      (error: CliError) =>
        error.exitCode === EXIT.USAGE && /--password-env VAR or --ask-password/.test(error.hint ?? ''),
    );
  });

  it('every auth flag has a unique name and help', () => {
    const names = REQUEST_FLAGS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const flag of AUTH_FLAGS) assert.ok(flag.help.length > 10, flag.name);
  });
});

describe('auth flags to HTTPSPNEGOAuth options', () => {
  it('map one to one', async () => {
    const result = await options([
      '--mutual',
      'required',
      '--target-name',
      'HTTP@web.example.org',
      '--delegate-policy',
      '--opportunistic',
      '--principal',
      'svc@EXAMPLE.ORG',
      '--keytab',
      '/etc/svc.keytab',
      '--mech',
      'krb5',
      '--no-sanitize-mutual-error',
      '--no-session-cookies',
      '--no-learned-preemption',
      '--max-replay-body-size',
      '42',
    ]);
    assert.deepEqual(result, {
      mutualAuthentication: 'required',
      targetName: 'HTTP@web.example.org',
      delegate: 'policy',
      opportunisticAuth: true,
      mech: KRB5,
      sanitizeMutualErrorResponse: false,
      sessionCookies: false,
      learnedPreemption: false,
      maxReplayBodySize: 42,
      creds: { principal: 'svc@EXAMPLE.ORG', keytab: '/etc/svc.keytab' },
    });
  });

  it('no flags: the library defaults', async () => {
    assert.deepEqual(await options([]), {});
  });

  it('--password-env reads the password from the environment, never from argv', async () => {
    const result = await options(['--principal', 'u@R', '--password-env', 'PW'], { PW: 's3cret' });
    assert.deepEqual(result.creds, { principal: 'u@R', password: 's3cret' });
    await rejectsUsage(
      () => options(['--principal', 'u@R', '--password-env', 'PW']),
      /PW: the environment variable is not set/,
    );
    await rejectsUsage(() => options(['--password-env', 'PW'], { PW: 'x' }), /needs --principal/);
  });

  it('--ask-password needs a terminal', async () => {
    await rejectsUsage(() => options(['--principal', 'u@R', '--ask-password']), /needs a terminal/);
  });

  it("the library's own checks become usage errors that name the flag", async () => {
    await rejectsUsage(
      () => options(['--mutual', 'sometimes']),
      /^--mutual must be REQUIRED, OPTIONAL or DISABLED/,
    );
    await rejectsUsage(() => options(['--delegate', '--delegate-policy']), /exclusive/);
    await rejectsUsage(
      () => options(['--principal', 'u@R', '--keytab', '/k', '--password-env', 'PW'], { PW: 'x' }),
      /a password and --keytab are exclusive/,
    );
    await rejectsUsage(() => options(['--max-replay-body-size', '1k']), /number of bytes/);
  });

  it('--mech takes a name or a dotted OID', () => {
    assert.equal(parseMech('spnego'), SPNEGO);
    assert.equal(parseMech('Kerberos'), KRB5);
    assert.equal(parseMech('default'), null);
    assert.equal(String(parseMech('1.3.6.1.4.1.311.2.2.10')), '1.3.6.1.4.1.311.2.2.10');
    assert.throws(() => parseMech('ntlm?'), CliError);
  });
});

it('channel bindings, KDC wait and host allowlists are flags too; a bad wait is a usage error', async () => {
  const set = await options([
    '--no-channel-bindings',
    '--kdc-timeout',
    '1500',
    '--server-allowlist',
    '*.corp.example.org',
    '--delegate',
    '--delegate-allowlist',
    'web.corp.example.org',
    'https://web.corp.example.org/',
  ]);
  assert.equal(set.channelBindings, false);
  assert.equal(set.kdcTimeout, 1500);
  assert.equal(set.serverAllowlist, '*.corp.example.org');
  assert.equal(set.delegateAllowlist, 'web.corp.example.org');
  await rejectsUsage(
    () => options(['--kdc-timeout', '2s', 'https://x.example/']),
    /--kdc-timeout must be a number/,
  );
});

describe('the request values, checked before anything is sent', () => {
  const usageError = (run: () => unknown, message: RegExp, secret?: string) =>
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof CliError, String(error));
      assert.equal(error.exitCode, EXIT.USAGE);
      assert.match(error.message, message);
      if (secret) assert.ok(!`${error.message} ${error.hint ?? ''}`.includes(secret), `${secret} shown`);
      return true;
    });

  it('a URL with a user name or password is a usage error that shows it without them', () => {
    const cases: [string, string, RegExp][] = [
      ['http://alice:pw@intranet.example/x', 'pw', /http:\/\/\*\*\*@intranet\.example\/x/],
      ['https://alice@intranet.example/', 'alice', /https:\/\/\*\*\*@intranet\.example\//],
      ['http://:only-pass@h/', 'only-pass', /user name or password/],
      ['http://alice:p@ss@h/', 'p@ss', /user name or password/],
      ['http://alice:pw@bad host/', 'pw', /not a URL: http:\/\/\*\*\*@bad host\//],
      ['ftp://alice:pw@h/', 'pw', /unsupported scheme ftp:/],
    ];
    for (const [url, secret, message] of cases) usageError(() => requestUrl(url), message, secret);
    assert.equal(requestUrl('https://intranet.example/a?b').href, 'https://intranet.example/a?b');
  });

  it('methods: RFC 9110 tokens, upper-cased; the forbidden ones and non-tokens are usage errors', () => {
    for (const [given, expected] of [
      ['get', 'GET'],
      ['PROPFIND', 'PROPFIND'],
      ['M-SEARCH', 'M-SEARCH'],
    ]) {
      assert.equal(requestMethod(given!), expected);
    }
    const refused: [string, RegExp][] = [
      ['CONNECT', /CONNECT cannot be sent/],
      ['Connect', /CONNECT cannot be sent/],
      ['TRACE', /TRACE cannot be sent/],
      ['track', /TRACK cannot be sent/],
      ['GE T', /"GE T" is not an HTTP method/],
      ['GET\r\n', /is not an HTTP method/],
      ['', /is not an HTTP method/],
      ['GET(', /is not an HTTP method/],
      ['ÉTÉ', /is not an HTTP method/],
    ];
    for (const [method, message] of refused) usageError(() => requestMethod(method), message);
  });

  it('headers: one per -H, names are tokens, values without CR, LF or NUL, never shown', () => {
    const headers = requestHeaders(['Accept:  text/plain  ', 'X-Empty:', 'X-Two: a', 'x-two: b']);
    assert.equal(headers.get('accept'), 'text/plain');
    assert.equal(headers.get('x-empty'), '');
    assert.equal(headers.get('x-two'), 'a, b');
    const refused: [string, RegExp][] = [
      ['X-A: one\r\nX-Injected: secret-value', /-H 'X-A': the value has a line break/],
      ['X-A: one\nsecret-value', /line break/],
      ['X-A: one\rsecret-value', /line break/],
      ['X-A: one\0secret-value', /NUL/],
      ['X A: secret-value', /not a header name/],
      ['X-A\r\nEvil: secret-value', /not a header name/],
      [': secret-value', /'Name: value'/],
      ['no colon secret-value', /'Name: value'/],
    ];
    for (const [line, message] of refused) usageError(() => requestHeaders([line]), message, 'secret-value');
  });
});

describe('classifyError: fetch TypeErrors by their cause', () => {
  const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
  const cases: [string, unknown, string, number][] = [
    // [what, error, outcome, exit code]
    [
      'a refused connection',
      new TypeError('fetch failed', { cause: coded('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED') }),
      'network-error',
      EXIT.NETWORK,
    ],
    [
      'DNS',
      new TypeError('fetch failed', { cause: coded('getaddrinfo ENOTFOUND x.invalid', 'ENOTFOUND') }),
      'network-error',
      EXIT.NETWORK,
    ],
    [
      'a TLS failure',
      new TypeError('fetch failed', {
        cause: coded('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      }),
      'network-error',
      EXIT.NETWORK,
    ],
    [
      'a code deeper in the chain',
      new TypeError('fetch failed', { cause: new Error('proxy', { cause: coded('reset', 'ECONNRESET') }) }),
      'network-error',
      EXIT.NETWORK,
    ],
    [
      'a body cut off',
      new TypeError('terminated', { cause: coded('other side closed', 'UND_ERR_SOCKET') }),
      'network-error',
      EXIT.NETWORK,
    ],
    ['a forbidden method', new TypeError("'CONNECT' HTTP method is unsupported."), 'usage-error', EXIT.USAGE],
    ['an invalid method', new TypeError("'GE T' is not a valid HTTP method."), 'usage-error', EXIT.USAGE],
    [
      'a header value',
      new TypeError('Headers.append: "a\r\nb" is an invalid header value.'),
      'usage-error',
      EXIT.USAGE,
    ],
    [
      'a bad port',
      new TypeError('fetch failed', { cause: new Error('bad port') }),
      'usage-error',
      EXIT.USAGE,
    ],
  ];
  for (const [what, error, kind, exitCode] of cases) {
    it(`${what}: ${kind}, exit ${exitCode}`, () => {
      const outcome = classifyError(error);
      assert.equal(outcome?.kind, kind);
      assert.equal(outcome?.exitCode, exitCode);
    });
  }

  it('after a response came (a redirect the server chose), a refused value is a network error', () => {
    for (const error of [
      new TypeError('Request cannot be constructed from a URL that includes credentials: http://a:pw@h/'),
      new TypeError('fetch failed', { cause: new Error('bad port') }),
    ]) {
      const outcome = classifyError(error, true);
      assert.equal(outcome?.exitCode, EXIT.NETWORK);
      assert.ok(!outcome?.error?.message.includes('pw'), outcome?.error?.message);
    }
  });

  it('trace entries as shown: URLs in attempts and failures without their password', () => {
    const attempt = shownEntry({
      kind: 'request',
      method: 'GET',
      url: 'http://a:pw@h/',
      authorization: null,
      cookies: false,
      at: 1,
    });
    assert.equal(attempt.kind === 'request' && attempt.url, 'http://***@h/');
    const failure = shownEntry({ kind: 'network-error', message: 'refused http://a:pw@h/', ms: 1, at: 2 });
    assert.equal(failure.kind === 'network-error' && failure.message, 'refused http://***@h/');
  });

  it("a URL with credentials in fetch's message is shown without them", () => {
    const outcome = classifyError(
      new TypeError('Request cannot be constructed from a URL that includes credentials: http://a:pw@h/'),
    );
    assert.equal(outcome?.exitCode, EXIT.USAGE);
    assert.ok(!outcome?.error?.message.includes('pw'), outcome?.error?.message);
  });
});
