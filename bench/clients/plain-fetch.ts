import type { NodeClient } from './types.js';

/** Node's fetch with no authentication, against a public path: the ceiling. */
export const plainFetch: NodeClient = {
  name: 'fetch-unauthenticated',
  label: 'fetch, no authentication (ceiling)',
  adapter: null,
  authenticated: false,
  async create() {
    return {
      async get(url) {
        const res = await fetch(url);
        await res.arrayBuffer();
        return res.status;
      },
      async close() {},
    };
  },
};
