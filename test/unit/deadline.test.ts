import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deadlineContextFactory, withinDeadline } from '../../src/core/deadline.js';
import { KdcTimeoutError } from '../../src/core/errors.js';
import type { ContextFactory, NegotiateContext } from '../../src/core/negotiate-context.js';

// The request's deadline over GSSAPI calls, with work that settles when the test says so.

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('withinDeadline', () => {
  test('work that settles in time: its value or its error', async () => {
    assert.equal(await withinDeadline(async () => 7, 1000, undefined), 7);
    await assert.rejects(
      withinDeadline(async () => Promise.reject(new Error('no ccache')), 1000, undefined),
      /no ccache/,
    );
  });

  test('work past kdcTimeout: a KdcTimeoutError with a hint; the work is told it was abandoned', async () => {
    let abandonedSignal: AbortSignal | undefined;
    let abandoned = 0;
    const work = deferred<string>();
    const result = withinDeadline(
      (signal) => {
        abandonedSignal = signal;
        return work.promise;
      },
      20,
      undefined,
      () => abandoned++,
    );
    await assert.rejects(
      result,
      (e: unknown) => e instanceof KdcTimeoutError && /kdcTimeout/.test(e.message),
    );
    assert.equal(abandonedSignal?.aborted, true);
    assert.equal(abandoned, 1);
    // A late failure of the abandoned work is nobody's: no unhandled rejection.
    work.reject(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  test('the request’s signal: its reason, at once; an already aborted signal before any work', async () => {
    const controller = new AbortController();
    const result = withinDeadline(() => deferred<string>().promise, 60_000, controller.signal);
    controller.abort(new Error('caller gave up'));
    await assert.rejects(result, /caller gave up/);
    let started = false;
    assert.throws(
      () =>
        withinDeadline(
          async () => {
            started = true;
          },
          1000,
          controller.signal,
        ),
      /caller gave up/,
    );
    assert.equal(started, false);
  });
});

describe('deadlineContextFactory', () => {
  test('a step past the deadline disposes the context; settled() waits for the step underneath', async () => {
    const step = deferred<Uint8Array | null>();
    let disposed = 0;
    const inner: ContextFactory = () =>
      ({
        complete: false,
        mech: null,
        mutualAuthenticated: false,
        step: () => step.promise,
        dispose: () => disposed++,
      }) satisfies NegotiateContext;
    const ctx = deadlineContextFactory(inner, 20)({ target: 'HTTP@web', flags: 0, mech: null, creds: null });
    await assert.rejects(ctx.step(null), KdcTimeoutError);
    assert.equal(disposed, 1);
    let settled = false;
    void ctx.settled!().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'the abandoned step is still running on its thread');
    step.resolve(new Uint8Array([1]));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, true);
  });

  test('a step in time passes its token through; the context reads through to the inner one', async () => {
    const inner: ContextFactory = () => ({
      complete: true,
      mech: null,
      mutualAuthenticated: true,
      actualFlags: 2,
      step: async () => new Uint8Array([9]),
      dispose: () => {},
    });
    const ctx = deadlineContextFactory(
      inner,
      1000,
    )({ target: 'HTTP@web', flags: 0, mech: null, creds: null });
    assert.deepEqual(await ctx.step(null), new Uint8Array([9]));
    assert.equal(ctx.complete, true);
    assert.equal(ctx.mutualAuthenticated, true);
    assert.equal(ctx.actualFlags, 2);
  });
});
