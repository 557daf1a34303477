import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lastSeenCertificates } from '../../src/adapters/binding/binding-guard.js';
import { EndPointBinding } from '../../src/adapters/binding/end-point-binding.js';
import { guardedHttp2Options, watchHttp2Request } from '../../src/adapters/binding/h2-guard.js';
import { ChannelBindingError } from '../../src/index.js';

// The HTTP/2 side of the guard with fakes: which session a bound token's stream may open on.
// The real thing (node:http2, got, axios) is test/integration/channel-bindings-h2.test.ts.

const A = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x0a]);
const B = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x0b]);

/** A TLS socket as node:http2's session proxy shows it, presenting `certificate`. */
const socketPresenting = (certificate: Uint8Array) => ({
  encrypted: true,
  getPeerCertificate: () => ({ raw: Buffer.from(certificate) }),
  isSessionReused: () => false,
  getSession: () => undefined,
  on: () => {},
});

/** An http2-wrapper request whose agent always picks a session presenting `certificate`. */
function fakeRequest(certificate: Uint8Array) {
  const opened: unknown[] = [];
  const session = {
    socket: socketPresenting(certificate),
    request: (headers: unknown) => {
      opened.push(headers);
      return { stream: true };
    },
  };
  const agent = {
    protocol: 'https:',
    getSession(_origin: URL, _options: unknown, listeners: { resolve(s: unknown): void }[]) {
      for (const listener of listeners) listener.resolve(session);
    },
  };
  const request = { agent: agent as unknown, flushHeaders: () => {}, destroy: () => {} };
  return { request, opened };
}

type AgentLike = { request(o: URL, options: unknown, headers: unknown): Promise<unknown>; protocol: string };

describe('got over HTTP/2 (http2-wrapper)', () => {
  const url = new URL('https://h2.test/a');

  test('a bound token opens its stream on a session that presented its certificate', async () => {
    const { request, opened } = fakeRequest(A);
    watchHttp2Request(request, url, EndPointBinding.of(A));
    const agent = request.agent as AgentLike;
    assert.equal(agent.protocol, 'https:', 'the rest of the agent is the same');
    assert.deepEqual(await agent.request(url, {}, { authorization: 'Negotiate x' }), { stream: true });
    assert.equal(opened.length, 1);
    assert.deepEqual(lastSeenCertificates.get(url.origin)?.certificate, A, 'remembered for the origin');
  });

  test('a session with another certificate gets no stream: ChannelBindingError', async () => {
    const { request, opened } = fakeRequest(B);
    watchHttp2Request(request, url, EndPointBinding.of(A));
    await assert.rejects((request.agent as AgentLike).request(url, {}, {}), ChannelBindingError);
    assert.equal(opened.length, 0, 'nothing of the request went on the session');
  });

  test('an attempt without a token opens its stream anywhere, and tells what the session presented', async () => {
    const { request, opened } = fakeRequest(B);
    watchHttp2Request(request, url, null);
    await (request.agent as AgentLike).request(url, {}, {});
    assert.equal(opened.length, 1);
    assert.deepEqual(lastSeenCertificates.get(url.origin)?.certificate, B);
  });
});

describe('axios over HTTP/2 (http2Options.createConnection)', () => {
  test('one function per certificate, so axios pools sessions per certificate', () => {
    const a1 = guardedHttp2Options(undefined, EndPointBinding.of(A));
    const a2 = guardedHttp2Options({}, EndPointBinding.of(A));
    const b = guardedHttp2Options(undefined, EndPointBinding.of(B));
    const bare = guardedHttp2Options(undefined, null);
    assert.equal(a1.createConnection, a2.createConnection);
    assert.notEqual(a1.createConnection, b.createConnection);
    assert.notEqual(a1.createConnection, bare.createConnection);
  });

  test("the caller's options are kept, its own createConnection wrapped", () => {
    const own = () => {
      throw new Error('not called here');
    };
    const options = guardedHttp2Options({ ca: 'pem', createConnection: own }, EndPointBinding.of(A));
    assert.equal(options['ca'], 'pem');
    assert.notEqual(options['createConnection'], own);
    assert.equal(
      guardedHttp2Options({ createConnection: own }, EndPointBinding.of(A))['createConnection'],
      options['createConnection'],
    );
  });
});
