import { Client, type Dispatcher } from 'undici';
import { FifoLock } from '../../internal/fifo-lock.js';
import type { ConnectionBoundOptions } from './types.js';

/** One origin's dedicated connection in connection-bound mode, and the lock that serializes its handshakes. */
export interface DedicatedConnection {
  readonly dispatcher: Dispatcher;
  readonly lock: FifoLock;
}

/**
 * The dedicated connections of connection-bound mode: one undici `Client` per origin (a single
 * HTTP/1.1 connection, one request at a time), made on first use, closed together.
 */
export class DedicatedConnections {
  readonly #options: ConnectionBoundOptions;
  readonly #byOrigin = new Map<string, DedicatedConnection>();

  constructor(options: ConnectionBoundOptions) {
    this.#options = options;
  }

  for(origin: string): DedicatedConnection {
    let entry = this.#byOrigin.get(origin);
    if (!entry) {
      const dispatcher = this.#options.clientFactory
        ? this.#options.clientFactory(origin)
        : new Client(origin, { ...this.#options.clientOptions, pipelining: 1, allowH2: false });
      entry = { dispatcher, lock: new FifoLock() };
      this.#byOrigin.set(origin, entry);
    }
    return entry;
  }

  async close(): Promise<void> {
    const all = [...this.#byOrigin.values()];
    this.#byOrigin.clear();
    await Promise.all(all.map((e) => e.dispatcher.close().catch(() => {})));
  }
}

/** Validates the `connectionBound` option: null when off. */
export function resolveConnectionBound(value: unknown): ConnectionBoundOptions | null {
  if (value === undefined || value === false) return null;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('connectionBound must be a boolean or an object');
  }
  const { clientOptions, clientFactory } = value as ConnectionBoundOptions;
  if (clientFactory !== undefined && typeof clientFactory !== 'function') {
    throw new TypeError('connectionBound.clientFactory must be a function');
  }
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null)) {
    throw new TypeError('connectionBound.clientOptions must be an object');
  }
  return value as ConnectionBoundOptions;
}
