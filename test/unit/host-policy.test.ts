import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { TokenWithheldError } from '../../src/core/errors.js';
import { hostMatcher } from '../../src/core/host-policy.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED } from '../../src/core/options.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import { fakeAuth, useScriptedServer } from '../helpers/adapter-unit-table.js';
import { challenge, ok } from '../helpers/scripted-server.js';

const server = useScriptedServer();

describe('host patterns (Chrome AuthServerAllowlist syntax)', () => {
  test('exact names, * suffixes and *; case and a trailing dot ignored', () => {
    const m = hostMatcher('*.corp.example.org, Intranet ,::1', 'serverAllowlist')!;
    assert.equal(m.matches('www.corp.example.org'), true);
    assert.equal(m.matches('WWW.CORP.EXAMPLE.ORG.'), true);
    assert.equal(m.matches('corp.example.org'), false);
    assert.equal(m.matches('evilcorp.example.org'), false);
    assert.equal(m.matches('intranet'), true);
    assert.equal(m.matches('intranet.evil'), false);
    assert.equal(m.matches('[::1]'), true);
    assert.equal(hostMatcher(['*'], 'x')!.matches('anything'), true);
    assert.equal(hostMatcher(undefined, 'x'), null);
  });

  test('a pattern with a scheme, port, path or inner * is a TypeError naming the option', () => {
    for (const bad of ['https://a.test', 'a.test:443', 'a.test/x', 'a.*.test', '', 'a b']) {
      assert.throws(
        () => new HTTPSPNEGOAuth({ serverAllowlist: bad }),
        /serverAllowlist: .* is not a host pattern/,
      );
    }
    assert.throws(() => new HTTPSPNEGOAuth({ delegateAllowlist: [1 as never] }), /delegateAllowlist entries/);
  });
});

describe('serverAllowlist and delegateAllowlist in the flow', () => {
  test('a host not on serverAllowlist gets no token: its 401 comes back with the reason', async () => {
    const { auth, factory } = fakeAuth({ mutualAuthentication: DISABLED, serverAllowlist: 'localhost' });
    const fetch = createFetch(auth);
    server().script(challenge(), ok(null));
    assert.equal((await fetch(server().url())).status, 200);
    server().script(challenge());
    const res = await fetch(server().otherHost());
    assert.equal(res.status, 401);
    const cause = negotiateErrorOf(res)?.cause;
    assert.ok(cause instanceof TokenWithheldError, String(cause));
    assert.equal(cause.code, 'ERR_TOKEN_WITHHELD');
    assert.match(cause.message, /127\.0\.0\.1 is not in serverAllowlist/);
    assert.match(cause.hint ?? '', /serverAllowlist/);
    assert.equal(factory.created.length, 1, 'no context made for the host off the list');
    assert.deepEqual(
      server().requests.map((r) => r.authorization),
      [null],
    );
  });

  test('delegate: true delegates only to hosts on delegateAllowlist', async () => {
    const { auth, factory } = fakeAuth({
      mutualAuthentication: DISABLED,
      delegate: true,
      delegateAllowlist: ['localhost'],
    });
    const fetch = createFetch(auth);
    for (const url of [server().url(), server().otherHost()]) {
      server().script(challenge(), ok(null));
      assert.equal((await fetch(url)).status, 200);
    }
    assert.deepEqual(
      factory.created.map((c) => [String(c.target), (c.flags & ContextFlag.DELEG) !== 0]),
      [
        ['HTTP@localhost', true],
        ['HTTP@127.0.0.1', false],
      ],
    );
  });
});
