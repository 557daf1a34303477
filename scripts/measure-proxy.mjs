// Proxy Negotiate through a real squid (negotiate_kerberos_auth) against a throwaway realm: how a
// bare CONNECT's 407 and the token share a connection, and 50 sequential requests to an https and
// an http Apache origin with curl --proxy-negotiate (a process per request) and with the undici
// proxy dispatcher (keep-alive), with squid's 407/200 counts and client connections.
// Run: npm run build && npm run build:test && node scripts/measure-proxy.mjs (root or a proxy account).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createProxyDispatcher, negotiate } from '../build/src/adapters/undici/index.js';
import { HTTPSPNEGOAuth } from '../build/src/core/http-spnego-auth.js';
import { openConnectTunnel } from '../build/src/proxy/index.js';
import { TestRealm } from '../build/src/testing/index.js';
import { ApacheServer } from '../build/test/helpers/apache.js';
import { SquidProxy } from '../build/test/helpers/squid.js';

const N = 50;
const realm = await TestRealm.start();
const restore = realm.applyEnv();
const squid = await SquidProxy.start({ realm });
const secure = await ApacheServer.start({ realm, https: true });
const plain = await ApacheServer.start({ realm });
const caFile = join(tmpdir(), `measure-proxy-ca-${process.pid}.pem`);
writeFileSync(caFile, secure.certificate);
const summary = async (label, ms) => {
  const log = await squid.accessLog();
  const ports = new Set(log.map((e) => e.remotePort));
  console.log(
    `${label}: ${N} requests in ${ms.toFixed(0)} ms (${(ms / N).toFixed(1)} ms each); squid: ${log.filter((e) => e.status === 407).length}x407 ${log.filter((e) => e.status === 200).length}x200, ${ports.size} client connections`,
  );
  await squid.clearAccessLog();
};
try {
  // 1. one tunnel: does squid keep the connection after a 407 to a bare CONNECT?
  await squid.clearAccessLog();
  const t = await openConnectTunnel({
    proxy: squid.url,
    host: 'localhost',
    port: Number(new URL(secure.url).port),
    auth: new HTTPSPNEGOAuth(),
  });
  t.destroy();
  await new Promise((r) => setTimeout(r, 300));
  console.log(
    'bare CONNECT then token:',
    (await squid.accessLog()).map((e) => `${e.status}@${e.remotePort}`).join(' '),
  );
  await squid.clearAccessLog();
  for (const [label, url] of [
    ['https', `${secure.url}public/`],
    ['http', `${plain.url}public/`],
  ]) {
    // curl, a fresh process (and connection) per request
    let start = performance.now();
    for (let i = 0; i < N; i++)
      execFileSync('curl', [
        '-s',
        '-o',
        '/dev/null',
        '--proxy-negotiate',
        '-U',
        ':',
        '-x',
        squid.url,
        '--cacert',
        caFile,
        url,
      ]);
    await new Promise((r) => setTimeout(r, 300));
    await summary(`curl --proxy-negotiate ${label} (process per request)`, performance.now() - start);
    // undici proxy dispatcher, keep-alive
    const auth = new HTTPSPNEGOAuth();
    const proxied = createProxyDispatcher({
      proxy: squid.url,
      auth,
      agentOptions: { connect: { ca: secure.certificate } },
    });
    const dispatcher = proxied.compose(negotiate(auth));
    start = performance.now();
    for (let i = 0; i < N; i++) {
      const r = await request(url, { dispatcher });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(String(r.statusCode));
    }
    const ms = performance.now() - start;
    await proxied.close();
    await new Promise((r) => setTimeout(r, 300));
    await summary(`undici createProxyDispatcher ${label} (keep-alive)`, ms);
  }
} finally {
  rmSync(caFile, { force: true });
  await secure.stop();
  await plain.stop();
  await squid.stop();
  restore();
  await realm.stop();
}
