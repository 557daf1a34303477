import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { loadAdapter } from './adapter-module.js';
import { ClientUnavailableError, type NodeClient } from './types.js';

/** `got.extend(negotiateGot(new HTTPSPNEGOAuth()))`, keep-alive through got's default agent. */
export const gotClient: NodeClient = {
  name: 'got',
  label: 'got',
  adapter: 'got',
  authenticated: true,
  async create(options = {}) {
    const module = await loadAdapter('got');
    const { default: got } = await import('got');
    const auth = new HTTPSPNEGOAuth(options);
    const make = module['negotiateGot'];
    if (typeof make !== 'function') {
      throw new ClientUnavailableError(
        `src/adapters/got.ts has no recognised entry point (exports: ${Object.keys(module).join(', ')})`,
      );
    }
    const extended = got.extend((make as (auth: HTTPSPNEGOAuth) => Parameters<typeof got.extend>[0])(auth), {
      throwHttpErrors: false,
      retry: { limit: 0 },
      responseType: 'buffer',
    });
    return {
      async get(url) {
        const res = await extended.get(url);
        return res.statusCode;
      },
      async close() {
        auth.dispose();
      },
    };
  },
};
