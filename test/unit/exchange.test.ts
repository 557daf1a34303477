import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MutualAuthenticationError } from '../../src/core/errors.js';
import { type Exchange, runExchange } from '../../src/core/exchange.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED, type HTTPSPNEGOAuthOptions, REQUIRED } from '../../src/core/options.js';
import { b64, fakeContextFactory } from '../helpers/fake-context.js';

// runExchange with a client that is a list of canned responses: what it sends, what it discards,
// what it hands back, and that the flow's context is released in every case.

interface Canned {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function client(responses: Canned[]) {
  const sent: Readonly<Record<string, string>>[] = [];
  const discarded: Canned[] = [];
  let i = 0;
  const exchange: Exchange<Canned> = {
    send: async (headers) => {
      sent.push(headers);
      const res = responses[Math.min(i++, responses.length - 1)]!;
      return { ...res };
    },
    status: (res) => res.status,
    header: (res, name) => res.headers[name] ?? null,
    discard: (res) => {
      discarded.push(res);
    },
    sanitize: (res, headers) => ({ status: res.status, headers, body: '' }),
  };
  return { exchange, sent, discarded };
}

const challenge: Canned = { status: 401, headers: { 'www-authenticate': 'Negotiate' }, body: 'denied' };
const okWith = (token: string | null, status = 200, headers: Record<string, string> = {}): Canned => ({
  status,
  headers: { ...(token ? { 'www-authenticate': `Negotiate ${b64(token)}` } : {}), ...headers },
  body: 'payload',
});

function auth(options: HTTPSPNEGOAuthOptions = {}) {
  const factory = fakeContextFactory();
  return {
    auth: new HTTPSPNEGOAuth({ learnedPreemption: false, ...options }, { contextFactory: factory }),
    factory,
  };
}

describe('runExchange', () => {
  test('a bare attempt, the challenge discarded, the retry with the token header handed back', async () => {
    const { auth: a, factory } = auth({ mutualAuthentication: REQUIRED });
    const { exchange, sent, discarded } = client([challenge, okWith('server-ok')]);
    const res = await runExchange(a.flow('http://web.example.org/'), exchange);
    assert.equal(res.body, 'payload');
    assert.deepEqual(sent[0], {});
    assert.equal(sent[1]!['authorization'], `Negotiate ${b64('tok-1')}`);
    assert.deepEqual(discarded, [challenge]);
    assert.equal(factory.disposed, 1);
  });

  test('REQUIRED and an error response without a token: handed back sanitized (Date and Server kept, no body)', async () => {
    const { auth: a } = auth({ mutualAuthentication: REQUIRED });
    const headers = { date: 'Sat, 28 Nov 2026 10:00:00 GMT', server: 'test', 'x-secret': 'internal' };
    const { exchange } = client([challenge, okWith(null, 500, headers)]);
    const res = await runExchange(a.flow('http://web.example.org/'), exchange);
    assert.equal(res.body, '');
    assert.deepEqual(res.headers, { date: headers.date, server: 'test', 'content-length': '0' });
  });

  test('a flow error: the response is discarded, the error thrown, the context released', async () => {
    const { auth: a, factory } = auth({ mutualAuthentication: REQUIRED });
    const { exchange, discarded } = client([challenge, okWith(null)]);
    await assert.rejects(runExchange(a.flow('http://web.example.org/'), exchange), MutualAuthenticationError);
    assert.equal(discarded.length, 2);
    assert.equal(factory.disposed, 1);
  });

  test('the client’s own failure (and an abort between attempts) still releases the context', async () => {
    const { auth: a, factory } = auth({ mutualAuthentication: DISABLED });
    const { exchange } = client([challenge]);
    const aborted = new Error('aborted');
    await assert.rejects(
      runExchange(a.flow('http://web.example.org/'), {
        ...exchange,
        checkAborted: () => {
          throw aborted;
        },
      }),
      (e) => e === aborted,
    );
    assert.equal(factory.created.length, 1);
    assert.equal(factory.disposed, 1);
  });

  test('clientResponse: what a flow error carries is the object the caller receives', async () => {
    const { auth: a } = auth({ mutualAuthentication: REQUIRED });
    const { exchange } = client([challenge, okWith(null)]);
    const wrapped = { wrapped: true };
    await assert.rejects(
      runExchange(a.flow('http://web.example.org/'), { ...exchange, clientResponse: () => wrapped }),
      (e: unknown) => e instanceof MutualAuthenticationError && e.response === wrapped,
    );
  });
});
