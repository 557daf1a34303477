/**
 * The Node clients the bench measures, one small module each. Clients whose adapter is not in
 * src/adapters yet are reported as missing, not silently dropped.
 *
 * @module
 */
import { adapterExists } from './adapter-module.js';
import { axiosClient } from './axios.js';
import { fetchAcquiredCreds, fetchDefault, fetchOpportunistic } from './fetch.js';
import { gotClient } from './got.js';
import { kyClient } from './ky.js';
import { plainFetch } from './plain-fetch.js';
import { plainUndici } from './plain-undici.js';
import type { NodeClient } from './types.js';
import { undiciAcquiredCreds, undiciInterceptor } from './undici.js';

export const NODE_CLIENTS: readonly NodeClient[] = [
  fetchDefault,
  fetchOpportunistic,
  fetchAcquiredCreds,
  undiciInterceptor,
  undiciAcquiredCreds,
  axiosClient,
  gotClient,
  kyClient,
  plainFetch,
  plainUndici,
];

export function nodeClient(name: string): NodeClient {
  const client = NODE_CLIENTS.find((c) => c.name === name);
  if (!client) throw new TypeError(`unknown client ${name}`);
  return client;
}

/** Whether the client's adapter exists in this tree. */
export function clientPresent(client: NodeClient): boolean {
  return client.adapter === null || adapterExists(client.adapter);
}
