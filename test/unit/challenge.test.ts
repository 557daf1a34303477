import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Challenge,
  findNegotiateChallenge,
  formatNegotiateHeader,
  MAX_CHALLENGE_HEADER_LENGTH,
  type NegotiateChallenge,
  parseChallenges,
} from '../../src/core/challenge.js';
import { ChallengeParseError } from '../../src/core/errors.js';
import { hasMalformedNegotiate } from '../../src/core/malformed-negotiate.js';

/** A challenge written compactly for the tables: params as a plain object. */
interface Expected {
  scheme: string;
  token68?: string;
  params?: Record<string, string>;
}

function challenge({ scheme, token68, params = {} }: Expected): Challenge {
  return { scheme, ...(token68 === undefined ? {} : { token68 }), params: new Map(Object.entries(params)) };
}

function assertParseError(fn: () => unknown, position?: number): ChallengeParseError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ChallengeParseError, `expected a ChallengeParseError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_CHALLENGE_PARSE');
  if (position !== undefined) assert.equal(caught.position, position, caught.message);
  return caught;
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe('parseChallenges', () => {
  const wellFormed: Array<{ name: string; header: string | string[]; expected: Expected[] }> = [
    { name: 'a bare scheme', header: 'Negotiate', expected: [{ scheme: 'Negotiate' }] },
    {
      name: 'the RFC 9110 section 11.6.1 example',
      header: 'Basic realm="simple", Newauth realm="apps", type=1, title="Login to \\"apps\\""',
      expected: [
        { scheme: 'Basic', params: { realm: 'simple' } },
        { scheme: 'Newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      ],
    },
    {
      name: 'a quoted string holding a comma and the word Negotiate, then Negotiate',
      header: 'Basic realm="a, Negotiate", Negotiate abc==',
      expected: [
        { scheme: 'Basic', params: { realm: 'a, Negotiate' } },
        { scheme: 'Negotiate', token68: 'abc==' },
      ],
    },
    {
      name: 'a quoted string that looks like a whole Negotiate challenge',
      header: 'Digest realm="x, Negotiate YIIGhg==, Negotiate", nonce="n"',
      expected: [{ scheme: 'Digest', params: { realm: 'x, Negotiate YIIGhg==, Negotiate', nonce: 'n' } }],
    },
    {
      name: 'quoted-pairs: escaped quote, escaped backslash, escaped ordinary character',
      header: 'Basic realm="say \\"hi\\" \\\\ \\o\\k"',
      expected: [{ scheme: 'Basic', params: { realm: 'say "hi" \\ ok' } }],
    },
    {
      name: 'an empty quoted string and obs-text',
      header: 'Basic realm="", charset="caf\u00e9"',
      expected: [{ scheme: 'Basic', params: { realm: '', charset: 'caf\u00e9' } }],
    },
    {
      name: 'a token68 with two, one or no padding characters',
      header: 'A YQ==, B YWI=, C YWJj',
      expected: [
        { scheme: 'A', token68: 'YQ==' },
        { scheme: 'B', token68: 'YWI=' },
        { scheme: 'C', token68: 'YWJj' },
      ],
    },
    {
      name: 'a token68 using every non-alphanumeric token68 character',
      header: 'Bearer a-b.c_d~e+f/g==',
      expected: [{ scheme: 'Bearer', token68: 'a-b.c_d~e+f/g==' }],
    },
    {
      name: 'the scheme as sent, whatever its case',
      header: 'nEgOtIaTe YIIGhg=',
      expected: [{ scheme: 'nEgOtIaTe', token68: 'YIIGhg=' }],
    },
    {
      name: 'empty list elements and OWS around commas (RFC 9110 section 5.6.1)',
      header: ' , ,\tNegotiate , ,, Basic realm="x" ,  , charset=UTF-8 ,',
      expected: [{ scheme: 'Negotiate' }, { scheme: 'Basic', params: { realm: 'x', charset: 'UTF-8' } }],
    },
    {
      name: 'BWS around "=" (RFC 9110 section 11.2)',
      header: 'Basic realm = "x" ,charset\t=\tUTF-8',
      expected: [{ scheme: 'Basic', params: { realm: 'x', charset: 'UTF-8' } }],
    },
    {
      name: 'parameter names lower-cased, values kept',
      header: 'Basic REALM="MiXeD", CharSet=UTF-8',
      expected: [{ scheme: 'Basic', params: { realm: 'MiXeD', charset: 'UTF-8' } }],
    },
    {
      name: 'several spaces or a tab after the scheme',
      header: 'Negotiate   YQ==, Basic\trealm=x',
      expected: [
        { scheme: 'Negotiate', token68: 'YQ==' },
        { scheme: 'Basic', params: { realm: 'x' } },
      ],
    },
    {
      name: 'auth-params after the scheme and a comma with no space (relaxation)',
      header: 'Basic,realm=x',
      expected: [{ scheme: 'Basic', params: { realm: 'x' } }],
    },
    {
      name: 'a bare token after params starts a new challenge',
      header: 'Basic realm=x, NTLM, Negotiate',
      expected: [{ scheme: 'Basic', params: { realm: 'x' } }, { scheme: 'NTLM' }, { scheme: 'Negotiate' }],
    },
    {
      name: 'Negotiate with auth-params (not in RFC 4559, parsed as params)',
      header: 'Negotiate realm="x"',
      expected: [{ scheme: 'Negotiate', params: { realm: 'x' } }],
    },
    {
      name: '"name=" alone as a token68, since an auth-param value cannot be empty',
      header: 'Basic realm=, Negotiate',
      expected: [{ scheme: 'Basic', token68: 'realm=' }, { scheme: 'Negotiate' }],
    },
    {
      name: 'a token68 that is also a token',
      header: 'Negotiate abc',
      expected: [{ scheme: 'Negotiate', token68: 'abc' }],
    },
    {
      name: 'several header lines, in order',
      header: ['Basic realm="x"', 'Negotiate YIIGhg==', 'NTLM'],
      expected: [
        { scheme: 'Basic', params: { realm: 'x' } },
        { scheme: 'Negotiate', token68: 'YIIGhg==' },
        { scheme: 'NTLM' },
      ],
    },
    {
      name: 'lines combined with ", " as RFC 9110 section 5.3 says, so params may continue',
      header: ['Basic realm="x"', 'charset=UTF-8', '', 'Negotiate'],
      expected: [{ scheme: 'Basic', params: { realm: 'x', charset: 'UTF-8' } }, { scheme: 'Negotiate' }],
    },
    { name: 'an empty value', header: '', expected: [] },
    { name: 'only whitespace and commas', header: ' \t, ,', expected: [] },
    { name: 'no lines', header: [], expected: [] },
  ];

  for (const { name, header, expected } of wellFormed) {
    it(`parses ${name}`, () => {
      const want = expected.map(challenge);
      assert.deepEqual(parseChallenges(header), want);
      assert.deepEqual(parseChallenges(header, { mode: 'lenient' }), want);
    });
  }

  const malformed: Array<{ name: string; header: string | string[]; position: number; lenient: Expected[] }> =
    [
      {
        name: 'an unterminated quoted string',
        header: 'Basic realm="unterminated',
        position: 12,
        lenient: [],
      },
      {
        name: 'a quoted string ending in a backslash',
        header: 'Basic realm="x\\',
        position: 12,
        lenient: [],
      },
      {
        name: 'a second token after a token68',
        header: 'Negotiate abc def, Basic realm=x',
        position: 14,
        lenient: [{ scheme: 'Basic', params: { realm: 'x' } }],
      },
      {
        name: 'an auth-param before any scheme',
        header: 'realm=x, Negotiate',
        position: 0,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'an auth-param after a token68 (the token68 challenge survives in lenient mode)',
        header: 'Negotiate abc==, realm=x, Basic',
        position: 17,
        lenient: [{ scheme: 'Negotiate', token68: 'abc==' }, { scheme: 'Basic' }],
      },
      {
        name: 'a repeated auth-param name, matched case-insensitively',
        header: 'Basic realm=x, REALM=y, Negotiate',
        position: 15,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'a missing auth-param value',
        header: 'Basic realm=x, charset=, Negotiate',
        position: 23,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'a control character in a quoted string hiding a Negotiate',
        header: 'Basic realm="a\u0001, Negotiate abc", Negotiate YQ==',
        position: 14,
        lenient: [{ scheme: 'Negotiate', token68: 'YQ==' }],
      },
      {
        name: 'junk after an auth-param value, and the params after it',
        header: 'Basic realm=x junk, charset=y, Negotiate',
        position: 14,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'a list element that is no token (ignored alone in lenient mode)',
        header: 'Basic realm=x, =junk, charset=y',
        position: 15,
        lenient: [{ scheme: 'Basic', params: { realm: 'x', charset: 'y' } }],
      },
      {
        name: 'a quoted string in place of a scheme',
        header: '"Negotiate YQ==", Negotiate',
        position: 0,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'a token followed by BWS "=", an auth-param (here before any scheme), not a challenge',
        header: 'Negotiate =abc, NTLM',
        position: 0,
        lenient: [{ scheme: 'NTLM' }],
      },
      {
        name: 'a token68-like run followed by more text',
        header: 'Negotiate a/b=c, NTLM',
        position: 11,
        lenient: [{ scheme: 'NTLM' }],
      },
      {
        name: 'a character above U+00FF (not from an HTTP header)',
        header: 'Basic realm=\u0100, Negotiate',
        position: 12,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'a quoted string right after the scheme',
        header: 'Basic"x", Negotiate',
        position: 5,
        lenient: [{ scheme: 'Negotiate' }],
      },
      {
        name: 'junk skipped up to a comma outside quotes',
        header: 'Foo x y="a, Negotiate fake", Negotiate YQ==',
        position: 6,
        lenient: [{ scheme: 'Negotiate', token68: 'YQ==' }],
      },
      {
        name: 'a stray quote, which swallows the rest while skipping (documented)',
        header: 'Foo a"b, Negotiate YQ==',
        position: 5,
        lenient: [],
      },
      {
        name: 'an error in the second line, positioned in the joined value',
        header: ['Negotiate', 'Basic realm="x'],
        position: 23,
        lenient: [{ scheme: 'Negotiate' }],
      },
    ];

  for (const { name, header, position, lenient } of malformed) {
    it(`rejects ${name} at its position, and recovers in lenient mode`, () => {
      const err = assertParseError(() => parseChallenges(header), position);
      assert.match(err.message, new RegExp(`at position ${position}\\b`));
      assert.deepEqual(parseChallenges(header, { mode: 'lenient' }), lenient.map(challenge));
    });
  }

  it('refuses a value over 64 KiB, in both modes, and accepts one of exactly 64 KiB', () => {
    assert.equal(MAX_CHALLENGE_HEADER_LENGTH, 65536);
    const limit = `Negotiate ${'A'.repeat(MAX_CHALLENGE_HEADER_LENGTH - 10)}`;
    assert.equal(parseChallenges(limit).length, 1);
    assertParseError(() => parseChallenges(`${limit}=`), MAX_CHALLENGE_HEADER_LENGTH);
    assertParseError(() => parseChallenges(`${limit}=`, { mode: 'lenient' }), MAX_CHALLENGE_HEADER_LENGTH);
    // Lines count with the ", " that joins them.
    const half = 'a'.repeat(MAX_CHALLENGE_HEADER_LENGTH / 2 - 1);
    assert.equal(parseChallenges([half, half]).length, 2);
    assertParseError(() => parseChallenges([half, `${half}a`]), MAX_CHALLENGE_HEADER_LENGTH);
  });

  it('throws TypeError for a header that is not a string or string array, or a bad mode', () => {
    assert.throws(() => parseChallenges(42 as never), TypeError);
    assert.throws(() => parseChallenges(['Negotiate', 42] as never), TypeError);
    assert.throws(() => parseChallenges('Negotiate', { mode: 'loose' as never }), /options\.mode/);
  });

  it('never quotes the header in its messages, only single characters', () => {
    const secret = 'c2VjcmV0LXRva2VuLWRvLW5vdC1sb2c';
    const err = assertParseError(() => parseChallenges(`Negotiate ${secret} x`));
    assert.ok(!err.message.includes(secret.slice(0, 7)), err.message);
  });
});

describe('findNegotiateChallenge', () => {
  const cases: Array<{
    name: string;
    header: string | string[] | null | undefined;
    expected: NegotiateChallenge | null;
  }> = [
    { name: 'null', header: null, expected: null },
    { name: 'undefined', header: undefined, expected: null },
    { name: 'an empty value', header: '', expected: null },
    { name: 'no Negotiate challenge', header: 'Basic realm="x", NTLM', expected: null },
    { name: 'a bare Negotiate', header: 'Negotiate', expected: { token: null } },
    {
      name: 'a token, scheme in any case',
      header: 'nEgOtIaTe YIIGhg==',
      expected: { token: bytes(0x60, 0x82, 0x06, 0x86), raw: 'YIIGhg==' },
    },
    {
      name: 'the first of two Negotiate challenges',
      header: 'Negotiate YQ==, Negotiate YWI=',
      expected: { token: bytes(0x61), raw: 'YQ==' },
    },
    {
      name: 'Negotiate after a Basic whose realm holds a fake Negotiate',
      header: 'Basic realm="Negotiate YIIGhg==, Negotiate YQ==", Negotiate',
      expected: { token: null },
    },
    {
      name: 'nothing when Negotiate appears only inside a quoted string',
      header: 'Basic realm="a, Negotiate YQ==, b"',
      expected: null,
    },
    {
      name: 'Negotiate with params as a bare Negotiate (RFC 4559 defines none)',
      header: 'Negotiate realm="x", Basic',
      expected: { token: null },
    },
    {
      name: 'Negotiate in a later header line',
      header: ['Basic realm="x"', 'NTLM', 'Negotiate oQcwBaADCgEA'],
      expected: { token: bytes(0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00), raw: 'oQcwBaADCgEA' },
    },
    {
      name: 'Negotiate after a malformed other challenge',
      header: 'Bogus a b c, Negotiate YQ==',
      expected: { token: bytes(0x61), raw: 'YQ==' },
    },
    {
      name: 'Negotiate after a stray auth-param and a control character in a realm',
      header: 'x=y, Basic realm="a\u0001", Negotiate YQ==',
      expected: { token: bytes(0x61), raw: 'YQ==' },
    },
    {
      name: 'a well-formed Negotiate after a malformed one (the malformed one is dropped)',
      header: 'Negotiate abc def, Negotiate YQ==',
      expected: { token: bytes(0x61), raw: 'YQ==' },
    },
    {
      name: 'a valid first Negotiate despite an invalid second one',
      header: 'Negotiate YQ==, Negotiate a-b',
      expected: { token: bytes(0x61), raw: 'YQ==' },
    },
  ];

  for (const { name, header, expected } of cases) {
    it(`finds ${name}`, () => {
      assert.deepEqual(findNegotiateChallenge(header), expected);
    });
  }

  const notBase64: Array<{ name: string; token: string }> = [
    { name: 'a length that is not a multiple of 4', token: 'abc' },
    { name: 'the URL-safe alphabet', token: 'YIIG-g__' },
    { name: 'missing padding', token: 'YIIGhg' },
    { name: 'too much padding', token: 'YIIGhg===' },
    { name: 'padding after one character', token: 'YIIGh===' },
    { name: 'non-zero padding bits (non-canonical)', token: 'YIIGhh==' },
    { name: 'other token68 characters', token: 'a.b~' },
  ];

  for (const { name, token } of notBase64) {
    it(`throws ChallengeParseError for a token with ${name}`, () => {
      const err = assertParseError(() => findNegotiateChallenge(`Basic realm=x, Negotiate ${token}`), 25);
      assert.ok(!err.message.includes(token.slice(0, 7)) || token.length <= 6, err.message);
      assert.ok(err.hint !== undefined);
    });
  }

  it('throws for an invalid first Negotiate token even when a later one is valid', () => {
    assertParseError(() => findNegotiateChallenge('Negotiate abc, Negotiate YQ=='), 10);
  });

  it('never puts more than 6 characters of a bad token in the message', () => {
    const token = `${'YIIGhgYGKwYBBQUCoIIGejCCBnag'.repeat(4)}-`;
    const err = assertParseError(() => findNegotiateChallenge(`Negotiate ${token}`), 10);
    assert.ok(err.message.includes('YIIGhg…'), err.message);
    assert.ok(!err.message.includes(token.slice(0, 7)), err.message);
  });

  it('returns a token with its own ArrayBuffer, not a view of a shared pool', () => {
    const found = findNegotiateChallenge('Negotiate YIIGhg==');
    assert.ok(found?.token);
    assert.equal(found.token.constructor, Uint8Array);
    assert.equal(found.token.buffer.byteLength, found.token.byteLength);
  });

  it('refuses a value over 64 KiB with ChallengeParseError', () => {
    assertParseError(() => findNegotiateChallenge(' '.repeat(MAX_CHALLENGE_HEADER_LENGTH + 1)));
  });
});

describe('formatNegotiateHeader', () => {
  it('writes "Negotiate" and the padded base64 of the token', () => {
    assert.equal(formatNegotiateHeader(bytes(0x60, 0x82, 0x06, 0x86)), 'Negotiate YIIGhg==');
    assert.equal(formatNegotiateHeader(bytes(0x61, 0x62)), 'Negotiate YWI=');
  });

  it('encodes only the view, not the whole underlying buffer', () => {
    const backing = bytes(0xff, 0x60, 0x82, 0x06, 0x86, 0xff);
    assert.equal(formatNegotiateHeader(backing.subarray(1, 5)), 'Negotiate YIIGhg==');
  });

  it('refuses an empty token or a non-Uint8Array', () => {
    assert.throws(() => formatNegotiateHeader(new Uint8Array(0)), TypeError);
    assert.throws(() => formatNegotiateHeader('YQ==' as never), TypeError);
  });

  it('round-trips through findNegotiateChallenge', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (token) => {
        assert.deepEqual(findNegotiateChallenge(formatNegotiateHeader(token))?.token, new Uint8Array(token));
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based tests
// ---------------------------------------------------------------------------------------------

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TCHARS = [...`${ALPHANUMERIC}!#$%&'*+-.^_\`|~`];
const TOKEN68_CHARS = [...`${ALPHANUMERIC}-._~+/`];
/** Everything a quoted string can carry, escaped or not: HTAB, SP, VCHAR, obs-text. */
const QUOTABLE = [
  '\t',
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  ...Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)),
];

const tokenArb = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
const token68Arb = fc
  .tuple(fc.string({ unit: fc.constantFrom(...TOKEN68_CHARS), minLength: 1, maxLength: 24 }), fc.nat(2))
  .map(([body, padding]) => body + '='.repeat(padding));
const owsArb = fc.constantFrom('', '', ' ', '\t', '  ', ' \t ');
const spArb = fc.constantFrom(' ', ' ', '  ', '\t');
const separatorArb = fc
  .tuple(owsArb, fc.nat(2), owsArb)
  .map(([before, empties, after]) => `${before},${`${after},`.repeat(empties)}${after}`);
const isToken = (value: string) => value.length > 0 && [...value].every((c) => TCHARS.includes(c));

/** An auth-param value and how to write it: as a token when it is one and the coin says so. */
const paramValueArb = fc
  .record({
    value: fc.oneof(tokenArb, fc.string({ unit: fc.constantFrom(...QUOTABLE), maxLength: 16 })),
    asToken: fc.boolean(),
    escapeAll: fc.boolean(),
  })
  .map(({ value, asToken, escapeAll }) => {
    if (asToken && isToken(value)) return { value, text: value };
    const escaped = [...value].map((c) => (escapeAll || c === '"' || c === '\\' ? `\\${c}` : c)).join('');
    return { value, text: `"${escaped}"` };
  });

const paramArb = fc
  .record({ name: tokenArb, value: paramValueArb, before: owsArb, after: owsArb })
  .map(({ name, value, before, after }) => ({
    name,
    value: value.value,
    text: `${name}${before}=${after}${value.text}`,
  }));

const challengeArb = fc.record({
  scheme: tokenArb,
  sp: spArb,
  body: fc.oneof(
    fc.constant(null),
    token68Arb,
    fc.uniqueArray(paramArb, { minLength: 1, maxLength: 4, selector: (p) => p.name.toLowerCase() }),
  ),
});

/**
 * A challenge list generated from the RFC 9110 grammar, with its expected parse and its text as
 * header lines: list elements joined by random separators (OWS, empty elements), and split
 * into lines at random element boundaries.
 */
const challengeListArb = fc.array(challengeArb, { maxLength: 5 }).chain((challenges) => {
  const elements: string[] = [];
  const expected: Challenge[] = [];
  for (const { scheme, sp, body } of challenges) {
    if (body === null) {
      elements.push(scheme);
      expected.push({ scheme, params: new Map() });
    } else if (typeof body === 'string') {
      elements.push(`${scheme}${sp}${body}`);
      expected.push({ scheme, token68: body, params: new Map() });
    } else {
      elements.push(`${scheme}${sp}${body[0]!.text}`, ...body.slice(1).map((p) => p.text));
      expected.push({ scheme, params: new Map(body.map((p) => [p.name.toLowerCase(), p.value])) });
    }
  }
  const count = elements.length;
  return fc
    .record({
      separators: fc.array(separatorArb, { minLength: count + 1, maxLength: count + 1 }),
      lineBreaks: fc.array(fc.boolean(), { minLength: count, maxLength: count }),
      leading: fc.boolean(),
    })
    .map(({ separators, lineBreaks, leading }) => {
      const lines: string[] = [];
      let line = leading ? separators[count]! : '';
      elements.forEach((element, i) => {
        if (i > 0) {
          if (lineBreaks[i]) {
            lines.push(line);
            line = '';
          } else {
            line += separators[i]!;
          }
        }
        line += element;
      });
      lines.push(line);
      return { lines, expected };
    });
});

/** Header-ish fragments, so that random strings hit the interesting states often. */
const FRAGMENTS = [
  'Negotiate',
  'negotiate',
  'Basic',
  ' ',
  '  ',
  '\t',
  ',',
  ', ',
  '"',
  '\\',
  '\\"',
  '=',
  '==',
  'realm',
  'YIIGhg==',
  'YQ==',
  'abc',
  'a-b',
  '/',
  '\u0000',
  '\u007f',
  '\u00e9',
  '\u0100',
  '\ud83d',
  '😀',
];
const headerishArb = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 })
  .map((parts) => parts.join(''));
const anyHeaderArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...QUOTABLE, ',', '\u0000', '\u00ff'), maxLength: 60 }),
  headerishArb,
  challengeListArb.map(({ lines }) => lines.join(', ')),
);
const anyHeaderOrLinesArb = fc.oneof(anyHeaderArb, fc.array(anyHeaderArb, { maxLength: 4 }));

/** Independent oracle: a string is canonical padded base64 iff Buffer round-trips it exactly. */
const isCanonicalBase64 = (text: string) => Buffer.from(text, 'base64').toString('base64') === text;

function outcome<T>(fn: () => T): { value: T } | { error: unknown } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

describe('properties', () => {
  it('parseChallenges returns or throws ChallengeParseError, for any input; lenient never throws', () => {
    fc.assert(
      fc.property(anyHeaderOrLinesArb, (header) => {
        const strict = outcome(() => parseChallenges(header));
        const lenient = parseChallenges(header, { mode: 'lenient' });
        if ('error' in strict) {
          assert.ok(strict.error instanceof ChallengeParseError, String(strict.error));
          assert.equal(strict.error.code, 'ERR_CHALLENGE_PARSE');
        } else {
          // Where strict parsing succeeds, lenient parsing agrees with it.
          assert.deepEqual(lenient, strict.value);
        }
        for (const c of lenient) {
          assert.ok(isToken(c.scheme));
          assert.ok(c.token68 === undefined || c.params.size === 0);
          for (const key of c.params.keys()) assert.equal(key, key.toLowerCase());
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('findNegotiateChallenge returns the first lenient Negotiate, or throws ChallengeParseError for bad base64', () => {
    fc.assert(
      fc.property(anyHeaderOrLinesArb, (header) => {
        const found = outcome(() => findNegotiateChallenge(header));
        const first = parseChallenges(header, { mode: 'lenient' }).find(
          (c) => c.scheme.toLowerCase() === 'negotiate',
        );
        if (first === undefined) {
          assert.deepEqual(found, { value: null });
        } else if (first.token68 === undefined) {
          assert.deepEqual(found, { value: { token: null } });
        } else if (isCanonicalBase64(first.token68)) {
          const token = new Uint8Array(Buffer.from(first.token68, 'base64'));
          assert.deepEqual(found, { value: { token, raw: first.token68 } });
        } else {
          assert.ok('error' in found && found.error instanceof ChallengeParseError, String(found));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips challenge lists generated from the grammar', () => {
    fc.assert(
      fc.property(challengeListArb, ({ lines, expected }) => {
        assert.deepEqual(parseChallenges(lines), expected);
        assert.deepEqual(parseChallenges(lines.join(', ')), expected);
        assert.deepEqual(parseChallenges(lines, { mode: 'lenient' }), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('finds a well-formed Negotiate after any junk that has no quote or comma', () => {
    const junkArb = fc
      .oneof(headerishArb, fc.string({ unit: 'binary', maxLength: 30 }))
      .filter((junk) => !junk.includes('"') && !junk.includes(',') && !/negotiate/i.test(junk));
    fc.assert(
      fc.property(junkArb, fc.uint8Array({ minLength: 1, maxLength: 40 }), (junk, token) => {
        const found = findNegotiateChallenge(`${junk}, ${formatNegotiateHeader(token)}`);
        assert.deepEqual(found?.token, new Uint8Array(token));
      }),
      { numRuns: 1000 },
    );
  });

  it('never finds a Negotiate challenge inside a quoted string', () => {
    const valueArb = fc.string({ unit: fc.constantFrom(...QUOTABLE, 'Negotiate YQ==', ', '), maxLength: 12 });
    fc.assert(
      fc.property(valueArb, (value) => {
        const quoted = `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
        assert.equal(findNegotiateChallenge(`Basic realm=${quoted}`), null);
        assert.deepEqual(findNegotiateChallenge(`Basic realm=${quoted}, Negotiate`), { token: null });
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Linear time
// ---------------------------------------------------------------------------------------------

/**
 * Adversarial shapes: each builds a value of exactly `n` characters (or lines totalling about n)
 * that stresses one part of the scanner: runs that are rescanned after a failed lookahead,
 * recovery after many errors, quoted strings and escapes, the base64 check.
 */
const SHAPES: Record<string, (n: number) => string | string[]> = {
  quotes: (n) => '"'.repeat(n),
  commas: (n) => ','.repeat(n),
  'spaces and tabs': (n) => `Negotiate${' \t'.repeat(n)}`.slice(0, n),
  'long valid token68': (n) => `Negotiate ${'A'.repeat(n - 10)}`,
  'long token68 failing at its end': (n) => `Negotiate ${'A'.repeat(n - 11)}!`,
  'long base64 failing at its padding': (n) => `Negotiate ${'AAAA'.repeat((n - 12) / 4)}A=`,
  'equals runs': (n) => '='.repeat(n),
  'token68 then equals run then junk': (n) => `Negotiate a${'='.repeat(n - 12)}b`,
  'nested name= runs': (n) => 'a='.repeat(n / 2),
  'scheme then name= runs': (n) => `Basic ${'a='.repeat(n / 2)}`.slice(0, n),
  'unterminated quoted string': (n) => `Basic realm="${'a'.repeat(n - 13)}`,
  'escaped quotes, unterminated': (n) => `Basic realm="${'\\"'.repeat(n / 2)}`.slice(0, n),
  'quote comma runs': (n) => '"a,'.repeat(n / 3 + 1).slice(0, n),
  'many bare tokens': (n) => 'a '.repeat(n / 2),
  'many valid params': (n) => `Basic ${'a="x", '.repeat(n / 7)}`.slice(0, n),
  'many repeated params': (n) => `Basic ${'a=1, '.repeat(n / 5)}`.slice(0, n),
  'many malformed challenges': (n) => 'Negotiate abc def, '.repeat(n / 19 + 1).slice(0, n),
  'many Negotiate challenges': (n) => 'Negotiate , '.repeat(n / 12 + 1).slice(0, n),
  'control characters in quotes': (n) => 'a="\u0001, '.repeat(n / 7 + 1).slice(0, n),
  'many lines': (n) => Array.from({ length: Math.floor(n / 5) }, () => 'a b'),
};

function runAll(header: string | string[]): void {
  outcome(() => parseChallenges(header));
  parseChallenges(header, { mode: 'lenient' });
  outcome(() => findNegotiateChallenge(header));
}

/** The time to run `reps` times over `header`, in ms. */
function timeOf(header: string | string[], reps: number): number {
  const start = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) runAll(header);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

describe('linear time', () => {
  // 16 times the input in one value versus 16 values of the small size: the same number of
  // characters. Linear time gives a ratio near 1, quadratic near 16; assert < 4, far from both.
  const SMALL = 4096;
  const LARGE = 16 * SMALL;
  assert.ok(LARGE <= MAX_CHALLENGE_HEADER_LENGTH);

  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`parses ${name} in linear time`, () => {
      const small = shape(SMALL);
      const large = shape(LARGE);
      runAll(large); // warm up
      timeOf(small, 16);
      // Enough repetitions that each trial takes a few milliseconds, above timer noise.
      const once = Math.max(Math.min(timeOf(large, 1), timeOf(large, 1)), 0.05);
      const reps = Math.min(50, Math.max(1, Math.ceil(3 / once)));
      // Trials alternate between the two sizes, so that a change in machine load hits both; the
      // minimum of each is the run least disturbed by GC and other processes.
      let largeTime = Number.POSITIVE_INFINITY;
      let smallTime = Number.POSITIVE_INFINITY;
      for (let trial = 0; trial < 7; trial++) {
        largeTime = Math.min(largeTime, timeOf(large, reps));
        smallTime = Math.min(smallTime, timeOf(small, 16 * reps));
      }
      const ratio = largeTime / smallTime;
      assert.ok(
        ratio < 4,
        `${name}: ${LARGE} chars took ${largeTime.toFixed(2)} ms, 16 x ${SMALL} chars took ` +
          `${smallTime.toFixed(2)} ms (ratio ${ratio.toFixed(2)}, quadratic would be ~16)`,
      );
    });
  }
});

describe('hasMalformedNegotiate', () => {
  it('finds a Negotiate element lenient parsing dropped, not one inside a quoted string', () => {
    assert.equal(hasMalformedNegotiate('Negotiate !!not*base64!!'), true);
    assert.equal(hasMalformedNegotiate(['Basic realm="x"', 'negotiate abc def']), true);
    assert.equal(hasMalformedNegotiate('Basic realm="a, Negotiate b"'), false);
    assert.equal(hasMalformedNegotiate('NegotiateX abc'), false);
    assert.equal(hasMalformedNegotiate(null), false);
  });
});
