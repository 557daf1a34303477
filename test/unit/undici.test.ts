import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, interceptors, request, fetch as undiciFetch } from 'undici';
import {
  LegacyHandlerError,
  type NegotiateDispatchContext,
  type NegotiateDispatchInfo,
  negotiate,
} from '../../src/adapters/undici/index.js';
import { BodyNotReplayableError, MutualAuthenticationError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED, type HTTPSPNEGOAuthOptions, OPTIONAL, REQUIRED } from '../../src/core/options.js';
import { undiciDriver } from '../helpers/adapter-drivers.js';
import { runUnitTable } from '../helpers/adapter-unit-table.js';
import { b64, type FakeScript, fakeContextFactory } from '../helpers/fake-context.js';

// The createFetch behavior table through undici.request and new Agent().compose(negotiate(),
// interceptors.redirect()), then what is the interceptor's own, against a local HTTP server that
// scripts 401/200 answers and records each request's connection, with a scripted fake security
// context: res.context.negotiate, request targets and header forms, undici body types, the
// caller's controller across attempts, fetch through the dispatcher option, redirect composition,
// connection-bound handshakes, and dispatchers without an origin.

runUnitTable(undiciDriver);

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | null;
  readonly body: string;
  readonly socket: number;
}
interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}
type Script = (seen: Seen, index: number, req: IncomingMessage, res: ServerResponse) => Reply | undefined;

/** A server whose answers come from `script`, recording each request and its connection. */
class ScriptedServer {
  readonly seen: Seen[] = [];
  script: Script = () => ({ status: 200 });
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  origin = '';

  constructor() {
    let connections = 0;
    const ids = new WeakMap<Socket, number>();
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const seen: Seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization ?? null,
        body: Buffer.concat(chunks).toString(),
        socket: ids.get(req.socket) ?? 0,
      };
      this.seen.push(seen);
      const reply = this.script(seen, this.seen.length - 1, req, res);
      if (!reply) return; // the script answers itself
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
    this.#server.keepAliveTimeout = 10_000;
    this.#server.on('connection', (socket: Socket) => {
      ids.set(socket, ++connections);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  reset(script: Script): void {
    this.seen.length = 0;
    this.script = script;
  }

  /** Closes every open connection from the server's side. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

const challenge = (token?: string): Reply => ({
  status: 401,
  headers: { 'www-authenticate': token ? `Negotiate ${b64(token)}` : 'Negotiate' },
  body: 'denied',
});
const ok = (
  token: string | null = 'server-ok',
  status = 200,
  headers: Record<string, string> = {},
): Reply => ({
  status,
  headers: { ...(token ? { 'www-authenticate': `Negotiate ${b64(token)}` } : {}), ...headers },
  body: 'payload',
});
/** Answers in turn; the last answer repeats. */
const replies =
  (...list: Reply[]): Script =>
  (_seen, i) =>
    list[Math.min(i, list.length - 1)];

/** undici 7 translates old-style handlers in compose(); undici 8 does not. */
const undiciMajor = Number(
  (createRequire(import.meta.url)('undici/package.json') as { version: string }).version.split('.')[0],
);

const server = new ScriptedServer();
const agents: Dispatcher[] = [];
before(() => server.start());
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await server.stop();
});

function setup(options: HTTPSPNEGOAuthOptions = {}, script: FakeScript = {}) {
  const factory = fakeContextFactory(script);
  const auth = new HTTPSPNEGOAuth(
    { learnedPreemption: false, mutualAuthentication: REQUIRED, ...options },
    { contextFactory: factory },
  );
  const dispatcher = new Agent().compose(negotiate(auth));
  agents.push(dispatcher);
  return { factory, auth, dispatcher };
}

const url = (path = '/') => `${server.origin}${path}`;
const infoOf = (res: { context: object }) => (res.context as NegotiateDispatchContext).negotiate;
const TOKEN_1 = `Negotiate ${b64('tok-1')}`;

describe('res.context.negotiate and the connection', () => {
  test('the drained 401 leaves its keep-alive connection to the authenticated retry', async () => {
    const { dispatcher } = setup();
    server.reset(replies(challenge(), ok()));
    const res = await request(url('/a'), { dispatcher });
    assert.equal(await res.body.text(), 'payload');
    assert.equal(server.seen[0]!.socket, server.seen[1]!.socket, 'the 401 was drained, keep-alive reused');
    const { url: infoUrl, error, tokensSent, connectionBound } = infoOf(res);
    assert.deepEqual([infoUrl, error, tokensSent, connectionBound], [url('/a'), undefined, 1, false]);
  });

  test('tokensSent counts every leg of a multi-leg exchange', async () => {
    const { dispatcher } = setup(
      { mutualAuthentication: OPTIONAL },
      { continue: (s) => (s === 'leg-2' ? 'tok-2' : null) },
    );
    server.reset(replies(challenge(), challenge('leg-2'), ok(null)));
    const res = await request(url(), { dispatcher });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.equal(infoOf(res).tokensSent, 2);
  });
});

describe('request targets and headers', () => {
  test('a path that looks protocol-relative (//host/x) still names the origin it goes to', async () => {
    const { factory, dispatcher } = setup();
    server.reset(replies(challenge(), ok()));
    const res = await request(url('//evil.example/a'), { dispatcher });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.equal(server.seen[1]!.path, '//evil.example/a');
    assert.equal(factory.created[0]!.target, 'HTTP@127.0.0.1');
    assert.equal(infoOf(res).url, `${server.origin}//evil.example/a`);
  });

  test('a request that names another host than the one it is sent to gets no token', async () => {
    const { factory, dispatcher } = setup({ opportunisticAuth: true, mutualAuthentication: DISABLED });
    server.reset(replies(ok(null)));
    // An absolute-form path naming another origin: the server takes it for that host.
    const res = await dispatcher.request({
      origin: server.origin,
      path: 'http://evil.example/a',
      method: 'GET',
    });
    await res.body.text();
    assert.equal(server.seen[0]!.path, 'http://evil.example/a');
    assert.equal(server.seen[0]!.authorization, null);
    assert.equal(factory.created.length, 0);
    // One naming its own origin is that origin's.
    const same = await dispatcher.request({ origin: server.origin, path: url('/b'), method: 'GET' });
    await same.body.text();
    assert.equal(server.seen[1]!.authorization, TOKEN_1);
    assert.equal(factory.created[0]!.target, 'HTTP@127.0.0.1');
  });

  test('with the origin option (a Client sends to its own origin), options naming another get no token', () => {
    const factory = fakeContextFactory();
    const auth = new HTTPSPNEGOAuth({ opportunisticAuth: true }, { contextFactory: factory });
    const sent: Dispatcher.DispatchOptions[] = [];
    const dispatch = negotiate(auth, { origin: server.origin })((opts) => {
      sent.push(opts);
      return true;
    });
    const handler = { onRequestStart() {} } as unknown as Dispatcher.DispatchHandler;
    dispatch({ origin: 'http://evil.example', path: '/', method: 'GET' }, handler);
    assert.equal(sent.length, 1, 'passed through at once');
    assert.equal(sent[0]!.origin, 'http://evil.example');
    assert.equal(sent[0]!.headers, undefined);
    assert.equal(factory.created.length, 0);
  });

  test('request headers in every undici form are kept next to the token', async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    const forms = [
      { 'x-a': '1', 'x-b': ['2', '3'] },
      ['x-a', '1', 'x-b', '2', 'x-b', '3'],
      [
        ['x-a', '1'],
        ['x-b', ['2', '3']],
      ],
      new Map<string, string | string[]>([
        ['x-a', '1'],
        ['x-b', ['2', '3']],
      ]),
    ];
    for (const headers of forms) {
      const received: (string | string[] | undefined)[][] = [];
      server.reset((seen, i, req) => {
        received.push([req.headers['x-a'], req.headers['x-b'], seen.authorization ?? undefined]);
        return i === 0 ? challenge() : ok(null);
      });
      await (await request(url(), { dispatcher, headers: headers as never })).body.text();
      assert.deepEqual(received[1], ['1', '2, 3', TOKEN_1], JSON.stringify(headers));
    }
  });
});

describe('mutual authentication', () => {
  test('MutualAuthenticationError carries the response as undici saw it: { statusCode, headers }', async () => {
    const { dispatcher } = setup();
    server.reset(replies(challenge(), ok(null)));
    await assert.rejects(request(url(), { dispatcher }), (e: unknown) => {
      assert.ok(e instanceof MutualAuthenticationError);
      assert.equal((e.response as { statusCode: number }).statusCode, 200);
      assert.ok(!Object.keys(e).includes('response'));
      return true;
    });
  });

  test('a stripped error response has Date, Server and Content-Length: 0 only, raw headers too', async () => {
    const { dispatcher } = setup();
    const headers = { date: 'Sat, 28 Nov 2026 10:00:00 GMT', server: 'test', 'x-secret': 'internal' };
    server.reset(replies(challenge(), ok(null, 500, headers)));
    const res = await request(url(), { dispatcher });
    assert.equal(res.statusCode, 500);
    assert.equal(await res.body.text(), '');
    assert.deepEqual(res.headers, { date: headers.date, server: 'test', 'content-length': '0' });
    server.reset(replies(challenge(), ok(null, 500, headers)));
    const raw = await request(url(), { dispatcher, responseHeaders: 'raw' });
    await raw.body.text();
    assert.ok(!JSON.stringify(raw.headers).includes('internal'));
  });
});

describe('bodies', () => {
  test('a Buffer body is sent again, whole, with the token', async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    server.reset(replies(challenge(), ok()));
    await (await request(url(), { dispatcher, method: 'POST', body: Buffer.from('hello') })).body.text();
    assert.deepEqual(
      server.seen.map((s) => [s.body, s.authorization !== null]),
      [
        ['hello', false],
        ['hello', true],
      ],
    );
  });

  test('an async generator under the cap is buffered and replayed', async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    server.reset(replies(challenge(), ok()));
    async function* body() {
      yield Buffer.from('x');
      yield new Uint8Array([0x79]);
    }
    await (await request(url(), { dispatcher, method: 'PUT', body: body() as never })).body.text();
    assert.deepEqual(
      server.seen.map((s) => s.body),
      ['xy', 'xy'],
    );
  });

  test('a stream over the cap that fails before sending is released (destroyed)', async () => {
    const { dispatcher } = setup(
      { maxReplayBodySize: 1 },
      { failFirst: Object.assign(new Error('no ccache'), { code: 'KRB5_FCC_NOFILE' }) },
    );
    server.reset(replies(ok()));
    const body = Readable.from(['abc', 'def']);
    await assert.rejects(
      request(url(), { dispatcher, method: 'PUT', body }),
      (e: unknown) => e instanceof BodyNotReplayableError && e.code === 'ERR_BODY_NOT_REPLAYABLE',
    );
    assert.equal(server.seen.length, 0);
    await sleep(10);
    assert.ok(body.destroyed, 'the unsent stream is released');
  });
});

describe('the caller controller across attempts', () => {
  test('an old-style handler fails at once with LegacyHandlerError, never hangs', async () => {
    const { auth } = setup();
    const agent = new Agent();
    agents.push(agent);
    const dispatch = negotiate(auth)(agent.dispatch.bind(agent));
    const legacy = {
      onConnect() {},
      onHeaders: () => true,
      onData: () => true,
      onComplete() {},
      onError() {},
    };
    assert.throws(
      () => dispatch({ origin: server.origin, path: '/', method: 'GET' }, legacy as never),
      (e: unknown) => e instanceof LegacyHandlerError && e.code === 'ERR_UNDICI_LEGACY_HANDLER',
    );
    // Node's bundled fetch hands a dispatcher old-style handlers; undici 8's compose() would pass
    // them on untranslated. Simulate that dispatcher: fetch must reject, within a bound.
    const undici8Like = { dispatch } as unknown as Dispatcher;
    const started = Date.now();
    const bundled = Number(process.versions['undici']?.split('.')[0] ?? 0);
    if (bundled >= 8) {
      // Node 26 bundles undici 8, whose fetch speaks the new handler API: no legacy handler at all.
      const res = await globalThis.fetch(url(), { dispatcher: undici8Like } as unknown as RequestInit);
      assert.ok(res.status > 0);
      await res.arrayBuffer();
    } else {
      await assert.rejects(
        globalThis.fetch(url(), { dispatcher: undici8Like } as unknown as RequestInit),
        (e: unknown) => (e as Error).cause instanceof LegacyHandlerError,
      );
    }
    assert.ok(Date.now() - started < 2000);
  });

  test('an abort during the second attempt reaches the caller and the attempt', async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    let secondClosed = false;
    server.reset((_seen, i, req, res) => {
      if (i === 0) return challenge();
      req.socket.once('close', () => {
        secondClosed = true;
      });
      res.writeHead(200);
      res.write('partial'); // and never ends
      return undefined;
    });
    const controller = new AbortController();
    const res = await request(url(), { dispatcher, signal: controller.signal });
    assert.equal(res.statusCode, 200);
    const reading = res.body.text();
    await sleep(20);
    controller.abort(new Error('caller gave up'));
    await assert.rejects(reading, /caller gave up|aborted/);
    for (let waited = 0; !secondClosed && waited < 2000; waited += 10) await sleep(10);
    assert.ok(secondClosed, 'the second attempt was aborted on the wire');
  });

  test('an abort while the second leg waits for its headers ends the request', async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    server.reset((_seen, i) => (i === 0 ? challenge() : undefined)); // the second attempt hangs
    const controller = new AbortController();
    const pending = request(url(), { dispatcher, signal: controller.signal });
    while (server.seen.length < 2) await sleep(5);
    controller.abort(new Error('stop'));
    await assert.rejects(pending, /stop/);
  });

  test('an abort while the next token is being made ends the request at once', async () => {
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const factory = fakeContextFactory();
    const slowFactory = ((req: Parameters<typeof factory>[0]) => {
      const ctx = factory(req);
      return Object.assign(Object.create(ctx), {
        async step(token?: Uint8Array | null) {
          await blocked;
          return ctx.step(token);
        },
      });
    }) as typeof factory;
    const auth = new HTTPSPNEGOAuth({ learnedPreemption: false }, { contextFactory: slowFactory });
    const dispatcher = new Agent().compose(negotiate(auth));
    agents.push(dispatcher);
    server.reset(replies(challenge(), ok()));
    const controller = new AbortController();
    const pending = request(url(), { dispatcher, signal: controller.signal });
    while (server.seen.length < 1) await sleep(5);
    await sleep(20);
    controller.abort(new Error('no patience'));
    await assert.rejects(pending, /no patience/);
    unblock();
    await sleep(20);
    assert.equal(server.seen.length, 1, 'the late token was never sent');
  });

  test('pause and resume: a large body streams through with backpressure', async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    const size = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let finished = false;
    server.reset((_seen, i, _req, res) => {
      if (i === 0) return challenge();
      res.writeHead(200, { 'content-length': String(size) });
      let written = 0;
      const pump = () => {
        while (written < size) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end(() => {
          finished = true;
        });
      };
      pump();
      return undefined;
    });
    const res = await request(url(), { dispatcher, highWaterMark: 16 * 1024 });
    await sleep(300); // the caller reads nothing: undici must stop reading the socket
    assert.equal(finished, false, 'the server is held back while the caller does not read');
    let received = 0;
    for await (const part of res.body) received += (part as Buffer).length;
    assert.equal(received, size);
    assert.equal(server.seen.length, 2);
  });
});

describe('fetch through the dispatcher option', () => {
  test("undici's fetch: the one-shot body is buffered and replayed", async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    server.reset(replies(challenge(), ok()));
    const res = await undiciFetch(url(), { dispatcher, method: 'POST', body: 'form=1' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'payload');
    assert.deepEqual(
      server.seen.map((s) => [s.body, s.authorization !== null]),
      [
        ['form=1', false],
        ['form=1', true],
      ],
    );
  });

  test("undici's fetch: a stream over the cap gets a token up front", async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED, maxReplayBodySize: 100 });
    server.reset(replies(ok()));
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('z'.repeat(50)));
        c.close();
      },
    });
    const res = await undiciFetch(url(), { dispatcher, method: 'PUT', body, duplex: 'half' });
    assert.equal(res.status, 200);
    assert.deepEqual(
      server.seen.map((s) => [s.body.length, s.authorization]),
      [[500, TOKEN_1]],
    );
  });

  test("Node's bundled fetch: works with an undici 7 dispatcher, needs Dispatcher1Wrapper with undici 8", async () => {
    const { dispatcher } = setup({ mutualAuthentication: DISABLED });
    server.reset(replies(challenge(), ok()));
    const init = (d: Dispatcher) => ({ dispatcher: d, method: 'POST', body: 'b' }) as unknown as RequestInit;
    if (undiciMajor >= 8) {
      // Node's fetch (undici 6 in Node 22, 7 in Node 24) hands the dispatcher old-style handlers.
      await assert.rejects(
        globalThis.fetch(url(), init(dispatcher)),
        (e: unknown) => (e as Error).cause instanceof LegacyHandlerError,
      );
      assert.equal(server.seen.length, 0);
      const { Dispatcher1Wrapper } = (await import('undici')) as unknown as {
        Dispatcher1Wrapper: new (d: Dispatcher) => Dispatcher;
      };
      const res = await globalThis.fetch(url(), init(new Dispatcher1Wrapper(dispatcher)));
      assert.equal(res.status, 200);
      await res.text();
    } else {
      const res = await globalThis.fetch(url(), init(dispatcher));
      assert.equal(res.status, 200);
      await res.text();
    }
    assert.deepEqual(
      server.seen.map((s) => s.body),
      ['b', 'b'],
    );
  });

  test('mutual authentication failure rejects fetch', async () => {
    const { dispatcher } = setup();
    server.reset(replies(challenge(), ok(null)));
    await assert.rejects(undiciFetch(url(), { dispatcher }), (e: unknown) => {
      const cause = (e as Error).cause ?? e;
      return cause instanceof MutualAuthenticationError;
    });
  });
});

describe('redirects compose separately', () => {
  const redirect = (to: string, status = 302): Reply => ({ status, headers: { location: to } });

  test('negotiate() before redirect(): res.context.negotiate is the last hop’s own exchange', async () => {
    const auth = new HTTPSPNEGOAuth(
      { learnedPreemption: false, mutualAuthentication: DISABLED },
      { contextFactory: fakeContextFactory() },
    );
    const dispatcher = new Agent().compose(negotiate(auth), interceptors.redirect({ maxRedirections: 3 }));
    agents.push(dispatcher);
    server.reset(replies(challenge(), redirect('/b'), challenge(), ok()));
    const res = await request(url('/a'), { dispatcher });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.equal(infoOf(res).url, url('/b'));
    assert.equal(infoOf(res).tokensSent, 1);
  });

  test('a hop to plain http of a request that started over https gets no token', async () => {
    const factory = fakeContextFactory();
    // Every origin, https included, reaches the scripted server in clear (no TLS in unit tests),
    // so there is no certificate to bind to.
    const auth = new HTTPSPNEGOAuth(
      { opportunisticAuth: true, mutualAuthentication: DISABLED, channelBindings: false },
      { contextFactory: factory },
    );
    const port = Number(new URL(server.origin).port);
    const connect = (_options: unknown, callback: (error: Error | null, socket: Socket | null) => void) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (error) => callback(error, null));
    };
    const dispatcher = new Agent({ connect: connect as never }).compose(
      negotiate(auth),
      interceptors.redirect({ maxRedirections: 3 }),
    );
    agents.push(dispatcher);
    server.reset(replies(redirect(`${server.origin}/b`), challenge()));
    const res = await request(`${server.origin.replace('http:', 'https:')}/a`, { dispatcher });
    assert.equal(res.statusCode, 401);
    await res.body.text();
    assert.deepEqual(
      server.seen.map((s) => [s.path, s.authorization !== null]),
      [
        ['/a', true],
        ['/b', false],
      ],
    );
    assert.equal(factory.created.length, 1, 'no token made for the http hop');
    assert.match(infoOf(res).error?.message ?? '', /started over https and was redirected to plain http/);
  });
});

describe('connection-bound handshakes', () => {
  /**
   * A server that keeps the handshake per connection, like NTLM or GssapiConnectionBound: leg 1
   * ('tok-1') gets a challenge bound to its socket; leg 2 ('tok-2') passes only on that socket.
   */
  function boundScript(log: { socket: number; leg: string }[]): Script {
    const pending = new Map<number, string>();
    let n = 0;
    return (seen) => {
      const token = seen.authorization
        ? Buffer.from(seen.authorization.slice(10), 'base64').toString()
        : null;
      log.push({ socket: seen.socket, leg: token ?? 'bare' });
      if (token === 'tok-1') {
        const nonce = `nonce-${++n}`;
        pending.set(seen.socket, nonce);
        return challenge(nonce);
      }
      if (token === 'tok-2' && pending.has(seen.socket)) {
        pending.delete(seen.socket);
        return ok(null);
      }
      return challenge();
    };
  }
  const twoLegs: FakeScript = { continue: (s) => (s.startsWith('nonce-') ? 'tok-2' : null) };

  test('concurrent two-leg handshakes stay on one connection each and never interleave', async () => {
    const factory = fakeContextFactory(twoLegs);
    const auth = new HTTPSPNEGOAuth(
      { learnedPreemption: false, mutualAuthentication: DISABLED },
      { contextFactory: factory },
    );
    const origins: string[] = [];
    const { Client } = await import('undici');
    const interceptor = negotiate(auth, {
      connectionBound: {
        clientFactory: (origin) => {
          origins.push(origin);
          return new Client(origin, { pipelining: 1, allowH2: false });
        },
      },
    });
    const dispatcher = new Agent({ connections: 8 }).compose(interceptor);
    agents.push(dispatcher);
    const log: { socket: number; leg: string }[] = [];
    server.reset(boundScript(log));
    const results = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        // `reset` closes pooled connections after each request; the dedicated one must survive.
        const res = await request(url(`/r${i}`), { dispatcher, reset: i % 2 === 0 });
        await res.body.text();
        return [res.statusCode, infoOf(res)] as const;
      }),
    );
    assert.deepEqual(
      results.map(([status]) => status),
      [200, 200, 200, 200, 200, 200],
    );
    assert.ok(results.every(([, info]) => info.connectionBound && info.tokensSent === 2));
    assert.deepEqual(origins, [server.origin], 'one dedicated Client for the origin');
    const legs = log.filter((l) => l.leg !== 'bare');
    assert.equal(new Set(legs.map((l) => l.socket)).size, 1, 'every leg on the one dedicated connection');
    for (let i = 0; i < legs.length; i += 2) {
      assert.deepEqual([legs[i]!.leg, legs[i + 1]!.leg], ['tok-1', 'tok-2'], 'handshakes never interleave');
    }
    await interceptor.close();
  });

  test('connection-persistent auth: an authenticated socket carries later requests without a token until it closes', async () => {
    const factory = fakeContextFactory(twoLegs);
    const auth = new HTTPSPNEGOAuth(
      { learnedPreemption: true, mutualAuthentication: DISABLED },
      { contextFactory: factory },
    );
    const interceptor = negotiate(auth, { connectionBound: true });
    const dispatcher = new Agent().compose(interceptor);
    agents.push(dispatcher);
    const log: { socket: number; leg: string }[] = [];
    const bound = boundScript(log);
    // Like IIS (authPersistNonNTLM) or GssapiConnectionBound: a socket that completed a
    // handshake stays authenticated.
    const authenticated = new Set<number>();
    server.reset((seen, i, req, res) => {
      if (!seen.authorization && authenticated.has(seen.socket)) return ok(null);
      const reply = bound(seen, i, req, res)!;
      if (reply.status === 200) authenticated.add(seen.socket);
      return reply;
    });
    const get = async (path: string) => {
      const res = await request(url(path), { dispatcher });
      await res.body.text();
      return [res.statusCode, infoOf(res).tokensSent, infoOf(res).connectionBound] as const;
    };
    assert.deepEqual(await get('/first'), [200, 2, true]);
    const socket = log.at(-1)!.socket;
    assert.deepEqual(await get('/second'), [200, 0, true], 'no token on the authenticated socket');
    assert.deepEqual(await get('/third'), [200, 0, true]);
    assert.equal(server.seen.at(-1)!.socket, socket, 'the same socket');
    server.dropConnections();
    await sleep(20);
    assert.deepEqual(await get('/after-close'), [200, 2, true], 'a new socket negotiates again');
    authenticated.clear();
    assert.deepEqual(await get('/after-401'), [200, 2, true], 'a 401 on the socket negotiates again');
    await interceptor.close();
  });

  test('the same server without connectionBound fails when a leg lands on another connection', async () => {
    const factory = fakeContextFactory(twoLegs);
    const auth = new HTTPSPNEGOAuth(
      { learnedPreemption: false, mutualAuthentication: DISABLED },
      { contextFactory: factory },
    );
    const dispatcher = new Agent({ connections: 8 }).compose(negotiate(auth));
    agents.push(dispatcher);
    const log: { socket: number; leg: string }[] = [];
    server.reset(boundScript(log));
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const res = await request(url(`/r${i}`), { dispatcher, reset: i % 2 === 0 });
        await res.body.text();
        return res.statusCode;
      }),
    );
    assert.ok(statuses.includes(401), `statuses ${statuses.join(',')}`);
  });

  test('abort while waiting for the origin lock leaves the lock to the others', async () => {
    const factory = fakeContextFactory(twoLegs);
    const auth = new HTTPSPNEGOAuth(
      { opportunisticAuth: true, mutualAuthentication: DISABLED },
      { contextFactory: factory },
    );
    const interceptor = negotiate(auth, { connectionBound: true });
    const dispatcher = new Agent().compose(interceptor);
    agents.push(dispatcher);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const log: { socket: number; leg: string }[] = [];
    const bound = boundScript(log);
    server.reset((seen, i, req, res) => {
      if (i === 1) {
        // Hold the first handshake's second leg so the next request waits for the lock.
        void gate.then(() => {
          const reply = bound(seen, i, req, res)!;
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? '');
        });
        return undefined;
      }
      return bound(seen, i, req, res);
    });
    const first = request(url('/first'), { dispatcher });
    while (server.seen.length < 2) await sleep(5);
    const controller = new AbortController();
    const waiting = request(url('/waiting'), { dispatcher, signal: controller.signal });
    await sleep(20);
    controller.abort(new Error('gave up waiting'));
    await assert.rejects(waiting, /gave up waiting/);
    release();
    assert.equal((await first).statusCode, 200);
    const third = await request(url('/third'), { dispatcher });
    assert.equal(third.statusCode, 200);
    assert.ok(!server.seen.some((s) => s.path === '/waiting'), 'the aborted request never went out');
    await interceptor.close();
  });

  test('bad options are TypeErrors naming the option', () => {
    assert.throws(
      () => negotiate(new HTTPSPNEGOAuth(), { connectionBound: 'yes' as never }),
      /connectionBound/,
    );
    assert.throws(
      () => negotiate(new HTTPSPNEGOAuth(), { connectionBound: { clientFactory: 1 as never } }),
      /connectionBound\.clientFactory/,
    );
    assert.throws(() => negotiate({} as never), /auth/);
    assert.throws(() => negotiate(new HTTPSPNEGOAuth(), { origin: 'ftp://x' }), /origin/);
  });
});

// Type-level: the info type is what the context carries.
const _typecheck: (i: NegotiateDispatchInfo) => string = (i) => i.url;
void _typecheck;

describe('dispatchers without an origin in the options', () => {
  test('a Pool needs the origin option under undici 7; with it, the exchange runs', async () => {
    const { Pool } = await import('undici');
    server.reset(replies(challenge(), ok(null)));
    const auth = new HTTPSPNEGOAuth(
      { learnedPreemption: false, mutualAuthentication: DISABLED },
      { contextFactory: fakeContextFactory() },
    );
    if (undiciMajor < 8) {
      // undici 8's compose() fills in the dispatcher's origin; undici 7 leaves it out.
      const bare = new Pool(server.origin).compose(negotiate(auth));
      agents.push(bare);
      await assert.rejects(bare.request({ path: '/', method: 'GET' }), /origin/);
    }
    const pool = new Pool(server.origin).compose(negotiate(auth, { origin: server.origin }));
    agents.push(pool);
    const res = await pool.request({ path: '/', method: 'GET' });
    assert.equal(res.statusCode, 200);
    assert.equal((res.context as NegotiateDispatchContext).negotiate.url, `${server.origin}/`);
    await res.body.text();
  });
});
