import type { ThroughputResult } from '../workers/node-client.js';

/** What an external client is asked to do: the Node worker's throughput run, same shape. */
export interface ExternalThroughputInput {
  /** URL prefix of the authenticated resource, e.g. `http://localhost:1234/ok/`. */
  readonly authBase: string;
  readonly prefix: string;
  readonly warmup: number;
  readonly sequential: number;
  readonly concurrent: number;
  readonly inFlight: number;
  /** The realm's environment (KRB5_CONFIG, KRB5CCNAME). */
  readonly env: NodeJS.ProcessEnv;
}

/** A client that is not Node: curl, Python. */
export interface ExternalClient {
  readonly name: string;
  readonly label: string;
  /** Null when it can run here, else why not. */
  unavailable(): Promise<string | null>;
  throughput(input: ExternalThroughputInput): Promise<ThroughputResult>;
}
