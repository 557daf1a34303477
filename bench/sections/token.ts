/**
 * Section 1, token cost: `SecurityContext.step()` for a first SPNEGO token with a cached
 * service ticket, against bench/c/gss-token.c calling gss_init_sec_context directly. Both
 * processes run alternately, round after round; the ratio is taken per round, then the median.
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoFile } from '../lib/paths.js';
import { runProgram, runWorker } from '../lib/processes.js';
import { median } from '../lib/stats.js';
import { TOKEN_VARIANTS, type TokenInput, type TokenResult, type TokenTiming } from '../workers/token.js';

export interface CTiming {
  readonly iterations: number;
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly tokenBytes: number;
}

export interface TokenSection {
  readonly target: string;
  readonly flags: number;
  readonly iterationsPerRound: number;
  readonly rounds: { readonly c: CTiming; readonly cNoCreds: CTiming; readonly node: TokenResult }[];
  /** Medians over rounds of each variant's mean ns per token. */
  readonly meanNs: Record<string, number>;
  readonly p50Ns: Record<string, number>;
  readonly p99Ns: Record<string, number>;
  /** Median over rounds of (variant mean / C mean). */
  readonly ratioToC: Record<string, number>;
  readonly compiler: string;
}

const SEQUENCE_FLAG = 8;

/** Compiles the C reference into a temp dir; returns the binary and the directory to remove. */
async function compile(): Promise<{ binary: string; dir: string; compiler: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-bench-c-'));
  const binary = join(dir, 'gss-token');
  const args = ['-O2', '-Wall', '-o', binary, repoFile('bench/c/gss-token.c'), '-lgssapi_krb5'];
  const r = await runProgram('gcc', args);
  if (r.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `gcc failed (exit ${r.code}); scripts/install-bench-deps.sh installs gcc and libkrb5-dev\n${r.stderr}`,
    );
  }
  const version = await runProgram('gcc', ['-dumpfullversion']);
  return { binary, dir, compiler: `gcc ${version.stdout.trim()} -O2` };
}

export async function tokenSection(options: {
  env: NodeJS.ProcessEnv;
  target: string;
  iterations: number;
  rounds: number;
  log: (line: string) => void;
}): Promise<TokenSection> {
  const { env, target, iterations, rounds, log } = options;
  const { binary, dir, compiler } = await compile();
  const warmup = 100;
  const runC = async (creds: 'acquire' | 'none' = 'acquire'): Promise<CTiming> => {
    const args = [target, String(iterations), String(warmup), String(SEQUENCE_FLAG), creds];
    const r = await runProgram(binary, args, { env });
    if (r.code !== 0) throw new Error(`gss-token failed (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as CTiming;
  };
  const runNode = (round: number): Promise<TokenResult> => {
    // Rotate the variants' order so none always runs first in its process.
    const variants = TOKEN_VARIANTS.map((_, i) => TOKEN_VARIANTS[(i + round) % TOKEN_VARIANTS.length]!);
    const input: TokenInput = { target, iterations, warmup, flags: SEQUENCE_FLAG, variants };
    return runWorker<TokenResult>('token', input, { env });
  };
  try {
    const results: { c: CTiming; cNoCreds: CTiming; node: TokenResult }[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first.
      let c: CTiming;
      let cNoCreds: CTiming;
      let node: TokenResult;
      if (round % 2 === 0) {
        c = await runC();
        cNoCreds = await runC('none');
        node = await runNode(round);
      } else {
        node = await runNode(round);
        cNoCreds = await runC('none');
        c = await runC();
      }
      results.push({ c, cNoCreds, node });
      log(
        `token round ${round + 1}/${rounds}: C ${(c.meanNs / 1000).toFixed(1)} us, step() ${((node.step?.meanNs ?? Number.NaN) / 1000).toFixed(1)} us; ` +
          `no creds: C ${(cNoCreds.meanNs / 1000).toFixed(1)} us, step() ${((node['step-no-creds']?.meanNs ?? Number.NaN) / 1000).toFixed(1)} us`,
      );
    }
    const meanNs: Record<string, number> = {
      c: median(results.map((r) => r.c.meanNs)),
      'c-no-creds': median(results.map((r) => r.cNoCreds.meanNs)),
    };
    const p50Ns: Record<string, number> = {
      c: median(results.map((r) => r.c.p50Ns)),
      'c-no-creds': median(results.map((r) => r.cNoCreds.p50Ns)),
    };
    const p99Ns: Record<string, number> = {
      c: median(results.map((r) => r.c.p99Ns)),
      'c-no-creds': median(results.map((r) => r.cNoCreds.p99Ns)),
    };
    const ratioToC: Record<string, number> = { c: 1, 'c-no-creds': 1 };
    for (const variant of TOKEN_VARIANTS) {
      const timings = results.map((r) => r.node[variant]).filter((t): t is TokenTiming => t !== undefined);
      if (timings.length === 0) continue;
      meanNs[variant] = median(timings.map((t) => t.meanNs));
      p50Ns[variant] = median(timings.map((t) => t.p50Ns));
      p99Ns[variant] = median(timings.map((t) => t.p99Ns));
      // Each variant against the C loop with the same credentials: GSS_C_NO_CREDENTIAL for
      // step-no-creds, default credentials acquired once for the others.
      const reference = (r: (typeof results)[number]) => (variant === 'step-no-creds' ? r.cNoCreds : r.c);
      ratioToC[variant] = median(
        results.map((r) => (r.node[variant]?.meanNs ?? Number.NaN) / reference(r).meanNs),
      );
    }
    return {
      target,
      flags: SEQUENCE_FLAG,
      iterationsPerRound: iterations,
      rounds: results,
      meanNs,
      p50Ns,
      p99Ns,
      ratioToC,
      compiler,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
