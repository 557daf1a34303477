import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { createFetch } from '../../src/adapters/fetch.js';
import { DIAGNOSTICS_CHANNELS, type NegotiateEvent } from '../../src/core/diagnostics.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import type { ContextFactory } from '../../src/core/negotiate-context.js';
import { ContextFlag } from '../../src/gssapi/raw/constants.js';
import { b64, fakeContextFactory, scriptedFetch } from '../helpers/fake-context.js';

// What a trace needs from the events: token sizes, the flags asked and granted, the size of the
// server's tokens. Tokens themselves stay redacted.

test('challenge, token and mutual events carry sizes and context flags', async () => {
  const events: NegotiateEvent[] = [];
  const listener = (event: unknown) => events.push(event as NegotiateEvent);
  const channels = [DIAGNOSTICS_CHANNELS.challenge, DIAGNOSTICS_CHANNELS.token, DIAGNOSTICS_CHANNELS.mutual];
  for (const name of channels) subscribe(name, listener);
  try {
    const fake = fakeContextFactory({ first: 'a-first-token-of-26-bytes!' });
    const granted = ContextFlag.MUTUAL | ContextFlag.SEQUENCE | ContextFlag.CONF;
    // The fake knows no flags: report these as granted, as a real context's ret_flags.
    const factory: ContextFactory = (request) =>
      new Proxy(fake(request), {
        get: (ctx, key) => (key === 'actualFlags' ? granted : Reflect.get(ctx, key)),
      });
    const auth = new HTTPSPNEGOAuth(
      { mutualAuthentication: 'required', delegate: 'policy' },
      { contextFactory: factory },
    );
    const fetch = createFetch(
      auth,
      scriptedFetch([
        () => new Response('', { status: 401, headers: { 'www-authenticate': `Negotiate ${b64('hint')}` } }),
        () => new Response('ok', { headers: { 'www-authenticate': `Negotiate ${b64('server-ok')}` } }),
      ]),
    );
    assert.equal((await fetch('http://h.test/')).status, 200);
    const [challenge, token, mutual] = events;
    assert.equal(challenge?.type === 'challenge' && challenge.tokenSize, 4);
    assert.ok(token?.type === 'token');
    assert.equal(token.tokenSize, 26);
    assert.equal(token.token, 'YS1maX…');
    assert.deepEqual(token.flagsRequested, ['deleg-policy', 'mutual', 'sequence']);
    assert.deepEqual(token.flagsGranted, ['mutual', 'sequence', 'conf']);
    assert.ok(mutual?.type === 'mutual');
    assert.equal(mutual.result, 'verified');
    assert.equal(mutual.tokenSize, 9);
    assert.deepEqual(mutual.flagsGranted, ['mutual', 'sequence', 'conf']);
  } finally {
    for (const name of channels) unsubscribe(name, listener);
  }
});
