import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { useRealm } from '../helpers/realm-fixture.js';

// createFetch in a child Node process whose wall clock libfaketime moves 15 minutes ahead (MIT's
// default clockskew is 5 minutes): the 401 must come back with a reason that names clock skew,
// whether the KDC refuses the skewed TGS-REQ (no service ticket cached yet) or the server
// refuses the skewed AP-REQ authenticator (a service ticket cached from before). Mutual
// authentication is DISABLED (the default): the flow still asks for it on server legs, so the
// acceptor answers with a KRB-ERROR the client can read (RFC 4121 section 4.2.1 error tokens).

const fixture = useRealm({ negotiateServer: true, apache: { optional: true } });
const run = promisify(execFile);
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
const SKIP = existsSync(LIBFAKETIME) ? false : `${LIBFAKETIME} is missing: apt-get install faketime`;

// The child: one createFetch request; prints the status and the coded reason (onError).
const CHILD = `
const [entry, url] = process.argv.slice(2);
const { createFetch, HTTPSPNEGOAuth, DISABLED } = await import(entry);
let error = null;
const auth = new HTTPSPNEGOAuth({ mutualAuthentication: DISABLED, learnedPreemption: false, onError: (e) => { error = e; } });
const res = await createFetch(auth)(url);
await res.arrayBuffer();
console.log(JSON.stringify({
  status: res.status,
  serverError: res.headers.get('x-gss-error'),
  now: new Date().toISOString(),
  code: error?.code ?? null,
  hint: error?.hint ?? null,
  causeCode: error?.cause?.code ?? null,
  causeHint: error?.cause?.hint ?? null,
}));
`;

interface ChildResult {
  status: number;
  /** The NegotiateTestServer's own account of why it refused (its `x-gss-error` header). */
  serverError: string | null;
  now: string;
  code: string | null;
  hint: string | null;
  causeCode: string | null;
  causeHint: string | null;
}

let unique = 0;
async function request(base: string, ccache: string, skewed: boolean): Promise<ChildResult> {
  const script = join(fixture.realm.dir, 'clock-skew-child.mjs');
  await writeFile(script, CHILD);
  const entry = new URL('../../src/index.js', import.meta.url).href;
  const url = new URL(`${base}?skew=${++unique}`).href;
  const env: Record<string, string> = { ...process.env, ...fixture.realm.env, KRB5CCNAME: ccache } as Record<
    string,
    string
  >;
  if (skewed) {
    Object.assign(env, {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME: '+15m',
      // Timers and the event loop keep real time; only the wall clock is moved.
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    });
  }
  const { stdout } = await run(process.execPath, [script, entry, url], { env, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
}

async function freshCcache(name: string): Promise<string> {
  const ccache = `FILE:${join(fixture.realm.dir, name)}`;
  await fixture.realm.kinit(
    fixture.realm.user.principal,
    { password: fixture.realm.user.password },
    { ccache },
  );
  return ccache;
}

const testServer = () => new URL('/ok/skew', fixture.negotiateServer.url).href;

describe('a client clock 15 minutes ahead (libfaketime), mutualAuthentication DISABLED', {
  skip: SKIP,
}, () => {
  test('TGT only: the KDC refuses the skewed TGS-REQ, and the 401 comes back with KRB5KRB_AP_ERR_SKEW', async () => {
    const result = await request(testServer(), await freshCcache('skew-tgt-only'), true);
    assert.ok(
      Date.parse(result.now) - Date.now() > 10 * 60_000,
      `the child's clock is skewed (${result.now})`,
    );
    assert.equal(result.status, 401);
    assert.equal(result.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(result.causeCode, 'KRB5KRB_AP_ERR_SKEW');
    assert.match(result.hint ?? '', /clocks differ by more than the allowed skew/);
  });

  test('a cached service ticket, NegotiateTestServer: it refuses the skewed authenticator with a bare 401; the hint names the clocks', async () => {
    const ccache = await freshCcache('skew-service-ticket');
    assert.equal(
      (await request(testServer(), ccache, false)).status,
      200,
      'the ccache works with the real clock',
    );
    const result = await request(testServer(), ccache, true);
    assert.equal(result.status, 401);
    assert.equal(result.serverError, 'KRB5KRB_AP_ERR_SKEW', 'the acceptor saw the skew');
    // The test server sends no error token (a bare `Negotiate`), so the client can only guess.
    assert.equal(result.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(result.causeCode, null);
    assert.match(result.hint ?? '', /the clocks differ by more than 5 minutes/);
  });

  test('a cached service ticket, Apache mod_auth_gssapi: its KRB-ERROR names the skew', async (t) => {
    const reason = fixture.skipReason('apache');
    if (reason) return t.skip(reason);
    const apache = new URL('/private/', fixture.apache.url).href;
    const ccache = await freshCcache('skew-apache');
    assert.equal((await request(apache, ccache, false)).status, 200, 'the ccache works with the real clock');
    const before = (await fixture.apache.accessLog()).length;
    const result = await request(apache, ccache, true);
    // The token reached Apache (the service ticket came from the cache, no skewed TGS-REQ).
    const seen = (await fixture.apache.accessLog({ minEntries: before + 1 })).slice(before);
    assert.ok(
      seen.some((e) => e.authorization === 'negotiate' && e.status === 401),
      JSON.stringify(seen),
    );
    assert.equal(result.status, 401);
    assert.equal(result.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(result.causeCode, 'KRB5KRB_AP_ERR_SKEW');
    assert.match(result.hint ?? '', /clocks differ by more than the allowed skew/);
  });
});
