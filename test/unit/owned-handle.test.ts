import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveHandleCount, OwnedHandle, whileHeld } from '../../src/gssapi/handle.js';

/** An owner with a fake handle whose release is recorded. */
function owned(value: bigint) {
  const released: bigint[] = [];
  const owner = {};
  const handle = new OwnedHandle(owner, value, (h) => {
    released.push(h);
    return { major: 0, minor: 0 };
  });
  return { owner, handle, released };
}

test('dispose() during a call makes the handle unusable at once and releases it when the call ends', async () => {
  const before = liveHandleCount();
  const { owner, handle, released } = owned(0x1234n);
  let finish!: () => void;
  const call = whileHeld([owner, null], async () => {
    await new Promise<void>((resolve) => {
      finish = resolve;
    });
    return handle.value;
  });
  handle.dispose();
  assert.equal(handle.released, true, 'no new call may use it');
  assert.deepEqual(released, [], 'not released under the running call');
  finish();
  assert.equal(await call, 0x1234n, 'the running call still saw the handle');
  assert.deepEqual(released, [0x1234n]);
  assert.equal(liveHandleCount(), before);
  handle.dispose();
  assert.deepEqual(released, [0x1234n], 'released exactly once');
});

test('two calls holding one handle: released after the last', async () => {
  const { owner, handle, released } = owned(0x99n);
  const gates: (() => void)[] = [];
  const hold = () =>
    whileHeld(
      [owner],
      () =>
        new Promise<void>((resolve) => {
          gates.push(resolve);
        }),
    );
  const a = hold();
  const b = hold();
  handle.dispose();
  gates[0]!();
  await a;
  assert.deepEqual(released, []);
  gates[1]!();
  await b;
  assert.deepEqual(released, [0x99n]);
});

test('a failing call ends its hold too; without dispose() nothing is released', async () => {
  const { owner, handle, released } = owned(0x7n);
  await assert.rejects(
    whileHeld([owner], async () => {
      throw new Error('GSS failure');
    }),
    /GSS failure/,
  );
  assert.deepEqual(released, []);
  handle.dispose();
  assert.deepEqual(released, [0x7n], 'released at once: no call holds it');
});

test('an owner already disposed is not held: the call reads it and reports that itself', async () => {
  const { owner, handle, released } = owned(0x5n);
  handle.dispose();
  const seen = await whileHeld([owner], async () => handle.released);
  assert.equal(seen, true);
  assert.deepEqual(released, [0x5n]);
});
