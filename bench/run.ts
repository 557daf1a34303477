/**
 * `npm run bench`: http-gssapi against the alternatives a user would pick, in one run on this
 * machine against the same local servers, reported as ratios. See docs/benchmarks.md.
 *
 *   npm run bench                      the full run (about 17 minutes on 2 cores)
 *   npm run bench -- --quick           a short smoke run
 *   npm run bench -- --sections=token,stall --clients=fetch,undici,curl
 *   npm run bench -- --sections=sessions   against Apache with sessions (HTTPX_GSSAPI_PATH: httpx-gssapi)
 *
 * Results: bench/results/bench-<time>.{json,md} and bench/results/latest.{json,md}.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { TestRealm } from '../src/testing/index.js';
import { clientPresent, NODE_CLIENTS } from './clients/index.js';
import type { NodeClient } from './clients/types.js';
import { curlClient } from './external/curl.js';
import { httpxGssapiClient, requestsKerberosClient, requestsKerberosPreemptive } from './external/python.js';
import type { ExternalClient, ExternalSessionsClient } from './external/types.js';
import { describeMachine } from './lib/machine.js';
import { type BenchOptions, parseOptions, type Section } from './lib/options.js';
import { REPO_ROOT } from './lib/paths.js';
import { type BenchResults, type TargetResult, toMarkdown } from './lib/report.js';
import { apacheHarnessPresent, type BenchTarget, startApache, startTestServer } from './lib/targets.js';
import { headOfLineSection } from './sections/head-of-line.js';
import { memorySection } from './sections/memory.js';
import {
  externalSessionsClient,
  nodeSessionsClient,
  type SessionsSection,
  sessionsSection,
} from './sections/sessions.js';
import { stallSection } from './sections/stall.js';
import {
  externalThroughputClient,
  nodeThroughputClient,
  type ThroughputSection,
  throughputSection,
} from './sections/throughput.js';
import { tokenSection } from './sections/token.js';

const log = (line: string) => console.error(`[bench] ${line}`);
/** The Node clients of the sessions section: every adapter with its default HTTPSPNEGOAuth. */
const SESSION_NODE_CLIENTS = ['fetch', 'undici', 'axios', 'got', 'ky'];
const errorOf = (e: unknown) => ({ error: (e as Error).message.split('\n')[0]! });

/** Loopback only: no proxy may stand between a client and the local server. */
function clientEnv(realmEnv: object): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...realmEnv, NO_PROXY: '*', no_proxy: '*' };
  for (const key of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) {
    delete env[key];
  }
  return env;
}

async function main(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const machine = await describeMachine();
  const wanted = (name: string) => options.clients === null || options.clients.includes(name);
  const missing: BenchResults['missing'] = [];

  const nodeClients: NodeClient[] = [];
  for (const client of NODE_CLIENTS.filter((c) => wanted(c.name))) {
    if (clientPresent(client)) nodeClients.push(client);
    else
      missing.push({ client: client.label, reason: `src/adapters/${client.adapter}.ts does not exist yet` });
  }
  const externals: ExternalClient[] = [];
  for (const client of [curlClient, requestsKerberosClient, requestsKerberosPreemptive].filter((c) =>
    wanted(c.name),
  )) {
    const reason = await client.unavailable();
    if (reason) missing.push({ client: client.label, reason });
    else externals.push(client);
  }
  // Clients of the sessions section only: reported missing only when that section runs.
  const sessionOnly: ExternalSessionsClient[] = [];
  if (options.sections.includes('sessions')) {
    for (const client of [httpxGssapiClient].filter((c) => wanted(c.name))) {
      const reason = await client.unavailable();
      if (reason) missing.push({ client: client.label, reason });
      else sessionOnly.push(client);
    }
  }
  log(
    `node clients: ${nodeClients.map((c) => c.name).join(', ') || 'none'}; others: ${[...externals, ...sessionOnly].map((c) => c.name).join(', ') || 'none'}`,
  );
  if (missing.length) log(`missing: ${missing.map((m) => `${m.client} (${m.reason})`).join('; ')}`);

  const results: Omit<BenchResults, 'targets' | 'durationSeconds' | 'loadAtEnd'> & {
    token?: BenchResults['token'];
    sessions?: BenchResults['sessions'];
    stall?: BenchResults['stall'];
    hol?: BenchResults['hol'];
    memory?: BenchResults['memory'];
  } = {
    startedAt: startedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick: options.quick,
    machine,
    servers: [],
    missing,
    throughput: [],
  };

  const realm = await TestRealm.start({ log: (l) => log(`realm: ${l}`) });
  const env = clientEnv(realm.env);
  const targets: BenchTarget[] = [];
  try {
    // The shared servers serve the throughput and memory sections; the others start their own.
    if (options.sections.includes('throughput') || options.sections.includes('memory')) {
      targets.push(await startTestServer(env));
    }
    // Apache mod_auth_gssapi, the server most deployments run, when its harness is in the tree.
    if (options.sections.includes('throughput')) {
      if (!apacheHarnessPresent()) {
        results.missing.push({
          client: 'Apache mod_auth_gssapi as a server',
          reason: 'test/helpers/apache.ts is not in this tree; figures are against the test server only',
        });
      } else {
        try {
          targets.push(await startApache(realm));
        } catch (error) {
          results.missing.push({
            client: 'Apache mod_auth_gssapi as a server',
            reason: `ApacheServer.start failed: ${(error as Error).message.split('\n')[0]}`,
          });
        }
      }
    }
    results.servers.push(...targets.map((t) => t.description));
    const testServer = targets[0];

    if (options.sections.includes('token')) {
      log('section 1: token cost');
      results.token = await tokenSection({
        env,
        target: `HTTP@${realm.hostname}`,
        iterations: options.tokenIterations,
        rounds: options.rounds,
        log,
      }).catch(errorOf);
    }

    if (options.sections.includes('throughput')) {
      log('sections 2-3: throughput, latency, round trips');
      const sizes = {
        warmup: options.warmupRequests,
        cold: options.coldRequests,
        sequential: options.sequentialRequests,
        concurrent: options.concurrentRequests,
        inFlight: options.inFlight,
      };
      const clients = [
        ...nodeClients.map((c) => nodeThroughputClient(c, sizes)),
        ...externals.map((c) => externalThroughputClient(c, sizes)),
      ];
      for (const target of targets) {
        results.throughput.push(
          await throughputSection({ clients, target, env, rounds: options.rounds, sizes, log }).catch(
            (e) => ({
              server: target.description,
              ...errorOf(e),
            }),
          ),
        );
      }
    }

    if (options.sections.includes('sessions')) {
      log('section 6: sessions (Apache GssapiUseSessions)');
      results.sessions = await sessions(
        nodeClients.filter((c) => SESSION_NODE_CLIENTS.includes(c.name)),
        [...[curlClient, requestsKerberosClient].filter((c) => externals.includes(c)), ...sessionOnly],
        realm,
        env,
        options,
      ).catch(errorOf);
      if (!('error' in results.sessions)) results.servers.push(results.sessions.server);
    }

    const adapters = nodeClients.filter((c) => c.authenticated && !c.throughputOnly);
    if (options.sections.includes('stall')) {
      log('section 4: event-loop stall through a KDC delayed 300 ms each way');
      results.stall = await stall(adapters, options).catch(errorOf);
    }

    if (options.sections.includes('hol')) {
      log('section 7: head-of-line blocking behind KDC exchanges');
      results.hol = await headOfLine(options).catch(errorOf);
    }

    if (options.sections.includes('memory') && testServer) {
      log('section 5: memory');
      results.memory = await memorySection({
        clients: adapters,
        target: testServer,
        env,
        checkpoints: options.memoryCheckpoints,
        budgetSeconds: options.memoryBudgetSeconds,
        inFlight: options.inFlight,
        log,
      }).catch(errorOf);
    }
  } finally {
    for (const target of targets) await target.stop().catch(() => {});
    await realm.stop();
  }

  const full: BenchResults = {
    ...results,
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAtEnd: loadavg()[0]!,
    targets: evaluateTargets(results, options.sections),
  };
  const markdown = toMarkdown(full);
  const dir = resolve(REPO_ROOT, options.outDir);
  await mkdir(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  for (const name of [`bench-${stamp}`, 'latest']) {
    await writeFile(join(dir, `${name}.json`), `${JSON.stringify(full, null, 2)}\n`);
    await writeFile(join(dir, `${name}.md`), markdown);
  }
  console.log(markdown);
  log(`results: ${join(dir, `bench-${stamp}.json`)} and .md`);
}

/** Section 6 against an Apache of its own, with sessions; reports why when it cannot start. */
async function sessions(
  nodeClients: readonly NodeClient[],
  others: readonly ExternalSessionsClient[],
  realm: TestRealm,
  env: NodeJS.ProcessEnv,
  options: BenchOptions,
): Promise<SessionsSection> {
  if (!apacheHarnessPresent()) throw new Error('test/helpers/apache.ts is not in this tree');
  let target: BenchTarget;
  try {
    target = await startApache(realm, { sessionCookie: true });
  } catch (error) {
    throw new Error(`ApacheServer.start({ sessionCookie: true }) failed: ${(error as Error).message}`);
  }
  const sizes = {
    warmup: options.warmupRequests,
    requests: options.sessionRequests,
    sessions: options.sessionsPerRun,
  };
  try {
    return await sessionsSection({
      clients: [
        ...nodeClients.map((c) => nodeSessionsClient(c, sizes)),
        ...others.map((c) => externalSessionsClient(c, sizes)),
      ],
      target,
      env,
      rounds: options.rounds,
      sizes,
      log,
    });
  } finally {
    await target.stop();
  }
}

async function stall(adapters: readonly NodeClient[], options: BenchOptions) {
  const kdcDelayMs = 300;
  const slow = await TestRealm.start({ realm: 'SLOW.TEST', kdcDelayMs, log: (l) => log(`slow realm: ${l}`) });
  const env = clientEnv(slow.env);
  let target: BenchTarget | undefined;
  try {
    // A second service in the server's keytab, whose ticket the warm measurement fetches.
    const second = await slow.addPrincipal(`HTTP/stall.${slow.hostname}`, { randkey: true });
    await slow.extractKeytab(second, slow.service.keytab);
    target = await startTestServer(env);
    return await stallSection({
      clients: adapters,
      target,
      env,
      tgtCcache: slow.ccache.replace(/^FILE:/, ''),
      secondTarget: `HTTP@stall.${slow.hostname}`,
      dir: slow.dir,
      kdcDelayMs,
      repeats: options.stallRepeats,
      log,
    });
  } finally {
    await target?.stop();
    await slow.stop();
  }
}

/** Section 7 in this process, against a realm of its own whose KDC is 300 ms away each way. */
async function headOfLine(options: BenchOptions) {
  const kdcDelayMs = 300;
  const slow = await TestRealm.start({ realm: 'HOL.TEST', kdcDelayMs, log: (l) => log(`hol realm: ${l}`) });
  const restore = slow.applyEnv();
  try {
    const second = await slow.addPrincipal(`HTTP/hol.${slow.hostname}`, { randkey: true });
    await slow.extractKeytab(second, slow.service.keytab);
    return await headOfLineSection({
      realm: slow,
      kdcDelayMs,
      hosts: [slow.hostname, `hol.${slow.hostname}`],
      rounds: Math.max(3, options.stallRepeats),
      stuck: 2,
      log,
    });
  } finally {
    restore();
    await slow.stop();
  }
}

/** The targets of the sections that ran (a section not asked for adds no row). */
function evaluateTargets(
  r: Omit<BenchResults, 'targets' | 'durationSeconds' | 'loadAtEnd'>,
  ran: readonly Section[],
): TargetResult[] {
  const out: TargetResult[] = [];
  const f2 = (n: number) => n.toFixed(2);
  const sections = r.throughput.filter((s): s is ThroughputSection => !('error' in s));

  if (ran.includes('throughput') && sections.length === 0) {
    out.push({
      target: 'sequential authenticated req/s, undici interceptor ≥ curl',
      measured: 'not measured',
      met: null,
    });
    out.push({ target: 'createFetch ≥ 1.5× requests-kerberos', measured: 'not measured', met: null });
  }
  for (const t of sections) {
    const server = t.server.split(' ')[0];
    // Targets are judged on the warm (steady-state) sequential rate; the cold ratio (the first
    // requests of the process, a's cold rate over b's warm sequential one) is shown beside it.
    const cold = (key: string, unit: string) => {
      const [a, b] = key.split('/');
      const v = t.ratios[`${a}(cold)/${b}`]?.sequential;
      return v === undefined ? '' : ` (cold, first ${t.coldRequests}: ${f2(v)}×${unit})`;
    };
    const undiciCurl = t.ratios['undici/curl']?.sequential;
    out.push({
      target: `sequential authenticated req/s, undici interceptor ≥ curl (${server})`,
      measured:
        undiciCurl === undefined ? 'not measured' : `${f2(undiciCurl)}× curl${cold('undici/curl', '')}`,
      met: undiciCurl === undefined ? null : undiciCurl >= 1,
    });
    for (const key of ['fetch/requests-kerberos', 'fetch-opportunistic/requests-kerberos']) {
      const v = t.ratios[key]?.sequential;
      const conc = t.ratios[key]?.concurrent;
      out.push({
        target: `${key.startsWith('fetch-opp') ? 'createFetch (opportunisticAuth)' : 'createFetch (default)'} ≥ 1.5× requests-kerberos (${server})`,
        measured:
          v === undefined
            ? 'not measured'
            : `${f2(v)}× sequential${cold(key, ' sequential')}, ${conc === undefined ? 'n/a' : f2(conc)}× with 16 in flight`,
        met: v === undefined ? null : v >= 1.5,
      });
    }
  }
  const token = r.token && !('error' in r.token) ? r.token.ratioToC['step'] : undefined;
  const tokenNoCreds = r.token && !('error' in r.token) ? r.token.ratioToC['step-no-creds'] : undefined;
  if (ran.includes('token')) {
    out.push({
      target: 'token cost ≤ 1.3× the C program',
      measured:
        token === undefined
          ? 'not measured'
          : `${f2(token)}× (creds acquired once, as the C program); ${tokenNoCreds === undefined ? 'n/a' : f2(tokenNoCreds)}× with GSS_C_NO_CREDENTIAL on both sides`,
      met: token === undefined ? null : token <= 1.3,
    });
  }
  if (r.stall && !('error' in r.stall)) {
    for (const c of r.stall.clients) {
      out.push({
        target: `event-loop stall < 10 ms: ${c.label}`,
        measured: c.runs.length
          ? `${c.worstStallMs.toFixed(2)} ms worst of ${c.runs.length}`
          : `failed: ${c.error}`,
        met: c.runs.length ? c.worstStallMs < 10 : null,
      });
    }
  } else if (ran.includes('stall')) {
    out.push({ target: 'event-loop stall < 10 ms', measured: 'not measured', met: null });
  }
  if (r.memory && !('error' in r.memory)) {
    for (const c of r.memory.clients) {
      const cps = c.result?.checkpoints ?? [];
      const last = cps[cps.length - 1];
      out.push({
        target: `RSS growth 1k → 100k requests < 20 MB: ${c.label}`,
        measured:
          c.growthMB === undefined
            ? `not measured${c.error ? `: ${c.error}` : ''}`
            : `${c.growthMB.toFixed(1)} MB from ${cps[0]!.requests.toLocaleString('en-US')} to ${last!.requests.toLocaleString('en-US')} requests`,
        met: c.growthMB === undefined || !c.result?.completed ? null : c.growthMB < 20,
      });
    }
  } else if (ran.includes('memory')) {
    out.push({ target: 'RSS growth 1k → 100k requests < 20 MB', measured: 'not measured', met: null });
  }
  if (ran.includes('sessions')) out.push(...sessionTargets(r.sessions));
  return out;
}

/**
 * Section 6's targets, within its one run: createFetch at least as fast as httpx-gssapi, the
 * undici interceptor at least twice curl (which sends a token with every request), and one
 * accepted token per 1,000 requests (one session) for every Node client.
 */
function sessionTargets(section: BenchResults['sessions']): TargetResult[] {
  const s = section && !('error' in section) ? section : undefined;
  const server = '(Apache, sessions)';
  const ratio = (key: string, at: number, name: string): TargetResult => {
    const v = s?.ratios[key];
    // Without a ratio, say whose result is missing (the "Not measured" line says why).
    const absent = key
      .split('/')
      .filter((name) => !s?.clients.some((c) => c.name === name && c.rounds.length));
    return {
      target: `sequential req/s, ${name} ${server}`,
      measured:
        v !== undefined
          ? `${v.toFixed(2)}×`
          : section && 'error' in section
            ? `not measured: ${section.error}`
            : `not measured: no result for ${absent.join(', ')}`,
      met: v === undefined ? null : v >= at,
    };
  };
  const out = [
    ratio('fetch/httpx-gssapi', 1, 'createFetch (default) ≥ 1.0× httpx-gssapi'),
    ratio('undici/curl', 2, 'undici interceptor ≥ 2× curl --negotiate'),
  ];
  for (const c of s?.clients.filter((x) => x.node) ?? []) {
    const v = c.sequential.acceptedTokensPer1000;
    const measured = c.rounds.length ? Number.isFinite(v) : false;
    out.push({
      target: `accepted tokens per 1,000 requests = 1: ${c.label} ${server}`,
      measured: measured
        ? `${v.toFixed(1)} (rounds: ${c.rounds.map((x) => x.acceptedTokensPer1000.toFixed(1)).join(', ')})`
        : `not measured${c.error ? `: ${c.error}` : ''}`,
      met: measured ? c.rounds.every((x) => x.acceptedTokensPer1000 === 1) : null,
    });
  }
  if (!s)
    out.push({
      target: `accepted tokens per 1,000 requests = 1 ${server}`,
      measured: 'not measured',
      met: null,
    });
  return out;
}

try {
  await main(parseOptions(process.argv.slice(2)));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
