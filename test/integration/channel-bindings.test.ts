import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { Agent, request as undiciRequest } from 'undici';
import { lastSeenCertificates } from '../../src/adapters/binding/binding-guard.js';
import { EndPointBinding } from '../../src/adapters/binding/end-point-binding.js';
import { bindingOfSocket } from '../../src/adapters/binding/peer-certificate.js';
import { negotiate } from '../../src/adapters/undici/index.js';
import { type ContextFactory, gssapiContextFactory } from '../../src/core/negotiate-context.js';
import { ChannelBindings } from '../../src/gssapi/index.js';
import { ChannelBindingError, HTTPSPNEGOAuth, type HTTPSPNEGOAuthOptions } from '../../src/index.js';
import { NegotiateTestServer, type TestServerChannelBindings } from '../../src/testing/index.js';
import { type Driver, drivers, type Outcome, type TlsClients } from '../helpers/adapter-drivers.js';
import { ApacheServer } from '../helpers/apache.js';
import { freeLoopbackPort, listenAddress } from '../helpers/loopback-port.js';
import { useRealm } from '../helpers/realm-fixture.js';
import { RoundRobin } from '../helpers/round-robin.js';
import { type CertificateKind, makeCertificate, type TestCertificate } from '../helpers/test-certificates.js';

// Channel bindings end to end (RFC 5929 tls-server-end-point): the project's acceptor-based
// server over TLS refuses tokens that are not bound to its certificate (a wrong binding and a
// missing one alike, as IIS with Extended Protection "Required" does), for every client, with
// certificates signed RSA-SHA256, ECDSA-SHA384 and RSA-SHA1 made at test time.

const fixture = useRealm({ negotiateServer: true });

const KINDS: readonly CertificateKind[] = ['rsa-sha256', 'ecdsa-sha384', 'rsa-sha1'];

/** Agents that trust `certificate` (and accept its signature, for SHA-1). */
function tlsClients(certificate: TestCertificate): TlsClients & { close(): Promise<void> } {
  return clientsWith({
    ca: certificate.cert,
    ...(certificate.ciphers ? { ciphers: certificate.ciphers } : {}),
  });
}

/** Agents with these TLS options, closed together. */
function clientsWith(tls: {
  ca: string | string[];
  ciphers?: string;
}): TlsClients & { close(): Promise<void> } {
  const dispatcher = new Agent({ connect: tls });
  const httpsAgent = new HttpsAgent({ keepAlive: true, ...tls });
  return {
    dispatcher,
    httpsAgent,
    async close() {
      httpsAgent.destroy();
      await dispatcher.close();
    },
  };
}

/** Token events of the flow while `run` runs: the binding each token carried. */
async function tokenBindings(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (event: unknown) => seen.push((event as { binding: unknown }).binding);
  subscribe('http-gssapi:token', listener);
  try {
    await run();
  } finally {
    unsubscribe('http-gssapi:token', listener);
  }
  return seen;
}

/**
 * Waits until the clients have seen the server close their connections (bounded), so that the
 * next request opens a new one instead of writing to a closing socket.
 */
async function closedOnClient(clients: TlsClients): Promise<void> {
  const open = () =>
    [...Object.values(clients.httpsAgent.freeSockets), ...Object.values(clients.httpsAgent.sockets)].flat()
      .length;
  for (let waited = 0; open() > 0 && waited < 5000; waited += 10) await delay(10);
  await delay(20); // undici's pool: its socket's 'close' runs on a later turn
}

/** The error, or one in its `cause` chain, of this class. */
function causeOf<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) if (e instanceof type) return e as T;
  return undefined;
}

/**
 * A context factory that binds every token to `other` instead of the connection's certificate:
 * what a token relayed from a connection to another server (a man in the middle) carries.
 */
function boundTo(other: Uint8Array): ContextFactory {
  return (request) =>
    gssapiContextFactory({ ...request, channelBindings: ChannelBindings.tlsServerEndPoint(other) });
}

let unique = 0;

for (const kind of KINDS) {
  describe(`https with a ${kind} certificate, channel bindings required`, () => {
    let certificate: TestCertificate;
    let other: TestCertificate;
    const servers = new Map<TestServerChannelBindings, NegotiateTestServer>();
    before(async () => {
      certificate = await makeCertificate(kind, fixture.realm.hostname);
      other = await makeCertificate(kind, fixture.realm.hostname);
      for (const mode of ['required', 'ignored'] as const) {
        servers.set(
          mode,
          await NegotiateTestServer.start({
            keytab: fixture.realm.service.keytab,
            hostname: fixture.realm.hostname,
            tls: {
              key: certificate.key,
              cert: certificate.cert,
              channelBindings: mode,
              ...(certificate.ciphers ? { ciphers: certificate.ciphers } : {}),
            },
          }),
        );
      }
    });
    after(async () => {
      for (const server of servers.values()) await server.stop();
    });

    const server = () => servers.get('required')!;
    const url = (behavior = 'ok') => `${server().url}${behavior}/c${++unique}`;
    const requestsTo = (href: string) => server().requestsTo(new URL(href).pathname);

    for (const driver of drivers) {
      describe(driver.name, () => {
        let clients: ReturnType<typeof tlsClients>;
        before(() => {
          clients = tlsClients(certificate);
        });
        after(() => clients.close());
        const send = (auth: HTTPSPNEGOAuth, href: string): Promise<Outcome> =>
          driver.send(auth, href, { tls: clients });

        test('the token answering a 401 is bound; the next two requests on the connection go bound up front', async () => {
          const auth = new HTTPSPNEGOAuth();
          const first = url();
          const hrefs = [first, url(), url()];
          const bindings = await tokenBindings(async () => {
            for (const href of hrefs) {
              const outcome = await send(auth, href);
              assert.equal(outcome.status, 200, outcome.body);
              assert.equal(JSON.parse(outcome.body).user, fixture.realm.user.principal);
            }
          });
          const seen = hrefs.flatMap(requestsTo);
          assert.deepEqual(
            seen.map((r) => [r.negotiate, r.status, r.channelBound]),
            [
              [false, 401, false],
              [true, 200, true],
              [true, 200, true],
              [true, 200, true],
            ],
          );
          assert.equal(new Set(seen.map((r) => r.connection)).size, 1, 'one connection, kept alive');
          assert.deepEqual(bindings, [
            { type: 'tls-server-end-point', hash: certificate.hash },
            { type: 'tls-server-end-point', hash: certificate.hash },
            { type: 'tls-server-end-point', hash: certificate.hash },
          ]);
        });

        test('a new connection that resumes the TLS session carries bound tokens too', async () => {
          const auth = new HTTPSPNEGOAuth();
          const first = url();
          assert.equal((await send(auth, first)).status, 200);
          server().dropConnections();
          await closedOnClient(clients);
          const second = url();
          const outcome = await send(auth, second);
          assert.equal(outcome.status, 200, outcome.body);
          const [before] = requestsTo(first);
          const after = requestsTo(second);
          assert.deepEqual(
            after.map((r) => [r.negotiate, r.status, r.channelBound]),
            [[true, 200, true]],
            'learned preemption on the new connection, bound',
          );
          assert.notEqual(after[0]!.connection, before!.connection);
          // node:https's Agent resumes its TLS sessions, and Node then reports no certificate for
          // the connection: the binding comes from the session's first handshake. (undici keeps
          // its sessions through WeakRefs and resumes only while one lives.)
          if (driver.name === 'axios' || driver.name === 'got')
            assert.equal(after[0]!.tlsSessionReused, true);
        });

        test('opportunisticAuth: the first token goes up front, bound, on a new connection', async () => {
          await send(new HTTPSPNEGOAuth(), url('public')); // a connection to the origin, seen once
          const fresh = tlsClients(certificate);
          try {
            const href = url();
            const outcome = await driver.send(new HTTPSPNEGOAuth({ opportunisticAuth: true }), href, {
              tls: fresh,
            });
            assert.equal(outcome.status, 200, outcome.body);
            assert.deepEqual(
              requestsTo(href).map((r) => [r.negotiate, r.status, r.channelBound]),
              [[true, 200, true]],
            );
          } finally {
            await fresh.close();
          }
        });

        test('session reuse: no token while the session lasts; the token once it ends is bound', async () => {
          const auth = new HTTPSPNEGOAuth();
          const hrefs = [url('session'), url('session')];
          for (const href of hrefs) assert.equal((await send(auth, href)).status, 200);
          server().expireSessions();
          const last = url('session');
          const outcome = await send(auth, last);
          assert.equal(outcome.status, 200, outcome.body);
          assert.deepEqual(
            [...hrefs, last]
              .flatMap(requestsTo)
              .map((r) => [r.negotiate, r.status, r.session, r.channelBound]),
            [
              [false, 401, false, false],
              [true, 200, false, true],
              [false, 200, true, false],
              [false, 401, false, false],
              [true, 200, false, true],
            ],
          );
        });

        test('a token bound to another certificate is refused by the server', async () => {
          const auth = new HTTPSPNEGOAuth({}, { contextFactory: boundTo(other.der) });
          const href = url();
          const outcome = await send(auth, href);
          assert.equal(outcome.status, 401);
          const refused = requestsTo(href).filter((r) => r.negotiate);
          assert.ok(refused.length > 0);
          for (const r of refused) assert.deepEqual([r.status, r.user, r.channelBound], [401, null, false]);
        });

        test('a token without bindings is refused by the server', async () => {
          const href = url();
          const outcome = await send(new HTTPSPNEGOAuth({ channelBindings: false }), href);
          assert.equal(outcome.status, 401);
          const refused = requestsTo(href).filter((r) => r.negotiate);
          assert.ok(refused.length > 0);
          for (const r of refused) assert.deepEqual([r.status, r.user, r.channelBound], [401, null, false]);
        });

        test('a token up front bound to another certificate than its connection presents is never sent', async () => {
          // What was last seen for the origin is a guess: the new connection presents another
          // certificate, so the token is stopped before it is written. The attempt then goes
          // again bare, once, and the 401 is answered bound to its own connection.
          lastSeenCertificates.remember(new URL(server().url).origin, EndPointBinding.of(other.der)!);
          const fresh = tlsClients(certificate);
          const href = url();
          try {
            const outcome = await driver.send(new HTTPSPNEGOAuth({ opportunisticAuth: true }), href, {
              tls: fresh,
            });
            assert.equal(outcome.status, 200, outcome.body);
          } finally {
            await fresh.close();
          }
          assert.deepEqual(
            requestsTo(href).map((r) => [r.negotiate, r.status, r.channelBound]),
            [
              [false, 401, false],
              [true, 200, true],
            ],
            'the wrongly bound token never reached the server',
          );
          // The next request binds to the connection's real certificate again.
          lastSeenCertificates.remember(new URL(server().url).origin, EndPointBinding.of(certificate.der)!);
        });

        test('a server that does not check bindings accepts bound tokens', async () => {
          const ignoring = servers.get('ignored')!;
          const href = `${ignoring.url}ok/c${++unique}`;
          const outcome = await send(new HTTPSPNEGOAuth(), href);
          assert.equal(outcome.status, 200, outcome.body);
        });
      });
    }
  });
}

test('a resumed TLS connection has the certificate its session was established with', async () => {
  // Node reports no peer certificate on a resumed session: the certificate read once on the
  // connection that established the session stands for it.
  const certificate = await makeCertificate('rsa-sha256', fixture.realm.hostname);
  const server = await NegotiateTestServer.start({
    keytab: fixture.realm.service.keytab,
    hostname: fixture.realm.hostname,
    tls: { key: certificate.key, cert: certificate.cert },
  });
  try {
    const { port } = new URL(server.url);
    const sessions: Buffer[] = [];
    const open = (session?: Buffer) =>
      new Promise<TLSSocket>((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: fixture.realm.hostname,
            port: Number(port),
            ca: certificate.cert,
            ...(session ? { session } : {}),
          },
          () => resolve(socket),
        ).once('error', reject);
        socket.on('session', (s: Buffer) => sessions.push(s));
      });
    const first = await open();
    assert.deepEqual(bindingOfSocket(first)?.certificate, certificate.der);
    // TLS 1.3 sends its session tickets after the handshake.
    for (let waited = 0; sessions.length === 0 && waited < 5000; waited += 10) await delay(10);
    const session = sessions[0]!;
    first.destroy();
    const resumed = await open(session);
    try {
      assert.equal(resumed.isSessionReused(), true);
      assert.equal(resumed.getPeerCertificate().raw, undefined, 'Node reports none on a resumed session');
      assert.deepEqual(bindingOfSocket(resumed)?.certificate, certificate.der);
    } finally {
      resumed.destroy();
    }
  } finally {
    await server.stop();
  }
});

describe('plain http', () => {
  for (const driver of drivers) {
    test(`${driver.name}: tokens carry no bindings`, async () => {
      const href = `${fixture.negotiateServer.url}ok/plain${++unique}`;
      const options: HTTPSPNEGOAuthOptions = { opportunisticAuth: true };
      const bindings = await tokenBindings(async () => {
        const outcome = await (driver as Driver).send(new HTTPSPNEGOAuth(options), href);
        assert.equal(outcome.status, 200);
      });
      assert.deepEqual(bindings, [null]);
    });
  }
});

describe('https redirecting to plain http', () => {
  let certificate: TestCertificate;
  let server: NegotiateTestServer;
  let clients: ReturnType<typeof tlsClients>;
  before(async () => {
    certificate = await makeCertificate('rsa-sha256', fixture.realm.hostname);
    server = await NegotiateTestServer.start({
      keytab: fixture.realm.service.keytab,
      hostname: fixture.realm.hostname,
      tls: { key: certificate.key, cert: certificate.cert, channelBindings: 'required' },
    });
    clients = tlsClients(certificate);
  });
  after(async () => {
    await clients.close();
    await server.stop();
  });

  for (const driver of drivers) {
    // The https hop's bound token must not pin the chain to https (got's request function once
    // did: `Protocol "http:" not supported`); the http hop is followed bare, as docs/adapters.md says.
    test(`${driver.name}: the hop is followed, bound over https, no token over http`, async () => {
      const target = `${fixture.negotiateServer.url}ok/downgrade${++unique}`;
      const start = `${server.url}redirect/downgrade${unique}?to=${encodeURIComponent(target)}`;
      const bindings = await tokenBindings(async () => {
        const outcome = await (driver as Driver).send(new HTTPSPNEGOAuth(), start, { tls: clients });
        // The http hop's Negotiate 401 comes back: no token goes in clear after https.
        assert.equal(outcome.status, 401, outcome.body);
      });
      const secure = server.requestsTo(`/redirect/downgrade${unique}`);
      assert.deepEqual(
        secure.map((r) => [r.status, r.negotiate, r.channelBound]),
        [
          [401, false, false],
          [302, true, true],
        ],
      );
      const plain = fixture.negotiateServer.requestsTo(`/ok/downgrade${unique}`);
      assert.ok(plain.length >= 1, 'the http hop was followed');
      assert.ok(
        plain.every((r) => !r.negotiate && r.otherAuthorization === null),
        'no token to the http host',
      );
      assert.equal(bindings.length, 1);
      assert.notEqual(bindings[0], null);
    });
  }
});

/** mod_ssl, where the Apache helper finds its modules (Debian, then Fedora/RHEL). */
const MOD_SSL = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules']
  .map((dir) => join(dir, 'mod_ssl.so'))
  .find((path) => existsSync(path));

describe('Apache over TLS (mod_ssl + mod_auth_gssapi, which does not check bindings)', () => {
  let apache: ApacheServer | null = null;
  let certificate: TestCertificate;
  let clients: ReturnType<typeof tlsClients>;
  let origin = '';
  let dir = '';
  let skip: string | false = MOD_SSL ? false : 'mod_ssl is not installed (apt-get install apache2)';
  before(async () => {
    if (skip) return;
    certificate = await makeCertificate('ecdsa-sha384', fixture.realm.hostname);
    dir = await mkdtemp(join(tmpdir(), 'http-gssapi-apache-tls-'));
    await chmod(dir, 0o755);
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await writeFile(certFile, certificate.cert, { mode: 0o644 });
    // Read by the Apache parent, which runs as the test's user (root in CI) at start-up.
    await writeFile(keyFile, certificate.key, { mode: 0o600 });
    const { port, hosts } = await freeLoopbackPort();
    // A TLS virtual host next to the helper's plain listener (which its readiness probe uses);
    // the helper's Locations are server-wide, so they apply to it too.
    const extraConfig = [
      `<IfModule !ssl_module>\n  LoadModule ssl_module "${MOD_SSL}"\n</IfModule>`,
      ...hosts.map((host) => `Listen ${listenAddress(host, port)} https`),
      `<VirtualHost ${hosts.map((host) => listenAddress(host, port)).join(' ')}>`,
      `  ServerName ${fixture.realm.hostname}`,
      '  SSLEngine on',
      `  SSLCertificateFile "${certFile}"`,
      `  SSLCertificateKeyFile "${keyFile}"`,
      '</VirtualHost>',
    ].join('\n');
    try {
      apache = await ApacheServer.start({ realm: fixture.realm, extraConfig });
    } catch (error) {
      skip = `Apache could not start: ${String((error as Error).message).split('\n')[0]}`;
      return;
    }
    origin = `https://${fixture.realm.hostname}:${port}`;
    clients = tlsClients(certificate);
  });
  after(async () => {
    await clients?.close();
    await apache?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const driver of drivers) {
    test(`${driver.name}: bound tokens are accepted, the second and third request on the connection too`, async (t) => {
      if (skip) return t.skip(skip);
      const auth = new HTTPSPNEGOAuth();
      const bindings = await tokenBindings(async () => {
        for (let i = 0; i < 3; i++) {
          const outcome = await driver.send(auth, `${origin}/private/${driver.name}${i}`, { tls: clients });
          assert.equal(outcome.status, 200, outcome.body);
          assert.equal(JSON.parse(outcome.body).user, fixture.realm.user.principal);
        }
      });
      assert.deepEqual(
        bindings.map((b) => (b as { hash?: string } | null)?.hash),
        ['sha384', 'sha384', 'sha384'],
      );
    });
  }
});

describe('two back ends behind one name, each with its own certificate (a new one per connection)', () => {
  let first: TestCertificate;
  let second: TestCertificate;
  let backends: NegotiateTestServer[] = [];
  let front: RoundRobin;
  let origin = '';
  before(async () => {
    first = await makeCertificate('rsa-sha256', fixture.realm.hostname);
    second = await makeCertificate('rsa-sha256', fixture.realm.hostname);
    backends = await Promise.all(
      [first, second].map((certificate) =>
        NegotiateTestServer.start({
          keytab: fixture.realm.service.keytab,
          hostname: fixture.realm.hostname,
          tls: { key: certificate.key, cert: certificate.cert, channelBindings: 'required' },
        }),
      ),
    );
    front = await RoundRobin.start(backends.map((b) => b.port));
    origin = `https://${fixture.realm.hostname}:${front.port}`;
  });
  after(async () => {
    await front?.stop();
    for (const backend of backends) await backend.stop();
  });

  /** Clients that trust both back ends, for one request: each request opens a new connection. */
  const bothTrusted = () => clientsWith({ ca: [first.cert, second.cert] });
  const seen = () => backends.flatMap((b) => b.requests.filter((r) => r.path.includes('/rr')));

  for (const driver of drivers) {
    test(`${driver.name}: every request authenticates, no token goes bound to the other back end`, async () => {
      const auth = new HTTPSPNEGOAuth();
      const statuses: (number | string)[] = [];
      const before = seen().length;
      for (let i = 0; i < 6; i++) {
        const clients = bothTrusted();
        try {
          const outcome = await driver.send(auth, `${origin}/ok/rr${++unique}`, { tls: clients });
          statuses.push(outcome.status);
        } catch (error) {
          statuses.push(causeOf(error, ChannelBindingError)?.code ?? String(error));
        } finally {
          await clients.close();
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
      const tokens = seen()
        .slice(before)
        .filter((r) => r.negotiate);
      assert.ok(tokens.length >= 6);
      assert.deepEqual(
        tokens.filter((r) => !r.channelBound),
        [],
        'no token bound to another certificate reached a back end',
      );
    });
  }

  test('undici connectionBound: the dedicated connection and the pool reach different back ends', async () => {
    const auth = new HTTPSPNEGOAuth();
    const agent = new Agent({ connect: { ca: [first.cert, second.cert] } });
    const interceptor = negotiate(auth, {
      connectionBound: { clientOptions: { connect: { ca: [first.cert, second.cert] } } },
    });
    const dispatcher = agent.compose(interceptor);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await undiciRequest(`${origin}/ok/rr${++unique}`, { dispatcher });
        const body = await res.body.text();
        assert.equal(res.statusCode, 200, body);
      }
    } finally {
      await interceptor.close?.();
      await agent.close();
    }
  });
});
