import type { SessionsResult, ThroughputResult } from '../workers/node-client.js';

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

/** What the sessions section asks of a client: the Node worker's sessions run, same shape. */
export interface ExternalSessionsInput {
  /** URL prefix of the authenticated resource of a server that keeps sessions. */
  readonly authBase: string;
  readonly prefix: string;
  /** Sequential requests before the timed ones (group `<prefix>-warm`). */
  readonly warmup: number;
  /** Sequential requests timed per session (group `<prefix>-seq`), each session a fresh one. */
  readonly requests: number;
  /** Sessions one after another; their requests are timed together. */
  readonly sessions: number;
  readonly env: NodeJS.ProcessEnv;
}

/** A client that is not Node, as the sessions section runs it. */
export interface ExternalSessionsClient {
  readonly name: string;
  readonly label: string;
  /** Null when it can run here, else why not. */
  unavailable(): Promise<string | null>;
  sessions(input: ExternalSessionsInput): Promise<SessionsResult>;
}
