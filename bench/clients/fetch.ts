import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { loadAdapter, pickExport } from './adapter-module.js';
import type { NodeClient } from './types.js';

type CreateFetch = (auth: HTTPSPNEGOAuth) => typeof globalThis.fetch;

function fetchClient(name: string, label: string, opportunisticAuth: boolean): NodeClient {
  return {
    name,
    label,
    adapter: 'fetch',
    authenticated: true,
    async create(options = {}) {
      const createFetch = pickExport<CreateFetch>(await loadAdapter('fetch'), 'fetch', ['createFetch']);
      const auth = new HTTPSPNEGOAuth({ opportunisticAuth, ...options });
      const fetch = createFetch(auth);
      return {
        async get(url) {
          const res = await fetch(url);
          await res.arrayBuffer();
          return res.status;
        },
        async close() {
          auth.dispose();
        },
      };
    },
  };
}

/** `createFetch(new HTTPSPNEGOAuth())`: a bare first request, then learned preemption. */
export const fetchDefault = fetchClient('fetch', 'createFetch (default)', false);
/** `createFetch(new HTTPSPNEGOAuth({ opportunisticAuth: true }))`: a token on every first request. */
export const fetchOpportunistic = fetchClient('fetch-opportunistic', 'createFetch (opportunisticAuth)', true);
