import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import axios from 'axios';
import { negotiateAdapter, withNegotiate } from '../../src/adapters/axios/index.js';
import { createFetch } from '../../src/adapters/fetch.js';
import { negotiateGot } from '../../src/adapters/got.js';
import { negotiateKy } from '../../src/adapters/ky.js';
import { negotiate } from '../../src/adapters/undici/index.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DEFAULT_KDC_TIMEOUT, REQUIRED } from '../../src/core/options.js';
import { DelayProxy, NegotiateTestServer } from '../../src/testing/index.js';

// A misspelled or Python-spelled option must never be ignored: mutual authentication left off
// without a word is a security property lost.

describe('options are checked by name', () => {
  for (const [given, meant] of [
    ['mutual_authentication', 'mutualAuthentication'],
    ['mutualAuth', 'mutualAuthentication'],
    ['opportunistic_auth', 'opportunisticAuth'],
    ['targetname', 'targetName'],
    ['sanitize_mutual_error_response', 'sanitizeMutualErrorResponse'],
    ['maxReplayBodySise', 'maxReplayBodySize'],
  ] as const) {
    test(`${given} is a TypeError that suggests ${meant}`, () => {
      assert.throws(
        () => new HTTPSPNEGOAuth({ [given]: REQUIRED } as never),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message === `unknown HTTPSPNEGOAuth option "${given}" (did you mean "${meant}"?)`,
      );
    });
  }

  test('a key nothing resembles is named without a guess', () => {
    assert.throws(
      () => new HTTPSPNEGOAuth({ proxy: 'x' } as never),
      /^TypeError: unknown HTTPSPNEGOAuth option "proxy"$/,
    );
  });

  test("mutualAuthentication 'REQUIRED' (the constant's name) means REQUIRED", () => {
    assert.equal(
      new HTTPSPNEGOAuth({ mutualAuthentication: 'REQUIRED' as never }).options.mutualAuthentication,
      REQUIRED,
    );
    assert.throws(() => new HTTPSPNEGOAuth({ mutualAuthentication: 'yes' as never }), /got yes/);
  });

  test('kdcTimeout: a number of milliseconds above 0, default DEFAULT_KDC_TIMEOUT (5 s)', () => {
    assert.equal(new HTTPSPNEGOAuth().options.kdcTimeout, DEFAULT_KDC_TIMEOUT);
    assert.equal(DEFAULT_KDC_TIMEOUT, 5000);
    assert.equal(new HTTPSPNEGOAuth({ kdcTimeout: 250 }).options.kdcTimeout, 250);
    for (const bad of [0, -1, Number.NaN, '5000', 2 ** 31]) {
      assert.throws(() => new HTTPSPNEGOAuth({ kdcTimeout: bad as never }), /kdcTimeout must be/);
    }
  });

  test('creds fields and interceptor options are checked the same way', () => {
    assert.throws(
      () => new HTTPSPNEGOAuth({ creds: { principle: 'a@B' } as never }),
      /did you mean creds\.principal\?/,
    );
    assert.throws(
      () => negotiate(new HTTPSPNEGOAuth(), { connectionbound: true } as never),
      /did you mean "connectionBound"/,
    );
    assert.throws(
      () => negotiate(new HTTPSPNEGOAuth(), { connectionBound: { clientOption: {} } as never }),
      /unknown connectionBound option "clientOption" \(did you mean "clientOptions"\?\)/,
    );
  });

  test('every adapter takes an HTTPSPNEGOAuth, and an options object there says how to wrap it', () => {
    const options = { mutualAuthentication: REQUIRED } as never;
    const adapters: [string, () => unknown][] = [
      ['createFetch', () => createFetch(options)],
      ['negotiateKy', () => negotiateKy(options)],
      ['negotiateGot', () => negotiateGot(options)],
      ['withNegotiate', () => withNegotiate(axios.create(), options)],
      ['negotiateAdapter', () => negotiateAdapter(options)],
      ['negotiate', () => negotiate(options)],
    ];
    for (const [name, make] of adapters) {
      assert.throws(
        make,
        /^TypeError: auth must be an HTTPSPNEGOAuth: wrap the options, new HTTPSPNEGOAuth/,
        name,
      );
    }
    assert.throws(() => createFetch('REQUIRED' as never), /^TypeError: auth must be an HTTPSPNEGOAuth$/);
  });

  test('the test servers check their options before starting anything', async () => {
    await assert.rejects(
      NegotiateTestServer.start({ keyTab: '/nowhere' } as never),
      /^TypeError: unknown NegotiateTestServer option "keyTab" \(did you mean "keytab"\?\)/,
    );
    await assert.rejects(
      DelayProxy.start({ target: { host: '127.0.0.1', port: 1 }, delay_ms: 5 } as never),
      /^TypeError: unknown DelayProxy option "delay_ms" \(did you mean "delayMs"\?\)/,
    );
  });
});
