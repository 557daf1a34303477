import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  type AnyHttpGssapiError,
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

// The codes as the sources list them: ErrorCode's literals, its documentation table, and the
// cases of AnyHttpGssapiError's "exhaustive switch" example, so the docs cannot fall behind.
function source(file: string): string {
  return readFileSync(new URL(`../../../src/core/${file}`, import.meta.url), 'utf8');
}
const listedCodes = [
  ...(source('error-base.ts').match(/export type ErrorCode =([^;]*);/)?.[1] ?? '').matchAll(
    /'(ERR_[A-Z_]+)'/g,
  ),
].map((m) => m[1]);
const example = source('errors.ts').match(/function explain[\s\S]*?```/)?.[0] ?? '';

describe('the list of codes and its documentation', () => {
  it('ErrorCode lists twelve codes, each once', () => {
    assert.equal(listedCodes.length, 12);
    assert.equal(new Set(listedCodes).size, listedCodes.length);
  });

  it('the exhaustive switch example of AnyHttpGssapiError has a case for every code', () => {
    const cases = [...example.matchAll(/case '(ERR_[A-Z_]+)'/g)].map((m) => m[1]);
    assert.deepEqual([...cases].sort(), [...listedCodes].sort());
    assert.match(example, /const unhandled: never = err;/);
  });

  it("ErrorCode's table has a row for every code", () => {
    const table = source('error-base.ts').match(/\| code[\s\S]*?\n \*\n/)?.[0] ?? '';
    const rows = [...table.matchAll(/^ \* \| `(ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    assert.deepEqual([...rows].sort(), [...listedCodes].sort());
  });

  it('a switch over AnyHttpGssapiError with every code compiles as exhaustive (as the example)', () => {
    // The `never` assignment is the check: this file does not compile if a code is missing.
    function explain(err: AnyHttpGssapiError): string {
      switch (err.code) {
        case 'ERR_CHALLENGE_PARSE':
          return `bad header at ${err.position}`;
        case 'ERR_SPNEGO_EXCHANGE':
        case 'ERR_MUTUAL_AUTH':
        case 'ERR_BODY_NOT_REPLAYABLE':
        case 'ERR_UNDICI_LEGACY_HANDLER':
        case 'ERR_LOGIN_REFUSED':
        case 'ERR_CHANNEL_BINDING':
        case 'ERR_HEADER_TOO_LARGE':
        case 'ERR_KDC_TIMEOUT':
        case 'ERR_NTLM_NOT_ALLOWED':
        case 'ERR_TOKEN_WITHHELD':
          return err.code;
        case 'ERR_PROXY_REFUSED':
          return `the proxy answered ${err.status}`;
        default: {
          const unhandled: never = err;
          return String(unhandled);
        }
      }
    }
    assert.equal(explain(new ChallengeParseError('bad', { position: 3 })), 'bad header at 3');
    assert.equal(explain(new MutualAuthenticationError('no token')), 'ERR_MUTUAL_AUTH');
  });
});
