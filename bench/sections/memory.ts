/**
 * Section 5, memory: RSS (after forced collections) once 1,000 and once 100,000 authenticated
 * requests are done, per adapter, each in a fresh process, 16 requests in flight. Each run is
 * bounded in time; one that hits its bound reports the count it reached, never an estimate.
 *
 * @module
 */
import type { NodeClient } from '../clients/types.js';
import { runWorker } from '../lib/processes.js';
import type { BenchTarget } from '../lib/targets.js';
import type { MemoryInput, MemoryResult } from '../workers/node-client.js';

export interface ClientMemory {
  readonly name: string;
  readonly label: string;
  readonly result?: MemoryResult;
  /** RSS growth between the first and the last checkpoint, in MB (10^6 bytes). */
  readonly growthMB?: number;
  readonly error?: string;
}

export interface MemorySection {
  readonly checkpoints: readonly number[];
  readonly budgetSeconds: number;
  readonly inFlight: number;
  readonly clients: ClientMemory[];
}

export async function memorySection(options: {
  clients: readonly NodeClient[];
  target: BenchTarget;
  env: NodeJS.ProcessEnv;
  checkpoints: readonly number[];
  budgetSeconds: number;
  inFlight: number;
  log: (line: string) => void;
}): Promise<MemorySection> {
  const results: ClientMemory[] = [];
  for (const client of options.clients) {
    const input: MemoryInput = {
      mode: 'memory',
      client: client.name,
      authBase: options.target.authBase,
      publicBase: options.target.publicBase,
      prefix: `memory-${client.name}`,
      checkpoints: options.checkpoints,
      budgetMs: options.budgetSeconds * 1000,
      inFlight: options.inFlight,
    };
    try {
      const result = await runWorker<MemoryResult>('node-client', input, {
        env: options.env,
        timeoutMs: options.budgetSeconds * 1000 + 120_000,
      });
      const first = result.checkpoints[0];
      const last = result.checkpoints[result.checkpoints.length - 1];
      const growthMB = first && last && last !== first ? (last.rssBytes - first.rssBytes) / 1e6 : undefined;
      results.push({
        name: client.name,
        label: client.label,
        result,
        ...(growthMB === undefined ? {} : { growthMB }),
      });
      options.log(
        `memory ${client.name}: ${result.checkpoints.map((c) => `${c.requests} req -> ${(c.rssBytes / 1e6).toFixed(1)} MB`).join(', ')}${result.completed ? '' : ' (time bound reached)'}`,
      );
    } catch (error) {
      results.push({
        name: client.name,
        label: client.label,
        error: (error as Error).message.split('\n')[0]!,
      });
      options.log(`memory ${client.name} failed: ${(error as Error).message}`);
    }
  }
  return {
    checkpoints: options.checkpoints,
    budgetSeconds: options.budgetSeconds,
    inFlight: options.inFlight,
    clients: results,
  };
}
