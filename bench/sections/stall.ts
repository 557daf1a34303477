/**
 * Section 4, event-loop stall: each adapter makes an authenticated request whose service
 * ticket must first be fetched through a KDC delayed 300 ms each way. Each measurement runs in
 * a fresh process with a fresh ccache that holds only the TGT, so the ticket fetch happens
 * inside the measured window. The HTTP client's start and the library load are outside it (the
 * library load is reported on its own). Three windows per run: the first authenticated request
 * (cold code), a second one for another service once the code has run (warm), and an idle
 * window of the same timer, which shows what the machine alone does to it.
 *
 * @module
 */
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeClient } from '../clients/types.js';
import { runWorker } from '../lib/processes.js';
import { max, median } from '../lib/stats.js';
import type { BenchTarget } from '../lib/targets.js';
import type { StallInput, StallResult } from '../workers/node-client.js';

export interface ClientStall {
  readonly name: string;
  readonly label: string;
  readonly runs: StallResult[];
  /** Worst over runs of the longest stall during the first (cold) authenticated request. */
  readonly worstStallMs: number;
  readonly medianStallMs: number;
  /** The same for the warm request (second service, code already run once). */
  readonly worstWarmStallMs: number;
  readonly medianWarmStallMs: number;
  /** The idle baseline: longest gap of the same timer with nothing to do. */
  readonly worstIdleStallMs: number;
  readonly medianElapsedMs: number;
  readonly error?: string;
}

export interface StallSection {
  readonly kdcDelayMs: number;
  readonly secondTarget: string;
  readonly clients: ClientStall[];
  readonly libraryLoadMs: number;
}

export async function stallSection(options: {
  clients: readonly NodeClient[];
  target: BenchTarget;
  env: NodeJS.ProcessEnv;
  /** A ccache file holding only the user's TGT, copied for each run. */
  tgtCcache: string;
  /** A second service in the server's keytab, for the warm measurement. */
  secondTarget: string;
  dir: string;
  kdcDelayMs: number;
  repeats: number;
  log: (line: string) => void;
}): Promise<StallSection> {
  const results: ClientStall[] = [];
  let n = 0;
  const loads: number[] = [];
  for (const client of options.clients) {
    const runs: StallResult[] = [];
    let error: string | undefined;
    for (let i = 0; i < options.repeats && !error; i++) {
      const ccache = join(options.dir, `stall-ccache-${++n}`);
      await copyFile(options.tgtCcache, ccache);
      try {
        const input: StallInput = {
          mode: 'stall',
          client: client.name,
          authBase: options.target.authBase,
          publicBase: options.target.publicBase,
          prefix: `stall-${client.name}-${i}`,
          secondTarget: options.secondTarget,
        };
        const r = await runWorker<StallResult>('node-client', input, {
          env: { ...options.env, KRB5CCNAME: `FILE:${ccache}` },
          timeoutMs: 60_000,
        });
        if (r.cold.status !== 200 || r.warm.status !== 200) {
          throw new Error(`the requests answered ${r.cold.status} and ${r.warm.status}`);
        }
        if (r.cold.elapsedMs < 2 * options.kdcDelayMs || r.warm.elapsedMs < 2 * options.kdcDelayMs) {
          throw new Error(
            `a request took less than one KDC round trip (${r.cold.elapsedMs.toFixed(0)} ms, ${r.warm.elapsedMs.toFixed(0)} ms): the ticket was not fetched in the window`,
          );
        }
        runs.push(r);
        loads.push(r.libraryLoadMs);
        options.log(
          `stall ${client.name} #${i + 1}: request ${r.cold.elapsedMs.toFixed(0)} ms, longest stall ${r.cold.longestStallMs.toFixed(2)} ms cold, ` +
            `${r.warm.longestStallMs.toFixed(2)} ms warm, ${r.idle.longestStallMs.toFixed(2)} ms idle`,
        );
      } catch (e) {
        error = (e as Error).message.split('\n')[0]!;
        options.log(`stall ${client.name} failed: ${(e as Error).message}`);
      } finally {
        await rm(ccache, { force: true });
      }
    }
    results.push({
      name: client.name,
      label: client.label,
      runs,
      worstStallMs: max(runs.map((r) => r.cold.longestStallMs)),
      medianStallMs: median(runs.map((r) => r.cold.longestStallMs)),
      worstWarmStallMs: max(runs.map((r) => r.warm.longestStallMs)),
      medianWarmStallMs: median(runs.map((r) => r.warm.longestStallMs)),
      worstIdleStallMs: max(runs.map((r) => r.idle.longestStallMs)),
      medianElapsedMs: median(runs.map((r) => r.cold.elapsedMs)),
      ...(error ? { error } : {}),
    });
  }
  return {
    kdcDelayMs: options.kdcDelayMs,
    secondTarget: options.secondTarget,
    clients: results,
    libraryLoadMs: median(loads),
  };
}
