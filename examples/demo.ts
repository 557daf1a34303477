/**
 * The README demo: a throwaway Kerberos realm, a Negotiate-protected HTTP server, and one
 * authenticated request with its handshake trace and mutual-authentication result.
 * Run with `bash scripts/demo.sh` (or `npm run demo` once dependencies are installed).
 */
import { subscribe } from 'node:diagnostics_channel';
import { createFetch, HTTPSPNEGOAuth, type NegotiateEvent, REQUIRED, redactToken } from '../src/index.js';
import { NegotiateTestServer, TestRealm } from '../src/testing/index.js';

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const say = (s: string) => console.log(s);

say('1. Starting a throwaway MIT Kerberos realm (own KDC, own ports, temp dir)...');
const realm = await TestRealm.start();
const restoreEnv = realm.applyEnv();
say(`   realm ${realm.name}, KDC ${realm.kdcAddress}`);
say(`   user ${realm.user.principal} has a ticket in ${realm.ccache}`);
say(`   service ${realm.service.principal}, keytab ${realm.service.keytab}`);

say('2. Starting an HTTP server that requires Negotiate (accepts with the service keytab)...');
const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname });
say(`   ${server.url}`);

say('3. One authenticated request, mutual authentication REQUIRED. Trace:');
for (const type of ['challenge', 'token', 'mutual', 'error'] as const) {
  subscribe(`http-gssapi:${type}`, (message) => {
    const e = message as NegotiateEvent;
    if (e.type === 'challenge')
      say(
        dim(
          `   .. server challenge: ${e.scheme ?? 'none'}${e.token ? ` with token ${e.token}` : ' (no token: start)'}`,
        ),
      );
    if (e.type === 'token')
      say(dim(`   .. token for ${e.target} via ${e.mech}${e.preemptive ? ' (preemptive)' : ''}: ${e.token}`));
    if (e.type === 'mutual') say(dim(`   .. mutual authentication: ${e.result}`));
    if (e.type === 'error')
      say(dim(`   .. error ${e.code}: ${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}`));
  });
}
const tracingFetch: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers);
  const authorization = headers.get('authorization');
  say(
    `   -> ${init?.method ?? 'GET'} ${String(input)}${authorization ? `  Authorization: Negotiate ${redactToken(authorization.slice(10))}` : ''}`,
  );
  const res = await fetch(input, init);
  const challenge = res.headers.get('www-authenticate');
  say(
    `   <- ${res.status} ${res.statusText}${challenge ? `  WWW-Authenticate: ${challenge.length > 20 ? `Negotiate ${redactToken(challenge.slice(10))}` : challenge}` : ''}`,
  );
  return res;
};

let code = 0;
try {
  const negotiateFetch = createFetch(new HTTPSPNEGOAuth({ mutualAuthentication: REQUIRED }), tracingFetch);
  const res = await negotiateFetch(`${server.url}ok/hello`);
  const body = (await res.json()) as { user: string; mech: string };
  say(`4. Result: ${res.status}; the server authenticated ${body.user} (mechanism ${body.mech}),`);
  say('   and the client verified the server\u2019s final token (mutual authentication).');
} catch (error) {
  code = 1;
  console.error('demo failed:', error);
} finally {
  await server.stop();
  restoreEnv();
  await realm.stop();
  say('5. Realm and server stopped; temp dir removed.');
}
process.exitCode = code;
