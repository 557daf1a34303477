import { Agent, type Dispatcher, request } from 'undici';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { Credentials } from '../../src/gssapi/credentials.js';
import { loadAdapter, pickExport } from './adapter-module.js';
import type { NodeClient } from './types.js';

type Interceptor = Dispatcher.DispatcherComposeInterceptor & { close?: () => Promise<void> };

function undiciClient(name: string, label: string, acquireCreds: boolean): NodeClient {
  return {
    name,
    label,
    adapter: 'undici',
    authenticated: true,
    throughputOnly: acquireCreds,
    async create(options = {}) {
      const negotiate = pickExport<(auth: HTTPSPNEGOAuth) => Interceptor>(
        await loadAdapter('undici'),
        'undici',
        ['negotiate'],
      );
      const creds = acquireCreds ? await Credentials.acquire() : null;
      const auth = new HTTPSPNEGOAuth({ ...(creds ? { creds } : {}), ...options });
      const interceptor = negotiate(auth);
      const agent = new Agent();
      const dispatcher = agent.compose(interceptor);
      return {
        async get(url) {
          const res = await request(url, { dispatcher });
          await res.body.arrayBuffer();
          return res.statusCode;
        },
        async close() {
          await interceptor.close?.();
          await agent.close();
          auth.dispose();
          creds?.dispose();
        },
      };
    },
  };
}

/** `new Agent().compose(negotiate(new HTTPSPNEGOAuth()))` with `undici.request`. */
export const undiciInterceptor = undiciClient('undici', 'undici interceptor', false);
/** The same with `creds: await Credentials.acquire()`: credentials acquired once. */
export const undiciAcquiredCreds = undiciClient(
  'undici-creds',
  'undici interceptor (creds acquired once)',
  true,
);
