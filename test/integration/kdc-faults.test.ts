import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import axios from 'axios';
import got, { RequestError } from 'got';
import ky from 'ky';
import { Agent, request as undiciRequest } from 'undici';
import { withNegotiate } from '../../src/adapters/axios/index.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import { negotiate } from '../../src/adapters/undici/index.js';
import { negotiateErrorOf } from '../../src/core/error-report.js';
import { KdcTimeoutError, SPNEGOExchangeError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { Credentials, liveHandleCount } from '../../src/gssapi/index.js';
import { concurrentCalls } from '../../src/gssapi/raw/index.js';
import { BlackHoleKdc } from '../helpers/black-hole-kdc.js';
import { useRealm } from '../helpers/realm-fixture.js';

// A KDC that accepts and never answers (MIT krb5 1.20 then waits ~27 s in gss_init_sec_context):
// each client's own bound ends the request at that bound, with the client's own error, and
// kdcTimeout ends one that has no bound with a coded reason. The calls left on their worker
// threads release what they produce when MIT gives up: no handle is left behind.
//
// Time bounds here are kept far from noise: a request must settle before STILL_WAITING (13 s),
// half of what MIT would hold it without the fix (27 s).

const fixture = useRealm({ negotiateServer: true });
const BOUND_MS = 1000;
const STILL_WAITING_MS = 13_000;

let hole: BlackHoleKdc;
let restoreConfig: () => void;
let baseline = 0;

const warmCcache = () => `${fixture.realm.dir}/warm-ccache`;

/** Runs `body` with KRB5CCNAME set to `ccache` (new auths acquire their default credentials from it). */
async function withCcache<T>(ccache: string, body: () => Promise<T>): Promise<T> {
  const previous = process.env['KRB5CCNAME'];
  process.env['KRB5CCNAME'] = ccache;
  try {
    return await body();
  } finally {
    process.env['KRB5CCNAME'] = previous;
  }
}

/** Runs `send`, returning what it settled with and how long it took. */
async function timed(
  send: () => Promise<unknown>,
): Promise<{ ms: number; value?: unknown; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await send();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

function assertPrompt(ms: number): void {
  assert.ok(ms < STILL_WAITING_MS, `settled after ${Math.round(ms)} ms: the request waited for the KDC`);
}

/** A fresh auth per test (no cached default credentials shared between tests), token up front. */
const auths: HTTPSPNEGOAuth[] = [];
const newAuth = (kdcTimeout = 60_000) => {
  const auth = new HTTPSPNEGOAuth({ opportunisticAuth: true, learnedPreemption: false, kdcTimeout });
  auths.push(auth);
  return auth;
};
const url = (path: string) => `${fixture.negotiateServer.url}ok/${path}`;

describe('a black-hole KDC: every request settles at its own bound', () => {
  before(async () => {
    // A service ticket for the test server, fetched while the KDC still answers, into a ccache
    // of its own: the realm's ccache keeps only the TGT, so every other test needs the KDC.
    await copyFile(fixture.realm.ccache.replace(/^FILE:/, ''), warmCcache());
    await withCcache(`FILE:${warmCcache()}`, async () => {
      using warmAuth = new HTTPSPNEGOAuth();
      const warm = await createFetch(warmAuth)(url('warm'));
      assert.equal(warm.status, 200);
    });
    hole = await BlackHoleKdc.start();
    const conf = await hole.krb5Conf(fixture.realm.krb5Config, `${fixture.realm.dir}/black-hole-krb5.conf`);
    // The TGT in the realm's ccache stays; every service ticket must now come from the black hole.
    const previous = process.env['KRB5_CONFIG'];
    process.env['KRB5_CONFIG'] = conf;
    restoreConfig = () => {
      process.env['KRB5_CONFIG'] = previous;
    };
    baseline = liveHandleCount();
  });
  after(async () => {
    restoreConfig?.();
    await hole?.stop();
  });

  test('createFetch with AbortSignal.timeout rejects with the TimeoutError', async () => {
    const r = await timed(() =>
      createFetch(newAuth())(url('fetch'), { signal: AbortSignal.timeout(BOUND_MS) }),
    );
    assert.equal((r.error as Error)?.name, 'TimeoutError', String(r.error));
    assert.ok(hole.tcpConnections + hole.udpDatagrams > 0, 'the KDC was asked');
    assertPrompt(r.ms);
  });

  test('axios timeout rejects with its ECONNABORTED AxiosError; axios signal with CanceledError', async () => {
    const client = withNegotiate(axios.create(), newAuth());
    const r = await timed(() => client.get(url('axios'), { timeout: BOUND_MS }));
    assert.ok(axios.isAxiosError(r.error), String(r.error));
    assert.equal((r.error as { code?: string }).code, 'ECONNABORTED');
    assertPrompt(r.ms);
    const c = await timed(() => client.get(url('axios-signal'), { signal: AbortSignal.timeout(BOUND_MS) }));
    assert.ok(axios.isCancel(c.error), String(c.error));
    assertPrompt(c.ms);
  });

  test("got timeout.request rejects with got's ETIMEDOUT RequestError; got signal too", async () => {
    const client = got.extend(negotiateGot(newAuth()), { retry: { limit: 0 } });
    const r = await timed(() => client(url('got'), { timeout: { request: BOUND_MS } }));
    assert.ok(r.error instanceof RequestError, String(r.error));
    assert.equal(r.error.code, 'ETIMEDOUT');
    assertPrompt(r.ms);
    const s = await timed(() => client(url('got-signal'), { signal: AbortSignal.timeout(BOUND_MS) }));
    assert.ok(s.error instanceof RequestError, String(s.error));
    assertPrompt(s.ms);
  });

  test('ky timeout rejects with its TimeoutError (ky aborts the fetch, which ends our work)', async () => {
    const r = await timed(() => ky(url('ky'), { ...negotiateKy(newAuth()), timeout: BOUND_MS, retry: 0 }));
    assert.equal((r.error as Error)?.name, 'TimeoutError', String(r.error));
    assertPrompt(r.ms);
  });

  test('undici with a signal rejects with the abort reason', async () => {
    const agent = new Agent();
    try {
      const r = await timed(() =>
        undiciRequest(url('undici'), {
          dispatcher: agent.compose(negotiate(newAuth())),
          signal: AbortSignal.timeout(BOUND_MS),
        }),
      );
      assert.equal((r.error as Error)?.name, 'TimeoutError', String(r.error));
      assertPrompt(r.ms);
    } finally {
      await agent.destroy();
    }
  });

  test('no bound of its own: kdcTimeout returns the 401 with a KdcTimeoutError as the reason', async () => {
    const r = await timed(() => createFetch(newAuth(BOUND_MS))(url('kdc-timeout')));
    const res = r.value as Response;
    assert.equal(res?.status, 401, String(r.error));
    const reason = negotiateErrorOf(res);
    assert.ok(reason instanceof SPNEGOExchangeError);
    assert.ok(reason.cause instanceof KdcTimeoutError, String(reason.cause));
    assert.equal(reason.cause.code, 'ERR_KDC_TIMEOUT');
    assertPrompt(r.ms);
  });

  test('the abandoned calls release what they produce when MIT gives up: no handle left', async () => {
    await assertAllReleased();
  });

  describe('no request waits behind another request of its auth', () => {
    /** Auths logged in from a description (password, keytab), warmed while the KDC answered. */
    const loggedIn: Partial<Record<'password' | 'keytab', HTTPSPNEGOAuth>> = {};

    before(async () => {
      const { principal, password, keytab } = fixture.realm.user;
      const options = { opportunisticAuth: true, learnedPreemption: false } as const;
      loggedIn.password = new HTTPSPNEGOAuth({ ...options, creds: { principal, password } });
      loggedIn.keytab = new HTTPSPNEGOAuth({ ...options, creds: { keytab } });
      const hole = process.env['KRB5_CONFIG'];
      restoreConfig();
      try {
        for (const [kind, auth] of Object.entries(loggedIn)) {
          auths.push(auth);
          // The login and a ticket for the test server, into the auth's private memory ccache.
          assert.equal((await createFetch(auth)(url(`warm-${kind}`))).status, 200);
        }
      } finally {
        process.env['KRB5_CONFIG'] = hole;
      }
    });

    /** Hangs up on the calls stuck now (and on their new attempts) until they return. */
    async function releaseStuck(): Promise<void> {
      await hole.hangUp();
      const deadline = Date.now() + 40_000;
      while (concurrentCalls().running > 0 && Date.now() < deadline) await sleep(50);
      await hole.holdAgain();
      assert.equal(concurrentCalls().running, 0, 'MIT returned once the KDC hung up');
    }

    /**
     * A request on `auth` waits for a ticket the black hole never sends (MIT holds the lock of
     * the credential it was given for the whole call); a second, for the service whose ticket
     * is cached, on the same auth, must not wait for it.
     */
    async function cachedNotHeld(auth: HTTPSPNEGOAuth, label: string): Promise<void> {
      const fetch = createFetch(auth);
      const warmed = await fetch(url(`${label}-warm`));
      assert.equal(warmed.status, 200);
      assert.equal(concurrentCalls().running, 0);
      // A service whose ticket is not cached (the request never gets as far as connecting).
      const stuck = timed(() =>
        fetch(`http://127.0.0.2:${new URL(url('')).port}/`, { signal: AbortSignal.timeout(4000) }),
      );
      await sleep(200);
      // Inside MIT, holding the credential's lock (one waiting in our queue would hold none,
      // and the case would prove nothing).
      assert.deepEqual(
        { running: concurrentCalls().running, pending: concurrentCalls().pending },
        { running: 1, pending: 0 },
      );
      const asked = hole.tcpConnections + hole.udpDatagrams;
      const r = await timed(() => fetch(url(`${label}-cached`)));
      assert.equal(hole.tcpConnections + hole.udpDatagrams, asked, 'the cached request did not ask the KDC');
      const stuckResult = await stuck;
      assert.equal((r.value as Response)?.status, 200, String(r.error));
      assert.equal((stuckResult.error as Error)?.name, 'TimeoutError');
      assert.ok(
        r.ms < stuckResult.ms,
        `the cached request (${Math.round(r.ms)} ms) settled before the stuck one (${Math.round(stuckResult.ms)} ms)`,
      );
      await releaseStuck();
    }

    test('default credentials: a spare handle on the default ccache', async () => {
      // A fresh auth's default credentials come from the ccache holding the test server's ticket.
      await withCcache(`FILE:${warmCcache()}`, () => cachedNotHeld(newAuth(), 'default'));
    });

    test('a password login: a spare handle on its private memory ccache', async () => {
      await cachedNotHeld(loggedIn.password!, 'password');
    });

    test('a keytab login: a spare handle on its ccache, never a second login', async () => {
      await cachedNotHeld(loggedIn.keytab!, 'keytab');
    });

    test('Credentials the caller acquired from a ccache: a spare read from that ccache', async () => {
      const creds = await Credentials.acquire({ store: { ccache: `FILE:${warmCcache()}` } });
      try {
        const auth = new HTTPSPNEGOAuth({ creds, opportunisticAuth: true, learnedPreemption: false });
        auths.push(auth);
        await cachedNotHeld(auth, 'credentials');
      } finally {
        // Disposed by the caller, as it was acquired by the caller (the spares are the auth's).
        creds.dispose();
      }
    });

    test('auths disposed while their abandoned calls still run: released when MIT returns, no crash', async () => {
      // MIT holds the lock of each credential the stuck calls were given; releasing one under
      // it aborted the process (k5_mutex_unlock) or corrupted the heap.
      const stuck = [loggedIn.password!, loggedIn.keytab!].map((auth) =>
        timed(() =>
          createFetch(auth)(`http://127.0.0.3:${new URL(url('')).port}/`, {
            signal: AbortSignal.timeout(500),
          }),
        ),
      );
      for (const s of await Promise.all(stuck)) assert.equal((s.error as Error)?.name, 'TimeoutError');
      assert.equal(concurrentCalls().running, 2, 'the abandoned calls are still inside MIT');
      for (const auth of auths.splice(0)) auth.dispose();
      await releaseStuck();
      await assertAllReleased();
    });
  });
});

/** Waits for every abandoned call to return (MIT holds each ~27 s), then for no handle to be left. */
async function assertAllReleased(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (concurrentCalls().running + concurrentCalls().pending > 0 && Date.now() < deadline) await sleep(250);
  assert.deepEqual(
    { running: concurrentCalls().running, pending: concurrentCalls().pending },
    { running: 0, pending: 0 },
  );
  // What is left is the default credentials each auth caches, released with their auth.
  for (const auth of auths.splice(0)) auth.dispose();
  assert.equal(liveHandleCount(), baseline, 'every context, name and credential released');
}
