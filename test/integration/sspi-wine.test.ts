import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ContextFlag } from '../../src/gssapi/index.js';
import { useRealm } from '../helpers/realm-fixture.js';
import { WineNode, windowsPath } from '../helpers/wine.js';
import type { ScenarioResult, WineJob, WineResult } from '../wine/sspi-client.js';

// The SSPI provider for real: the Windows build of Node under Wine runs test/wine/sspi-client.ts,
// whose SSPI calls Wine's secur32 serves with the host's MIT krb5, against this file's TestRealm
// and Apache mod_auth_gssapi. What Wine cannot show (domain logon credentials, Windows' own
// SEC_E_* codes, channel bindings) is listed in docs/windows.md.

const wine = WineNode.find();
const skip = typeof wine === 'string' ? wine : false;
const fixture = useRealm({ apache: true, skip: skip !== false });
const client = fileURLToPath(new URL('../wine/sspi-client.js', import.meta.url));

/** The scenarios run with the user's ticket in KRB5CCNAME (the logged-on user, as on Windows). */
const WITH_TICKET = [
  'provider',
  'context-negotiate',
  'context-kerberos',
  'context-channel-bindings',
  'fetch-mutual',
  'fetch-kerberos-mech',
  'fetch-delegate',
  'fetch-unknown-spn',
  'auth-keytab-refused',
  'credentials-ccache-refused',
  'undici-mutual',
  'axios-mutual',
  'raw-package-list',
  'credentials-kerberos-only',
  'allocations',
];
/** The scenarios run with an empty KRB5CCNAME: only a password can get a ticket. */
const WITHOUT_TICKET = [
  'fetch-no-ticket',
  'context-wrong-password',
  'fetch-wrong-password',
  'lockout-five',
  'lockout-retry',
  'lockout-burst',
  'lockout-ntlm-allowed',
  'context-password',
  'fetch-password',
];

const results: Record<string, ScenarioResult> = {};
/** The lockout accounts of the password run, and their failed-attempt counts after it. */
let lockout: NonNullable<WineJob['lockout']> | undefined;
const failures: Record<string, number> = {};

/** Failed password attempts the KDC recorded for `principal` (its lockout policy counts them). */
async function failedAttempts(principal: string): Promise<number> {
  const out = await fixture.realm.kadmin(`getprinc ${principal}`);
  return Number(/Failed password attempts: (\d+)/.exec(out)?.[1] ?? Number.NaN);
}

/** Runs the Windows client for `names` with `env` added; collects its scenarios into `results`. */
async function runClient(
  wine: WineNode,
  label: string,
  names: readonly string[],
  env: Record<string, string>,
) {
  const resultPath = join(wine.dir, `result-${process.pid}-${label}.json`);
  const jobPath = join(wine.dir, `job-${process.pid}-${label}.json`);
  rmSync(resultPath, { force: true });
  const job: WineJob = {
    url: fixture.apache.url,
    hostname: fixture.realm.hostname,
    principal: fixture.realm.user.principal,
    password: fixture.realm.user.password,
    resultPath: windowsPath(resultPath),
    ...(lockout ? { lockout } : {}),
  };
  writeFileSync(jobPath, JSON.stringify(job));
  const run = await wine.node(client, [windowsPath(jobPath), names.join(',')], env);
  rmSync(jobPath, { force: true });
  assert.ok(
    existsSync(resultPath),
    `the Windows node wrote no result (exit ${run.exitCode}): ${run.stderr.slice(0, 2000)}`,
  );
  const result = JSON.parse(readFileSync(resultPath, 'utf8')) as WineResult & { fatal?: unknown };
  assert.equal(result.fatal, undefined, JSON.stringify(result.fatal));
  assert.equal(result.platform, 'win32');
  Object.assign(results, result.scenarios);
  if (process.env['HTTP_GSSAPI_WINE_REPORT']) {
    process.stderr.write(
      `wine leg (${label}): prefix ${wine.prefixMs ?? 'existing'} ms, node run ${run.ms} ms\n${JSON.stringify(result, null, 2)}\n`,
    );
  }
}

/** A scenario's value, failing the test with the scenario's error when it threw. */
function scenario(name: string): Record<string, unknown> {
  const r: ScenarioResult | undefined = results[name];
  assert.ok(r, `scenario ${name} did not run`);
  assert.ok(r.ok, `scenario ${name} threw: ${JSON.stringify(r.error)}`);
  return r.value!;
}

describe('SSPI provider under Wine (Windows node, secur32)', () => {
  before(
    async () => {
      if (typeof wine === 'string') return;
      await runClient(wine, 'ticket', WITH_TICKET, { ...fixture.realm.env });
      // Accounts whose failed password attempts an MIT policy counts (as AD's lockout would).
      const realm = fixture.realm;
      await realm.kadmin('addpol -maxfailure 50 -failurecountinterval 0 -lockoutduration 0 winelock');
      const password = 'the-right-one-1';
      const account = async (name: string) => {
        const principal = await realm.addPrincipal(name, { password }, { requiresPreauth: true });
        await realm.kadmin(`modprinc -policy winelock ${principal}`);
        return principal;
      };
      lockout = {
        five: await account('winelock5'),
        retry: await account('winelockr'),
        burst: await account('winelockb'),
        ntlmAllowed: await account('winelockn'),
        password,
      };
      const empty = join(wine.dir, `no-ticket-${process.pid}`);
      rmSync(empty, { force: true });
      await runClient(wine, 'password', WITHOUT_TICKET, {
        ...fixture.realm.env,
        KRB5CCNAME: `FILE:${empty}`,
      });
      for (const principal of [lockout.five, lockout.retry, lockout.burst, lockout.ntlmAllowed])
        failures[principal] = await failedAttempts(principal);
      if (process.env['HTTP_GSSAPI_WINE_REPORT'])
        process.stderr.write(`failed attempts: ${JSON.stringify(failures)}\n`);
    },
    { timeout: 300_000 },
  );

  after(async () => {
    if (typeof wine !== 'string') await wine.stop();
  });

  test('Windows node picks the SSPI provider by default', { skip }, () => {
    const v = scenario('provider');
    assert.equal(v.provider, 'sspi');
    assert.ok((v.negotiateMaxToken as number) > 0, 'QuerySecurityPackageInfoW gives the output buffer size');
  });

  for (const [name, mech] of [
    ['context-negotiate', 'Negotiate'],
    ['context-kerberos', 'Kerberos'],
  ] as const) {
    test(`SecurityContext (${mech} package): token, Apache 200, the mutual token completes it`, {
      skip,
    }, () => {
      const v = scenario(name);
      assert.equal(v.tokenTag, 0x60, 'an RFC 2743 initial context token');
      assert.equal(v.completeAfterFirst, false, 'mutual authentication needs the server token');
      assert.equal(v.status, 200);
      assert.ok((v.serverTokenBytes as number) > 0, 'mod_auth_gssapi sent a mutual token');
      assert.equal(v.complete, true);
      assert.equal(v.mutual, true);
      assert.ok(((v.flags as number) & ContextFlag.MUTUAL) !== 0);
      assert.equal(v.mech, '1.2.840.113554.1.2.2', 'NEGOTIATION_INFO names Kerberos');
      assert.equal(v.targetName, `HTTP@${fixture.realm.hostname}`);
    });
  }

  test('channel bindings are passed in a SECBUFFER_CHANNEL_BINDINGS buffer (Wine ignores them)', {
    skip,
  }, () => {
    const v = scenario('context-channel-bindings');
    assert.equal(v.status, 200);
    assert.equal(v.mutual, true);
  });

  for (const name of ['fetch-mutual', 'undici-mutual', 'axios-mutual', 'fetch-kerberos-mech']) {
    test(`${name.replace('-', ' ')}: 200 as the realm's user, mutual authentication verified`, {
      skip,
    }, () => {
      const v = scenario(name);
      assert.equal(v.status, 200);
      assert.equal(v.user, fixture.realm.user.principal);
    });
  }

  test('delegate: true forwards the ticket (ISC_REQ_DELEGATE): Apache stores delegated credentials', {
    skip,
  }, () => {
    const v = scenario('fetch-delegate');
    assert.equal(v.status, 200);
    assert.equal(v.user, fixture.realm.user.principal);
    assert.equal(typeof v.delegatedCcache, 'string', 'mod_auth_gssapi received delegated credentials');
  });

  test('an unknown service principal: the 401, with a coded SSPIError as cause', { skip }, () => {
    const v = scenario('fetch-unknown-spn');
    assert.equal(v.status, 401);
    const error = v.error as { code: string; cause: Record<string, unknown> };
    assert.equal(error.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(error.cause.isSSPIError, true);
    assert.equal(error.cause.isGSSError, true);
    assert.match(String(error.cause.statusName), /^SEC_E_/);
    assert.ok(error.cause.hint, 'with a hint');
  });

  test('no ticket and no password: the 401, with SEC_E_NO_CREDENTIALS as GSS_S_NO_CRED and a hint', {
    skip,
  }, () => {
    const v = scenario('fetch-no-ticket');
    assert.equal(v.status, 401);
    const error = v.error as { code: string; cause: Record<string, unknown> };
    assert.equal(error.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(error.cause.statusName, 'SEC_E_NO_CREDENTIALS');
    assert.equal(error.cause.code, 'GSS_S_NO_CRED');
    assert.match(String(error.cause.hint), /log on to Windows/);
  });

  test('a password login (SEC_WINNT_AUTH_IDENTITY_W) gets a Kerberos ticket without any ccache', {
    skip,
  }, () => {
    const context = scenario('context-password');
    assert.deepEqual(
      context.credMechs,
      ['1.3.6.1.5.5.2'],
      'explicit Negotiate credentials serve SPNEGO only',
    );
    assert.equal(context.credName, fixture.realm.user.principal);
    assert.equal(context.tokenTag, 0x60, 'a Kerberos initial context token');
    const v = scenario('fetch-password');
    assert.equal(v.status, 200, JSON.stringify(v.error));
    assert.equal(v.user, fixture.realm.user.principal);
  });

  test('a wrong password gets no Kerberos token, and the request its 401 with the reason', { skip }, () => {
    // Unlimited credentials: Negotiate falls back to NTLM when Kerberos fails (Wine as Windows):
    // the token is an NTLM NEGOTIATE message, which this Kerberos-only server cannot complete.
    const context = scenario('context-wrong-password');
    assert.notEqual(context.tokenTag, 0x60);
    // The client (Kerberos only) reports the refused login itself.
    const v = scenario('fetch-wrong-password');
    assert.equal(v.status, 401);
    const error = v.error as { code: string; cause: { code: string } };
    assert.equal(error.code, 'ERR_SPNEGO_EXCHANGE');
    assert.equal(error.cause.code, 'ERR_LOGIN_REFUSED');
  });

  test('Kerberos only: the client acquires Negotiate credentials limited to Kerberos, and a request authenticates', {
    skip,
  }, () => {
    const v = scenario('credentials-kerberos-only');
    assert.equal(v.status, 200);
    assert.equal(v.user, fixture.realm.user.principal);
    // Wine's Negotiate ignores a package list, and its Kerberos package (before Wine 11.16) cannot
    // read the SEC_WINNT_AUTH_IDENTITY_EXW that carries one: the provider passes none there.
    assert.deepEqual(v.negotiableMechs, v.wine === null ? ['1.2.840.113554.1.2.2'] : null);
    if (v.wine !== null) {
      // Unlimited handle (Wine): it cannot be limited afterwards, and the error says how to.
      const later = v.limitLater as { code: string; hint: string };
      assert.equal(later.code, 'ERR_GSSAPI_UNSUPPORTED');
      assert.match(later.hint, /negotiableMechs/);
    } else {
      assert.equal(v.limitLater, null, 'the same limit again is a no-op');
    }
  });

  test('Wine makes nothing of PackageList = Kerberos,!NTLM: its Negotiate still answers with NTLM', {
    skip,
  }, (t) => {
    const v = scenario('raw-package-list');
    const wineVersion = (scenario('credentials-kerberos-only').wine as string | null) ?? null;
    if (wineVersion === null) return t.skip('secur32 is not Wine');
    assert.equal(v.acquireStatus, '0', 'the EX identity is accepted');
    // Its Kerberos package read the EX form as SEC_WINNT_AUTH_IDENTITY_W (user "@", no
    // password), failed, and Negotiate fell back to the NTLM it was told to leave out.
    assert.equal(v.tokenIsNtlm, true);
  });

  test('a refused password costs one failed AS exchange for five requests, each with ERR_LOGIN_REFUSED', {
    skip,
  }, () => {
    const v = scenario('lockout-five') as { requests: { status: number; reason: unknown; hint: unknown }[] };
    assert.equal(v.requests.length, 5);
    for (const r of v.requests) {
      assert.equal(r.status, 401);
      assert.equal(r.reason, 'ERR_LOGIN_REFUSED');
      assert.match(String(r.hint), /not tried again.*retryLogin/);
    }
    assert.equal(failures[lockout!.five], 1, 'the KDC counted one failed attempt');
  });

  test('retryLogin() allows exactly one more attempt', { skip }, () => {
    const v = scenario('lockout-retry') as { afterRetry: { status: number; reason: unknown } };
    assert.equal(v.afterRetry.status, 401);
    assert.equal(v.afterRetry.reason, 'ERR_LOGIN_REFUSED');
    assert.equal(failures[lockout!.retry], 2, 'five requests and a retry: two failed attempts');
  });

  test('five wrong-password requests at once cost one failed attempt too', { skip }, () => {
    const v = scenario('lockout-burst') as { requests: { status: number; reason: unknown }[] };
    assert.deepEqual(
      v.requests.map((r) => [r.status, r.reason]),
      Array.from({ length: 5 }, () => [401, 'ERR_LOGIN_REFUSED']),
    );
    assert.equal(failures[lockout!.burst], 1);
  });

  test('with allowNtlm the NTLM-only handle Wine leaves is kept, not logged in again per request', {
    skip,
  }, () => {
    // Wine's Negotiate keeps only NTLM after the refused Kerberos login and reports that handle
    // as expiring now: renewing it on schedule would log in again on every request.
    const v = scenario('lockout-ntlm-allowed') as { requests: { status: number }[] };
    for (const r of v.requests) assert.equal(r.status, 401);
    assert.equal(failures[lockout!.ntlmAllowed], 1);
  });

  test('every native allocation of the SSPI calls is freed', { skip }, () => {
    assert.equal(scenario('allocations').outstanding, 0);
  });

  test('options SSPI cannot honour are coded errors: keytab, ccache', { skip }, () => {
    const keytab = scenario('auth-keytab-refused').thrown as { code: string; message: string };
    assert.equal(keytab.code, 'ERR_GSSAPI_UNSUPPORTED', 'when HTTPSPNEGOAuth is made, not per request');
    assert.match(keytab.message, /creds\.keytab/);
    const ccache = scenario('credentials-ccache-refused').thrown as { code: string; message: string };
    assert.equal(ccache.code, 'ERR_GSSAPI_UNSUPPORTED');
    assert.match(ccache.message, /store\.ccache/);
  });
});
