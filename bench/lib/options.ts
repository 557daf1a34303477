/**
 * Command-line options of `npm run bench` (build/bench/run.js).
 *
 * @module
 */

/** Sections of the benchmark, in the order they run. */
export const SECTIONS = ['token', 'throughput', 'sessions', 'stall', 'memory', 'hol'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** A short smoke run: few iterations, one round, small memory run. */
  readonly quick: boolean;
  /** Sections to run; default all. */
  readonly sections: readonly Section[];
  /** Client names to run (see clients/index.ts); default all. */
  readonly clients: readonly string[] | null;
  /** Repetitions of the alternated rounds (token cost, throughput); the median is reported. */
  readonly rounds: number;
  /** Tokens per round in the token-cost section. */
  readonly tokenIterations: number;
  /**
   * Sequential requests per client per run before the timed runs (JIT, connections, the ticket in
   * the ccache). A fresh Node process needs about 2,000 before V8 reaches steady state; curl and
   * CPython have no JIT and get the same count so the comparison is uniform.
   */
  readonly warmupRequests: number;
  /**
   * Of the warm-up, how many of the first requests a Node client times as its "cold" run (the
   * process as a short-lived CLI sees it); never more than the warm-up.
   */
  readonly coldRequests: number;
  /** Requests per client per round, sequential. */
  readonly sequentialRequests: number;
  /** Requests per client per round, 16 in flight. */
  readonly concurrentRequests: number;
  /** Requests in flight in the concurrent runs. */
  readonly inFlight: number;
  /**
   * Sequential requests of one fresh session in the sessions section (after the warm-up): 1,000,
   * so one handshake per session is one accepted token per 1,000 requests.
   */
  readonly sessionRequests: number;
  /** Fresh sessions per client and run in the sessions section, one after another, timed together. */
  readonly sessionsPerRun: number;
  /** The memory run's two checkpoints (authenticated requests). */
  readonly memoryCheckpoints: readonly [number, number];
  /** Bound on each memory run, in seconds: the run stops there and reports the count reached. */
  readonly memoryBudgetSeconds: number;
  /** Stall measurements per adapter (each in a fresh process with a fresh ccache). */
  readonly stallRepeats: number;
  /** Where the JSON and markdown go. */
  readonly outDir: string;
}

const USAGE = `usage: npm run bench -- [--quick] [--sections=token,throughput,sessions,stall,memory,hol]
       [--clients=name,...] [--rounds=N] [--warmup=N] [--memory-budget=SECONDS] [--out=DIR]

  --warmup=N  sequential warm-up requests per client and run (default 2000, --quick 200); the
              first 500 of them (--quick 50, at most N) are a Node client's timed cold run`;

/** Parses argv (without node and the script); throws a TypeError naming a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new TypeError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    flags.set(match[1]!, match[2] ?? 'true');
  }
  const known = new Set(['quick', 'sections', 'clients', 'rounds', 'warmup', 'memory-budget', 'out']);
  for (const key of flags.keys()) if (!known.has(key)) throw new TypeError(`unknown flag --${key}\n${USAGE}`);
  const quick = flags.get('quick') === 'true';
  const list = (key: string) =>
    flags
      .get(key)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? null;
  const sections = (list('sections') ?? [...SECTIONS]) as Section[];
  for (const s of sections) {
    if (!SECTIONS.includes(s))
      throw new TypeError(`--sections: unknown section ${s} (${SECTIONS.join(', ')})`);
  }
  const int = (key: string, fallback: number) => {
    const value = flags.get(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new TypeError(`--${key} must be a positive integer, got ${value}`);
    return n;
  };
  const warmupRequests = int('warmup', quick ? 200 : 2000);
  return {
    quick,
    sections,
    clients: list('clients'),
    rounds: int('rounds', quick ? 1 : 3),
    tokenIterations: quick ? 300 : 2000,
    warmupRequests,
    coldRequests: Math.min(warmupRequests, quick ? 50 : 500),
    sequentialRequests: quick ? 100 : 500,
    concurrentRequests: quick ? 200 : 1000,
    inFlight: 16,
    sessionRequests: 1000,
    sessionsPerRun: quick ? 1 : 5,
    memoryCheckpoints: quick ? [200, 2000] : [1000, 100_000],
    memoryBudgetSeconds: int('memory-budget', quick ? 15 : 40),
    stallRepeats: quick ? 1 : 3,
    outDir: flags.get('out') ?? 'bench/results',
  };
}
