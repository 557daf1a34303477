import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOOPBACK_ONLY, parseAllowList } from '../../src/cli/client-allow-list.js';
import { CliError, EXIT } from '../../src/cli/exit-codes.js';
import { DEFAULT_LISTEN, isLoopbackHost, parseListenAddress } from '../../src/cli/listen-address.js';
import {
  interfaceAddresses,
  isLocalAddress,
  listenerCovers,
  normalizeAddress,
} from '../../src/cli/local-addresses.js';
import {
  LOCAL_TARGET_REFUSED,
  localLiteralRefusal,
  lookupRemoteOnly,
} from '../../src/cli/local-target-guard.js';
import { parseCommandLine } from '../../src/cli/parse-arguments.js';
import { PROXY_FLAGS } from '../../src/cli/proxy-command.js';
import { DEFAULT_LIMITS, limitsFromFlags } from '../../src/cli/proxy-limits.js';
import { logLine, reasonOf } from '../../src/cli/proxy-outcome.js';
import { refuseLoop, resolveUpstream } from '../../src/cli/proxy-upstream.js';
import { ViaEntry } from '../../src/cli/proxy-via.js';
import { ProxySelector } from '../../src/proxy/proxy-selector.js';

/** Asserts a usage error (exit 2) whose message matches. */
function throwsUsage(run: () => unknown, message: RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, EXIT.USAGE);
    assert.match(error.message, message);
    return true;
  });
}

/** Asserts a promise rejects with a usage error (exit 2) whose message matches. */
async function rejectsUsage(pending: Promise<unknown>, message: RegExp) {
  await assert.rejects(pending, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, EXIT.USAGE);
    assert.match(error.message, message);
    return true;
  });
}

describe('http-gssapi proxy: --listen', () => {
  it('reads host:port, [v6]:port, :port and a bare port (loopback then)', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress(':3129'), { host: '127.0.0.1', port: 3129 });
    assert.deepEqual(parseListenAddress('3129'), { host: '127.0.0.1', port: 3129 });
    assert.deepEqual(parseListenAddress('0.0.0.0:3128'), { host: '0.0.0.0', port: 3128 });
    assert.deepEqual(DEFAULT_LISTEN, { host: '127.0.0.1', port: 3128 });
  });

  it('refuses what is not an address', () => {
    throwsUsage(() => parseListenAddress('localhost'), /--listen must be host:port/);
    throwsUsage(() => parseListenAddress('127.0.0.1:70000'), /--listen must be host:port/);
    throwsUsage(() => parseListenAddress('[nope]:80'), /not an IPv6 address/);
  });

  it('knows loopback from the rest (the warning for another address)', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'proxy.example.org'])
      assert.ok(!isLoopbackHost(host), host);
  });

  it('parses its flags strictly; no flag for a target name, delegation or mutual authentication', () => {
    const { values } = parseCommandLine(
      ['-l', ':0', '-u', 'http://p:3128', '--ccache', 'FILE:/x'],
      PROXY_FLAGS,
      { max: 0 },
    );
    assert.equal(values['listen'], ':0');
    assert.equal(values['upstream'], 'http://p:3128');
    for (const flag of ['--target-name', '--delegate', '--mutual']) {
      throwsUsage(
        () => parseCommandLine([flag, 'x'], PROXY_FLAGS, { max: 0 }),
        /Unknown option|unknown option/i,
      );
    }
    throwsUsage(() => parseCommandLine(['http://p:3128'], PROXY_FLAGS, { max: 0 }), /unexpected argument/);
  });
});

describe('http-gssapi proxy: the upstream', () => {
  it('--upstream for both schemes; NO_PROXY from the environment unless --no-proxy', () => {
    const upstream = resolveUpstream('proxy.corp.example:3128', undefined, { NO_PROXY: 'localhost' });
    assert.equal(upstream.http?.href, 'http://proxy.corp.example:3128/');
    assert.equal(upstream.https?.href, 'http://proxy.corp.example:3128/');
    assert.equal(upstream.noProxy, 'localhost');
    assert.equal(resolveUpstream('http://p:1', '.corp', { NO_PROXY: 'localhost' }).noProxy, '.corp');
  });

  it('the environment: lower case first, https falling back to the http proxy', () => {
    const env = { http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:2', no_proxy: 'a', NO_PROXY: 'b' };
    const upstream = resolveUpstream(undefined, undefined, env);
    assert.equal(upstream.http?.host, 'lower:1');
    assert.equal(upstream.https?.host, 'lower:1');
    assert.equal(upstream.noProxy, 'a');
    const split = resolveUpstream(undefined, undefined, {
      HTTP_PROXY: 'http://h:1',
      HTTPS_PROXY: 'http://s:2',
    });
    assert.equal(split.http?.host, 'h:1');
    assert.equal(split.https?.host, 's:2');
  });

  it('the settings route as ProxySelector reads them: NO_PROXY hosts direct', () => {
    const selector = ProxySelector.from(resolveUpstream('http://p:3128', 'intranet.example', {}).settings);
    assert.equal(selector.proxyFor(new URL('https://example.org/'))?.origin, 'http://p:3128');
    assert.equal(selector.proxyFor(new URL('http://www.intranet.example/')), null);
  });

  it('no upstream, a bad URL or one with a password is a usage error', () => {
    throwsUsage(() => resolveUpstream(undefined, undefined, {}), /no upstream proxy/);
    throwsUsage(() => resolveUpstream('ftp://p:21', undefined, {}), /http: or https:/);
    throwsUsage(() => resolveUpstream('http://user:secret@p:3128', undefined, {}), /user name or password/);
    throwsUsage(() => resolveUpstream(undefined, undefined, { HTTPS_PROXY: 'socks5://p:1' }), /HTTPS_PROXY/);
  });

  it('refuses an upstream that is this proxy itself', async () => {
    const upstream = resolveUpstream(undefined, undefined, { HTTPS_PROXY: 'http://localhost:3128' });
    await rejectsUsage(refuseLoop(upstream, { host: '127.0.0.1', port: 3128 }), /this proxy itself/);
    await refuseLoop(upstream, { host: '127.0.0.1', port: 3129 });
  });
});

describe('http-gssapi proxy: the loop check compares addresses, not spellings', () => {
  const upstreamAt = (url: string) => resolveUpstream(url, undefined, {});
  const someInterface = [...interfaceAddresses()].find(
    (address) => !address.startsWith('127.') && address !== '::1',
  );

  it('0.0.0.0, [::ffff:127.0.0.1], [::1] and localhost reach a loopback listener', async () => {
    for (const url of [
      'http://0.0.0.0:3128',
      'http://[::ffff:127.0.0.1]:3128',
      'http://[::ffff:7f00:1]:3128',
    ]) {
      await rejectsUsage(refuseLoop(upstreamAt(url), { host: '127.0.0.1', port: 3128 }), /this proxy itself/);
    }
    await rejectsUsage(refuseLoop(upstreamAt('http://[::]:3128'), { host: '::1', port: 3128 }), /itself/);
    // A name is resolved: whatever it resolves to is compared.
    const resolve = async () => ['::ffff:127.0.0.1'];
    await rejectsUsage(
      refuseLoop(upstreamAt('http://proxy.example:3128'), { host: '127.0.0.1', port: 3128 }, resolve),
      /itself/,
    );
    await refuseLoop(upstreamAt('http://proxy.example:3128'), { host: '127.0.0.1', port: 3128 }, async () => [
      '192.0.2.7',
    ]);
    // A name that does not resolve now is left to fail per request.
    await refuseLoop(upstreamAt('http://proxy.example:3128'), { host: '127.0.0.1', port: 3128 }, () =>
      Promise.reject(new Error('ENOTFOUND')),
    );
  });

  it('a wildcard listener covers every local address; a specific one only its own', async () => {
    await rejectsUsage(
      refuseLoop(upstreamAt('http://localhost:3128'), { host: '0.0.0.0', port: 3128 }),
      /itself/,
    );
    await rejectsUsage(
      refuseLoop(upstreamAt('http://127.0.0.2:3128'), { host: '0.0.0.0', port: 3128 }),
      /itself/,
    );
    await rejectsUsage(refuseLoop(upstreamAt('http://127.0.0.1:3128'), { host: '::', port: 3128 }), /itself/);
    if (someInterface) {
      const literal = someInterface.includes(':') ? `[${someInterface}]` : someInterface;
      await rejectsUsage(
        refuseLoop(upstreamAt(`http://${literal}:3128`), { host: '::', port: 3128 }),
        /itself/,
      );
      assert.ok(listenerCovers(someInterface.includes(':') ? '::' : '0.0.0.0', someInterface));
    }
    assert.ok(!listenerCovers('127.0.0.1', '127.0.0.2'));
    assert.ok(!listenerCovers('0.0.0.0', '::1'), 'an IPv4 wildcard does not take IPv6');
    assert.ok(!listenerCovers('0.0.0.0', '192.0.2.7'));
    await refuseLoop(upstreamAt('http://127.0.0.2:3128'), { host: '127.0.0.1', port: 3128 });
  });

  it('addresses in one form', () => {
    assert.equal(normalizeAddress('[::FFFF:127.0.0.1]'), '127.0.0.1');
    assert.equal(normalizeAddress('::ffff:c000:0207'), '192.0.2.7');
    assert.equal(normalizeAddress('0.0.0.0'), '127.0.0.1');
    assert.equal(normalizeAddress('::'), '::1');
    assert.equal(normalizeAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
    assert.ok(
      isLocalAddress('::ffff:127.0.0.1') && isLocalAddress('0.0.0.0') && !isLocalAddress('192.0.2.7'),
    );
  });
});

describe('http-gssapi proxy: --allow, limits and the Via entry', () => {
  it('the default allows loopback only, IPv4-mapped included', () => {
    for (const address of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'])
      assert.ok(LOOPBACK_ONLY.allows(address));
    for (const address of ['192.168.1.5', '::ffff:192.168.1.5', '2001:db8::1'])
      assert.ok(!LOOPBACK_ONLY.allows(address));
  });

  it('--allow takes CIDR ranges and addresses of both families; loopback stays allowed', () => {
    const allow = parseAllowList('192.168.1.0/24, 10.1.2.3,2001:db8::/32');
    for (const address of [
      '192.168.1.200',
      '::ffff:192.168.1.7',
      '10.1.2.3',
      '2001:db8:1::9',
      '127.0.0.1',
      '::1',
    ]) {
      assert.ok(allow.allows(address), address);
    }
    for (const address of ['192.168.2.1', '10.1.2.4', '2001:db9::1'])
      assert.ok(!allow.allows(address), address);
    assert.equal(allow.text, '192.168.1.0/24,10.1.2.3,2001:db8::/32');
    for (const bad of ['', 'example.org', '10.0.0.0/33', '10.0.0.0/8/1', '::/129', '10.0.0.0/x']) {
      throwsUsage(() => parseAllowList(bad), /--allow/);
    }
  });

  it('limits default sanely and are read in seconds', () => {
    assert.deepEqual(limitsFromFlags({}), DEFAULT_LIMITS);
    assert.deepEqual(
      limitsFromFlags({
        'header-timeout': '0.5',
        'idle-timeout': '60',
        'connect-timeout': '2',
        'max-connections': '8',
      }),
      { headerTimeout: 500, idleTimeout: 60_000, connectTimeout: 2_000, maxConnections: 8 },
    );
    for (const [name, value] of [
      ['idle-timeout', '0'],
      ['header-timeout', '-1'],
      ['connect-timeout', 'soon'],
      ['max-connections', '0'],
      ['max-connections', '1.5'],
    ]) {
      throwsUsage(() => limitsFromFlags({ [name!]: value }), new RegExp(`--${name}`));
    }
  });

  it('the Via entry is a per-proxy pseudonym, appended, and recognized on the way back', () => {
    const via = new ViaEntry();
    const other = new ViaEntry();
    assert.match(via.pseudonym, /^http-gssapi-[0-9a-f]{12}$/);
    assert.notEqual(via.pseudonym, other.pseudonym);
    assert.equal(via.append(undefined), `1.1 ${via.pseudonym}`);
    const forwarded = other.append(via.append('1.0 fred, 1.1 p.example (squid)'));
    assert.equal(forwarded, `1.0 fred, 1.1 p.example (squid), 1.1 ${via.pseudonym}, 1.1 ${other.pseudonym}`);
    assert.ok(via.seenIn(forwarded) && via.seenIn([forwarded]));
    assert.ok(!new ViaEntry().seenIn(forwarded));
    assert.ok(!via.seenIn(`1.1 ${via.pseudonym}x`), 'the whole pseudonym, not a prefix');
  });
});

describe('http-gssapi proxy: direct connections for remote clients avoid this machine', () => {
  it('IP literals of this machine are refused, others are not', () => {
    for (const host of ['127.0.0.1', '127.4.5.6', '[::1]', '::ffff:127.0.0.1', '0.0.0.0', '[::]']) {
      assert.equal((localLiteralRefusal(host) as { code?: string } | null)?.code, LOCAL_TARGET_REFUSED, host);
    }
    for (const host of ['192.0.2.200', '[2001:db8::1]', 'localhost', 'example.org']) {
      assert.equal(localLiteralRefusal(host), null, host);
    }
  });

  it('a name that resolves to this machine fails the lookup, with or without all', async () => {
    for (const all of [false, true]) {
      const error = await new Promise<unknown>((resolve) =>
        lookupRemoteOnly('localhost', { all }, (failure) => resolve(failure)),
      );
      assert.equal((error as { code?: string }).code, LOCAL_TARGET_REFUSED);
      assert.match(String(error), /localhost is this machine/);
    }
  });
});

describe('http-gssapi proxy: reasons and log lines', () => {
  it('a reason is the message and its fix', () => {
    const error = Object.assign(new Error('no ticket'), { hint: 'run kinit' });
    assert.equal(reasonOf(error, 'fallback'), 'no ticket; fix: run kinit');
    assert.equal(
      reasonOf(undefined, 'the upstream proxy does not offer Negotiate'),
      'the upstream proxy does not offer Negotiate',
    );
  });

  it('one line per request: no line breaks can be injected, long reasons cut', () => {
    const line = logLine(
      'GET',
      'http://example.org/a\r\nInjected: 1',
      new URL('http://proxy:3128'),
      { status: 407, legs: 1, reason: `bad\n${'x'.repeat(1000)}` },
      12.4,
      new Date(0),
    );
    assert.doesNotMatch(line, /[\r\n]/);
    assert.match(
      line,
      /^1970-01-01T00:00:00\.000Z GET http:\/\/example\.org\/a Injected: 1 407 via http:\/\/proxy:3128 legs=1 12ms reason: bad x+\.\.\.$/,
    );
    assert.ok(line.length < 600);
    const direct = logLine('CONNECT', 'h:443', null, { status: 200, legs: 0, reason: null }, 3, new Date(0));
    assert.equal(direct, '1970-01-01T00:00:00.000Z CONNECT h:443 200 direct legs=0 3ms');
  });
});
