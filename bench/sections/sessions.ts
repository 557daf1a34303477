/**
 * Section 6, sessions: sequential authenticated GETs against a server that keeps sessions (Apache
 * with `GssapiUseSessions On` and a mod_session cookie), where a client that sends the session
 * cookie back needs one handshake per session instead of a token per request.
 *
 * Per round and client, in a fresh process: the warm-up (as in the throughput section), then
 * `sessions` fresh sessions one after another (each a new client instance, Session or
 * httpx.Client), `requests` sequential GETs each, every one to a path of its own, timed together
 * (several sessions per process: one of 1,000 requests lasts under a second, too short to
 * measure on a shared machine). The server's access log gives the round trips and the tokens it
 * accepted; rounds rotate the client order; figures are medians over rounds and ratios are taken
 * within a round before the median.
 *
 * @module
 */
import type { NodeClient } from '../clients/types.js';
import type { ExternalSessionsClient } from '../external/types.js';
import type { ServerStats } from '../lib/bench-server.js';
import { runWorker } from '../lib/processes.js';
import { median, medianFields, percentile } from '../lib/stats.js';
import { type BenchTarget, groupKey } from '../lib/targets.js';
import type { RunResult, SessionsInput, SessionsResult } from '../workers/node-client.js';

/** A client of either kind, as the section runs it. */
export interface SessionsClient {
  readonly name: string;
  readonly label: string;
  /** A Node client of this library (the tokens target applies to it). */
  readonly node: boolean;
  run(input: { target: BenchTarget; prefix: string; env: NodeJS.ProcessEnv }): Promise<SessionsResult>;
}

export interface SessionsSizes {
  /** Sequential warm-up requests per run (every client). */
  readonly warmup: number;
  /** Timed sequential requests of one session. */
  readonly requests: number;
  /** Sessions per run, one after another. */
  readonly sessions: number;
}

/** One client's timed run of one round. */
export interface SessionsRun {
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  /** HTTP requests the server received per client request. */
  readonly roundTrips: number;
  /** Requests carrying `Authorization: Negotiate` that the server accepted, per 1,000 requests. */
  readonly acceptedTokensPer1000: number;
  /** Requests carrying `Authorization: Negotiate`, accepted or not, per 1,000 requests. */
  readonly tokensPer1000: number;
  /** TCP connections the server saw (over all the run's sessions). */
  readonly connections: number;
}

export interface ClientSessions {
  readonly name: string;
  readonly label: string;
  readonly node: boolean;
  /** Per round. */
  readonly rounds: SessionsRun[];
  /** Medians over rounds (failures summed). */
  readonly sequential: SessionsRun;
  readonly error?: string;
}

export interface SessionsSection {
  readonly server: string;
  readonly warmup: number;
  /** Requests per session. */
  readonly requests: number;
  /** Sessions per client and round. */
  readonly sessions: number;
  readonly clients: ClientSessions[];
  /** Median over rounds of a/b sequential req/s, for the pairs the targets name and a few more. */
  readonly ratios: Record<string, number>;
}

export function nodeSessionsClient(client: NodeClient, sizes: SessionsSizes): SessionsClient {
  return {
    name: client.name,
    label: client.label,
    node: true,
    run: ({ target, prefix, env }) => {
      const input: SessionsInput = {
        mode: 'sessions',
        client: client.name,
        authBase: target.authBase,
        prefix,
        warmup: sizes.warmup,
        requests: sizes.requests,
        sessions: sizes.sessions,
      };
      return runWorker<SessionsResult>('node-client', input, { env });
    },
  };
}

export function externalSessionsClient(client: ExternalSessionsClient, sizes: SessionsSizes): SessionsClient {
  return {
    name: client.name,
    label: client.label,
    node: false,
    run: ({ target, prefix, env }) => client.sessions({ authBase: target.authBase, prefix, env, ...sizes }),
  };
}

function summarize(run: RunResult, stats: ServerStats | undefined): SessionsRun {
  const per1000 = (n: number | undefined) =>
    stats && n !== undefined ? (n * 1000) / Math.max(1, stats.paths) : Number.NaN;
  return {
    requests: run.count,
    reqPerSec: run.count / (run.elapsedMs / 1000),
    p50Ms: percentile(run.latenciesMs, 50),
    p99Ms: percentile(run.latenciesMs, 99),
    failures: run.failures,
    roundTrips: stats ? stats.requests / Math.max(1, stats.paths) : Number.NaN,
    acceptedTokensPer1000: per1000(stats?.acceptedTokens),
    tokensPer1000: per1000(stats?.negotiate),
    connections: stats?.connections ?? Number.NaN,
  };
}

/** Pairs of sequential req/s reported: [numerator, denominator]. The first two are targets. */
const RATIO_PAIRS: readonly [string, string][] = [
  ['fetch', 'httpx-gssapi'],
  ['undici', 'curl'],
  ['fetch', 'requests-kerberos'],
  ['fetch', 'curl'],
  ['undici', 'httpx-gssapi'],
  ['undici', 'requests-kerberos'],
  ['httpx-gssapi', 'curl'],
];

export async function sessionsSection(options: {
  clients: readonly SessionsClient[];
  target: BenchTarget;
  env: NodeJS.ProcessEnv;
  rounds: number;
  sizes: SessionsSizes;
  log: (line: string) => void;
}): Promise<SessionsSection> {
  const { clients, target, env, rounds, log } = options;
  const perClient = new Map<string, SessionsRun[]>();
  const errors = new Map<string, string>();
  const slug = (c: SessionsClient) => c.name.replace(/[^a-z0-9-]/gi, '');
  await target.stats(); // forget anything counted before
  for (let round = 0; round < rounds; round++) {
    const order = clients.map((_, i) => clients[(i + round) % clients.length]!);
    for (const client of order) {
      if (errors.has(client.name)) continue;
      const prefix = `sessions-${slug(client)}-r${round}`;
      try {
        const result = await client.run({ target, prefix, env });
        const seen = await target.stats();
        const run = summarize(result.sequential, seen[groupKey(target.authBase, `${prefix}-seq`)]);
        if (result.sequential.firstFailure) {
          log(`  ${client.name}: failures, first: ${result.sequential.firstFailure}`);
        }
        perClient.set(client.name, [...(perClient.get(client.name) ?? []), run]);
        log(
          `sessions round ${round + 1}/${rounds} ${client.name}: ${run.reqPerSec.toFixed(0)} req/s, ` +
            `${run.acceptedTokensPer1000.toFixed(1)} accepted tokens / 1,000 req, ${run.roundTrips.toFixed(3)} RT`,
        );
      } catch (error) {
        errors.set(client.name, (error as Error).message.split('\n')[0]!);
        log(`sessions ${client.name} failed: ${(error as Error).message}`);
        await target.stats();
      }
    }
  }
  const ratios: Record<string, number> = {};
  for (const [a, b] of RATIO_PAIRS) {
    const ra = perClient.get(a);
    const rb = perClient.get(b);
    if (!ra || !rb) continue;
    const n = Math.min(ra.length, rb.length);
    ratios[`${a}/${b}`] = median(Array.from({ length: n }, (_, i) => ra[i]!.reqPerSec / rb[i]!.reqPerSec));
  }
  return {
    server: target.description,
    warmup: options.sizes.warmup,
    requests: options.sizes.requests,
    sessions: options.sizes.sessions,
    clients: clients.map((c) => {
      const rs = perClient.get(c.name) ?? [];
      return {
        name: c.name,
        label: c.label,
        node: c.node,
        rounds: rs,
        sequential: medianFields(rs, ['failures']),
        ...(errors.has(c.name) ? { error: errors.get(c.name)! } : {}),
      };
    }),
    ratios,
  };
}
