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
