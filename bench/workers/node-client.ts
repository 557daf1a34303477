/**
 * One Node client in a process of its own: throughput and latency, one session's sequential
 * requests, the event-loop stall while a ticket is fetched, or memory over many requests. A fresh process per measurement keeps one
 * client's JIT state, heap and connections from touching another's.
 *
 * @module
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { liveHandleCount, Name, NameType } from '../../src/gssapi/index.js';
import { loadGssapiLibrary, outstandingAllocations } from '../../src/gssapi/raw/index.js';
import { nodeClient } from '../clients/index.js';
import type { Requester } from '../clients/types.js';
import { serveWorker } from '../lib/processes.js';

export interface ThroughputInput {
  readonly mode: 'throughput';
  readonly client: string;
  /** URL prefix of the server's authenticated resource, e.g. `http://localhost:1234/ok/`. */
  readonly authBase: string;
  /** URL prefix of the same resource without authentication. */
  readonly publicBase: string;
  readonly prefix: string;
  /** Sequential requests before the timed runs, the cold run included. */
  readonly warmup: number;
  /** The first requests of the warm-up, timed as the cold run (at most `warmup`; 0 for none). */
  readonly cold: number;
  readonly sequential: number;
  readonly concurrent: number;
  readonly inFlight: number;
}

/** One timed run: how many requests, how long, each one's latency. */
export interface RunResult {
  readonly count: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  /** Requests that failed or did not answer 200. */
  readonly failures: number;
  readonly firstFailure?: string;
}

export interface ThroughputResult {
  /** Timed after the warm-up: steady state. */
  readonly sequential: RunResult;
  readonly concurrent: RunResult;
  /**
   * The first requests of the process, sequential, timed as part of the warm-up (path group
   * `<prefix>-cold`): what a short-lived process sees before the JIT has caught up. Only Node
   * clients report it; curl and CPython have no JIT to warm.
   */
  readonly cold?: RunResult;
}

export interface SessionsInput {
  readonly mode: 'sessions';
  readonly client: string;
  /** URL prefix of the authenticated resource of a server that keeps sessions. */
  readonly authBase: string;
  readonly prefix: string;
  /** Sequential requests of the warm-up instance (group `<prefix>-warm`). */
  readonly warmup: number;
  /** Sequential requests of each fresh instance, timed (group `<prefix>-seq`). */
  readonly requests: number;
  /** Fresh instances (sessions), one after another. */
  readonly sessions: number;
}

export interface SessionsResult {
  /** The sessions' requests together, each session from its first request (its handshake included). */
  readonly sequential: RunResult;
}

export interface StallInput {
  readonly mode: 'stall';
  readonly client: string;
  readonly authBase: string;
  readonly publicBase: string;
  readonly prefix: string;
  /** A second service (in the server's keytab) whose ticket the warm measurement fetches. */
  readonly secondTarget: string;
}

/** One measured window. */
export interface StallWindow {
  /** How long the window lasted (the authenticated request, ticket fetch included). */
  readonly elapsedMs: number;
  /** Longest gap between ticks of a 1 ms interval timer, minus the 1 ms it should be. */
  readonly longestStallMs: number;
  /** monitorEventLoopDelay's maximum and 99th percentile over the same window. */
  readonly histogramMaxMs: number;
  readonly histogramP99Ms: number;
  readonly status: number;
}

export interface StallResult {
  /** The first authenticated request of the process: cold code, ticket fetched from the KDC. */
  readonly cold: StallWindow;
  /** A second service's ticket fetched once the code is warm (a new client instance). */
  readonly warm: StallWindow;
  /** The same timer over an idle 500 ms in the same process: what the machine alone does. */
  readonly idle: StallWindow;
  /** The synchronous cost of loading libgssapi_krb5 and binding its functions (before the windows). */
  readonly libraryLoadMs: number;
}

export interface MemoryInput {
  readonly mode: 'memory';
  readonly client: string;
  readonly authBase: string;
  readonly publicBase: string;
  readonly prefix: string;
  readonly checkpoints: readonly number[];
  readonly budgetMs: number;
  readonly inFlight: number;
}

export interface MemoryCheckpoint {
  readonly requests: number;
  readonly elapsedMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
  readonly liveHandles: number;
  readonly outstandingAllocations: number;
}

export interface MemoryResult {
  readonly checkpoints: MemoryCheckpoint[];
  /** Whether the last checkpoint was reached within the budget. */
  readonly completed: boolean;
  readonly failures: number;
  readonly firstFailure?: string;
}

type Input = ThroughputInput | SessionsInput | StallInput | MemoryInput;

/** Where a client's requests go: the authenticated resource, or for the ceiling the public one. */
const baseFor = (input: { client: string; authBase: string; publicBase: string }) =>
  nodeClient(input.client).authenticated ? input.authBase : input.publicBase;

/** Runs `count` GETs with `inFlight` at a time (1 = sequential), stopping early at `deadline`. */
async function run(
  client: Requester,
  url: (i: number) => string,
  count: number,
  inFlight: number,
  deadline = Number.POSITIVE_INFINITY,
  offset = 0,
): Promise<RunResult> {
  const latencies = new Array<number>(count);
  let next = 0;
  let done = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const lane = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        const status = await client.get(url(offset + i));
        if (status !== 200) {
          failures++;
          firstFailure ??= `status ${status}`;
        }
      } catch (error) {
        failures++;
        firstFailure ??= String((error as Error).message ?? error);
      }
      latencies[i] = performance.now() - t0;
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const elapsedMs = performance.now() - started;
  latencies.length = done;
  return {
    count: done,
    elapsedMs,
    latenciesMs: latencies.map((l) => Math.round(l * 1000) / 1000),
    failures,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

async function throughput(input: ThroughputInput): Promise<ThroughputResult> {
  const client = await nodeClient(input.client).create();
  const base = baseFor(input);
  const at = (suffix: string) => (i: number) => `${base}${input.prefix}-${suffix}/${i}`;
  try {
    // The warm-up's first `cold` requests are the process's first: timed, in a group of their own.
    const coldCount = Math.min(input.cold, input.warmup);
    const cold = coldCount > 0 ? await run(client, at('cold'), coldCount, 1) : undefined;
    await run(client, at('warm'), input.warmup - coldCount, 1);
    const sequential = await run(client, at('seq'), input.sequential, 1);
    const concurrent = await run(client, at('conc'), input.concurrent, input.inFlight);
    return { sequential, concurrent, ...(cold ? { cold } : {}) };
  } finally {
    await client.close();
  }
}

/**
 * The warm-up runs on an instance of its own (the code, the connection pool, the ticket in the
 * ccache); the timed requests then run on fresh instances, one after another, each a session
 * from its first request, so each one's handshake is part of the measurement as in a real process.
 */
async function sessions(input: SessionsInput): Promise<SessionsResult> {
  const at = (suffix: string) => (i: number) => `${input.authBase}${input.prefix}-${suffix}/${i}`;
  const warm = await nodeClient(input.client).create();
  try {
    await run(warm, at('warm'), input.warmup, 1);
  } finally {
    await warm.close();
  }
  const runs: RunResult[] = [];
  for (let s = 0; s < input.sessions; s++) {
    const client = await nodeClient(input.client).create();
    try {
      runs.push(
        await run(client, at('seq'), input.requests, 1, Number.POSITIVE_INFINITY, s * input.requests),
      );
    } finally {
      await client.close();
    }
  }
  return { sequential: joinRuns(runs) };
}

/** Runs one after another as one: counts and times added, latencies in order. */
function joinRuns(runs: readonly RunResult[]): RunResult {
  const firstFailure = runs.find((r) => r.firstFailure)?.firstFailure;
  return {
    count: runs.reduce((a, r) => a + r.count, 0),
    elapsedMs: runs.reduce((a, r) => a + r.elapsedMs, 0),
    latenciesMs: runs.flatMap((r) => r.latenciesMs),
    failures: runs.reduce((a, r) => a + r.failures, 0),
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** Runs `body` while a 1 ms timer and the loop-delay histogram watch the event loop. */
async function watchLoop(body: () => Promise<number>): Promise<StallWindow> {
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  const status = await body();
  const elapsedMs = performance.now() - started;
  histogram.disable();
  clearInterval(timer);
  longest = Math.max(longest, performance.now() - last);
  return {
    elapsedMs,
    longestStallMs: Math.max(0, longest - 1),
    histogramMaxMs: histogram.max / 1e6,
    histogramP99Ms: histogram.percentile(99) / 1e6,
    status,
  };
}

async function stall(input: StallInput): Promise<StallResult> {
  const client = await nodeClient(input.client).create();
  const second = await nodeClient(input.client).create({ targetName: input.secondTarget });
  try {
    // Outside the windows: the HTTP client's own start (modules, first connection) and the
    // library load, which happen once per process whatever the KDC does. The warm-up goes to
    // 127.0.0.1, a host with no service principal, so a client that sends a token up front
    // cannot put a ticket for localhost in the ccache before the measurement.
    const warmUrl = new URL(`${input.publicBase}${input.prefix}-warm/0`);
    warmUrl.hostname = '127.0.0.1';
    await client.get(warmUrl.href);
    // Node's first connection to a host *name* compiles its IPv6 matcher (net.isIPv6) and the
    // like, about 20 ms on this machine (CPU profile): warm that outside the window too, with a
    // plain unauthenticated request to the same name.
    await (await fetch(`${input.publicBase}${input.prefix}-warm/1`)).arrayBuffer();
    const loadStart = performance.now();
    loadGssapiLibrary();
    new Name('HTTP@localhost', NameType.hostbasedService).dispose();
    const libraryLoadMs = performance.now() - loadStart;
    await tick();

    const idle = await watchLoop(async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return 0;
    });
    const cold = await watchLoop(() => client.get(`${input.authBase}${input.prefix}/1`));
    const warm = await watchLoop(() => second.get(`${input.authBase}${input.prefix}/2`));
    return { cold, warm, idle, libraryLoadMs };
  } finally {
    await client.close();
    await second.close();
  }
}

async function settle(): Promise<void> {
  // Two collections with turns of the loop between them: FinalizationRegistry callbacks (which
  // release native handles) run after the first.
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await tick();
  }
}

async function memory(input: MemoryInput): Promise<MemoryResult> {
  if (!globalThis.gc) throw new Error('run with --expose-gc');
  const client = await nodeClient(input.client).create();
  const base = baseFor(input);
  const url = (i: number) => `${base}${input.prefix}/${i}`;
  const deadline = performance.now() + input.budgetMs;
  const started = performance.now();
  const checkpoints: MemoryCheckpoint[] = [];
  let requests = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  try {
    for (const target of input.checkpoints) {
      const result = await run(client, url, target - requests, input.inFlight, deadline, requests);
      requests += result.count;
      failures += result.failures;
      firstFailure ??= result.firstFailure;
      await settle();
      const usage = process.memoryUsage();
      checkpoints.push({
        requests,
        elapsedMs: performance.now() - started,
        rssBytes: usage.rss,
        heapUsedBytes: usage.heapUsed,
        externalBytes: usage.external,
        liveHandles: liveHandleCount(),
        outstandingAllocations: outstandingAllocations(),
      });
      if (requests < target) break;
    }
    return {
      checkpoints,
      completed: requests >= input.checkpoints[input.checkpoints.length - 1]!,
      failures,
      ...(firstFailure ? { firstFailure } : {}),
    };
  } finally {
    await client.close();
  }
}

serveWorker<Input, unknown>(async (input) => {
  switch (input.mode) {
    case 'throughput':
      return throughput(input);
    case 'sessions':
      return sessions(input);
    case 'stall':
      return stall(input);
    case 'memory':
      return memory(input);
  }
});
