/**
 * axios with HTTP Negotiate: a throwaway Kerberos realm, a Negotiate-protected server, and one
 * authenticated request through `withNegotiate`, mutual authentication required.
 * Run with `npm run build:test && node build/examples/axios.js` (needs the MIT KDC programs).
 */
import axios from 'axios';
import { withNegotiate } from '../src/adapters/axios/index.js';
import { HTTPSPNEGOAuth, negotiateErrorOf, REQUIRED } from '../src/index.js';
import { NegotiateTestServer, TestRealm } from '../src/testing/index.js';

const realm = await TestRealm.start();
const restoreEnv = realm.applyEnv(); // KRB5_CONFIG and KRB5CCNAME: the realm's user has a ticket
const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname });
try {
  const client = withNegotiate(
    axios.create({ baseURL: server.url }),
    new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }),
  );
  try {
    const { status, data } = await client.get<{ user: string }>('ok/hello');
    console.log(`${status}: the server authenticated ${data.user}; its final token was verified`);
  } catch (error) {
    // A 401 comes back as axios's usual rejection; the Negotiate reason is on the response.
    if (axios.isAxiosError(error) && error.response) console.error(negotiateErrorOf(error.response)?.message);
    throw error;
  }
} finally {
  await server.stop();
  restoreEnv();
  await realm.stop();
}
