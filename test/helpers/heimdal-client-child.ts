/**
 * The HTTP clients with default options in their own process, so that a test can load Heimdal's
 * libgssapi.so.3 (HTTP_GSSAPI_LIBRARY) on the client side while its realm and servers run with
 * MIT. argv: the URLs to GET. Prints one `outcome <json>` line per driver and URL (status, the
 * body's first 300 characters, the reason of a 401; never a token), then exits through Node's
 * normal teardown.
 */
import { HTTPSPNEGOAuth } from '../../src/index.js';
import { drivers } from './adapter-drivers.js';

for (const url of process.argv.slice(2)) {
  for (const driver of drivers) {
    // Default options but learned preemption, so each request shows the full exchange.
    const auth = new HTTPSPNEGOAuth({ learnedPreemption: false });
    try {
      const res = await driver.send(auth, url);
      const reason = res.negotiateError;
      process.stdout.write(
        `outcome ${JSON.stringify({
          driver: driver.name,
          url,
          status: res.status,
          body: res.body.slice(0, 300),
          remoteUser: res.headers['x-remote-user'] ?? null,
          mech: res.negotiateDetails?.mech ?? null,
          error: reason ? `${reason.message} [${reason.code}]` : null,
        })}\n`,
      );
    } catch (error) {
      const e = error as Error & { code?: string };
      process.stdout.write(
        `outcome ${JSON.stringify({ driver: driver.name, url, status: null, error: `${e.message} [${e.code}]` })}\n`,
      );
    } finally {
      auth.dispose();
    }
  }
}
