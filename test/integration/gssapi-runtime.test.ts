import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Credentials,
  GSSError,
  liveHandleCount,
  Name,
  NameType,
  OID,
  SecurityContext,
} from '../../src/gssapi/index.js';
import { outstandingAllocations } from '../../src/gssapi/raw/index.js';
import { TestRealm } from '../../src/testing/index.js';

// Properties that need a realm of their own: a slow KDC, a dead KDC, short-lived tickets, and
// many exchanges in a row.

async function withRealm<T>(
  options: Parameters<typeof TestRealm.start>[0],
  body: (realm: TestRealm) => Promise<T>,
) {
  const realm = await TestRealm.start(options);
  const restore = realm.applyEnv();
  try {
    return await body(realm);
  } finally {
    restore();
    await realm.stop();
  }
}

describe('the event loop keeps turning', () => {
  test('while a service ticket is fetched through a KDC delayed 300 ms each way', async () => {
    await withRealm({ kdcDelayMs: 300 }, async (realm) => {
      const other = await realm.addPrincipal(`HTTP/slow.${realm.hostname}`, { randkey: true });
      void other;
      const name = new Name(`HTTP@slow.${realm.hostname}`, NameType.hostbasedService);
      const ctx = new SecurityContext({ usage: 'initiate', name, mech: OID.KRB5 });
      // Longest gap between timer ticks: a blocking call would stall it for the whole round trip (>= 600 ms).
      let longest = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }, 1);
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      const started = performance.now();
      const token = await ctx.step();
      const elapsed = performance.now() - started;
      histogram.disable();
      clearInterval(timer);
      assert.ok(token && token.length > 0);
      assert.ok(elapsed >= 550, `the ticket fetch went through the delayed KDC (${elapsed.toFixed(0)} ms)`);
      // Bound far from both noise on a loaded CI machine and the 600 ms a blocking binding shows.
      assert.ok(longest < 150, `longest event-loop stall ${longest.toFixed(1)} ms`);
      console.log(
        `# ticket fetch ${elapsed.toFixed(0)} ms; longest stall ${longest.toFixed(1)} ms; p99 delay ${(histogram.percentile(99) / 1e6).toFixed(1)} ms`,
      );
      ctx.dispose();
      name.dispose();
    });
  });
});

describe('failures in time', () => {
  test('KDC down: a coded error within a bounded time', async () => {
    await withRealm({}, async (realm) => {
      await realm.stopKdc();
      const name = new Name(`HTTP@down.${realm.hostname}`, NameType.hostbasedService);
      const ctx = new SecurityContext({ usage: 'initiate', name, mech: OID.KRB5 });
      const started = performance.now();
      await assert.rejects(ctx.step(), (e: unknown) => {
        assert.ok(e instanceof GSSError);
        assert.equal(e.code, 'KRB5_KDC_UNREACH');
        assert.match(e.hint ?? '', /krb5\.conf/);
        return true;
      });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 30_000, `failed after ${elapsed.toFixed(0)} ms`);
      ctx.dispose();
      name.dispose();
    });
  });

  test('an expired ticket', async () => {
    await withRealm({ maxLife: '4s', maxRenewableLife: '4s' }, async (realm) => {
      await realm.kinit(realm.user.principal, { password: realm.user.password });
      await sleep(5500);
      const name = new Name(`HTTP@${realm.hostname}`, NameType.hostbasedService);
      const ctx = new SecurityContext({ usage: 'initiate', name, mech: OID.KRB5 });
      await assert.rejects(ctx.step(), (e: unknown) => {
        assert.ok(e instanceof GSSError, String(e));
        assert.match(`${e.code} ${e.majorName}`, /EXPIRED/);
        assert.match(e.hint ?? '', /expired/);
        return true;
      });
      ctx.dispose();
      name.dispose();
    });
  });
});

describe('handles are released', () => {
  test('10,000 init/accept cycles keep RSS flat', async () => {
    await withRealm({}, async (realm) => {
      const acceptorCreds = await Credentials.acquire({
        usage: 'accept',
        store: { keytab: realm.service.keytab },
      });
      const cycle = async () => {
        const name = new Name(`HTTP@${realm.hostname}`, NameType.hostbasedService);
        const initiator = new SecurityContext({ usage: 'initiate', name, mech: OID.SPNEGO });
        const acceptor = new SecurityContext({ usage: 'accept', creds: acceptorCreds });
        const reply = await acceptor.step((await initiator.step())!);
        await initiator.step(reply);
        assert.equal(initiator.complete, true);
        void acceptor.initiatorName;
        initiator.dispose();
        acceptor.dispose();
        name.dispose();
      };
      // Warm up: allocator arenas, the replay cache file, koffi's pools, JIT.
      for (let i = 0; i < 1000; i++) await cycle();
      const handles = liveHandleCount();
      const allocations = outstandingAllocations();
      const growthOver = async (cycles: number) => {
        const before = process.memoryUsage().rss;
        for (let i = 0; i < cycles; i++) await cycle();
        return (process.memoryUsage().rss - before) / 2 ** 20;
      };
      const settling = await growthOver(10_000);
      const settled = await growthOver(10_000);
      console.log(
        `# RSS growth over 10,000 cycles: ${settling.toFixed(1)} MiB, then over 10,000 more: ${settled.toFixed(1)} MiB`,
      );
      // Exact: every handle and every native argument allocation was released.
      assert.equal(liveHandleCount(), handles);
      assert.equal(outstandingAllocations(), allocations);
      // RSS is noisier: the allocator and V8 settle over the first 10-15k cycles (measured: 5-17
      // MiB on one machine, 25-33 MiB on the CI machine, for the first 10,000 here, on old and
      // new code alike), then flatten. A leak of what one cycle handles (two contexts, a name,
      // ~1.6 KiB of tokens) adds >= 40 MiB per 10,000 cycles in every window, settled or not:
      // the second window tells the two apart.
      assert.ok(settled < 20, `RSS grew ${settled.toFixed(1)} MiB over 10,000 cycles after settling`);
      acceptorCreds.dispose();
    });
  });
});
