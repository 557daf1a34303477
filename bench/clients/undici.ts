import { Agent, type Dispatcher, request } from 'undici';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { loadAdapter, pickExport } from './adapter-module.js';
import type { NodeClient } from './types.js';

type Interceptor = Dispatcher.DispatcherComposeInterceptor & { close?: () => Promise<void> };

/** `new Agent().compose(negotiate(new HTTPSPNEGOAuth()))` with `undici.request`. */
export const undiciInterceptor: NodeClient = {
  name: 'undici',
  label: 'undici interceptor',
  adapter: 'undici',
  authenticated: true,
  async create(options = {}) {
    const negotiate = pickExport<(auth: HTTPSPNEGOAuth) => Interceptor>(
      await loadAdapter('undici'),
      'undici',
      ['negotiate'],
    );
    const auth = new HTTPSPNEGOAuth(options);
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
      },
    };
  },
};
