/**
 * The {@link BindingGuard} for requests sent by undici: Node's fetch (its bundled undici), the
 * undici package's dispatchers, and so `createFetch`, ky, the `negotiate()` interceptor and
 * axios's fetch adapter. undici does not say which connection a request will take before it
 * takes one, so the connection is watched instead, through undici's own diagnostics channels
 * (published by every copy of undici in the process under the same names):
 *
 * - `undici:client:connected`: a new connection finished its TLS handshake; its certificate is
 *   read there, once ({@link bindingOfSocket}), and is the guess for its origin.
 * - `undici:client:sendHeaders`: a request is about to be written to a connection, the header
 *   block already built, nothing written yet. Each watched attempt listens for its own header
 *   block (the one with its token) while it is in flight, and checks that connection.
 *
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { NegotiateFlow } from '../../core/negotiate-flow.js';
import { type BindingGuard, lastSeenCertificates, refuseConnection } from './binding-guard.js';
import { EndPointBinding } from './end-point-binding.js';
import { bindingOfSocket } from './peer-certificate.js';

interface ConnectedMessage {
  readonly connectParams?: { readonly protocol?: string; readonly host?: string };
  readonly socket?: { destroy(error?: Error): void };
}

interface SendHeadersMessage {
  readonly headers?: unknown;
  readonly socket?: { destroy(error?: Error): void; destroyed?: boolean };
}

/** An `Authorization` line in a header block undici built (HTTP/1.1; RFC 9112 section 5). */
const AUTHORIZATION = /(?:^|\r\n)authorization: ?([^\r\n]*)\r\n/i;

function onConnected(message: unknown): void {
  const { connectParams, socket } = message as ConnectedMessage;
  if (connectParams?.protocol !== 'https:' || !connectParams.host) return;
  const binding = bindingOfSocket(socket);
  if (binding) lastSeenCertificates.remember(new URL(`https://${connectParams.host}`).origin, binding);
}

let watching = false;

/** Starts reading undici's new connections (once per process). */
function watchConnections(): void {
  if (watching) return;
  watching = true;
  subscribe('undici:client:connected', onConnected);
}

/**
 * undici's guard. An attempt is its `Authorization` value: the one thing of the request undici's
 * `sendHeaders` message shows that tells it from every other (a token is never sent twice).
 *
 * @example
 * ```ts
 * const stop = undiciGuard.watch(authorization, url, EndPointBinding.of(flow.boundCertificate));
 * try { await fetch(url, { headers: { authorization } }); } finally { stop(); }
 * ```
 */
export const undiciGuard: BindingGuard<string> = {
  peerCertificate(url) {
    watchConnections();
    return () => lastSeenCertificates.get(url.origin)?.certificate ?? null;
  },
  watch(authorization, url, binding) {
    if (binding === null) return () => {};
    watchConnections();
    const href = url.href;
    // This attempt's own listener: what it is bound to stays with it, and goes with it.
    const onSendHeaders = (message: unknown): void => {
      const { headers, socket } = message as SendHeadersMessage;
      if (typeof headers !== 'string' || !socket || AUTHORIZATION.exec(headers)?.[1] !== authorization)
        return;
      if (binding.equals(bindingOfSocket(socket))) return;
      // Before undici writes the header block: nothing reaches the wire.
      refuseConnection(socket, href);
    };
    subscribe('undici:client:sendHeaders', onSendHeaders);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      unsubscribe('undici:client:sendHeaders', onSendHeaders);
    };
  },
};

/**
 * Sends one attempt of `flow` through undici with `extra` headers, watched by
 * {@link undiciGuard} while it is in flight when they carry a bound token.
 *
 * @example
 * ```ts
 * const response = await sendWatched(flow, flow.requestHeaders(authorization), (extra) => fetch(url, { headers: extra }));
 * ```
 */
export async function sendWatched<R>(
  flow: NegotiateFlow,
  extra: Readonly<Record<string, string>>,
  send: (extra: Readonly<Record<string, string>>) => Promise<R>,
): Promise<R> {
  const authorization = extra[flow.header];
  const binding = EndPointBinding.of(flow.boundCertificate);
  if (authorization === undefined || binding === null) return send(extra);
  const stop = undiciGuard.watch(authorization, flow.url, binding);
  try {
    return await send(extra);
  } finally {
    stop();
  }
}
