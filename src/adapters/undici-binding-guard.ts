/**
 * Channel bindings for requests sent by undici: Node's fetch (its bundled undici), the undici
 * package's dispatchers, and so `createFetch`, ky and the `negotiate()` interceptor. undici
 * does not say which connection a request will take before it takes one, so the connection is
 * watched instead, through undici's own diagnostics channels (published by every copy of undici
 * in the process under the same names):
 *
 * - `undici:client:connected`: a new connection finished its TLS handshake; its certificate is
 *   read there, once (see {@link peerCertificateOf}), and remembered for its origin, which is the
 *   certificate a token up front is bound to (the best guess of the connection it will take).
 * - `undici:client:sendHeaders`: a request is about to be written to a connection, the header
 *   block already built, nothing written yet. A token of ours must be bound to that
 *   connection's certificate; if it is not, the connection is destroyed with a
 *   `ChannelBindingError` before a byte goes out, and the request fails with it.
 *
 * @module
 */
import { subscribe } from 'node:diagnostics_channel';
import type { NegotiateFlow } from '../core/negotiate-flow.js';
import { originCertificates, peerCertificateOf, sameCertificate } from '../internal/peer-certificate.js';
import { refuseConnection } from './binding-mismatch.js';

interface ConnectedMessage {
  readonly connectParams?: { readonly protocol?: string; readonly host?: string };
  readonly socket?: { destroy(error?: Error): void };
}

interface SendHeadersMessage {
  readonly headers?: unknown;
  readonly socket?: { destroy(error?: Error): void; destroyed?: boolean };
}

/** The bound tokens on their way, by `Authorization` value: what each is bound to. */
const expected = new Map<string, { readonly certificate: Uint8Array; readonly url: string; count: number }>();
let watching = false;

/** An `Authorization` line in a header block undici built (HTTP/1.1; RFC 9112 section 5). */
const AUTHORIZATION = /(?:^|\r\n)authorization: ?([^\r\n]*)\r\n/i;

function onConnected(message: unknown): void {
  const { connectParams, socket } = message as ConnectedMessage;
  if (connectParams?.protocol !== 'https:' || !connectParams.host) return;
  const certificate = peerCertificateOf(socket);
  if (certificate) originCertificates.remember(new URL(`https://${connectParams.host}`).origin, certificate);
}

function onSendHeaders(message: unknown): void {
  if (expected.size === 0) return;
  const { headers, socket } = message as SendHeadersMessage;
  if (typeof headers !== 'string' || !socket) return;
  const authorization = AUTHORIZATION.exec(headers)?.[1];
  const entry = authorization === undefined ? undefined : expected.get(authorization);
  if (!entry) return;
  if (sameCertificate(peerCertificateOf(socket), entry.certificate)) return;
  // Before undici writes the header block: nothing reaches the wire.
  refuseConnection(socket, entry.url);
}

/** Starts watching undici's connections (once per process). */
export function watchUndiciConnections(): void {
  if (watching) return;
  watching = true;
  subscribe('undici:client:connected', onConnected);
  subscribe('undici:client:sendHeaders', onSendHeaders);
}

/**
 * Registers a bound token about to be dispatched: undici may write it only to a connection that
 * presented `certificate`. Returns the function that forgets it once the attempt is over.
 */
export function expectBinding(authorization: string, certificate: Uint8Array, url: URL): () => void {
  watchUndiciConnections();
  const entry = expected.get(authorization);
  if (entry) entry.count++;
  else expected.set(authorization, { certificate, url: url.href, count: 1 });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const current = expected.get(authorization);
    if (current && --current.count === 0) expected.delete(authorization);
  };
}

/**
 * The certificate a token up front to `url` is bound to: the one last seen on a connection to
 * its origin (by undici or node:https), checked again on the connection that carries the token.
 */
export function originPeerCertificate(url: URL): () => Uint8Array | null {
  watchUndiciConnections();
  return () => originCertificates.get(url.origin);
}

/**
 * Sends one attempt of `flow` through undici with `extra` headers: when they carry a token
 * bound to a certificate, undici may write it only to a connection with that certificate.
 */
export async function boundSend<R>(
  flow: NegotiateFlow,
  extra: Readonly<Record<string, string>>,
  send: (extra: Readonly<Record<string, string>>) => Promise<R>,
): Promise<R> {
  const authorization = extra[flow.header];
  const certificate = flow.boundCertificate;
  if (authorization === undefined || certificate === null) return send(extra);
  const release = expectBinding(authorization, certificate, flow.url);
  try {
    return await send(extra);
  } finally {
    release();
  }
}
