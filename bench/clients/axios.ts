import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { loadAdapter } from './adapter-module.js';
import { ClientUnavailableError, type NodeClient } from './types.js';

/** `withNegotiate(axios.create(), new HTTPSPNEGOAuth())`, axios's http adapter (keep-alive global agent). */
export const axiosClient: NodeClient = {
  name: 'axios',
  label: 'axios',
  adapter: 'axios',
  authenticated: true,
  async create(options = {}) {
    const module = await loadAdapter('axios');
    const { default: axios } = await import('axios');
    const auth = new HTTPSPNEGOAuth(options);
    const instance = axios.create({ responseType: 'arraybuffer', validateStatus: () => true });
    const install = module['withNegotiate'];
    if (typeof install !== 'function') {
      throw new ClientUnavailableError(
        `src/adapters/axios.ts has no recognised entry point (exports: ${Object.keys(module).join(', ')})`,
      );
    }
    (install as (instance: unknown, auth: HTTPSPNEGOAuth) => unknown)(instance, auth);
    return {
      async get(url) {
        const res = await instance.get(url);
        return res.status;
      },
      async close() {
        auth.dispose();
      },
    };
  },
};
