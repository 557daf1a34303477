/**
 * `curl --negotiate -u :` as a reference client: one process per run, keep-alive across all its
 * URLs (curl reuses connections between the URLs of one invocation), `--parallel` for the
 * concurrent run. Each URL is its own path so the server counts round trips per request.
 * No cookie jar (`-b`/`-c`): curl then ignores the cookies a server sets, so against a server
 * that keeps sessions it still sends a token with every request, as `curl --negotiate` is
 * usually run.
 *
 * Timing: curl prints `%{http_code} %{time_total}` per transfer, line-buffered (stdbuf -oL),
 * and the bench timestamps each line as it arrives. Throughput counts from the line of the last
 * warm-up transfer to the last line, so process start, library load and warm-up are excluded,
 * as they are for the Node clients. Latencies are curl's own time_total.
 *
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProgram } from '../lib/processes.js';
import type { RunResult, SessionsResult, ThroughputResult } from '../workers/node-client.js';
import type {
  ExternalClient,
  ExternalSessionsClient,
  ExternalSessionsInput,
  ExternalThroughputInput,
} from './types.js';

async function curlRun(
  env: NodeJS.ProcessEnv,
  urls: { warm: string[]; timed: string[] },
  parallel: number,
): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'http-gssapi-bench-curl-'));
  try {
    const config = join(dir, 'urls.conf');
    const all = [...urls.warm, ...urls.timed];
    await writeFile(config, all.map((u) => `url = "${u}"\noutput = "/dev/null"\n`).join(''));
    const args = [
      '-oL',
      'curl',
      '--negotiate',
      '-u',
      ':',
      '-s',
      '-w',
      '%{http_code} %{time_total}\\n',
      '-K',
      config,
    ];
    if (parallel > 1) args.push('--parallel', '--parallel-immediate', '--parallel-max', String(parallel));
    const lines: { status: number; seconds: number; at: number }[] = [];
    const result = await runProgram('stdbuf', args, {
      env,
      onLine: (line, at) => {
        const [status, seconds] = line.trim().split(' ');
        if (status) lines.push({ status: Number(status), seconds: Number(seconds), at });
      },
    });
    if (lines.length !== all.length) {
      throw new Error(
        `curl printed ${lines.length} results for ${all.length} URLs (exit ${result.code}): ${result.stderr}`,
      );
    }
    const timed = lines.slice(urls.warm.length);
    const start = lines[urls.warm.length - 1]!.at;
    const bad = timed.filter((l) => l.status !== 200);
    return {
      count: timed.length,
      elapsedMs: timed[timed.length - 1]!.at - start,
      latenciesMs: timed.map((l) => Math.round(l.seconds * 1e6) / 1000),
      failures: bad.length,
      ...(bad.length ? { firstFailure: `status ${bad[0]!.status}` } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const curlClient: ExternalClient & ExternalSessionsClient = {
  name: 'curl',
  label: 'curl --negotiate -u :',
  async unavailable() {
    try {
      const r = await runProgram('curl', ['--version']);
      if (r.code !== 0) return 'curl --version failed';
      if (!/SPNEGO|GSS-API/.test(r.stdout)) return 'this curl has no SPNEGO/GSS-API support';
      const s = await runProgram('stdbuf', ['--version']);
      return s.code === 0 ? null : 'stdbuf (coreutils) is missing';
    } catch (error) {
      return `curl not found (${(error as Error).message}); run scripts/install-bench-deps.sh`;
    }
  },
  async throughput(input: ExternalThroughputInput): Promise<ThroughputResult> {
    const url = (run: string) => (i: number) => `${input.authBase}${input.prefix}-${run}/${i}`;
    const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    const sequential = await curlRun(
      input.env,
      { warm: range(input.warmup, url('warm')), timed: range(input.sequential, url('seq')) },
      1,
    );
    const concurrent = await curlRun(
      input.env,
      {
        warm: range(Math.max(input.warmup, input.inFlight), url('conc-warm')),
        timed: range(input.concurrent, url('conc')),
      },
      input.inFlight,
    );
    return { sequential, concurrent };
  },
  async sessions(input: ExternalSessionsInput): Promise<SessionsResult> {
    const url = (run: string) => (i: number) => `${input.authBase}${input.prefix}-${run}/${i}`;
    const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    // One process: curl keeps no session to start afresh, and its connection and chosen
    // scheme carry over from the warm-up as a Node client's code and pool do.
    const sequential = await curlRun(
      input.env,
      { warm: range(input.warmup, url('warm')), timed: range(input.requests * input.sessions, url('seq')) },
      1,
    );
    return { sequential };
  },
};
