/**
 * got with HTTP Negotiate: a throwaway Kerberos realm, a Negotiate-protected server, and one
 * authenticated POST through the `negotiateGot` preset, mutual authentication required.
 * Run with `npm run build:test && node build/examples/got.js` (needs the MIT KDC programs).
 */
import got, { HTTPError } from 'got';
import { negotiateGot } from '../src/adapters/got.js';
import { HTTPSPNEGOAuth, negotiateErrorOf, REQUIRED } from '../src/index.js';
import { NegotiateTestServer, TestRealm } from '../src/testing/index.js';

const realm = await TestRealm.start();
const restoreEnv = realm.applyEnv(); // KRB5_CONFIG and KRB5CCNAME: the realm's user has a ticket
const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname });
try {
  const client = got.extend(negotiateGot(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED })), {
    prefixUrl: server.url,
  });
  try {
    // The JSON body goes twice (bare, then with the token): got serializes it again.
    const body = await client
      .post('ok/items', { json: { name: 'example' } })
      .json<{ user: string; bodyLength: number }>();
    console.log(`the server authenticated ${body.user} and received ${body.bodyLength} body bytes`);
  } catch (error) {
    // A 401 comes back as got's HTTPError; the Negotiate reason is on the response.
    if (error instanceof HTTPError) console.error(negotiateErrorOf(error.response)?.message);
    throw error;
  }
} finally {
  await server.stop();
  restoreEnv();
  await realm.stop();
}
