import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import axios from 'axios';
import got from 'got';
import ky from 'ky';
import { Agent, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { withNegotiate } from '../../src/adapters/axios/index.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import { negotiate } from '../../src/adapters/undici/index.js';
import { DIAGNOSTICS_CHANNELS } from '../../src/core/diagnostics.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { b64, fakeContextFactory } from '../helpers/fake-context.js';

// Issue 23 item 1: a session cookie authenticates as the user, like a token. After the auth has
// kept one, a request that fails (the server answers 500, or drops the connection) must not show
// it in what the client throws or returns, printed at full depth or as JSON, nor in diagnostics
// events. The caller's own cookie is the caller's business and may stay.

const SECRET = 'very-secret-session-4f1d9c';
const CALLER_COOKIE = 'mine=caller-1';

/**
 * A server that wants Negotiate on /login, sets the session cookie on the accepted token, and
 * then answers /fail with a 500 and /reset by dropping the connection.
 */
class SessionServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  cookiesSeen: (string | null)[] = [];

  constructor() {
    this.#server = createServer((req, res) => {
      this.cookiesSeen.push(req.headers.cookie ?? null);
      if (req.url?.startsWith('/reset')) {
        req.socket.destroy();
        return;
      }
      if (req.url?.startsWith('/fail')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('broken');
        return;
      }
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Negotiate' }).end('denied');
        return;
      }
      res
        .writeHead(200, {
          'set-cookie': `sid=${SECRET}; Path=/; HttpOnly`,
          'www-authenticate': `Negotiate ${b64('server-ok')}`,
        })
        .end('ok');
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Everything an application might print of `value`. */
function printed(value: unknown): string {
  const out = [inspect(value, { depth: Infinity }), inspect(value, { depth: Infinity, getters: true })];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch (error) {
    out.push(`unserializable: ${(error as Error).message}`);
  }
  return out.join('\n');
}

/** One client: a login request, then a request to `path` whose error (or response) is returned. */
interface Client {
  readonly name: string;
  login(auth: HTTPSPNEGOAuth, url: string): Promise<number>;
  fail(auth: HTTPSPNEGOAuth, url: string): Promise<unknown>;
}

const headers = { cookie: CALLER_COOKIE };

const clients: readonly Client[] = [
  {
    name: 'fetch',
    login: async (auth, url) => (await createFetch(auth)(url, { headers })).status,
    fail: (auth, url) => createFetch(auth)(url, { headers }).catch((error: unknown) => error),
  },
  {
    name: 'axios',
    login: async (auth, url) => (await withNegotiate(axios.create(), auth).get(url, { headers })).status,
    fail: (auth, url) =>
      withNegotiate(axios.create(), auth)
        .get(url, { headers })
        .catch((error: unknown) => error),
  },
  {
    name: 'axios (fetch adapter)',
    login: async (auth, url) =>
      (await withNegotiate(axios.create({ adapter: 'fetch' }), auth).get(url, { headers })).status,
    fail: (auth, url) =>
      withNegotiate(axios.create({ adapter: 'fetch' }), auth)
        .get(url, { headers })
        .catch((error: unknown) => error),
  },
  {
    name: 'got',
    login: async (auth, url) =>
      (await got.extend(negotiateGot(auth), { retry: { limit: 0 } })(url, { headers })).statusCode,
    fail: (auth, url) =>
      got
        .extend(negotiateGot(auth), { retry: { limit: 0 } })(url, { headers })
        .catch((error: unknown) => error),
  },
  {
    name: 'ky',
    login: async (auth, url) =>
      (await ky.create({ ...negotiateKy(auth), retry: 0 })(url, { headers })).status,
    fail: (auth, url) =>
      ky
        .create({ ...negotiateKy(auth), retry: 0 })(url, { headers })
        .catch((error: unknown) => error),
  },
  {
    name: 'undici',
    async login(auth, url) {
      const agent = new Agent();
      try {
        const res = await undiciRequest(url, { dispatcher: agent.compose(negotiate(auth)), headers });
        await res.body.text();
        return res.statusCode;
      } finally {
        await agent.close();
      }
    },
    async fail(auth, url) {
      const agent = new Agent();
      try {
        return await undiciRequest(url, { dispatcher: agent.compose(negotiate(auth)), headers }).catch(
          (error: unknown) => error,
        );
      } finally {
        await agent.close();
      }
    },
  },
  {
    name: "undici's fetch",
    async login(auth, url) {
      const agent = new Agent();
      try {
        const res = await undiciFetch(url, { dispatcher: agent.compose(negotiate(auth)), headers });
        await res.text();
        return res.status;
      } finally {
        await agent.close();
      }
    },
    async fail(auth, url) {
      const agent = new Agent();
      try {
        return await undiciFetch(url, { dispatcher: agent.compose(negotiate(auth)), headers }).catch(
          (error: unknown) => error,
        );
      } finally {
        await agent.close();
      }
    },
  },
];

const server = new SessionServer();
before(() => server.start());
after(() => server.stop());

for (const client of clients) {
  describe(`session cookies × ${client.name}`, () => {
    for (const path of ['/fail', '/reset']) {
      test(`a request that fails (${path}) after a session was kept shows no session cookie`, async () => {
        const events: unknown[] = [];
        const listeners = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
          const listener = (event: unknown) => events.push(event);
          subscribe(name, listener);
          return () => unsubscribe(name, listener);
        });
        try {
          const auth = new HTTPSPNEGOAuth(
            { mutualAuthentication: 'disabled' },
            { contextFactory: fakeContextFactory() },
          );
          server.cookiesSeen = [];
          assert.equal(await client.login(auth, server.url('/login')), 200);
          const outcome = await client.fail(auth, server.url(path));
          assert.ok(
            server.cookiesSeen.at(-1)?.includes(SECRET),
            'the failing request did carry the session cookie (else this test proves nothing)',
          );
          const text = printed(outcome);
          assert.ok(
            !text.includes(SECRET),
            `no session cookie in what ${client.name} gives back: ${excerpt(text)}`,
          );
          assert.ok(!printed(events).includes(SECRET), 'no session cookie in a diagnostics event');
        } finally {
          for (const stop of listeners) stop();
        }
      });
    }
  });
}

/** Where the secret is in `text`, for the failure message. */
function excerpt(text: string): string {
  const at = text.indexOf(SECRET);
  return at < 0 ? '' : text.slice(Math.max(0, at - 300), at + SECRET.length + 20);
}
