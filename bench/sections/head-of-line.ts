/**
 * Section 7, head-of-line blocking: how long a token takes for a service whose ticket is already
 * in the ccache while other requests wait for the KDC. In-process, through `NegotiateFlow.start()`
 * (opportunistic: the token is all a request waits for before it is sent), with the realm's
 * KDC behind the delay proxy (each way `kdcDelayMs`).
 *
 * - `same auth, slow KDC`: one request fetches a ticket for another service (one TGS exchange,
 *   2 × kdcDelayMs), and 20 ms later a request on the same HTTPSPNEGOAuth asks for a token for
 *   the cached service. Three auths: the default ccache, a password login and a keytab login
 *   (their tickets in a private memory ccache).
 * - `stuck calls, other auths`: `stuck` requests on other auths wait on a KDC that never answers
 *   (black hole: the realm's KDC address switched to a port that accepts and never replies), then
 *   a request with a cached ticket on its own auth. Bounded by MIT's ~27 s or by kdcTimeout.
 *
 * @module
 */
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HTTPSPNEGOAuth } from '../../src/index.js';
import type { TestRealm } from '../../src/testing/index.js';
import { median } from '../lib/stats.js';

export interface HeadOfLineCase {
  readonly name: string;
  /** Token time for the cached service, per round (ms). */
  readonly cachedMs: number[];
  /** The same with nothing else in flight (ms), per round. */
  readonly aloneMs: number[];
  /** Time of the request that waited for the KDC, per round (ms). */
  readonly blockerMs: number[];
}

export interface HeadOfLineSection {
  readonly kdcDelayMs: number;
  readonly cases: HeadOfLineCase[];
  readonly medians: Record<string, { cached: number; alone: number; blocker: number }>;
}

const token = async (auth: HTTPSPNEGOAuth, url: string) => {
  const start = performance.now();
  const flow = auth.flow(url);
  try {
    const header = await flow.start();
    if (!header) throw new Error(`no token for ${url}`);
  } catch (error) {
    // A bounded request that gave up still took its time; the case reports that time.
    if (!(error instanceof Error && /kdcTimeout|token/.test(error.message))) throw error;
  } finally {
    flow.dispose();
  }
  return performance.now() - start;
};

export async function headOfLineSection(options: {
  /** A realm whose KDC is behind the delay proxy, its env applied to this process. */
  realm: TestRealm;
  kdcDelayMs: number;
  /** Host names with an HTTP/<host> key: [cached, fetched]. */
  hosts: readonly [string, string];
  rounds: number;
  /** How many stuck calls in the black-hole case. */
  stuck: number;
  log: (line: string) => void;
}): Promise<HeadOfLineSection> {
  const { realm, hosts } = options;
  const tgt = realm.ccache.replace(/^FILE:/, '');
  const tgtOnly = join(realm.dir, 'hol-tgt-only');
  await copyFile(tgt, tgtOnly);
  const cases: HeadOfLineCase[] = [];
  const previousCcache = process.env['KRB5CCNAME'];
  const urls = hosts.map((h) => `http://${h}/`) as [string, string];
  const auth = () => new HTTPSPNEGOAuth({ opportunisticAuth: true, learnedPreemption: false });
  try {
    // Same auth, slow KDC: the default ccache, a password login, a keytab login.
    const { principal, password, keytab } = realm.user;
    const kinds = [
      ['same auth, slow KDC', {}],
      ['same password login, slow KDC', { creds: { principal, password } }],
      ['same keytab login, slow KDC', { creds: { keytab } }],
    ] as const;
    for (const [name, extra] of kinds) {
      const same: HeadOfLineCase = { name, cachedMs: [], aloneMs: [], blockerMs: [] };
      for (let i = 0; i < options.rounds; i++) {
        const ccache = join(realm.dir, `hol-ccache-${i}`);
        await copyFile(tgtOnly, ccache);
        process.env['KRB5CCNAME'] = `FILE:${ccache}`;
        const a = new HTTPSPNEGOAuth({ opportunisticAuth: true, learnedPreemption: false, ...extra });
        await token(a, urls[0]); // logs in if it must, caches the first service's ticket
        same.aloneMs.push(await token(a, urls[0]));
        const blocker = token(a, urls[1]);
        await sleep(20);
        same.cachedMs.push(await token(a, urls[0]));
        same.blockerMs.push(await blocker);
        a.dispose();
        await rm(ccache, { force: true });
        options.log(
          `hol ${name} #${i + 1}: cached ${same.cachedMs.at(-1)!.toFixed(1)} ms (alone ${same.aloneMs.at(-1)!.toFixed(1)} ms) behind a ${same.blockerMs.at(-1)!.toFixed(0)} ms ticket fetch`,
        );
      }
      cases.push(same);
    }

    // Stuck calls on other auths: the KDC switched to a black hole.
    const hole = createServer((socket: Socket) => {
      socket.on('error', () => {});
      socket.resume();
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const port = (hole.address() as { port: number }).port;
    const conf = join(realm.dir, 'hol-black-hole.conf');
    const text = await readFile(realm.krb5Config, 'utf8');
    // TCP only (udp_preference_limit = 1 is the delay proxy's setting already); same schedule.
    await writeFile(conf, text.replace(/^(\s*kdc\s*=\s*).*$/gm, `$1127.0.0.1:${port}`));
    const previousConfig = process.env['KRB5_CONFIG'];
    const stuckCase: HeadOfLineCase = {
      name: `${options.stuck} stuck calls on other auths, black-hole KDC`,
      cachedMs: [],
      aloneMs: [],
      blockerMs: [],
    };
    try {
      const ccache = join(realm.dir, 'hol-ccache-stuck');
      await copyFile(tgtOnly, ccache);
      process.env['KRB5CCNAME'] = `FILE:${ccache}`;
      const mine = auth();
      await token(mine, urls[0]);
      stuckCase.aloneMs.push(await token(mine, urls[0]));
      process.env['KRB5_CONFIG'] = conf;
      const others = Array.from({ length: options.stuck }, auth);
      const blockers = others.map((o) => token(o, urls[1]));
      await sleep(200);
      stuckCase.cachedMs.push(await token(mine, urls[0]));
      stuckCase.blockerMs.push(...(await Promise.all(blockers)));
      options.log(
        `hol stuck: cached ${stuckCase.cachedMs[0]!.toFixed(1)} ms behind ${options.stuck} calls that took ${stuckCase.blockerMs.map((m) => m.toFixed(0)).join(', ')} ms`,
      );
      for (const o of [mine, ...others]) o.dispose();
      await rm(ccache, { force: true });
    } finally {
      process.env['KRB5_CONFIG'] = previousConfig;
      hole.close();
    }
    cases.push(stuckCase);
  } finally {
    if (previousCcache === undefined) delete process.env['KRB5CCNAME'];
    else process.env['KRB5CCNAME'] = previousCcache;
    await rm(tgtOnly, { force: true });
  }
  const medians: HeadOfLineSection['medians'] = {};
  for (const c of cases)
    medians[c.name] = { cached: median(c.cachedMs), alone: median(c.aloneMs), blocker: median(c.blockerMs) };
  return { kdcDelayMs: options.kdcDelayMs, cases, medians };
}
