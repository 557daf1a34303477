import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findNegotiateChallenge } from '../../src/core/challenge.js';
import { HttpGssapiError, MutualAuthenticationError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { DISABLED, type MutualAuthentication, OPTIONAL, REQUIRED } from '../../src/core/options.js';
import { fakeContextFactory } from '../helpers/fake-context.js';

// Token handling under hostile servers: whatever header values a server sends on the 401 and on
// the final response, the flow decides (retry, return) or throws a MutualAuthenticationError,
// never anything else, never asks for more than two extra legs, and releases every context.
// FUZZ_RUNS sets the number of runs (scripts/fuzz.sh runs a long campaign).

const RUNS = Number(process.env['FUZZ_RUNS']) || 300;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Header values a server (or a proxy) might send: grammar-shaped, garbled and binary. */
const headerArb = fc.oneof(
  fc.constantFrom(
    'Negotiate',
    `Negotiate ${b64('server-ok')}`,
    `Negotiate ${b64('forged')}`,
    'Negotiate !!not*base64!!',
    'Negotiate =',
    'negotiate ,',
    'Basic realm="x", Negotiate',
    'Negotiate a, Negotiate b',
  ),
  fc
    .tuple(
      fc.constantFrom('Negotiate', 'negotiate', 'NEGOTIATE', 'Basic', 'NTLM', ''),
      fc.string({
        unit: fc.constantFrom('A', 'z', '0', '+', '/', '=', ' ', ',', '"', '\\', '!', '*', '\t'),
        maxLength: 24,
      }),
    )
    .map(([scheme, rest]) => `${scheme} ${rest}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const responseArb = fc.record({
  status: fc.constantFrom(200, 204, 302, 401, 403, 500),
  header: fc.option(fc.oneof(headerArb, fc.array(headerArb, { maxLength: 3 })), { nil: undefined }),
});
const modeArb = fc.constantFrom<MutualAuthentication>(REQUIRED, OPTIONAL, DISABLED);

describe('flow fuzz: hostile challenges and final tokens', () => {
  it('decides or throws MutualAuthenticationError, at most 3 legs, every context released', async () => {
    await fc.assert(
      fc.asyncProperty(
        modeArb,
        fc.array(responseArb, { minLength: 1, maxLength: 5 }),
        async (mode, responses) => {
          const factory = fakeContextFactory({ mutualOnComplete: true });
          const auth = new HTTPSPNEGOAuth(
            { mutualAuthentication: mode, learnedPreemption: false, sessionCookies: false },
            { contextFactory: factory },
          );
          const flow = auth.flow('http://h.test/');
          let authorization = await flow.start();
          let legs = 0;
          try {
            for (const r of responses) {
              const decision = await flow.onResponse({ status: r.status, header: () => r.header });
              if (decision.action === 'return') break;
              legs++;
              assert.ok(legs <= 2, 'never more than two answered challenges');
              assert.match(decision.authorization, /^Negotiate [A-Za-z0-9+/]+=*$/);
              authorization = decision.authorization;
            }
          } catch (error) {
            assert.ok(error instanceof MutualAuthenticationError, String(error));
            assert.ok(mode !== DISABLED, 'DISABLED never verifies');
          } finally {
            flow.dispose();
          }
          void authorization;
          assert.equal(factory.disposed, factory.created.length, 'every context released');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('findNegotiateChallenge returns or throws a coded error for any header lines', () => {
    fc.assert(
      fc.property(fc.oneof(headerArb, fc.array(headerArb, { maxLength: 4 })), (header) => {
        try {
          findNegotiateChallenge(header);
        } catch (error) {
          assert.ok(error instanceof HttpGssapiError && error.code === 'ERR_CHALLENGE_PARSE', String(error));
        }
      }),
      { numRuns: RUNS * 10 },
    );
  });
});
