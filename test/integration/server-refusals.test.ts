import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DISABLED, GSSError, HTTPSPNEGOAuth, REQUIRED } from '../../src/index.js';
import { drivers } from '../helpers/adapter-drivers.js';
import { useRealm } from '../helpers/realm-fixture.js';
import { ScriptedServer } from '../helpers/scripted-server.js';

// A server that refuses our token with a bare SPNEGO reject (RFC 4178 section 4.2.2: negState
// reject, no mechanism token) says nothing about why. The hint must point where the cause
// usually is (the service's keys, the clocks), never at a mechanism to install.

const fixture = useRealm();
/** NegTokenResp { negState reject }: a1 07 30 05 a0 03 0a 01 02. */
const BARE_REJECT = 'Negotiate oQcwBaADCgEC';
let server: ScriptedServer;
before(async () => {
  server = await ScriptedServer.start();
});
after(() => server.stop());

for (const driver of drivers.filter((d) => d.name === 'fetch' || d.name === 'undici')) {
  describe(`a bare SPNEGO reject × ${driver.name}`, () => {
    for (const mutualAuthentication of [DISABLED, REQUIRED] as const) {
      test(`mutual ${String(mutualAuthentication)}: the hint names keys and clocks, not gss-ntlmssp`, async () => {
        void fixture.realm;
        server.script(
          () => ({ status: 401, headers: { 'www-authenticate': 'Negotiate' } }),
          () => ({ status: 401, headers: { 'www-authenticate': BARE_REJECT } }),
        );
        const res = await driver.send(new HTTPSPNEGOAuth({ mutualAuthentication }), server.url());
        assert.equal(res.status, 401);
        const gss = res.negotiateError?.cause;
        assert.ok(gss instanceof GSSError, String(res.negotiateError));
        // What MIT says for it; its general hint would be "install gss-ntlmssp".
        assert.equal(gss.code, 'GSS_S_BAD_MECH');
        assert.match(gss.hint ?? '', /rejected our token without saying why/);
        assert.match(gss.hint ?? '', /kvno mismatch/);
        assert.match(gss.hint ?? '', /clocks/);
        assert.doesNotMatch(res.negotiateError?.hint ?? '', /gss-ntlmssp/);
      });
    }
  });
}
