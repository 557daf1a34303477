/**
 * The process behind {@link DelayProxy}: a TCP proxy that holds every chunk, in each direction,
 * for a fixed delay. It runs as its own Node process (spawned by `delay-proxy.ts`) so that a test
 * which blocks its own event loop cannot also stall the proxy: that is precisely what such a test
 * wants to detect.
 *
 * Protocol with the parent, over the IPC channel: argv[2] is the JSON config; the child sends
 * `{ type: 'listening', port }` once, then `{ type: 'connection' }` per accepted connection. It
 * exits when the parent disconnects (so it never outlives the test process) or on SIGTERM.
 *
 * Not an entry point of the package: it has no exports.
 *
 * @module
 */
import { createConnection, createServer, type Socket } from 'node:net';

interface ChildConfig {
  readonly listenHost: string;
  readonly targetHost: string;
  readonly targetPort: number;
  readonly delayMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const { delayMs } = config;

/**
 * Forwards `from` to `to` with every chunk and the end of stream held for `delayMs`. Node runs
 * timers of equal duration in the order they were set, so chunks keep their order and the end
 * comes after the last chunk.
 */
function forwardDelayed(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => {
    setTimeout(() => {
      if (!to.destroyed) to.end();
    }, delayMs);
  });
}

const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const upstream = createConnection({
    host: config.targetHost,
    port: config.targetPort,
    allowHalfOpen: true,
    noDelay: true,
  });
  process.send?.({ type: 'connection' });
  forwardDelayed(client, upstream);
  forwardDelayed(upstream, client);
  // A reset, or a refused upstream (the KDC is stopped), reaches the other side after the same
  // delay as data would, like on a slow network. A clean close travels as the delayed end of
  // stream above, so buffered data is never cut off.
  const destroyBoth = () =>
    setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, delayMs);
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
});

server.on('error', (error) => {
  process.stderr.write(`delay proxy: ${error.message}\n`);
  process.exit(1);
});

server.listen({ host: config.listenHost, port: 0 }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.send?.({ type: 'listening', port });
});

// The parent is gone (it exited, crashed or was killed): stop, rather than linger as an orphan.
process.on('disconnect', () => process.exit(0));
