import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { ChannelBindings } from '../../src/gssapi/index.js';
import {
  BodyNotReplayableError,
  ChannelBindingError,
  DISABLED,
  HTTPSPNEGOAuth,
  type HTTPSPNEGOAuthOptions,
  type NegotiateEvent,
} from '../../src/index.js';
import { fakeContextFactory } from '../helpers/fake-context.js';

// The flow's part in channel bindings (RFC 5929 tls-server-end-point), with a scripted context:
// which tokens are bound, to what, and what happens when no connection is known yet.

const CERTIFICATE = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]);

function setup(options: HTTPSPNEGOAuthOptions = {}) {
  const factory = fakeContextFactory();
  const auth = new HTTPSPNEGOAuth(
    { mutualAuthentication: DISABLED, learnedPreemption: false, ...options },
    { contextFactory: factory },
  );
  return { auth, factory };
}

const challenge = {
  status: 401,
  header: (name: string) => (name === 'www-authenticate' ? 'Negotiate' : null),
};

function events(type: string): { seen: NegotiateEvent[]; stop(): void } {
  const seen: NegotiateEvent[] = [];
  const listener = (event: unknown) => seen.push(event as NegotiateEvent);
  subscribe(`http-gssapi:${type}`, listener);
  return { seen, stop: () => unsubscribe(`http-gssapi:${type}`, listener) };
}

describe('which tokens are bound', () => {
  test('https: the context gets tls-server-end-point of the connection certificate', async () => {
    const { auth, factory } = setup();
    const flow = auth.flow('https://h.test/a', { peerCertificate: () => CERTIFICATE });
    assert.equal(await flow.start(), null);
    const tokens = events('token');
    try {
      assert.equal((await flow.onResponse(challenge)).action, 'retry');
    } finally {
      tokens.stop();
    }
    const expected = ChannelBindings.tlsServerEndPoint(CERTIFICATE).applicationData;
    assert.deepEqual(factory.created[0]!.channelBindings?.applicationData, expected);
    assert.deepEqual(flow.boundCertificate, CERTIFICATE);
    assert.deepEqual((tokens.seen[0] as { binding: unknown }).binding, {
      type: 'tls-server-end-point',
      hash: 'sha256',
    });
  });

  for (const [name, url, options, flowOptions] of [
    ['plain http', 'http://h.test/a', {}, {}],
    ['channelBindings: false', 'https://h.test/a', { channelBindings: false }, {}],
    ['the proxy leg', 'https://h.test/a', {}, { kind: 'proxy' }],
  ] as const) {
    test(`${name}: unbound, and the certificate is not even asked for`, async () => {
      const { auth, factory } = setup(options);
      let asked = 0;
      const flow = auth.flow(url, {
        ...flowOptions,
        peerCertificate: () => {
          asked++;
          return CERTIFICATE;
        },
      });
      const status = 'kind' in flowOptions ? 407 : 401;
      const header = 'kind' in flowOptions ? 'proxy-authenticate' : 'www-authenticate';
      await flow.onResponse({ status, header: (n) => (n === header ? 'Negotiate' : null) });
      assert.equal(factory.created[0]!.channelBindings ?? null, null);
      assert.equal(flow.boundCertificate, null);
      assert.equal(asked, 0);
    });
  }
});

describe('a token up front', () => {
  test('waits for a known connection: the request goes bare, the 401 is answered bound', async () => {
    const { auth, factory } = setup({ opportunisticAuth: true });
    let known: Uint8Array | null = null;
    const flow = auth.flow('https://h.test/a', { peerCertificate: () => known });
    const binding = events('binding');
    try {
      assert.equal(await flow.start(), null);
    } finally {
      binding.stop();
    }
    assert.deepEqual(
      binding.seen.map((e) => (e as { result: string }).result),
      ['deferred'],
    );
    assert.equal(factory.created.length, 0);
    known = CERTIFICATE;
    assert.equal((await flow.onResponse(challenge)).action, 'retry');
    assert.deepEqual(flow.boundCertificate, CERTIFICATE);
  });

  test('goes bound when the origin has a known connection', async () => {
    const { auth, factory } = setup({ opportunisticAuth: true });
    const flow = auth.flow('https://h.test/a', { peerCertificate: async () => CERTIFICATE });
    assert.match((await flow.start()) ?? '', /^Negotiate /);
    assert.ok(factory.created[0]!.channelBindings);
  });

  test('for a body that goes once, with no known connection: a coded error before anything is sent', async () => {
    const { auth } = setup();
    const flow = auth.flow('https://h.test/a', { replayable: false, peerCertificate: () => null });
    await assert.rejects(flow.start(), (error: unknown) => {
      assert.ok(error instanceof BodyNotReplayableError);
      const exchange = error.cause as Error;
      assert.ok(exchange.cause instanceof ChannelBindingError);
      return true;
    });
  });
});

test('a server that keeps refusing bound tokens gets a hint naming channel bindings', async () => {
  const { auth } = setup();
  const flow = auth.flow('https://h.test/a', { peerCertificate: () => CERTIFICATE });
  await flow.start();
  await flow.onResponse(challenge);
  await flow.onResponse(challenge);
  const decision = await flow.onResponse(challenge);
  assert.equal(decision.action, 'return');
  assert.match((decision as { error?: { hint?: string } }).error?.hint ?? '', /channel bindings/);
});

test('channelBindings must be a boolean', () => {
  assert.throws(
    () => new HTTPSPNEGOAuth({ channelBindings: 'yes' as unknown as boolean }),
    /channelBindings must be a boolean/,
  );
});

describe('a bound token stopped by the guard (another certificate on the connection)', () => {
  const refusal = () =>
    new TypeError('fetch failed', { cause: new ChannelBindingError('another certificate') });

  test('once: the context is released unused and the attempt goes again bare; the 401 is answered bound anew', async () => {
    let certificate = CERTIFICATE;
    const { auth, factory } = setup({ opportunisticAuth: true });
    const flow = auth.flow('https://h.test/a', { peerCertificate: () => certificate });
    assert.ok(await flow.start());
    assert.equal(flow.rebind(refusal()), true);
    assert.equal(factory.disposed, 1, 'the context of the token never sent is released');
    assert.equal(flow.boundCertificate, null, 'the next attempt carries no token');
    assert.deepEqual(flow.requestHeaders(null), {});
    certificate = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x09]);
    const answer = await flow.onResponse(challenge);
    assert.equal(answer.action, 'retry');
    assert.deepEqual(flow.boundCertificate, certificate);
    assert.equal(factory.created.length, 2, 'a fresh context for the new connection');
    // A second refusal stands: bounded to one resend per flow.
    assert.equal(flow.rebind(refusal()), false);
    flow.dispose();
  });

  test('not for another error, an unbound token, or a body that goes once', async () => {
    const { auth } = setup({ opportunisticAuth: true });
    const other = auth.flow('https://h.test/b', { peerCertificate: () => CERTIFICATE });
    assert.ok(await other.start());
    assert.equal(other.rebind(new TypeError('fetch failed', { cause: new Error('ECONNRESET') })), false);
    other.dispose();
    const plain = auth.flow('http://h.test/c');
    assert.ok(await plain.start());
    assert.equal(plain.rebind(refusal()), false);
    plain.dispose();
    const once = auth.flow('https://h.test/d', { peerCertificate: () => CERTIFICATE, replayable: false });
    assert.ok(await once.start());
    assert.equal(once.rebind(refusal()), false);
    once.dispose();
  });
});
