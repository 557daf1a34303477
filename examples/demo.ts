/**
 * The README demo: a throwaway Kerberos realm, a Negotiate-protected HTTP server, and one
 * authenticated request made with the `http-gssapi` command, whose `-v` trace shows each leg of
 * the handshake and the mutual-authentication result.
 * Run with `bash scripts/demo.sh` (or `npm run demo` once dependencies are installed).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NegotiateTestServer, TestRealm } from '../src/testing/index.js';

/** The built command (`npm run build`), as `npm install` links it. */
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const say = (s: string) => console.log(s);

/** Runs `http-gssapi ...args` in the realm's environment, its output on ours; resolves to its exit code. */
async function httpGssapi(args: readonly string[], env: Readonly<Record<string, string>>): Promise<number> {
  say(`   $ http-gssapi ${args.join(' ')}`);
  // Asynchronous: the test server runs in this process and must keep answering.
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return code ?? 1;
}

if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
say('1. Starting a throwaway MIT Kerberos realm (own KDC, own ports, temp dir)...');
const realm = await TestRealm.start();
say(`   realm ${realm.name}, KDC ${realm.kdcAddress}`);
say(`   user ${realm.user.principal} has a ticket in ${realm.ccache}`);
say(`   service ${realm.service.principal}, keytab ${realm.service.keytab}`);

say('2. Starting an HTTP server that requires Negotiate (accepts with the service keytab)...');
const server = await NegotiateTestServer.start({ keytab: realm.service.keytab, hostname: realm.hostname });
say(`   ${server.url}`);

let code = 0;
try {
  say('3. Is everything in place? (http-gssapi doctor)');
  code = await httpGssapi(['doctor', `${server.url}ok/`], { ...realm.env });
  say('4. One authenticated request, mutual authentication required, with its trace (-v on stderr):');
  code ||= await httpGssapi(['-v', '--mutual', 'required', `${server.url}ok/hello`], { ...realm.env });
  say('');
  say(
    code === 0
      ? '5. The server authenticated the user, and the client verified the server\u2019s final token.'
      : `5. Failed with exit code ${code} (see above).`,
  );
} finally {
  await server.stop();
  await realm.stop();
  say('6. Realm and server stopped; temp dir removed.');
}
process.exitCode = code;
