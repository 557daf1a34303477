import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { Credentials } from '../../src/gssapi/credentials.js';
import { loadAdapter, pickExport } from './adapter-module.js';
import type { NodeClient } from './types.js';

type CreateFetch = (auth: HTTPSPNEGOAuth) => typeof globalThis.fetch;

function fetchClient(
  name: string,
  label: string,
  opportunisticAuth: boolean,
  acquireCreds = false,
): NodeClient {
  return {
    name,
    label,
    adapter: 'fetch',
    authenticated: true,
    throughputOnly: acquireCreds,
    async create(options = {}) {
      const createFetch = pickExport<CreateFetch>(await loadAdapter('fetch'), 'fetch', ['createFetch']);
      // With acquireCreds, the default credentials are acquired once and shared by every context
      // (what creds: null leaves MIT to do inside each gss_init_sec_context).
      const creds = acquireCreds ? await Credentials.acquire() : null;
      const auth = new HTTPSPNEGOAuth({ opportunisticAuth, ...(creds ? { creds } : {}), ...options });
      const fetch = createFetch(auth);
      return {
        async get(url) {
          const res = await fetch(url);
          await res.arrayBuffer();
          return res.status;
        },
        async close() {
          auth.dispose();
          creds?.dispose();
        },
      };
    },
  };
}

/** `createFetch(new HTTPSPNEGOAuth())`: a bare first request, then learned preemption. */
export const fetchDefault = fetchClient('fetch', 'createFetch (default)', false);
/** `createFetch(new HTTPSPNEGOAuth({ opportunisticAuth: true }))`: a token on every first request. */
export const fetchOpportunistic = fetchClient('fetch-opportunistic', 'createFetch (opportunisticAuth)', true);
/** `createFetch(new HTTPSPNEGOAuth({ creds: await Credentials.acquire() }))`: credentials acquired once. */
export const fetchAcquiredCreds = fetchClient(
  'fetch-creds',
  'createFetch (creds acquired once)',
  false,
  true,
);
