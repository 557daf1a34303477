import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncLimiter } from '../../src/internal/async-limiter.js';

test('runs at most `limit` tasks at once and the rest in FIFO order', async () => {
  const limiter = new AsyncLimiter(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (i: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    order.push(i);
    running--;
    return i;
  };
  const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => limiter.run(task(i))));
  assert.deepEqual(results, [0, 1, 2, 3, 4, 5]);
  assert.equal(peak, 2);
  assert.deepEqual(order.slice(2), [2, 3, 4, 5]);
  assert.equal(limiter.running, 0);
});

test('frees the slot when a task rejects', async () => {
  const limiter = new AsyncLimiter(1);
  await assert.rejects(
    limiter.run(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await limiter.run(async () => 7), 7);
});

test('raising the limit starts waiting tasks', async () => {
  const limiter = new AsyncLimiter(1);
  let release!: () => void;
  const first = limiter.run(() => new Promise<void>((r) => (release = r)));
  const second = limiter.run(async () => 'second');
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.pending, 1);
  limiter.limit = 2;
  assert.equal(await second, 'second');
  release();
  await first;
});

test('rejects a bad limit', () => {
  assert.throws(() => new AsyncLimiter(0), TypeError);
  assert.throws(() => new AsyncLimiter(1.5), TypeError);
});

test('a waiting task whose signal aborts leaves the queue without running; the next one runs', async () => {
  const limiter = new AsyncLimiter(1);
  let release!: () => void;
  const first = limiter.run(() => new Promise<void>((r) => (release = r)));
  const controller = new AbortController();
  let ran = false;
  const abandoned = limiter.run(async () => {
    ran = true;
  }, controller.signal);
  const third = limiter.run(async () => 'third');
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.pending, 2);
  controller.abort(new Error('gave up'));
  await assert.rejects(abandoned, /gave up/);
  assert.equal(limiter.pending, 1, 'the aborted task left the queue at once');
  release();
  await first;
  assert.equal(await third, 'third');
  assert.equal(ran, false);
  assert.equal(limiter.running, 0);
  await assert.rejects(
    limiter.run(async () => 1, AbortSignal.abort(new Error('already'))),
    /already/,
  );
});

test('a fast task takes a reserved slot while ordinary tasks hold every other; ordinary ones never do', async () => {
  const limiter = new AsyncLimiter(2, 1);
  const releases: (() => void)[] = [];
  const hold = () => limiter.run(() => new Promise<void>((r) => releases.push(r)));
  const stuck = [hold(), hold()];
  const ordinary = limiter.run(async () => 'ordinary');
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.pending, 1, 'an ordinary task waits');
  assert.equal(await limiter.run(async () => 'fast', undefined, true), 'fast');
  assert.equal(limiter.pending, 1, 'the ordinary one still waits: the reserve is not for it');
  releases.shift()!();
  assert.equal(await ordinary, 'ordinary');
  for (const r of releases) r();
  await Promise.all(stuck);
  assert.equal(limiter.running, 0);
});
