import { Agent, request } from 'undici';
import type { NodeClient } from './types.js';

/** `undici.request` through its own Agent with no authentication: the undici interceptor's ceiling. */
export const plainUndici: NodeClient = {
  name: 'undici-unauthenticated',
  label: 'undici.request, no authentication (ceiling)',
  adapter: null,
  authenticated: false,
  async create() {
    const agent = new Agent();
    return {
      async get(url) {
        const res = await request(url, { dispatcher: agent });
        await res.body.arrayBuffer();
        return res.statusCode;
      },
      async close() {
        await agent.close();
      },
    };
  },
};
