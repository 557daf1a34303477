/**
 * ky with HTTP Negotiate: a throwaway Kerberos realm, a Negotiate-protected server, and one
 * authenticated request through `negotiateKy` (ky's `fetch` option), mutual authentication
 * required, following a redirect with a fresh token for the next hop.
 * Run with `npm run build:test && node build/examples/ky.js` (needs the MIT KDC programs).
 */
import ky, { HTTPError } from 'ky';
import { negotiateKy } from '../src/adapters/ky.js';
import { HTTPSPNEGOAuth, negotiateErrorOf, REQUIRED } from '../src/index.js';
import { NegotiateTestServer, TestRealm } from '../src/testing/index.js';

const realm = await TestRealm.start();
const restoreEnv = realm.applyEnv(); // KRB5_CONFIG and KRB5CCNAME: the realm's user has a ticket
const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname });
try {
  // Full URLs work with every ky major; a base URL is `prefixUrl` in ky 1 and `prefix` in ky 2.
  const client = ky.create(negotiateKy(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED })));
  try {
    // /redirect/ authenticates, then sends the client on to /ok/landing.
    const body = await client
      .get(`${server.url}redirect/start`, { searchParams: { to: '/ok/landing' } })
      .json<{
        user: string;
        path: string;
      }>();
    console.log(`the server authenticated ${body.user} at ${body.path}`);
  } catch (error) {
    // A 401 comes back as ky's HTTPError; the Negotiate reason is on the response.
    if (error instanceof HTTPError) console.error(negotiateErrorOf(error.response)?.message);
    throw error;
  }
} finally {
  await server.stop();
  restoreEnv();
  await realm.stop();
}
