/**
 * A direct connection for a `CONNECT` tunnel of `http-gssapi proxy` to a host its `NO_PROXY`
 * names, bounded in time and abortable (the client left, the proxy stops).
 *
 * @module
 */
import net from 'node:net';
import { lookupRemoteOnly } from './local-target-guard.js';

/**
 * A direct connection to a `NO_PROXY` host for a tunnel, given up after `timeout` ms or when
 * `signal` aborts; for a `remote` client never to an address of this machine.
 *
 * @throws the connection error, the timeout, the signal's reason, or an error with code
 *   `ERR_HTTP_GSSAPI_LOCAL_TARGET` (see `local-target-guard.ts`).
 * @example
 * ```ts
 * const socket = await connectDirect('intranet.example', 443, controller.signal, 30_000, false);
 * ```
 */
export function connectDirect(
  host: string,
  port: number,
  signal: AbortSignal,
  timeout: number,
  remote: boolean,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, ...(remote ? { lookup: lookupRemoteOnly } : {}) });
    // Not the signal option of net.connect: it would stay on the socket of the open tunnel.
    const fail = (error: unknown) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal.reason);
    const timer = setTimeout(
      () => fail(new Error(`${host}:${port} did not answer within ${timeout} ms`)),
      timeout,
    );
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    if (signal.aborted) return fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
    socket.once('error', fail);
  });
}
