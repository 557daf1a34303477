import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CredentialSource } from '../../src/core/credential-source.js';
import { deadlineContextFactory } from '../../src/core/deadline.js';
import type { FlowSetup } from '../../src/core/flow-types.js';
import { LearnedOrigins } from '../../src/core/learned-origins.js';
import type { ContextFactory } from '../../src/core/negotiate-context.js';
import { type HTTPSPNEGOAuthOptions, resolveOptions } from '../../src/core/options.js';
import { RecentTickets } from '../../src/core/recent-tickets.js';
import { TokenMaker, type TokenMakerInput } from '../../src/core/token-maker.js';
import type { Credentials } from '../../src/gssapi/credentials.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import { type FakeScript, fakeContextFactory } from '../helpers/fake-context.js';

// The token maker alone: a fake credential source that records what it is asked, and the
// scripted fake context. The credential source's own rules are its unit tests'.

/** Stand-ins for credential handles: only their identity matters here. */
const CACHED = { name: 'cached' } as unknown as Credentials;
const FRESH = { name: 'fresh' } as unknown as Credentials;

interface SourceLog {
  gets: number;
  dropped: unknown[];
  noted: unknown[];
  leased: (Credentials | null)[];
  released: number;
}

/**
 * A credential source: `get` hands out `handles` in turn; `dropStale` says yes to `stale`;
 * `noteRefusal` turns `refuse` into `refusedAs`. Leases hand GSS_C_NO_CREDENTIAL to the context.
 */
function fakeSource(
  handles: (Credentials | null)[],
  behavior: { stale?: unknown; refuse?: unknown; refusedAs?: unknown } = {},
): { source: CredentialSource; log: SourceLog } {
  const log: SourceLog = { gets: 0, dropped: [], noted: [], leased: [], released: 0 };
  const source = {
    async get() {
      return handles[Math.min(log.gets++, handles.length - 1)] ?? null;
    },
    dropStale(_creds: Credentials | null, error: unknown) {
      log.dropped.push(error);
      return error === behavior.stale;
    },
    noteRefusal(_creds: Credentials | null, error: unknown) {
      log.noted.push(error);
      return error === behavior.refuse ? behavior.refusedAs : error;
    },
    async lease(creds: Credentials | null) {
      log.leased.push(creds);
      return { creds: null, release: () => log.released++ };
    },
  } as unknown as CredentialSource;
  return { source, log };
}

function maker(
  source: CredentialSource,
  factory: ContextFactory,
  options: HTTPSPNEGOAuthOptions = {},
  input: Partial<TokenMakerInput> = {},
) {
  const setup: FlowSetup = {
    options: resolveOptions(options),
    credentials: source,
    recentTickets: new RecentTickets(),
    learned: new LearnedOrigins(false),
    contextFactory: factory,
    sessions: null,
  };
  return new TokenMaker({
    setup,
    url: new URL('http://web.example.org/'),
    kind: 'server',
    mutual: true,
    refusal: null,
    otherHost: false,
    peerCertificate: undefined,
    signal: undefined,
    ...input,
  });
}

/** A factory whose first `failures` contexts fail their first step with `error`. */
function failingFactory(failures: number, error: unknown, script: FakeScript = {}) {
  const inner = fakeContextFactory(script);
  let made = 0;
  const factory: ContextFactory = (request) => {
    const ctx = inner(request);
    if (made++ >= failures) return ctx;
    return {
      ...ctx,
      complete: false,
      mech: null,
      mutualAuthenticated: false,
      step: async () => Promise.reject(error),
      dispose: ctx.dispose,
    };
  };
  return { factory, inner };
}

describe('TokenMaker.first', () => {
  test('credentials -> lease -> context -> first token; the lease is released and the context is the caller’s', async () => {
    const { source, log } = fakeSource([CACHED]);
    const factory = fakeContextFactory();
    const made = await maker(source, factory, { delegate: true }).first();
    assert.equal(Buffer.from(made.token).toString(), 'tok-1');
    assert.deepEqual(log.leased, [CACHED]);
    assert.equal(log.released, 1);
    assert.equal(factory.created[0]!.target, 'HTTP@web.example.org');
    assert.equal(made.flagsRequested & ContextFlag.MUTUAL, ContextFlag.MUTUAL);
    assert.equal(made.flagsRequested & ContextFlag.DELEG, ContextFlag.DELEG);
    assert.equal(made.certificate, null);
    assert.equal(factory.disposed, 0, 'the made context is not released by the maker');
  });

  test('stale cached credentials: dropped, and one more try with fresh ones', async () => {
    const stale = new Error('ticket expired');
    const { source, log } = fakeSource([CACHED, FRESH], { stale });
    const { factory, inner } = failingFactory(1, stale);
    const made = await maker(source, factory).first();
    assert.equal(Buffer.from(made.token).toString(), 'tok-1');
    assert.equal(log.gets, 2);
    assert.deepEqual(log.dropped, [stale]);
    assert.deepEqual(log.leased, [CACHED, FRESH]);
    assert.equal(log.released, 2);
    assert.equal(inner.created.length, 2);
    assert.equal(inner.disposed, 1, 'the failed context is released');
  });

  test('a failure that is not stale credentials: no second try, reported through noteRefusal', async () => {
    const broken = new Error('unknown principal');
    const { source, log } = fakeSource([CACHED]);
    const { factory, inner } = failingFactory(1, broken);
    await assert.rejects(maker(source, factory).first(), (e) => e === broken);
    assert.equal(log.gets, 1);
    assert.deepEqual(log.noted, [broken]);
    assert.equal(inner.created.length, 1);
    assert.equal(inner.disposed, 1);
  });

  test('a login refused at the step is remembered: the source’s refusal is what is thrown', async () => {
    const refusedAtStep = new Error('preauthentication failed');
    const remembered = new Error('login refused (remembered)');
    const { source, log } = fakeSource([CACHED], { refuse: refusedAtStep, refusedAs: remembered });
    const { factory } = failingFactory(1, refusedAtStep);
    await assert.rejects(maker(source, factory).first(), (e) => e === remembered);
    assert.deepEqual(log.noted, [refusedAtStep]);
  });

  test('the stale retry failing again is remembered too', async () => {
    const stale = new Error('ticket expired');
    const { source, log } = fakeSource([CACHED, FRESH], { stale, refuse: stale, refusedAs: 'refused' });
    const { factory } = failingFactory(2, stale);
    await assert.rejects(maker(source, factory).first(), (e) => e === 'refused');
    assert.equal(log.noted.length, 1);
  });

  test('a hop that must get no token: its refusal, before any credentials', async () => {
    const { source, log } = fakeSource([CACHED]);
    const refusal = new Error('no token for this hop');
    await assert.rejects(maker(source, fakeContextFactory(), {}, { refusal }).first(), (e) => e === refusal);
    assert.equal(log.gets, 0);
  });

  test('the lease of a step abandoned by the deadline is released only when the step returns', async () => {
    const { source, log } = fakeSource([CACHED]);
    let finish!: () => void;
    const slow: ContextFactory = (request) => {
      const ctx = fakeContextFactory()(request);
      return {
        ...ctx,
        complete: false,
        mech: null,
        mutualAuthenticated: false,
        step: () => new Promise((resolve) => (finish = () => resolve(Buffer.from('late')))),
        dispose: ctx.dispose,
      };
    };
    const controller = new AbortController();
    const first = maker(
      source,
      deadlineContextFactory(slow, 60_000),
      {},
      { signal: controller.signal },
    ).first();
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('caller gave up'));
    await assert.rejects(first, /caller gave up/);
    assert.equal(log.released, 0, 'the abandoned step still holds the handle on its thread');
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(log.released, 1);
  });

  test('an NTLM token is refused unless allowNtlm', async () => {
    // NTLMSSP's signature starts every raw NTLM token.
    const { source } = fakeSource([null]);
    const factory = fakeContextFactory({ first: 'NTLMSSP\0rest' });
    const ntlmMaker = maker(source, factory);
    await assert.rejects(
      ntlmMaker.first(),
      (e: unknown) => (e as { code?: string }).code === 'ERR_NTLM_NOT_ALLOWED',
    );
    assert.equal(factory.disposed, 1);
  });
});

describe('TokenMaker.delegation', () => {
  test('delegate: true asks only for policy delegation on a hop to another host; never on a proxy leg', () => {
    const { source } = fakeSource([null]);
    const factory = fakeContextFactory();
    assert.equal(maker(source, factory, { delegate: true }).delegation, true);
    assert.equal(maker(source, factory, { delegate: true }, { otherHost: true }).delegation, 'policy');
    assert.equal(maker(source, factory, { delegate: true }, { kind: 'proxy' }).delegation, false);
  });
});
