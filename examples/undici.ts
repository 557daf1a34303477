/**
 * undici with HTTP Negotiate: a throwaway Kerberos realm, a Negotiate-protected server, and two
 * authenticated requests through an Agent composed with the `negotiate()` interceptor (then
 * undici's redirect interceptor), mutual authentication required.
 * Run with `npm run build:test && node build/examples/undici.js` (needs the MIT KDC programs).
 */
import { Agent, interceptors, request } from 'undici';
import { negotiate } from '../src/adapters/undici/index.js';
import { HTTPSPNEGOAuth, REQUIRED } from '../src/index.js';
import { NegotiateTestServer, TestRealm } from '../src/testing/index.js';

const realm = await TestRealm.start();
const restoreEnv = realm.applyEnv(); // KRB5_CONFIG and KRB5CCNAME: the realm's user has a ticket
const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname });
const interceptor = negotiate(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }));
// negotiate() first, the redirect interceptor after it: each hop is its own dispatch, with a
// fresh token for that hop's host.
const dispatcher = new Agent().compose(interceptor, interceptors.redirect({ maxRedirections: 5 }));
try {
  const first = await request(`${server.url}ok/report`, { dispatcher });
  const body = (await first.body.json()) as { user: string };
  console.log(`${first.statusCode}: the server authenticated ${body.user}`);
  const second = await request(`${server.url}redirect/go?to=/ok/after-redirect`, { dispatcher });
  const after = (await second.body.json()) as { user: string; path: string };
  console.log(`${second.statusCode} after a redirect: ${after.user} at ${after.path}`);
} finally {
  await dispatcher.close();
  await interceptor.close();
  await server.stop();
  restoreEnv();
  await realm.stop();
}
