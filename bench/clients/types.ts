/**
 * A Node HTTP client under benchmark: one small module per client, listed in clients/index.ts.
 *
 * @module
 */
import type { HTTPSPNEGOAuthOptions } from '../../src/core/options.js';

/** A ready client: GETs a URL, reads the whole body, resolves with the status. */
export interface Requester {
  get(url: string): Promise<number>;
  close(): Promise<void>;
}

/** What a client module describes. */
export interface NodeClient {
  /** Key used on the command line (`--clients=`) and in the JSON. */
  readonly name: string;
  /** Row label in the table. */
  readonly label: string;
  /** The `src/adapters/<adapter>.ts` it needs, or null (a plain client). */
  readonly adapter: string | null;
  /** Whether it authenticates (the unauthenticated ceiling does not). */
  readonly authenticated: boolean;
  /**
   * Set on a configuration variant of another client (e.g. credentials acquired once) that is
   * only compared in throughput: the stall and memory sections skip it to keep the run short.
   */
  readonly throughputOnly?: boolean;
  /**
   * One client instance, shared by all its requests as applications share one. `auth` options
   * are merged over the client's own (e.g. a `targetName` for the stall measurement).
   */
  create(auth?: HTTPSPNEGOAuthOptions): Promise<Requester>;
}

/** The client could not be made here (its adapter is not written yet, or its API is unknown). */
export class ClientUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientUnavailableError';
  }
}
