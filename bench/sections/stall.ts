/**
 * Section 4, event-loop stall: each adapter makes one authenticated request whose service
 * ticket must first be fetched through a KDC delayed 300 ms each way. Each measurement runs in
 * a fresh process with a fresh ccache that holds only the TGT, so the ticket fetch happens
 * inside the measured window. The HTTP client's start and the library load are outside it (and
 * the library load is reported on its own).
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
  /** Worst over runs of the longest stall. */
  readonly worstStallMs: number;
  readonly medianStallMs: number;
  readonly medianElapsedMs: number;
  readonly error?: string;
}

export interface StallSection {
  readonly kdcDelayMs: number;
  readonly clients: ClientStall[];
  readonly libraryLoadMs: number;
}

export async function stallSection(options: {
  clients: readonly NodeClient[];
  target: BenchTarget;
  env: NodeJS.ProcessEnv;
  /** A ccache file holding only the user's TGT, copied for each run. */
  tgtCcache: string;
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
        };
        const r = await runWorker<StallResult>('node-client', input, {
          env: { ...options.env, KRB5CCNAME: `FILE:${ccache}` },
          timeoutMs: 60_000,
        });
        if (r.status !== 200) throw new Error(`the request answered ${r.status}`);
        runs.push(r);
        loads.push(r.libraryLoadMs);
        options.log(
          `stall ${client.name} #${i + 1}: request ${r.elapsedMs.toFixed(0)} ms, longest stall ${r.longestStallMs.toFixed(2)} ms`,
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
      worstStallMs: max(runs.map((r) => r.longestStallMs)),
      medianStallMs: median(runs.map((r) => r.longestStallMs)),
      medianElapsedMs: median(runs.map((r) => r.elapsedMs)),
      ...(error ? { error } : {}),
    });
  }
  return { kdcDelayMs: options.kdcDelayMs, clients: results, libraryLoadMs: median(loads) };
}
