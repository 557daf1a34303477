/**
 * Sections 2 and 3: throughput and latency of authenticated GETs (sequential, and with 16 in
 * flight) for every client, and the round trips each needs per request, counted at the server.
 * Clients run one after another in rounds whose order rotates, each run in a fresh process;
 * figures are medians over rounds, and ratios are taken within a round before the median.
 *
 * @module
 */
import type { NodeClient } from '../clients/types.js';
import type { ExternalClient } from '../external/types.js';
import type { ServerStats } from '../lib/bench-server.js';
import { runWorker } from '../lib/processes.js';
import { median, percentile } from '../lib/stats.js';
import { type BenchTarget, groupKey } from '../lib/targets.js';
import type { RunResult, ThroughputInput, ThroughputResult } from '../workers/node-client.js';

/** A client of either kind, as the section runs it. */
export interface ThroughputClient {
  readonly name: string;
  readonly label: string;
  readonly authenticated: boolean;
  run(input: { target: BenchTarget; prefix: string; env: NodeJS.ProcessEnv }): Promise<ThroughputResult>;
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
  readonly rounds: { sequential: RunSummary; concurrent: RunSummary }[];
  /** Medians over rounds. */
  readonly sequential: RunSummary;
  readonly concurrent: RunSummary;
  readonly error?: string;
}

export interface ThroughputSection {
  readonly server: string;
  readonly sequentialRequests: number;
  readonly concurrentRequests: number;
  readonly inFlight: number;
  readonly warmup: number;
  readonly clients: ClientThroughput[];
  /** Median over rounds of a/b sequential (and concurrent) req/s, for the pairs the targets name. */
  readonly ratios: Record<string, { sequential: number; concurrent: number }>;
}

export function nodeThroughputClient(
  client: NodeClient,
  sizes: { warmup: number; sequential: number; concurrent: number; inFlight: number },
): ThroughputClient {
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

export function externalThroughputClient(
  client: ExternalClient,
  sizes: { warmup: number; sequential: number; concurrent: number; inFlight: number },
): ThroughputClient {
  return {
    name: client.name,
    label: client.label,
    authenticated: true,
    run: ({ target, prefix, env }) => client.throughput({ authBase: target.authBase, prefix, env, ...sizes }),
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

function medianSummary(runs: readonly RunSummary[]): RunSummary {
  const m = (key: keyof RunSummary) => median(runs.map((r) => r[key]));
  return {
    requests: m('requests'),
    reqPerSec: m('reqPerSec'),
    p50Ms: m('p50Ms'),
    p99Ms: m('p99Ms'),
    failures: runs.reduce((a, r) => a + r.failures, 0),
    roundTrips: m('roundTrips'),
    tokensPerRequest: m('tokensPerRequest'),
    connections: m('connections'),
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

export async function throughputSection(options: {
  clients: readonly ThroughputClient[];
  target: BenchTarget;
  env: NodeJS.ProcessEnv;
  rounds: number;
  sizes: { warmup: number; sequential: number; concurrent: number; inFlight: number };
  log: (line: string) => void;
}): Promise<ThroughputSection> {
  const { clients, target, env, rounds, log } = options;
  const stats = () => target.stats();
  const perClient = new Map<string, { sequential: RunSummary; concurrent: RunSummary }[]>();
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
        const summary = {
          sequential: summarize(result.sequential, seen[groupKey(base, `${prefix}-seq`)]),
          concurrent: summarize(result.concurrent, seen[groupKey(base, `${prefix}-conc`)]),
        };
        if (result.sequential.firstFailure || result.concurrent.firstFailure) {
          log(
            `  ${client.name}: failures, first: ${result.sequential.firstFailure ?? result.concurrent.firstFailure}`,
          );
        }
        const list = perClient.get(client.name) ?? [];
        list.push(summary);
        perClient.set(client.name, list);
        log(
          `throughput ${target.name} round ${round + 1}/${rounds} ${client.name}: sequential ${summary.sequential.reqPerSec.toFixed(0)} req/s (${summary.sequential.roundTrips.toFixed(2)} RT), ` +
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
    return {
      name: c.name,
      label: c.label,
      authenticated: c.authenticated,
      rounds: rs,
      sequential: medianSummary(rs.map((r) => r.sequential)),
      concurrent: medianSummary(rs.map((r) => r.concurrent)),
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
  return {
    server: target.description,
    sequentialRequests: options.sizes.sequential,
    concurrentRequests: options.sizes.concurrent,
    inFlight: options.sizes.inFlight,
    warmup: options.sizes.warmup,
    clients: results,
    ratios,
  };
}
