import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CredentialLeases } from '../../src/core/credential-leases.js';
import type { Credentials } from '../../src/gssapi/credentials.js';
import { callScope } from '../../src/internal/call-scope.js';

/** A stand-in credential handle: only identity and dispose() matter to the leases. */
function fakeCreds(label: string): Credentials & { disposed: boolean } {
  const creds = {
    label,
    disposed: false,
    dispose() {
      creds.disposed = true;
    },
  };
  return creds as unknown as Credentials & { disposed: boolean };
}

/** A spare factory counting what it made, recording the call scope it ran in. */
function spares() {
  const made: (Credentials & { disposed: boolean })[] = [];
  const scopes: unknown[] = [];
  const make = async () => {
    scopes.push(callScope.getStore());
    const c = fakeCreds(`spare-${made.length + 1}`);
    made.push(c);
    return c;
  };
  return { made, scopes, make };
}

test('a free handle is lent as it is; a busy one gives a spare, made as a fast call', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  const s = spares();
  const signal = new AbortController().signal;
  const first = await leases.take(shared, s.make, signal);
  assert.equal(first.creds, shared);
  const second = await leases.take(shared, s.make, signal);
  assert.equal(second.creds, s.made[0]);
  assert.deepEqual(s.scopes, [{ signal, fast: true }]);
  second.release();
  first.release();
  // The spare is kept for the next busy moment, not made again.
  const third = await leases.take(shared, s.make);
  const fourth = await leases.take(shared, s.make);
  assert.equal(third.creds, shared);
  assert.equal(fourth.creds, s.made[0]);
  assert.equal(s.made.length, 1);
  third.release();
  fourth.release();
});

test('release is idempotent: a second call does not free the handle for another step', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  const s = spares();
  const a = await leases.take(shared, s.make);
  const b = await leases.take(shared, s.make);
  b.release();
  b.release();
  // `a` still holds the shared handle: the next step needs a spare (the one b gave back).
  const c = await leases.take(shared, s.make);
  assert.equal(c.creds, s.made[0]);
  a.release();
  a.release();
  const d = await leases.take(shared, s.make);
  assert.equal(d.creds, shared);
});

test('without a spare factory (caller-given Credentials) the handle is shared', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  const a = await leases.take(shared, null);
  const b = await leases.take(shared, null);
  assert.equal(a.creds, shared);
  assert.equal(b.creds, shared);
  assert.equal((await leases.take(null, null)).creds, null);
});

test('a spare that cannot be acquired falls back to the shared handle; an abort rejects', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  await leases.take(shared, null);
  const failing = async (): Promise<Credentials> => {
    throw new Error('ccache removed');
  };
  assert.equal((await leases.take(shared, failing)).creds, shared);
  const controller = new AbortController();
  const reason = new Error('request aborted');
  const aborting = async (): Promise<Credentials> => {
    controller.abort(reason);
    throw reason;
  };
  await assert.rejects(leases.take(shared, aborting, controller.signal), (e) => e === reason);
});

test('retire: idle spares are released at once, spares out with a step when it ends', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  const s = spares();
  const a = await leases.take(shared, s.make);
  const b = await leases.take(shared, s.make);
  const c = await leases.take(shared, s.make);
  c.release(); // spare-2 idle
  leases.retire(shared);
  assert.equal(s.made[1]!.disposed, true, 'the idle spare is released');
  assert.equal(s.made[0]!.disposed, false, 'the spare in use is not');
  b.release();
  assert.equal(s.made[0]!.disposed, true, 'released when its step ends');
  a.release();
  // A step that still got the retired handle shares it: no new spare for it.
  const d = await leases.take(shared, s.make);
  const e = await leases.take(shared, s.make);
  assert.equal(d.creds, shared);
  assert.equal(e.creds, shared);
  assert.equal(s.made.length, 2);
  assert.equal(shared.disposed, false, 'the shared handle belongs to its source');
});

test('at most 32 idle spares are kept; retireAll releases them', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  const s = spares();
  const held = [await leases.take(shared, s.make)];
  for (let i = 0; i < 34; i++) held.push(await leases.take(shared, s.make));
  assert.equal(s.made.length, 34);
  for (const lease of held) lease.release();
  assert.equal(s.made.filter((c) => c.disposed).length, 2);
  leases.retireAll();
  assert.equal(
    s.made.every((c) => c.disposed),
    true,
  );
});

test('a pool is not forgotten while a spare is being acquired: the spare is kept for the next busy moment', async () => {
  const leases = new CredentialLeases();
  const shared = fakeCreds('shared');
  let made = 0;
  let deliver!: (c: Credentials) => void;
  const slow = () => {
    made++;
    return new Promise<Credentials>((resolve) => {
      deliver = resolve;
    });
  };
  const a = await leases.take(shared, slow);
  const pending = leases.take(shared, slow);
  // The step on the shared handle ends while the spare is still being acquired.
  a.release();
  const spare = fakeCreds('spare-1');
  deliver(spare);
  const b = await pending;
  assert.equal(b.creds, spare);
  b.release();
  const c = await leases.take(shared, slow);
  const d = await leases.take(shared, slow);
  assert.equal(c.creds, shared);
  assert.equal(d.creds, spare, 'the idle spare is found again');
  assert.equal(made, 1, 'no second acquisition');
  assert.equal(spare.disposed, false);
});
