import assert from 'node:assert/strict';
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { before, describe, test } from 'node:test';
import { lastSeenCertificates } from '../../src/adapters/binding/binding-guard.js';
import { EndPointBinding } from '../../src/adapters/binding/end-point-binding.js';
import { watchGotRequest } from '../../src/adapters/binding/node-guard.js';
import { bindingOfSocket } from '../../src/adapters/binding/peer-certificate.js';
import { undiciGuard } from '../../src/adapters/binding/undici-guard.js';
import { ChannelBindingError } from '../../src/core/errors.js';
import { makeCertificate, type TestCertificate } from '../helpers/test-certificates.js';

// The adapters' channel-binding module (docs/channel-bindings.md) with fake sockets: the value,
// the undici guard's check at `sendHeaders` (the real connections are in
// test/integration/channel-bindings.test.ts), and got's request function across a redirect.

/** A connected TLS socket as far as the guard reads one. */
function fakeSocket(der: Uint8Array) {
  const socket = {
    encrypted: true,
    destroyed: null as Error | null,
    getPeerCertificate: () => ({ raw: Buffer.from(der) }),
    getSession: () => undefined,
    on() {},
    destroy(error?: Error) {
      socket.destroyed = error ?? new Error('destroyed');
    },
  };
  return socket;
}

const sendHeaders = channel('undici:client:sendHeaders');
const headerBlock = (authorization: string) =>
  `GET /api HTTP/1.1\r\nhost: h.example\r\nauthorization: ${authorization}\r\n`;

let certificate: TestCertificate;
let other: TestCertificate;
before(async () => {
  certificate = await makeCertificate('rsa-sha256');
  other = await makeCertificate('ecdsa-sha384');
});

describe('EndPointBinding', () => {
  test('equal when the certificates are the same bytes; never equal to no binding', () => {
    const a = EndPointBinding.of(certificate.der)!;
    assert.equal(a.equals(EndPointBinding.of(new Uint8Array(certificate.der))), true);
    assert.equal(a.equals(EndPointBinding.of(other.der)), false);
    assert.equal(a.equals(null), false);
    assert.equal(EndPointBinding.of(null), null);
    assert.equal(EndPointBinding.of(new Uint8Array()), null);
  });

  test('its hash and packed form are RFC 5929 section 4.1', () => {
    const binding = EndPointBinding.of(other.der)!;
    assert.equal(binding.hash, 'sha384');
    const data = Buffer.from(binding.channelBindings().applicationData!);
    assert.equal(data.subarray(0, 21).toString(), 'tls-server-end-point:');
    assert.equal(data.length, 21 + 48);
  });

  test('a socket is read once: what it presented stays with it', () => {
    const socket = fakeSocket(certificate.der);
    const first = bindingOfSocket(socket);
    socket.getPeerCertificate = () => ({ raw: Buffer.from(other.der) }); // a renegotiation
    assert.equal(bindingOfSocket(socket), first);
    assert.equal(bindingOfSocket({ encrypted: false }), null);
  });
});

describe('undiciGuard', () => {
  const url = new URL('https://h.example/api');

  test('a bound token meets a connection with its certificate: written', () => {
    const stop = undiciGuard.watch('Negotiate aaa', url, EndPointBinding.of(certificate.der));
    const socket = fakeSocket(certificate.der);
    sendHeaders.publish({ headers: headerBlock('Negotiate aaa'), socket });
    stop();
    assert.equal(socket.destroyed, null);
  });

  test('another certificate: the connection is destroyed before the write, and a mismatch reported', () => {
    const events: unknown[] = [];
    const listener = (event: unknown) => events.push(event);
    subscribe('http-gssapi:binding', listener);
    const stop = undiciGuard.watch('Negotiate bbb', url, EndPointBinding.of(certificate.der));
    const socket = fakeSocket(other.der);
    try {
      sendHeaders.publish({ headers: headerBlock('Negotiate bbb'), socket });
    } finally {
      stop();
      unsubscribe('http-gssapi:binding', listener);
    }
    assert.ok(socket.destroyed instanceof ChannelBindingError);
    assert.equal(socket.destroyed.code, 'ERR_CHANNEL_BINDING');
    assert.deepEqual(events, [{ type: 'binding', url: url.href, result: 'mismatch' }]);
  });

  test("only the attempt's own header block is checked, and only while it is watched", () => {
    const stop = undiciGuard.watch('Negotiate ccc', url, EndPointBinding.of(certificate.der));
    const elsewhere = fakeSocket(other.der);
    sendHeaders.publish({ headers: headerBlock('Negotiate someone-else'), socket: elsewhere });
    sendHeaders.publish({ headers: 'GET / HTTP/1.1\r\nhost: h.example\r\n', socket: elsewhere });
    stop();
    sendHeaders.publish({ headers: headerBlock('Negotiate ccc'), socket: elsewhere });
    assert.equal(elsewhere.destroyed, null);
  });

  test('an unbound token is not watched; the guess for a token up front is the last seen certificate', () => {
    assert.equal(sendHeaders.hasSubscribers, false, 'no attempt in flight, no listener');
    undiciGuard.watch('Negotiate ddd', url, null)();
    const origin = 'https://guess.example';
    assert.equal(undiciGuard.peerCertificate(new URL(`${origin}/x`))(), null);
    lastSeenCertificates.remember(origin, EndPointBinding.of(certificate.der)!);
    assert.deepEqual(undiciGuard.peerCertificate(new URL(`${origin}/x`))(), certificate.der);
  });
});

describe("got's request function", () => {
  test("wrapped for an https hop, the caller's own (or none) again for a plain http hop", () => {
    const own = (() => undefined) as unknown as (url: URL) => unknown;
    const options: { url?: unknown; request?: unknown; http2?: boolean } = {
      url: new URL('https://h.example/'),
      request: own,
    };
    watchGotRequest(options, null);
    assert.notEqual(options.request, own);
    watchGotRequest(options, null); // a second https attempt wraps the caller's function, not ours
    options.url = new URL('http://h.example/');
    watchGotRequest(options, null);
    assert.equal(options.request, own);

    const bare: { url?: unknown; request?: unknown } = { url: new URL('https://h.example/') };
    watchGotRequest(bare, null);
    watchGotRequest(bare, null); // the resend: one wrapper, around nothing (an earlier one would watch too)
    const wrapper = bare.request as Record<symbol, unknown>;
    assert.deepEqual(
      Object.getOwnPropertySymbols(wrapper).map((key) => wrapper[key]),
      [undefined],
    );
    bare.url = new URL('http://h.example/');
    watchGotRequest(bare, null);
    assert.equal(bare.request, undefined, 'got picks node:http itself');
  });
});
