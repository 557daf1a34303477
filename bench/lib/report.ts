/**
 * The results as markdown: the table that goes to the terminal, to bench/results and (copied by
 * hand from one full run) into docs/benchmarks.md.
 *
 * @module
 */

import type { HeadOfLineSection } from '../sections/head-of-line.js';
import type { MemorySection } from '../sections/memory.js';
import type { SessionsSection } from '../sections/sessions.js';
import type { StallSection } from '../sections/stall.js';
import type { ThroughputSection } from '../sections/throughput.js';
import type { TokenSection } from '../sections/token.js';
import type { MachineInfo } from './machine.js';

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly command: string;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly loadAtEnd: number;
  readonly servers: string[];
  readonly missing: { readonly client: string; readonly reason: string }[];
  readonly token?: TokenSection | { error: string };
  readonly throughput: (ThroughputSection | { server: string; error: string })[];
  readonly sessions?: SessionsSection | { error: string };
  readonly stall?: StallSection | { error: string };
  readonly hol?: HeadOfLineSection | { error: string };
  readonly memory?: MemorySection | { error: string };
  readonly targets: TargetResult[];
}

const f = (value: number | undefined, digits = 0) =>
  value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
const us = (ns: number | undefined) => f(ns === undefined ? undefined : ns / 1000, 1);
const mb = (bytes: number | undefined) => f(bytes === undefined ? undefined : bytes / 1e6, 1);

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const TOKEN_LABELS: Record<string, string> = {
  c: 'C: gss_init_sec_context, default creds acquired once (bench/c/gss-token.c)',
  'c-no-creds': 'C: gss_init_sec_context with GSS_C_NO_CREDENTIAL',
  step: 'SecurityContext.step(), creds acquired once',
  'step-no-creds':
    'SecurityContext.step(), creds null (createFetch default); ratio to C with GSS_C_NO_CREDENTIAL',
  'raw-async': 'raw layer: initSecContext() (async, limiter, arena)',
  'koffi-async': 'bare koffi async call',
  'koffi-sync': 'bare koffi sync call (blocks the loop; reference only)',
  'koffi-async-noop':
    'the thread-pool round trip alone: koffi async call of a GSS function that returns at once (ratio = its share of a C token)',
};

export function toMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `## Run of ${r.startedAt}${r.quick ? ' (--quick: smoke run, not for comparison)' : ''}`,
    '',
    `Command: \`${r.command}\`, ${f(r.durationSeconds)} s.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GiB; ${m.os}, Linux ${m.kernel}; Node ${m.node}; ` +
      `MIT krb5 ${m.mitKrb5}; ${m.curl.split(' ').slice(0, 2).join(' ')}; ${m.python}, ${m.requestsKerberos}, ${m.httpxGssapi}; ` +
      `koffi ${m.packages['koffi']}, undici ${m.packages['undici']}, axios ${m.packages['axios']}, got ${m.packages['got']}. ` +
      `Load average ${f(m.loadAtStart, 2)} at start, ${f(r.loadAtEnd, 2)} at end (the machine is shared).`,
    `Servers: ${r.servers.join('; ')}.`,
  );
  if (r.missing.length) {
    out.push('', 'Not measured: ' + r.missing.map((x) => `${x.client} (${x.reason})`).join('; ') + '.');
  }

  out.push('', '### Targets', '');
  out.push(
    table(
      ['target', 'measured (same run)', 'met'],
      r.targets.map((t) => [
        t.target,
        t.measured,
        t.met === null ? 'not measured' : t.met ? 'yes' : '**no**',
      ]),
    ),
  );

  if (r.token && !('error' in r.token)) {
    const t = r.token;
    out.push(
      '',
      `### 1. Token cost: first SPNEGO token, cached service ticket, fresh context each (${t.target}, flags ${t.flags})`,
      '',
      `${t.iterationsPerRound} tokens per round, ${t.rounds.length} rounds alternating C and Node; medians over rounds. ${t.compiler}.`,
      '',
    );
    out.push(
      table(
        ['path', 'mean µs/token', 'p50 µs', 'p99 µs', 'ratio to C with the same creds (mean)'],
        Object.keys(t.meanNs).map((k) => [
          TOKEN_LABELS[k] ?? k,
          us(t.meanNs[k]),
          us(t.p50Ns[k]),
          us(t.p99Ns[k]),
          f(t.ratioToC[k], 2),
        ]),
      ),
    );
  } else if (r.token) {
    out.push('', `### 1. Token cost`, '', `Failed: ${r.token.error}`);
  }

  for (const s of r.throughput) {
    if ('error' in s) {
      out.push('', `### 2-3. Throughput against ${s.server}`, '', `Failed: ${s.error}`);
      continue;
    }
    out.push(
      '',
      `### 2-3. Throughput, latency and round trips (server: ${s.server})`,
      '',
      `Per round and client, in a fresh process: ${s.warmup} sequential warm-up GETs, then ${s.sequentialRequests} sequential, ${s.concurrentRequests} with ${s.inFlight} in flight; ` +
        `each request a new path, the body read; ${s.clients[0]?.rounds.length ?? 0} rounds, order rotated; medians over rounds. ` +
        'Round trips and tokens are counted by the server, per client request. ' +
        `The warm-up is long because a fresh Node process needs about 2,000 requests before V8 reaches steady state, so "seq" and "${s.inFlight} in flight" compare steady states (a long-running service)` +
        (s.warmup < 2000
          ? ` (this run's ${s.warmup} do not reach it: the Node figures are below steady state). `
          : '. ') +
        `"cold" is the first ${s.coldRequests} requests of a Node client's process, timed sequentially as part of its warm-up (no extra requests), the first request's one-off costs (library load, first connection) included: what a short-lived process such as a CLI sees. ` +
        'curl and Python (CPython) have no JIT: after their first requests the process is in the same state, so their cold and warm rates are the same and they report none (—). ' +
        'curl runs its concurrent measurement in a second process with its own warm-up (in parallel); requests-kerberos warms each of its threads with one request.',
      '',
    );
    out.push(
      table(
        [
          'client',
          `cold: first ${s.coldRequests} seq req/s`,
          'seq req/s',
          'seq p50 ms',
          'seq p99 ms',
          `${s.inFlight} in flight req/s`,
          'p50 ms',
          'p99 ms',
          'round trips / req',
          'tokens / req',
          'failures',
        ],
        s.clients.map((c) =>
          c.error && c.rounds.length === 0
            ? [c.label, `failed: ${c.error}`, '', '', '', '', '', '', '', '', '']
            : [
                c.label,
                c.cold ? f(c.cold.reqPerSec) : '—',
                f(c.sequential.reqPerSec),
                f(c.sequential.p50Ms, 2),
                f(c.sequential.p99Ms, 2),
                f(c.concurrent.reqPerSec),
                f(c.concurrent.p50Ms, 2),
                f(c.concurrent.p99Ms, 2),
                `${f(c.sequential.roundTrips, 2)} / ${f(c.concurrent.roundTrips, 2)}`,
                f(c.sequential.tokensPerRequest, 2),
                String(c.sequential.failures + c.concurrent.failures + (c.cold?.failures ?? 0)),
              ],
        ),
      ),
    );
    out.push(
      '',
      `Ratios of req/s (median of per-round ratios; "a(cold)/b" is a's cold rate, its first ${s.coldRequests} requests, over b's warm sequential rate):`,
      '',
    );
    out.push(
      table(
        ['a / b', 'sequential', `${s.inFlight} in flight`],
        Object.entries(s.ratios).map(([k, v]) => [
          k,
          f(v.sequential, 2),
          v.concurrent === undefined ? '—' : f(v.concurrent, 2),
        ]),
      ),
    );
  }

  if (r.stall && !('error' in r.stall)) {
    const s = r.stall;
    out.push(
      '',
      `### 4. Event-loop stall while a service ticket is fetched (KDC delayed ${s.kdcDelayMs} ms each way)`,
      '',
      'Longest gap between ticks of a 1 ms timer (minus 1 ms). Per run, a fresh process and a ccache holding only the TGT: ' +
        '"first request" is the process\'s first authenticated request (cold code; the ticket fetched in the window); ' +
        `"warm" fetches a second service's ticket (${s.secondTarget}) once that code has run; "idle" is the same timer over 500 ms with nothing to do, ` +
        `the machine's own noise. Loading libgssapi_krb5 and binding it (once per process, outside the windows): ${f(s.libraryLoadMs, 1)} ms median.`,
      '',
    );
    out.push(
      table(
        [
          'adapter',
          'runs',
          'request ms (median)',
          'first request: stall ms median / worst',
          'warm: stall ms median / worst',
          'idle: worst ms',
          'loop delay p99 ms (first)',
        ],
        s.clients.map((c) =>
          c.error && c.runs.length === 0
            ? [c.label, '0', `failed: ${c.error}`, '', '', '', '']
            : [
                c.label,
                String(c.runs.length),
                f(c.medianElapsedMs),
                `${f(c.medianStallMs, 2)} / ${f(c.worstStallMs, 2)}`,
                `${f(c.medianWarmStallMs, 2)} / ${f(c.worstWarmStallMs, 2)}`,
                f(c.worstIdleStallMs, 2),
                f(Math.max(...c.runs.map((x) => x.cold.histogramP99Ms)), 2),
              ],
        ),
      ),
    );
  } else if (r.stall) {
    out.push('', '### 4. Event-loop stall', '', `Failed: ${r.stall.error}`);
  }

  if (r.hol && !('error' in r.hol)) {
    const s = r.hol;
    out.push(
      '',
      `### 7. Head-of-line blocking (KDC delayed ${s.kdcDelayMs} ms each way)`,
      '',
      'Token time for a service whose ticket is cached, alone and while other requests wait for the KDC (section source: bench/sections/head-of-line.ts).',
      '',
      table(
        ['case', 'rounds', 'cached token ms (median)', 'alone ms (median)', 'blocking request ms (median)'],
        s.cases.map((c) => [
          c.name,
          String(c.cachedMs.length),
          f(s.medians[c.name]!.cached, 1),
          f(s.medians[c.name]!.alone, 1),
          f(s.medians[c.name]!.blocker),
        ]),
      ),
    );
  } else if (r.hol) {
    out.push('', '### 7. Head-of-line blocking', '', `Failed: ${r.hol.error}`);
  }

  if (r.memory && !('error' in r.memory)) {
    const s = r.memory;
    out.push(
      '',
      `### 5. Memory: RSS after authenticated requests (${s.inFlight} in flight, after forced GC, bound ${s.budgetSeconds} s per adapter)`,
      '',
    );
    out.push(
      table(
        [
          'adapter',
          'requests at checkpoints',
          'RSS MB',
          'heap used MB',
          'RSS growth MB',
          'live GSS handles',
          'elapsed s',
        ],
        s.clients.map((c) => {
          if (!c.result) return [c.label, `failed: ${c.error}`, '', '', '', '', ''];
          const cps = c.result.checkpoints;
          return [
            c.label,
            cps.map((x) => x.requests.toLocaleString('en-US')).join(' → ') +
              (c.result.completed ? '' : ' (time bound)'),
            cps.map((x) => mb(x.rssBytes)).join(' → '),
            cps.map((x) => mb(x.heapUsedBytes)).join(' → '),
            f(c.growthMB, 1),
            cps.map((x) => String(x.liveHandles)).join(' → '),
            f((cps[cps.length - 1]?.elapsedMs ?? Number.NaN) / 1000, 0),
          ];
        }),
      ),
    );
  } else if (r.memory) {
    out.push('', '### 5. Memory', '', `Failed: ${r.memory.error}`);
  }
  if (r.sessions && !('error' in r.sessions)) {
    const s = r.sessions;
    const rounds = Math.max(0, ...s.clients.map((c) => c.rounds.length));
    out.push(
      '',
      `### 6. Sessions: one handshake per session (server: ${s.server})`,
      '',
      `Per round and client, in a fresh process: ${s.warmup} sequential warm-up GETs on one client instance, ` +
        `then ${s.sessions === 1 ? '1 fresh session' : `${s.sessions} fresh sessions one after another`} (each a new instance: createFetch, ` +
        'interceptor, axios/got/ky instance, requests Session, httpx.Client; curl keeps no session and runs the same ' +
        `requests in its one process) of ${s.requests} sequential GETs each, timed together, each GET a new path under ` +
        `/private/, the body read; ${rounds} rounds, order rotated; medians over rounds. Tokens and round trips are ` +
        "counted from Apache's access log (requests whose Authorization scheme is Negotiate; accepted: not answered 401). " +
        'Node clients are the defaults (sessionCookies on). curl runs without a cookie jar, so it sends a token with every request.',
      '',
    );
    out.push(
      table(
        [
          'client',
          'seq req/s',
          'p50 ms',
          'p99 ms',
          'accepted tokens / 1,000 req',
          'tokens sent / 1,000 req',
          'round trips / req',
          'failures',
        ],
        s.clients.map((c) =>
          c.error && c.rounds.length === 0
            ? [c.label, `failed: ${c.error}`, '', '', '', '', '', '']
            : [
                c.label,
                f(c.sequential.reqPerSec),
                f(c.sequential.p50Ms, 2),
                f(c.sequential.p99Ms, 2),
                f(c.sequential.acceptedTokensPer1000, 1),
                f(c.sequential.tokensPer1000, 1),
                f(c.sequential.roundTrips, 3),
                String(c.sequential.failures),
              ],
        ),
      ),
    );
    out.push('', 'Ratios of sequential req/s (median of per-round ratios):', '');
    out.push(
      table(
        ['a / b', 'sequential'],
        Object.entries(s.ratios).map(([k, v]) => [k, f(v, 2)]),
      ),
    );
  } else if (r.sessions) {
    out.push('', '### 6. Sessions', '', `Failed: ${r.sessions.error}`);
  }

  return `${out.join('\n')}\n`;
}
