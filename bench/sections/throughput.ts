/**
 * Sections 2 and 3: throughput and latency of authenticated GETs (sequential, and with 16 in
 * flight) for every client, and the round trips each needs per request, counted at the server.
 * Clients run one after another in rounds whose order rotates, each run in a fresh process;
 * figures are medians over rounds, and ratios are taken within a round before the median.
 *
 * Every client gets the same sequential warm-up (2,000 requests by default: a fresh Node process
 * needs about that many before V8 reaches steady state), so the timed runs compare steady states.
 * Node clients also time the first requests of the warm-up as a "cold" run, the figure that
 * matters for short-lived processes; curl and CPython have no JIT and report none.
 *
 * @module
 */
import type { NodeClient } from '../clients/types.js';
import type { ExternalClient } from '../external/types.js';
import type { ServerStats } from '../lib/bench-server.js';
import { runWorker } from '../lib/processes.js';
import { median, medianFields, percentile } from '../lib/stats.js';
import { type BenchTarget, groupKey } from '../lib/targets.js';
import type { RunResult, ThroughputInput, ThroughputResult } from '../workers/node-client.js';

/** A client of either kind, as the section runs it. */
export interface ThroughputClient {
  readonly name: string;
  readonly label: string;
  readonly authenticated: boolean;
  run(input: { target: BenchTarget; prefix: string; env: NodeJS.ProcessEnv }): Promise<ThroughputResult>;
}

/** Requests per run: `cold` of the `warmup` requests are timed as the cold run (Node only). */
export interface ThroughputSizes {
  readonly warmup: number;
  readonly cold: number;
  readonly sequential: number;
  readonly concurrent: number;
  readonly inFlight: number;
}

/** One round of one client. */
export interface RoundSummary {
  readonly sequential: RunSummary;
  readonly concurrent: RunSummary;
  /** The process's first requests, sequential (Node clients only). */
  readonly cold?: RunSummary;
}

export interface RunSummary {
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  /** HTTP requests the server received per client request (round trips). */
  readonly roundTrips: number;
  /** Of the server's requests, how many carried a Negotiate token, per client request. */
  readonly tokensPerRequest: number;
  /** TCP connections the server saw. */
  readonly connections: number;
}

export interface ClientThroughput {
  readonly name: string;
  readonly label: string;
  readonly authenticated: boolean;
  /** Per round. */
  readonly rounds: RoundSummary[];
  /** Medians over rounds. */
  readonly sequential: RunSummary;
  readonly concurrent: RunSummary;
  /** Median over rounds of the cold run, for clients that report one (Node clients). */
  readonly cold?: RunSummary;
  readonly error?: string;
}

export interface ThroughputSection {
  readonly server: string;
  readonly sequentialRequests: number;
  readonly concurrentRequests: number;
  readonly inFlight: number;
  /** Sequential warm-up requests per run (every client). */
  readonly warmup: number;
  /** Of the warm-up, the first requests a Node client times as its cold run. */
  readonly coldRequests: number;
  readonly clients: ClientThroughput[];
  /**
   * Median over rounds of a/b sequential (and concurrent) req/s, for the pairs the targets name.
   * Keys `a(cold)/b` divide a's cold rate by b's sequential one; they have no concurrent value.
   */
  readonly ratios: Record<string, { sequential: number; concurrent?: number }>;
}

export function nodeThroughputClient(client: NodeClient, sizes: ThroughputSizes): ThroughputClient {
  return {
    name: client.name,
    label: client.label,
    authenticated: client.authenticated,
    run: ({ target, prefix, env }) => {
      const input: ThroughputInput = {
        mode: 'throughput',
        client: client.name,
        authBase: target.authBase,
        publicBase: target.publicBase,
        prefix,
        ...sizes,
      };
      return runWorker<ThroughputResult>('node-client', input, { env });
    },
  };
}

export function externalThroughputClient(client: ExternalClient, sizes: ThroughputSizes): ThroughputClient {
  return {
    name: client.name,
    label: client.label,
    authenticated: true,
    run: ({ target, prefix, env }) =>
      client.throughput({
        authBase: target.authBase,
        prefix,
        env,
        warmup: sizes.warmup,
        sequential: sizes.sequential,
        concurrent: sizes.concurrent,
        inFlight: sizes.inFlight,
      }),
  };
}

function summarize(run: RunResult, stats: ServerStats | undefined): RunSummary {
  const requests = run.count;
  return {
    requests,
    reqPerSec: requests / (run.elapsedMs / 1000),
    p50Ms: percentile(run.latenciesMs, 50),
    p99Ms: percentile(run.latenciesMs, 99),
    failures: run.failures,
    roundTrips: stats ? stats.requests / Math.max(1, stats.paths) : Number.NaN,
    tokensPerRequest: stats ? stats.negotiate / Math.max(1, stats.paths) : Number.NaN,
    connections: stats?.connections ?? Number.NaN,
  };
}

/** Pairs whose ratios the targets name: [numerator, denominator]. */
const RATIO_PAIRS: readonly [string, string][] = [
  ['undici', 'curl'],
  ['undici-creds', 'curl'],
  ['fetch-creds', 'requests-kerberos'],
  ['fetch', 'curl'],
  ['fetch', 'requests-kerberos'],
  ['fetch-opportunistic', 'requests-kerberos'],
  ['fetch-opportunistic', 'requests-kerberos-preemptive'],
  ['undici', 'requests-kerberos'],
  ['fetch', 'fetch-unauthenticated'],
  ['undici', 'undici-unauthenticated'],
  ['curl', 'undici-unauthenticated'],
  ['curl', 'fetch-unauthenticated'],
];

/** Pairs of a's cold rate over b's (warm) sequential rate: [numerator, denominator]. */
const COLD_RATIO_PAIRS: readonly [string, string][] = [
  ['undici', 'curl'],
  ['undici', 'requests-kerberos'],
  ['fetch', 'curl'],
  ['fetch', 'requests-kerberos'],
];

export async function throughputSection(options: {
  clients: readonly ThroughputClient[];
  target: BenchTarget;
  env: NodeJS.ProcessEnv;
  rounds: number;
  sizes: ThroughputSizes;
  log: (line: string) => void;
}): Promise<ThroughputSection> {
  const { clients, target, env, rounds, log } = options;
  const stats = () => target.stats();
  const perClient = new Map<string, RoundSummary[]>();
  const errors = new Map<string, string>();
  const bySlug = (c: ThroughputClient) => c.name.replace(/[^a-z0-9-]/gi, '');
  await stats(); // forget anything counted before
  for (let round = 0; round < rounds; round++) {
    const order = clients.map((_, i) => clients[(i + round) % clients.length]!);
    for (const client of order) {
      if (errors.has(client.name)) continue;
      const prefix = `${target.name}-${bySlug(client)}-r${round}`;
      try {
        const result = await client.run({ target, prefix, env });
        const seen = await stats();
        const base = client.authenticated ? target.authBase : target.publicBase;
        const summary: RoundSummary = {
          sequential: summarize(result.sequential, seen[groupKey(base, `${prefix}-seq`)]),
          concurrent: summarize(result.concurrent, seen[groupKey(base, `${prefix}-conc`)]),
          ...(result.cold ? { cold: summarize(result.cold, seen[groupKey(base, `${prefix}-cold`)]) } : {}),
        };
        const firstFailure =
          result.cold?.firstFailure ?? result.sequential.firstFailure ?? result.concurrent.firstFailure;
        if (firstFailure) log(`  ${client.name}: failures, first: ${firstFailure}`);
        const list = perClient.get(client.name) ?? [];
        list.push(summary);
        perClient.set(client.name, list);
        log(
          `throughput ${target.name} round ${round + 1}/${rounds} ${client.name}: ` +
            (summary.cold ? `cold ${summary.cold.reqPerSec.toFixed(0)} req/s, ` : '') +
            `sequential ${summary.sequential.reqPerSec.toFixed(0)} req/s (${summary.sequential.roundTrips.toFixed(2)} RT), ` +
            `${options.sizes.inFlight} in flight ${summary.concurrent.reqPerSec.toFixed(0)} req/s`,
        );
      } catch (error) {
        errors.set(client.name, (error as Error).message.split('\n')[0]!);
        log(`throughput ${target.name} ${client.name} failed: ${(error as Error).message}`);
        await stats();
      }
    }
  }
  const results: ClientThroughput[] = clients.map((c) => {
    const rs = perClient.get(c.name) ?? [];
    const colds = rs.flatMap((r) => (r.cold ? [r.cold] : []));
    return {
      name: c.name,
      label: c.label,
      authenticated: c.authenticated,
      rounds: rs,
      sequential: medianFields(
        rs.map((r) => r.sequential),
        ['failures'],
      ),
      concurrent: medianFields(
        rs.map((r) => r.concurrent),
        ['failures'],
      ),
      ...(colds.length ? { cold: medianFields(colds, ['failures']) } : {}),
      ...(errors.has(c.name) ? { error: errors.get(c.name)! } : {}),
    };
  });
  const ratios: ThroughputSection['ratios'] = {};
  for (const [a, b] of RATIO_PAIRS) {
    const ra = perClient.get(a);
    const rb = perClient.get(b);
    if (!ra || !rb) continue;
    const n = Math.min(ra.length, rb.length);
    const per = (k: 'sequential' | 'concurrent') =>
      median(Array.from({ length: n }, (_, i) => ra[i]![k].reqPerSec / rb[i]![k].reqPerSec));
    ratios[`${a}/${b}`] = { sequential: per('sequential'), concurrent: per('concurrent') };
  }
  for (const [a, b] of COLD_RATIO_PAIRS) {
    const ra = perClient.get(a);
    const rb = perClient.get(b);
    if (!ra || !rb) continue;
    const n = Math.min(ra.length, rb.length);
    const per = Array.from({ length: n }, (_, i) => {
      const cold = ra[i]!.cold;
      return cold ? cold.reqPerSec / rb[i]!.sequential.reqPerSec : Number.NaN;
    }).filter(Number.isFinite);
    if (per.length) ratios[`${a}(cold)/${b}`] = { sequential: median(per) };
  }
  return {
    server: target.description,
    sequentialRequests: options.sizes.sequential,
    concurrentRequests: options.sizes.concurrent,
    inFlight: options.sizes.inFlight,
    warmup: options.sizes.warmup,
    coldRequests: Math.min(options.sizes.cold, options.sizes.warmup),
    clients: results,
    ratios,
  };
}
