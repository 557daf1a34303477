import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { LogonGate } from '../../src/gssapi/sspi/logon-gate.js';

// The first logon of an SSPI password handle, one step at a time: the gate's logic with scripted
// steps (Windows logs on in the first InitializeSecurityContextW, which Wine does not: there the
// login happens in AcquireCredentialsHandleW, see test/integration/sspi-wine.test.ts).

type Result = 'ok' | 'refused' | 'other';

/** Scripted steps: each returns the next outcome after a tick, counting calls and overlap. */
function scripted(outcomes: Result[]) {
  let calls = 0;
  let running = 0;
  let maxRunning = 0;
  const events: string[] = [];
  const step = async (): Promise<Result> => {
    calls++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    events.push('start');
    await tick();
    running--;
    events.push('end');
    return outcomes.shift() ?? 'ok';
  };
  return { step, calls: () => calls, maxRunning: () => maxRunning, events };
}

const isRefused = (r: Result) => r === 'refused';
const isOk = (r: Result) => r === 'ok';

describe('LogonGate', () => {
  test('a refused logon is attempted once, whatever the number of steps waiting or coming later', async () => {
    const gate = new LogonGate();
    const s = scripted(['refused']);
    const results = await Promise.all([1, 2, 3].map(() => gate.run(s.step, isRefused, isOk)));
    assert.deepEqual(results, ['refused', 'refused', 'refused']);
    assert.equal(await gate.run(s.step, isRefused, isOk), 'refused');
    assert.equal(s.calls(), 1, 'one logon attempt');
    assert.equal(gate.proven, false);
  });

  test('until a step succeeded, first steps run one at a time; afterwards side by side', async () => {
    const gate = new LogonGate();
    const before = scripted(['ok', 'ok', 'ok']);
    await Promise.all([1, 2, 3].map(() => gate.run(before.step, isRefused, isOk)));
    assert.equal(before.calls(), 3);
    assert.deepEqual(before.events.slice(0, 2), ['start', 'end'], 'the logon step ran alone');
    assert.equal(gate.proven, true);
    const after = scripted(['ok', 'ok', 'ok']);
    await Promise.all([1, 2, 3].map(() => gate.run(after.step, isRefused, isOk)));
    assert.equal(after.maxRunning(), 3, 'no waiting once proven');
  });

  test('another failure proves nothing: the next waiting step tries, and may prove the logon', async () => {
    const gate = new LogonGate();
    const s = scripted(['other', 'ok', 'ok']);
    const results = await Promise.all([1, 2, 3].map(() => gate.run(s.step, isRefused, isOk)));
    assert.deepEqual(results, ['other', 'ok', 'ok']);
    assert.deepEqual(s.events.slice(0, 4), ['start', 'end', 'start', 'end'], 'one at a time until proven');
    assert.equal(gate.proven, true);
  });

  test('a step that throws releases the gate for the next one', async () => {
    const gate = new LogonGate();
    const failing = gate.run(
      async () => {
        await tick();
        throw new Error('worker gone');
      },
      isRefused,
      isOk,
    );
    const next = gate.run(async () => 'ok' as Result, isRefused, isOk);
    await assert.rejects(failing, /worker gone/);
    assert.equal(await next, 'ok');
  });
});
