/**
 * Channel bindings for requests sent by node:http(s) (axios's http adapter, got): each request
 * is watched from the moment node:http gives it a socket, before node:http writes anything to
 * it, so that a token goes only on a connection whose certificate it is bound to.
 *
 * @module
 */
import http, { ClientRequest } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { originCertificates, peerCertificateOf, sameCertificate } from '../internal/peer-certificate.js';
import { refuseConnection } from './binding-mismatch.js';

/**
 * Watches one request to `url`. Its connection's certificate is read once (at connect time for
 * a new connection) and remembered for the origin, for later tokens up front. When the request
 * carries a token bound to `certificate`, its bytes are held back (`cork`) until the TLS
 * handshake of a new connection is done, and the connection is checked: another certificate
 * destroys it with a {@link ChannelBindingError} before anything is written, and the request
 * fails with that error.
 */
export function guardClientRequest(request: ClientRequest, url: URL, certificate: Uint8Array | null): void {
  if (url.protocol !== 'https:') return;
  request.once('socket', (socket: Socket) => {
    const tls = socket as TLSSocket;
    if (!tls.encrypted) {
      // A bound token over a connection that is not TLS to the origin: never.
      if (certificate !== null) refuseConnection(socket, url);
      return;
    }
    const check = (): boolean => {
      const peer = peerCertificateOf(tls);
      if (peer) originCertificates.remember(url.origin, peer);
      if (certificate === null || sameCertificate(peer, certificate)) return true;
      refuseConnection(socket, url);
      return false;
    };
    // getFinished() is undefined until the handshake is done (a new connection).
    if (tls.getFinished?.() !== undefined) {
      check();
      return;
    }
    if (certificate !== null) tls.cork();
    tls.once('secureConnect', () => {
      if (check() && certificate !== null) tls.uncork();
    });
  });
}

/** A `request(options, callback)` module such as node:https, as axios's `transport` takes it. */
interface Transport {
  request(...args: unknown[]): ClientRequest;
}

/**
 * axios's `transport` for one attempt to an https `url`: node:https (or the caller's own
 * transport), with each request it makes watched by {@link guardClientRequest}.
 */
export function guardedTransport(inner: unknown, url: URL, certificate: Uint8Array | null): Transport {
  return {
    request(...args: unknown[]) {
      // Without a transport of the caller's, axios would pick node:http(s) by the request's protocol.
      const plain = (args[0] as { protocol?: string } | undefined)?.protocol === 'http:';
      const base = (inner ?? (plain ? http : https)) as Transport;
      const request = base.request(...args);
      guardClientRequest(request, url, certificate);
      return request;
    },
  };
}

/** Marks a request function made by {@link guardGotRequest}, with the one it wraps. */
const WRAPPED = Symbol('http-gssapi.guarded-request');

type RequestFunction = ((url: URL, ...rest: unknown[]) => unknown) & {
  [WRAPPED]?: RequestFunction | undefined;
};

/**
 * got's side of {@link guardClientRequest}, from its `beforeRequest` hook: the attempt's
 * `request` function (got's `request` option, or node:https's) wrapped so that the request it
 * makes is watched, bound to `certificate` (null: the attempt carries no bound token). Only
 * https over HTTP/1.1 (got's `http2` option makes no ClientRequest).
 */
export function guardGotRequest(
  options: { url?: unknown; request?: unknown; http2?: boolean },
  certificate: Uint8Array | null,
): void {
  const current = options.request as RequestFunction | undefined;
  const inner = current?.[WRAPPED] ?? current;
  if (!(options.url instanceof URL) || options.url.protocol !== 'https:' || options.http2) {
    // got keeps `request` for every hop of a redirect chain: a plain http hop after an https one
    // gets the caller's own function back (or none: got picks node:http), never an https one.
    if (current !== inner) options.request = inner;
    return;
  }
  const url = new URL(options.url.href);
  const guarded: RequestFunction = (target, ...rest) => {
    // Chosen by the target, as got does without a `request` option.
    const base = target instanceof URL && target.protocol === 'http:' ? http : https;
    const made = inner ? inner(target, ...rest) : base.request(target, ...(rest as [https.RequestOptions]));
    if (made instanceof ClientRequest) guardClientRequest(made, url, certificate);
    return made;
  };
  guarded[WRAPPED] = inner;
  options.request = guarded;
}
