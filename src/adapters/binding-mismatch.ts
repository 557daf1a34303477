import { emit } from '../core/diagnostics.js';
import { ChannelBindingError } from '../core/errors.js';

/**
 * Stops a bound token from going on a connection with another certificate: reports it (the
 * `http-gssapi:binding` channel) and destroys the connection with a {@link ChannelBindingError},
 * before the client writes the request to it; the client then fails the request with that error.
 */
export function refuseConnection(socket: { destroy(error?: Error): void }, url: URL | string): void {
  const href = String(url);
  emit({ type: 'binding', url: href, result: 'mismatch' });
  socket.destroy(
    new ChannelBindingError(
      `the connection chosen for a request to ${new URL(href).origin} presented another TLS certificate than the one its Negotiate token is bound to; the request was stopped before the token was sent`,
      {
        hint: 'the server changed certificates, or connections to this origin reach servers with different certificates; retry the request (its new token is bound anew)',
      },
    ),
  );
}
