import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HTTPSPNEGOAuth } from '../../src/index.js';
import { drivers } from '../helpers/adapter-drivers.js';
import { useRealm } from '../helpers/realm-fixture.js';

// Long-running services: tickets expire, and nobody restarts the process. A client keytab must
// get new tickets by itself (MIT's client keytab initiation), and a ccache that someone renewed
// with kinit must be picked up, not an expired copy kept. Tickets here live TICKET_LIFE.

const TICKET_LIFE_S = 6;
const fixture = useRealm({ negotiateServer: true, realm: { maxLife: `${TICKET_LIFE_S}s` } });
const [fetchDriver] = drivers;

/** Waits until every ticket issued before the call has expired. */
const outlive = () => sleep((TICKET_LIFE_S + 2) * 1000);

test('a client keytab gets new tickets by itself when the old ones expire', async () => {
  const { realm, negotiateServer } = fixture;
  const auth = new HTTPSPNEGOAuth({ creds: { keytab: realm.user.keytab, principal: realm.user.principal } });
  assert.equal((await fetchDriver!.send(auth, `${negotiateServer.url}ok/keytab-1`)).status, 200);
  await outlive();
  const res = await fetchDriver!.send(auth, `${negotiateServer.url}ok/keytab-2`);
  assert.equal(res.status, 200, String(res.negotiateError?.message));
  await outlive();
  assert.equal((await fetchDriver!.send(auth, `${negotiateServer.url}ok/keytab-3`)).status, 200);
});

test('a ccache renewed by kinit behind our back is used: an expiry does not stick', async () => {
  const { realm, negotiateServer } = fixture;
  const ccache = `FILE:${realm.dir}/renewed.ccache`;
  await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache });
  await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }); // the default ccache
  const given = new HTTPSPNEGOAuth({ creds: { ccache } });
  const byDefault = new HTTPSPNEGOAuth();
  for (const auth of [given, byDefault]) {
    assert.equal((await fetchDriver!.send(auth, `${negotiateServer.url}ok/renew-1`)).status, 200);
  }
  await outlive();
  for (const auth of [given, byDefault]) {
    const expired = await fetchDriver!.send(auth, `${negotiateServer.url}ok/renew-2`);
    assert.equal(expired.status, 401);
    assert.match(String((expired.negotiateError?.cause as { hint?: string })?.hint), /expired|kinit/);
  }
  await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache });
  await realm.kinit(realm.user.principal, { keytab: realm.user.keytab });
  for (const auth of [given, byDefault]) {
    const renewed = await fetchDriver!.send(auth, `${negotiateServer.url}ok/renew-3`);
    assert.equal(renewed.status, 200, String(renewed.negotiateError?.message));
  }
});

// Issue 23 item 11: a ccache given as `creds: { ccache }` is read afresh. After a kinit as
// ANOTHER user into it, MIT fails every context made with the handle acquired before
// (GSS_S_DEFECTIVE_CREDENTIAL); the handle is dropped and acquired again, in the same request.

/** A second user of the realm, made once for the file. */
let bob: string | undefined;
async function secondUser(): Promise<string> {
  bob ??= await fixture.realm.addPrincipal('bob', { password: 'bob-Pw-1234' });
  return bob;
}

const userOf = (body: string) => JSON.parse(body) as { user: string | null; session?: boolean };

test('creds: { ccache } after a kinit as another user into it: the next request is that user', async () => {
  const { realm, negotiateServer } = fixture;
  const other = await secondUser();
  const ccache = `FILE:${realm.dir}/switched.ccache`;
  await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache });
  const auth = new HTTPSPNEGOAuth({ creds: { ccache } });
  const first = await fetchDriver!.send(auth, `${negotiateServer.url}ok/switch-1`);
  assert.equal(first.status, 200);
  assert.equal(userOf(first.body).user, realm.user.principal);
  await realm.kinit(other, { password: 'bob-Pw-1234' }, { ccache });
  for (const path of ['switch-2', 'switch-3']) {
    const res = await fetchDriver!.send(auth, `${negotiateServer.url}ok/${path}`);
    assert.equal(res.status, 200, String(res.negotiateError?.message));
    assert.equal(userOf(res.body).user, other);
  }
});

test("a session of user A is not reused as user B once the ccache holds B's tickets", async () => {
  const { realm, negotiateServer } = fixture;
  const other = await secondUser();
  const ccache = `FILE:${realm.dir}/sessions-switched.ccache`;
  await realm.kinit(realm.user.principal, { keytab: realm.user.keytab }, { ccache });
  const auth = new HTTPSPNEGOAuth({ creds: { ccache } });
  const login = userOf((await fetchDriver!.send(auth, `${negotiateServer.url}session/a-1`)).body);
  assert.equal(login.user, realm.user.principal);
  const reused = userOf((await fetchDriver!.send(auth, `${negotiateServer.url}session/a-2`)).body);
  assert.deepEqual([reused.user, reused.session], [realm.user.principal, true], "A's session");
  await realm.kinit(other, { password: 'bob-Pw-1234' }, { ccache });
  // The next request that A's session cookie would stand in for: the ccache was rewritten, so the
  // credentials are read again first; they are B's, and A's session is dropped before it goes.
  const asB = await fetchDriver!.send(auth, `${negotiateServer.url}session/b-1`);
  assert.equal(asB.status, 200, String(asB.negotiateError?.message));
  assert.equal(userOf(asB.body).user, other, 'not A, through A’s session cookie');
  assert.notEqual(userOf(asB.body).session, true);
  // B's own session from then on.
  const bSession = userOf((await fetchDriver!.send(auth, `${negotiateServer.url}session/b-2`)).body);
  assert.deepEqual([bSession.user, bSession.session], [other, true]);
  assert.equal(userOf((await fetchDriver!.send(auth, `${negotiateServer.url}ok/b-3`)).body).user, other);
});
