import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import axios from 'axios';
import got from 'got';
import http2wrapper from 'http2-wrapper';
import ky from 'ky';
import { Agent, request as undiciRequest } from 'undici';
import { withNegotiate } from '../../src/adapters/axios/index.js';
import { lastSeenCertificates } from '../../src/adapters/binding/binding-guard.js';
import { EndPointBinding } from '../../src/adapters/binding/end-point-binding.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import { negotiate } from '../../src/adapters/undici/index.js';
import { HTTPSPNEGOAuth } from '../../src/index.js';
import { NegotiateTestServer } from '../../src/testing/index.js';
import { H2NegotiateServer } from '../helpers/h2-negotiate-server.js';
import { useRealm } from '../helpers/realm-fixture.js';
import { RoundRobin } from '../helpers/round-robin.js';
import { makeCertificate, type TestCertificate } from '../helpers/test-certificates.js';

// Channel bindings over HTTP/2 (RFC 9113 over TLS, RFC 5929 tls-server-end-point): a node:http2
// server that speaks only h2 and requires every token to be bound to its certificate, against
// every client that speaks h2: got (`http2: true`), axios (`httpVersion: 2`), undici with
// `allowH2` (pipelining > 1, so requests share one session), and fetch and ky through such an
// undici Agent.

const fixture = useRealm();

/** Sends one GET with a client made for `auth`; the status and body, or the error. */
type H2Client = (auth: HTTPSPNEGOAuth, url: string) => Promise<{ status: number; body: string }>;

interface ClientKit {
  readonly name: string;
  /** Whether a failed attempt is sent again (got's hooks cannot resend an attempt that failed). */
  readonly resends: boolean;
  /** Whether a bare attempt and the bound answer to its 401 take the same session. */
  readonly sameSession: boolean;
  /** A client over h2 that trusts `certificate`; `close` ends its sessions. */
  make(certificate: TestCertificate): { send: H2Client; close(): Promise<void> };
}

const undiciAgent = (certificate: TestCertificate) =>
  new Agent({ allowH2: true, pipelining: 10, connect: { ca: certificate.cert } });

const KITS: readonly ClientKit[] = [
  {
    name: 'got (http2: true)',
    resends: true,
    sameSession: true,
    make(certificate) {
      const agent = new http2wrapper.Agent();
      return {
        async send(auth, url) {
          const client = got.extend(negotiateGot(auth), {
            http2: true,
            agent: { http2: agent },
            https: { certificateAuthority: certificate.cert },
            retry: { limit: 0 },
            throwHttpErrors: false,
          });
          const res = await client(url);
          return { status: res.statusCode, body: res.body };
        },
        async close() {
          agent.destroy();
        },
      };
    },
  },
  {
    name: 'axios (httpVersion: 2)',
    resends: true,
    sameSession: false,
    make(certificate) {
      return {
        async send(auth, url) {
          const client = withNegotiate(axios.create({ responseType: 'text' }), auth);
          const res = await client.get(url, {
            httpVersion: 2,
            http2Options: { ca: certificate.cert },
            validateStatus: () => true,
          } as never);
          return { status: res.status, body: String(res.data) };
        },
        async close() {},
      };
    },
  },
  {
    name: 'undici interceptor (allowH2, pipelining 10)',
    resends: true,
    sameSession: true,
    make(certificate) {
      const agent = undiciAgent(certificate);
      return {
        async send(auth, url) {
          const res = await undiciRequest(url, { dispatcher: agent.compose(negotiate(auth)) });
          return { status: res.statusCode, body: await res.body.text() };
        },
        close: () => agent.close(),
      };
    },
  },
  {
    name: 'createFetch through an allowH2 Agent',
    resends: true,
    sameSession: true,
    make(certificate) {
      const agent = undiciAgent(certificate);
      return {
        async send(auth, url) {
          const res = await createFetch(auth)(url, { dispatcher: agent } as unknown as RequestInit);
          return { status: res.status, body: await res.text() };
        },
        close: () => agent.close(),
      };
    },
  },
  {
    name: 'ky through an allowH2 Agent',
    resends: true,
    sameSession: true,
    make(certificate) {
      const agent = undiciAgent(certificate);
      const base: typeof fetch = (input, init) =>
        fetch(input, { ...init, dispatcher: agent } as unknown as RequestInit);
      return {
        async send(auth, url) {
          const res = await ky(url, { ...negotiateKy(auth, base), retry: 0, throwHttpErrors: false });
          return { status: res.status, body: await res.text() };
        },
        close: () => agent.close(),
      };
    },
  },
];

let unique = 0;

/** The `ERR_CHANNEL_BINDING` code in an error's cause chain, or undefined. */
function codeIn(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  while (e && e.code !== 'ERR_CHANNEL_BINDING') e = e.cause as typeof e;
  return e ? 'ERR_CHANNEL_BINDING' : undefined;
}

describe('HTTP/2 over TLS, channel bindings required', () => {
  let certificate: TestCertificate;
  let other: TestCertificate;
  let server: H2NegotiateServer;
  before(async () => {
    certificate = await makeCertificate('ecdsa-sha384', fixture.realm.hostname);
    other = await makeCertificate('ecdsa-sha384', fixture.realm.hostname);
    server = await H2NegotiateServer.start({
      keytab: fixture.realm.service.keytab,
      hostname: fixture.realm.hostname,
      key: certificate.key,
      cert: certificate.cert,
      der: certificate.der,
    });
  });
  after(() => server?.stop());

  const url = (name: string) => `${server.url}${name.replace(/\W+/g, '-')}/${++unique}`;
  const origin = () => new URL(server.url).origin;

  for (const kit of KITS) {
    describe(kit.name, () => {
      test('authenticates with default options: the answer to the 401 and the tokens up front are bound to the session', async () => {
        // A process that has seen no connection to the origin yet: the guess must come from the
        // h2 session itself.
        server.dropSessions();
        lastSeenCertificates.forget(origin());
        const client = kit.make(certificate);
        try {
          const auth = new HTTPSPNEGOAuth();
          const hrefs = [url(kit.name), url(kit.name), url(kit.name)];
          for (const href of hrefs) {
            const res = await client.send(auth, href);
            assert.equal(res.status, 200, res.body);
            assert.equal(JSON.parse(res.body).user, fixture.realm.user.principal);
          }
          const seen = hrefs.flatMap((h) => server.requestsTo(new URL(h).pathname));
          assert.ok(seen.every((r) => r.httpVersion === '2.0'));
          assert.deepEqual(
            seen.filter((r) => r.negotiate).map((r) => [r.status, r.channelBound]),
            [
              [200, true],
              [200, true],
              [200, true],
            ],
          );
        } finally {
          await client.close();
        }
      });

      test('concurrent requests on one session each carry their own bound token', async () => {
        const client = kit.make(certificate);
        try {
          const auth = new HTTPSPNEGOAuth();
          assert.equal((await client.send(auth, url(kit.name))).status, 200);
          const hrefs = Array.from({ length: 5 }, () => url(kit.name));
          const results = await Promise.all(hrefs.map((h) => client.send(auth, h)));
          for (const res of results) assert.equal(res.status, 200, res.body);
          const seen = hrefs.flatMap((h) => server.requestsTo(new URL(h).pathname));
          assert.ok(seen.filter((r) => r.negotiate).every((r) => r.channelBound));
        } finally {
          await client.close();
        }
      });

      test('a token bound to another certificate than the session presented is never sent', async () => {
        // The process last saw the origin present `other` (a guess): the token up front is bound
        // to it, and the session that will carry it presents `certificate`.
        server.dropSessions();
        lastSeenCertificates.remember(origin(), EndPointBinding.of(other.der)!);
        const client = kit.make(certificate);
        const href = url(kit.name);
        try {
          const sent = client.send(new HTTPSPNEGOAuth({ opportunisticAuth: true }), href);
          if (kit.resends) {
            // Stopped, then sent again bare once: the 401 on the session is answered bound to it.
            const res = await sent;
            assert.equal(res.status, 200, res.body);
          } else {
            await assert.rejects(sent, (error: unknown) => {
              let e = error as { code?: unknown; cause?: unknown } | undefined;
              while (e && e.code !== 'ERR_CHANNEL_BINDING') e = e.cause as typeof e;
              return e !== undefined;
            });
          }
        } finally {
          await client.close();
          lastSeenCertificates.remember(origin(), EndPointBinding.of(certificate.der)!);
        }
        const wrong = server.requestsTo(new URL(href).pathname).filter((r) => r.negotiate && !r.channelBound);
        assert.deepEqual(wrong, [], 'no token bound to another certificate reached the server');
      });
    });
  }
});

describe('HTTP/2: two back ends behind one name, each with its own certificate (a new one per connection)', () => {
  let certificates: TestCertificate[] = [];
  let backends: H2NegotiateServer[] = [];
  let front: RoundRobin;
  let origin = '';
  before(async () => {
    certificates = [
      await makeCertificate('rsa-sha256', fixture.realm.hostname),
      await makeCertificate('rsa-sha256', fixture.realm.hostname),
    ];
    backends = await Promise.all(
      certificates.map((certificate) =>
        H2NegotiateServer.start({
          keytab: fixture.realm.service.keytab,
          hostname: fixture.realm.hostname,
          key: certificate.key,
          cert: certificate.cert,
          der: certificate.der,
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

  for (const kit of KITS) {
    test(`${kit.name}: every request authenticates, no token goes bound to the other back end`, async () => {
      const auth = new HTTPSPNEGOAuth();
      const paths: string[] = [];
      const statuses: (number | string)[] = [];
      for (let i = 0; i < 6; i++) {
        // A client per request: each opens a new session, on the next back end.
        const client = kit.make({ ...certificates[0]!, cert: certificates.map((c) => c.cert).join('\n') });
        try {
          const href = `${origin}/rr/${++unique}`;
          paths.push(new URL(href).pathname);
          statuses.push(
            await client.send(auth, href).then(
              (res) => res.status,
              (error: unknown) => codeIn(error) ?? String(error),
            ),
          );
        } finally {
          await client.close();
        }
      }
      if (kit.sameSession) assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
      // axios pools its sessions by options: the bare attempt and the bound answer take different
      // sessions, so behind back ends with different certificates the answer may meet the other
      // one and be stopped (docs/channel-bindings.md). Never a wrongly bound token.
      else
        assert.ok(
          statuses.every((s) => s === 200 || s === 'ERR_CHANNEL_BINDING'),
          String(statuses),
        );
      const tokens = backends.flatMap((b) => b.requests.filter((r) => paths.includes(r.path) && r.negotiate));
      assert.deepEqual(
        tokens.filter((r) => !r.channelBound),
        [],
        'no token bound to another certificate reached a back end',
      );
    });
  }
});

test('got with http2: true against an HTTP/1.1-only server (ALPN picks http/1.1): authenticates, bound', async () => {
  const certificate = await makeCertificate('rsa-sha256', fixture.realm.hostname);
  const server = await NegotiateTestServer.start({
    keytab: fixture.realm.service.keytab,
    hostname: fixture.realm.hostname,
    tls: { key: certificate.key, cert: certificate.cert, channelBindings: 'required' },
  });
  const client = KITS[0]!.make(certificate);
  try {
    const auth = new HTTPSPNEGOAuth();
    const hrefs = [`${server.url}ok/alpn${++unique}`, `${server.url}ok/alpn${++unique}`];
    for (const href of hrefs) {
      const res = await client.send(auth, href);
      assert.equal(res.status, 200, res.body);
    }
    const seen = hrefs.flatMap((h) => server.requestsTo(new URL(h).pathname));
    assert.ok(seen.filter((r) => r.negotiate).every((r) => r.channelBound));
  } finally {
    await client.close();
    await server.stop();
  }
});
