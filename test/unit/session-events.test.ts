import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { createFetch } from '../../src/adapters/fetch.js';
import { DIAGNOSTICS_CHANNELS, type NegotiateEvent } from '../../src/core/diagnostics.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { b64, fakeContextFactory, scriptedFetch } from '../helpers/fake-context.js';

// The http-gssapi:session channel tells when session cookies were kept, sent instead of a
// token, and dropped; no cookie value is published.

test('session events: stored, reused, dropped, with no cookie value in them', async () => {
  const events: NegotiateEvent[] = [];
  const listener = (event: unknown) => events.push(event as NegotiateEvent);
  subscribe(DIAGNOSTICS_CHANNELS.session, listener);
  try {
    const auth = new HTTPSPNEGOAuth(
      { mutualAuthentication: 'disabled' },
      { contextFactory: fakeContextFactory() },
    );
    const challenge = () => new Response('', { status: 401, headers: { 'www-authenticate': 'Negotiate' } });
    const session = () =>
      new Response('ok', {
        headers: {
          'set-cookie': 'sid=very-secret-session; Path=/',
          'www-authenticate': `Negotiate ${b64('x')}`,
        },
      });
    const fetch = createFetch(
      auth,
      scriptedFetch([challenge, session, () => new Response('ok'), challenge, session]),
    );
    for (const path of ['/a', '/b', '/c']) assert.equal((await fetch(`http://h.test${path}`)).status, 200);
    assert.deepEqual(
      events.map((e) => [e.type === 'session' && e.result, e.type === 'session' && new URL(e.url).pathname]),
      [
        ['stored', '/a'],
        ['reused', '/b'],
        ['reused', '/c'],
        ['dropped', '/c'],
        ['stored', '/c'],
      ],
    );
    assert.ok(!JSON.stringify(events).includes('very-secret-session'), 'no cookie value is published');
  } finally {
    unsubscribe(DIAGNOSTICS_CHANNELS.session, listener);
  }
});
