import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  BodyNotReplayableError,
  ChallengeParseError,
  HttpGssapiError,
  MutualAuthenticationError,
  SPNEGOExchangeError,
} from '../../src/core/errors.js';

const SECRET_BODY = 'secret-body-do-not-log';
const response = { status: 401, headers: { 'www-authenticate': 'Negotiate oYG...' }, body: SECRET_BODY };
const request = {
  url: 'https://intranet.example.org/',
  headers: { authorization: `Negotiate ${SECRET_BODY}` },
};

const subclasses = [
  {
    make: () => new ChallengeParseError('bad', { position: 3, response, request }),
    code: 'ERR_CHALLENGE_PARSE',
  },
  { make: () => new SPNEGOExchangeError('bad', { response, request }), code: 'ERR_SPNEGO_EXCHANGE' },
  { make: () => new MutualAuthenticationError('bad', { response, request }), code: 'ERR_MUTUAL_AUTH' },
  { make: () => new BodyNotReplayableError('bad', { response, request }), code: 'ERR_BODY_NOT_REPLAYABLE' },
] as const;

describe('HttpGssapiError and its subclasses', () => {
  for (const { make, code } of subclasses) {
    const name = make().constructor.name;

    it(`${name} has code ${code}, its own name, and is an HttpGssapiError`, () => {
      const err = make();
      assert.ok(err instanceof HttpGssapiError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.equal(err.name, name);
      assert.equal(err.message, 'bad');
      assert.match(String(err), new RegExp(`^${name}: bad$`));
    });

    it(`${name} keeps request and response non-enumerable, out of JSON and inspect`, () => {
      const err = make();
      assert.equal(err.response, response);
      assert.equal(err.request, request);
      for (const key of ['response', 'request']) {
        const descriptor = Object.getOwnPropertyDescriptor(err, key);
        assert.equal(descriptor?.enumerable, false, key);
        assert.ok(!Object.keys(err).includes(key));
      }
      const json = JSON.stringify(err);
      assert.ok(!json.includes(SECRET_BODY), json);
      assert.ok(json.includes(code), json);
      assert.ok(!inspect(err).includes(SECRET_BODY));
      assert.ok(!JSON.stringify({ ...err }).includes(SECRET_BODY));
    });

    it(`${name} starts its stack at the construction site`, () => {
      const frames = make().stack?.split('\n').slice(1) ?? [];
      assert.ok(frames.length > 0);
      assert.ok(!frames[0]!.includes('core/errors'), frames[0]);
    });
  }

  it('passes cause to Error and sets hint only when given', () => {
    const cause = new Error('minor status 0x96c73a07');
    const err = new SPNEGOExchangeError('init_sec_context failed', { cause, hint: 'Run kinit.' });
    assert.equal(err.cause, cause);
    assert.equal(err.hint, 'Run kinit.');
    const bare = new MutualAuthenticationError('no token');
    assert.ok(!('cause' in bare));
    assert.ok(!('hint' in bare));
    assert.ok(!('response' in bare));
    assert.ok(!('request' in bare));
  });

  it('gives ChallengeParseError a position, visible in JSON', () => {
    const err = new ChallengeParseError('unterminated', { position: 12 });
    assert.equal(err.position, 12);
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      name: 'ChallengeParseError',
      code: 'ERR_CHALLENGE_PARSE',
      position: 12,
    });
  });

  it('lets a caller narrow on code', () => {
    const err: HttpGssapiError = new MutualAuthenticationError('no token');
    if (err instanceof MutualAuthenticationError) {
      const code: 'ERR_MUTUAL_AUTH' = err.code;
      assert.equal(code, 'ERR_MUTUAL_AUTH');
    } else {
      assert.fail('not narrowed');
    }
  });
});
