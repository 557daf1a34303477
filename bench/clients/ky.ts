import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { loadAdapter } from './adapter-module.js';
import { ClientUnavailableError, type NodeClient } from './types.js';

/** `ky.extend(negotiateKy(new HTTPSPNEGOAuth()))` over Node's fetch. */
export const kyClient: NodeClient = {
  name: 'ky',
  label: 'ky',
  adapter: 'ky',
  authenticated: true,
  async create(options = {}) {
    const module = await loadAdapter('ky');
    const { default: ky } = await import('ky');
    const make = module['negotiateKy'];
    if (typeof make !== 'function') {
      throw new ClientUnavailableError(
        `src/adapters/ky.ts has no negotiateKy (exports: ${Object.keys(module).join(', ')})`,
      );
    }
    const auth = new HTTPSPNEGOAuth(options);
    const client = ky.extend({
      ...(make as (auth: HTTPSPNEGOAuth) => object)(auth),
      throwHttpErrors: false,
      retry: 0,
    });
    return {
      async get(url) {
        const res = await client.get(url);
        await res.arrayBuffer();
        return res.status;
      },
      async close() {
        auth.dispose();
      },
    };
  },
};
