// First tokens of one HTTPSPNEGOAuth (default ccache, service ticket cached) made one at a time
// and 16 at once, in-process, against a throwaway realm: what the credential handling costs
// without HTTP around it, and how many credential acquisitions it makes (spare handles).
// Run: npm run build:test && node scripts/measure-concurrent-tokens.mjs [checkout with build/]
// (pass another checkout, built the same way, to compare; default: this one).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = pathToFileURL(`${resolve(process.argv[2] ?? '.')}/`).href;
const { TestRealm } = await import(`${root}build/src/testing/index.js`);
const { HTTPSPNEGOAuth } = await import(`${root}build/src/index.js`);
const { Credentials } = await import(`${root}build/src/gssapi/credentials.js`);

let acquired = 0;
const acquire = Credentials.acquire;
Credentials.acquire = function counted(...args) {
  acquired++;
  return acquire.apply(this, args);
};

const realm = await TestRealm.start({ realm: 'TOKENS.TEST' });
const restore = realm.applyEnv();
const url = `http://${realm.hostname}/`;
const auth = new HTTPSPNEGOAuth({ opportunisticAuth: true, learnedPreemption: false });
const token = async () => {
  const flow = auth.flow(url);
  try {
    if (!(await flow.start())) throw new Error('no token');
  } finally {
    flow.dispose();
  }
};
try {
  for (let i = 0; i < 500; i++) await token(); // warm-up: JIT, the ticket in the ccache
  for (const atOnce of [1, 16]) {
    const n = 4000;
    let started = 0;
    acquired = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: atOnce }, async () => {
        while (started++ < n) await token();
      }),
    );
    const perSecond = Math.round(n / ((performance.now() - t) / 1000));
    console.log(
      `${atOnce} at once: ${perSecond} tokens/s, ${acquired} credential acquisitions for ${n} tokens`,
    );
  }
} finally {
  auth.dispose();
  restore();
  await realm.stop();
}
