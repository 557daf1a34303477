import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { attachReason } from '../../src/core/client-error-reason.js';
import { reportExchangeError } from '../../src/core/error-report.js';
import { ChannelBindingError } from '../../src/core/errors.js';
import { HTTPSPNEGOAuth } from '../../src/core/http-spnego-auth.js';
import { replayableBody, requestIntake } from '../../src/core/request-intake.js';

// The rules every adapter asks core about the caller's request, decided once (issue 22): whose
// Authorization it is, the caller's cookie line, the body made replayable, and the reason
// attached to a client's error.

const headers =
  (values: Record<string, string | string[] | undefined>) =>
  (name: string): string | string[] | undefined =>
    values[name];

describe('requestIntake', () => {
  test("the caller's own Authorization (any value, one or several lines) skips Negotiate", () => {
    for (const value of ['Basic dTpw', '', ['Bearer a']]) {
      assert.deepEqual(requestIntake({ header: headers({ authorization: value }) }), { skip: true });
    }
  });

  test('credentials from a client option skip Negotiate too (axios auth)', () => {
    assert.deepEqual(requestIntake({ header: headers({}), ownCredentials: true }), { skip: true });
  });

  test("a proxy's exchange is skipped on the caller's Proxy-Authorization, not on Authorization", () => {
    assert.equal(requestIntake({ header: headers({ authorization: 'Basic x' }), kind: 'proxy' }).skip, false);
    assert.equal(
      requestIntake({ header: headers({ 'proxy-authorization': 'Basic x' }), kind: 'proxy' }).skip,
      true,
    );
  });

  test("otherwise the caller's Cookie comes back as one line (RFC 6265 section 5.4)", () => {
    assert.deepEqual(requestIntake({ header: headers({ cookie: ['a=1', 'b=2'] }) }), {
      skip: false,
      cookie: 'a=1; b=2',
    });
    assert.deepEqual(requestIntake({ header: headers({ cookie: 'a=1' }) }), { skip: false, cookie: 'a=1' });
    assert.deepEqual(requestIntake({ header: headers({ authorization: [] }) }), {
      skip: false,
      cookie: null,
    });
  });
});

describe('replayableBody', () => {
  const auth = new HTTPSPNEGOAuth({ maxReplayBodySize: 8 });

  test('bodies the client reads again are sent as they are', async () => {
    for (const body of ['text', Buffer.from('x'), new URLSearchParams('a=1'), null, undefined]) {
      assert.deepEqual(await replayableBody(auth, body), { kind: 'as-is', body });
    }
  });

  test('a stream up to maxReplayBodySize is read whole', async () => {
    const prepared = await replayableBody(auth, Readable.from([Buffer.from('1234'), Buffer.from('5678')]));
    assert.equal(prepared.kind, 'buffered');
    assert.equal(String(prepared.body), '12345678');
  });

  test('a longer stream goes once, whole and in order', async () => {
    const prepared = await replayableBody(auth, Readable.from([Buffer.from('12345'), Buffer.from('67890')]));
    assert.equal(prepared.kind, 'once');
    const chunks: Buffer[] = [];
    for await (const chunk of prepared.body as Readable) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), '1234567890');
  });
});

describe('attachReason', () => {
  const reason = new ChannelBindingError('no connection to bind to');
  const response = {};
  reportExchangeError(reason, new URL('https://h.example/'), [response], undefined);

  test("a client error without a cause (axios, ky) or with got's empty one gets the reason, hidden", () => {
    for (const error of [new Error('401'), Object.assign(new Error('401'), { cause: {} })]) {
      assert.equal(attachReason(error, response), error);
      assert.equal(error.cause, reason);
      assert.equal(Object.keys(error).includes('cause'), false, 'not printed by a logger');
    }
  });

  test('an Error already given as cause is kept; no reason, nothing attached', () => {
    const own = new Error('socket hang up');
    const error = new Error('failed', { cause: own });
    assert.equal(attachReason(error, response).cause, own);
    assert.equal(attachReason(new Error('500'), {}).cause, undefined);
    assert.equal(attachReason(new Error('offline'), undefined).cause, undefined);
  });
});
