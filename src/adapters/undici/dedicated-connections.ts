import { Client, type Dispatcher } from 'undici';
import { FifoLock } from '../../internal/fifo-lock.js';
import { checkOptionKeys } from '../../internal/option-keys.js';
import type { ConnectionBoundOptions } from './types.js';

/**
 * One origin's dedicated connection (the public `connectionBound` option), the lock that serializes its
 * handshakes, and whether the socket it has now was authenticated by one of them.
 *
 * The socket is told apart by undici's own events: the dispatcher (a `Client` with one
 * connection) emits `connect` for every new socket and `disconnect` when one closes, so a
 * counter of `connect`s names the socket, and an authentication is remembered with the number
 * of the socket it happened on. A new socket has a new number; a closed one clears it.
 */
export class DedicatedConnection {
  readonly dispatcher: Dispatcher;
  readonly lock = new FifoLock();
  #socket = 0;
  #authenticatedSocket: number | null = null;

  constructor(dispatcher: Dispatcher) {
    this.dispatcher = dispatcher;
    dispatcher.on('connect', () => {
      this.#socket++;
    });
    dispatcher.on('disconnect', () => {
      this.#authenticatedSocket = null;
    });
  }

  /** Whether the socket the connection has now completed a handshake (connection-persistent auth). */
  get authenticated(): boolean {
    return this.#authenticatedSocket !== null && this.#authenticatedSocket === this.#socket;
  }

  /**
   * An exchange on this connection is over: a success leaves the current socket authenticated
   * for the next requests (connection-persistent auth); a 401 ends its authentication.
   */
  settle(status: number, failed: boolean): void {
    if (!failed && status < 400) this.#authenticatedSocket = this.#socket;
    else if (status === 401) this.#authenticatedSocket = null;
  }
}

/**
 * The dedicated connections (the public `connectionBound` option): one undici `Client` per origin (a single
 * HTTP/1.1 connection, one request at a time), made on first use, closed together.
 */
export class DedicatedConnections {
  readonly #options: ConnectionBoundOptions;
  readonly #byOrigin = new Map<string, DedicatedConnection>();

  constructor(options: ConnectionBoundOptions) {
    this.#options = options;
  }

  /** The origin's dedicated connection, if one was made. */
  peek(origin: string): DedicatedConnection | undefined {
    return this.#byOrigin.get(origin);
  }

  for(origin: string): DedicatedConnection {
    let entry = this.#byOrigin.get(origin);
    if (!entry) {
      const dispatcher = this.#options.clientFactory
        ? this.#options.clientFactory(origin)
        : new Client(origin, { ...this.#options.clientOptions, pipelining: 1, allowH2: false });
      entry = new DedicatedConnection(dispatcher);
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

/** Validates the public `connectionBound` option (dedicated connections): null when off. */
export function resolveDedicatedConnections(value: unknown): ConnectionBoundOptions | null {
  if (value === undefined || value === false) return null;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('connectionBound must be a boolean or an object');
  }
  checkOptionKeys(value, ['clientOptions', 'clientFactory'], 'connectionBound option');
  const { clientOptions, clientFactory } = value as ConnectionBoundOptions;
  if (clientFactory !== undefined && typeof clientFactory !== 'function') {
    throw new TypeError('connectionBound.clientFactory must be a function');
  }
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null)) {
    throw new TypeError('connectionBound.clientOptions must be an object');
  }
  return value as ConnectionBoundOptions;
}
