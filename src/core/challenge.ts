/**
 * Parsing of `WWW-Authenticate` and `Proxy-Authenticate` header values (RFC 9110 sections 11.6.1
 * and 11.7.1) and the Negotiate token they carry (RFC 4559 section 4).
 *
 * Grammar (RFC 9110 sections 11.2, 11.3 and 5.6):
 * ```
 * WWW-Authenticate = #challenge
 * challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param       = token BWS "=" BWS ( token / quoted-string )
 * token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 * #element         = [ element ] *( OWS "," OWS [ element ] )   ; empty elements ignored
 * ```
 * A comma separates both the auth-params of one challenge and the challenges of the list. The
 * ambiguity is resolved the way RFC 9110 section 11.3 intends: after an auth-scheme, a list
 * element of the form `token BWS "="` is an auth-param of the current challenge; any other
 * token starts a new challenge. Two consequences of the grammar, kept as they are:
 * `Basic realm=` alone is a token68 (`realm=`), since an auth-param value cannot be empty; and
 * `Negotiate =x` is an auth-param named `Negotiate`, since BWS may precede the `=`.
 *
 * The parser is a single forward scan over char codes with a lookup table: no regular expression
 * runs on the header, and every character is visited a bounded number of times, so time is linear
 * in the input, whatever the input (the tests check this on adversarial shapes).
 *
 * Relaxations, accepted in both modes because no reading of the header becomes ambiguous:
 * - HTAB, not only SP, may separate the auth-scheme from what follows (RFC 9110 section 5.6.3
 *   allows either wherever whitespace is optional; a few servers emit it);
 * - auth-params may follow the scheme after a comma with no space (`Basic,realm="x"`), an
 *   extension of the empty-list-element rule of RFC 9110 section 5.6.1;
 * - whitespace is tolerated before and after the whole value.
 *
 * @module
 */

import { ChallengeParseError } from './errors.js';
import { redactToken } from './redact.js';

/**
 * The longest header value (all lines together) that the parsers accept, in characters: 64 KiB.
 *
 * Why a bound: a longer value is not a real challenge (Node refuses header sections over 16 KiB
 * by default, `--max-http-header-size`), and bounding it keeps the work, the decoded token and
 * any error bounded whatever a hostile server sends. Longer values are refused with a
 * {@link ChallengeParseError} whose `position` is this limit.
 *
 * @example
 * ```ts
 * import { MAX_CHALLENGE_HEADER_LENGTH } from 'http-gssapi/adapter-kit';
 * if (value.length > MAX_CHALLENGE_HEADER_LENGTH) console.warn('oversized challenge ignored');
 * ```
 */
export const MAX_CHALLENGE_HEADER_LENGTH = 64 * 1024;

/**
 * One authentication challenge (RFC 9110 section 11.3): a scheme with either a token68 or a list
 * of auth-params.
 *
 * @example
 * ```ts
 * const [basic] = parseChallenges('Basic realm="intranet", charset="UTF-8"');
 * basic.scheme; // 'Basic'
 * basic.params.get('realm'); // 'intranet'
 * ```
 */
export interface Challenge {
  /** The auth-scheme as sent; compare case-insensitively (RFC 9110 section 11.1). */
  readonly scheme: string;
  /** The token68, as sent, when the challenge carries one (then `params` is empty). */
  readonly token68?: string;
  /**
   * The auth-params, keys lower-cased (parameter names are case-insensitive, RFC 9110
   * section 11.2), values unquoted with quoted-pairs resolved (RFC 9110 section 5.6.4).
   */
  readonly params: ReadonlyMap<string, string>;
}

/**
 * How {@link parseChallenges} treats a syntax error.
 * - `'strict'` (default): throw a {@link ChallengeParseError} at the first error.
 * - `'lenient'`: drop the challenge the error occurs in, skip to the next comma outside a quoted
 *   string, and go on (see {@link parseChallenges}).
 *
 * @example
 * ```ts
 * const mode: ChallengeParseMode = 'lenient';
 * parseChallenges('Bogus a b c, Negotiate', { mode }); // [{ scheme: 'Negotiate', params: Map(0) }]
 * ```
 */
export type ChallengeParseMode = 'strict' | 'lenient';

/**
 * Options of {@link parseChallenges}.
 *
 * @example
 * ```ts
 * const options: ParseChallengesOptions = { mode: 'lenient' };
 * ```
 */
export interface ParseChallengesOptions {
  /** What to do on a syntax error; `'strict'` by default. */
  mode?: ChallengeParseMode;
}

/**
 * The Negotiate challenge of a response (RFC 4559 section 4).
 *
 * @example
 * ```ts
 * const negotiate = findNegotiateChallenge(response.headers.get('www-authenticate'));
 * if (negotiate?.token) await context.step(negotiate.token); // mutual authentication / next leg
 * ```
 */
export interface NegotiateChallenge {
  /**
   * The decoded GSSAPI token, or `null` for a bare `Negotiate` (the server asks the client to
   * start) and for a Negotiate challenge written with auth-params, which RFC 4559 does not define.
   */
  readonly token: Uint8Array | null;
  /** The token as sent (base64), present exactly when `token` is; log it via `redactToken` only. */
  readonly raw?: string;
}

/**
 * Parses a `WWW-Authenticate` or `Proxy-Authenticate` header value into its challenges, in order.
 *
 * Several header lines (an array, as from Node's `rawHeaders` or `Headers.getSetCookie`-style
 * APIs) are parsed as their concatenation with `", "`, which RFC 9110 section 5.3 makes
 * equivalent. An empty value or an empty array gives `[]`.
 *
 * In `'lenient'` mode (real servers and proxies send garbage) a syntax error never stops the parse:
 * - a challenge with an error in its token68 or in its auth-param list (a bad value, a repeated
 *   name, junk after a value) is dropped whole, and the auth-params after the error are
 *   discarded up to the next auth-scheme;
 * - a list element that is neither a challenge nor an auth-param (it does not start with a
 *   token: `=x`, `"x"`, `/x`) is ignored like an empty element, and so is an auth-param that
 *   can belong to no challenge (before any auth-scheme, or after a token68, which ends its
 *   challenge); the challenges around it are kept;
 * - after an error, parsing resumes after the next comma outside a quoted string. Any `"` met
 *   while skipping opens a quoted string, so a comma or a `Negotiate` inside a quoted string is
 *   never taken for the start of a challenge.
 *
 * Lenient mode throws only for a value longer than {@link MAX_CHALLENGE_HEADER_LENGTH}.
 *
 * Beyond the grammar, both modes reject a repeated auth-param name in one challenge
 * (RFC 9110 section 11.2: "each parameter name MUST only occur once per challenge"), an
 * auth-param after a token68, and an auth-param before any auth-scheme.
 *
 * @param header - the header value, or its lines in order.
 * @param options - `mode`: `'strict'` (default) or `'lenient'`.
 * @returns the challenges; parameter names lower-cased.
 * @throws {@link ChallengeParseError} on a syntax error (strict mode) or a value longer than
 *   {@link MAX_CHALLENGE_HEADER_LENGTH}; `TypeError` if `header` is not a string or string array.
 *
 * @example
 * ```ts
 * import { parseChallenges } from 'http-gssapi/adapter-kit';
 * parseChallenges('Basic realm="a, Negotiate", Negotiate YIIGhg==');
 * // [ { scheme: 'Basic', params: Map { 'realm' => 'a, Negotiate' } },
 * //   { scheme: 'Negotiate', token68: 'YIIGhg==', params: Map {} } ]
 * parseChallenges(['Negotiate', 'NTLM']).map((c) => c.scheme); // ['Negotiate', 'NTLM']
 * ```
 */
export function parseChallenges(
  header: string | readonly string[],
  options: ParseChallengesOptions = {},
): Challenge[] {
  const mode = options.mode ?? 'strict';
  if (mode !== 'strict' && mode !== 'lenient') {
    throw new TypeError(`options.mode must be 'strict' or 'lenient', got ${String(mode)}`);
  }
  return new ChallengeScanner(joinHeaderLines(header), mode === 'lenient').run().map((c) => c.challenge);
}

/**
 * Finds the first `Negotiate` challenge (scheme matched case-insensitively, RFC 9110 section
 * 11.1) in a `WWW-Authenticate` or `Proxy-Authenticate` header value and decodes its token.
 *
 * Parsing is lenient (see {@link parseChallenges}): servers send malformed challenges for other
 * schemes, and one must not hide a well-formed Negotiate challenge. A `Negotiate` that is itself
 * malformed (say `Negotiate abc def`) is dropped like any other, so it is as if it were absent.
 * A Negotiate challenge with auth-params instead of a token68 (not defined by RFC 4559) counts
 * as a bare `Negotiate`: its params are ignored and `token` is `null`.
 *
 * The token must be base64 as RFC 4559 section 4 requires: the RFC 4648 section 4 alphabet, with
 * the padding that makes its length a multiple of 4, and canonical (zero) padding bits. Node's
 * `Buffer.from(…, 'base64')` silently skips invalid characters and accepts missing padding, so
 * it is only used after that check.
 *
 * @param header - the header value, its lines, or `null`/`undefined` when absent.
 * @returns the first Negotiate challenge, or `null` when there is none.
 * @throws {@link ChallengeParseError} only when the first Negotiate challenge's token is not
 *   valid base64 (so the caller can refuse it with a coded error), or when the value is longer
 *   than {@link MAX_CHALLENGE_HEADER_LENGTH}; never for other malformed content.
 *
 * @example
 * ```ts
 * import { findNegotiateChallenge } from 'http-gssapi/adapter-kit';
 * findNegotiateChallenge('Basic realm="x", Negotiate'); // { token: null }
 * findNegotiateChallenge('nEgOtIaTe YIIGhg=='); // { token: Uint8Array [96, 130, 6, 134], raw: 'YIIGhg==' }
 * findNegotiateChallenge(null); // null
 * ```
 */
export function findNegotiateChallenge(
  header: string | readonly string[] | null | undefined,
): NegotiateChallenge | null {
  if (header === null || header === undefined) return null;
  for (const { challenge, token68Position } of new ChallengeScanner(joinHeaderLines(header), true).run()) {
    if (!isNegotiate(challenge.scheme)) continue;
    const raw = challenge.token68;
    if (raw === undefined) return { token: null };
    const token = decodeBase64Strict(raw);
    if (token === null) {
      throw new ChallengeParseError(
        `Negotiate token ${redactToken(raw)} at position ${token68Position} is not valid base64 ` +
          '(RFC 4559 section 4)',
        {
          position: token68Position,
          hint: 'The server or a proxy in between sent a corrupted Negotiate token.',
        },
      );
    }
    return { token, raw };
  }
  return null;
}

/**
 * Formats the `Authorization` (or `Proxy-Authorization`) header value that carries a GSSAPI
 * token: `Negotiate <base64>` (RFC 4559 section 4).
 *
 * @param token - the token from the security context; must not be empty.
 * @returns `'Negotiate '` followed by the padded base64 of `token`.
 * @throws `TypeError` if `token` is not a non-empty `Uint8Array`.
 *
 * @example
 * ```ts
 * import { formatNegotiateHeader } from 'http-gssapi/adapter-kit';
 * headers.set('authorization', formatNegotiateHeader(await context.step()));
 * formatNegotiateHeader(new Uint8Array([0x60, 0x82, 0x06, 0x86])); // 'Negotiate YIIGhg=='
 * ```
 */
export function formatNegotiateHeader(token: Uint8Array): string {
  if (!(token instanceof Uint8Array)) throw new TypeError('token must be a Uint8Array');
  // An empty token would give 'Negotiate ' with a trailing space, which is no valid credentials
  // (RFC 9110 section 11.4); a bare 'Negotiate' is never sent by a client.
  if (token.byteLength === 0) throw new TypeError('token must not be empty');
  return `Negotiate ${Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('base64')}`;
}

// ---------------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------------

const TAB = 0x09;
const SPACE = 0x20;
const DQUOTE = 0x22;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

/** tchar (RFC 9110 section 5.6.2). */
const TCHAR = 1;
/** token68 characters before the `=` padding (RFC 9110 section 11.2). */
const TOKEN68 = 2;
/** qdtext: what a quoted-string holds unescaped (RFC 9110 section 5.6.4). */
const QDTEXT = 4;
/** What may follow a backslash in a quoted-pair (RFC 9110 section 5.6.4). */
const QUOTED_PAIR = 8;

/**
 * Character classes for the 256 possible char codes of a header value (Node and fetch decode
 * header bytes as latin1, so obs-text is 0x80-0xFF); any code above 0xFF has no class.
 */
const CHAR_CLASS = buildCharClasses();

function buildCharClasses(): Uint8Array {
  const classes = new Uint8Array(256);
  const tcharSymbols = "!#$%&'*+-.^_`|~";
  const token68Symbols = '-._~+/';
  for (let c = 0; c < 256; c++) {
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    const char = String.fromCharCode(c);
    let flags = 0;
    if (alnum || tcharSymbols.includes(char)) flags |= TCHAR;
    if (alnum || token68Symbols.includes(char)) flags |= TOKEN68;
    const escapable = c === TAB || c === SPACE || (c >= 0x21 && c <= 0x7e) || c >= 0x80; // VCHAR, obs-text
    // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
    if (escapable) flags |= QUOTED_PAIR;
    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text: the same minus DQUOTE and "\"
    if (escapable && c !== DQUOTE && c !== BACKSLASH) flags |= QDTEXT;
    classes[c] = flags;
  }
  return classes;
}

function hasClass(code: number, flag: number): boolean {
  // NaN (past the end) and codes above 0xFF fail the bounds test.
  return code < 256 && (CHAR_CLASS[code]! & flag) !== 0;
}

interface MutableChallenge {
  scheme: string;
  token68?: string;
  params: Map<string, string>;
}

/** A parsed challenge with where its token68 starts, for error positions. */
interface ScannedChallenge {
  readonly challenge: MutableChallenge;
  token68Position: number;
}

interface SyntaxFailure {
  readonly position: number;
  readonly reason: string;
  /** Whether `position` is inside a quoted string, so that recovery knows where commas count. */
  readonly inQuotedString: boolean;
  /**
   * Whether the error is confined to its own list element, which lenient mode then ignores, or
   * spoils the challenge being parsed, which lenient mode then drops.
   */
  readonly elementOnly: boolean;
}

/**
 * A single-use, forward-only scanner over one header value. Methods return `false` (or
 * `undefined` for values) after recording the failure; `run` either throws it (strict) or
 * recovers from it (lenient).
 */
class ChallengeScanner {
  private pos = 0;
  private readonly end: number;
  private readonly out: ScannedChallenge[] = [];
  /** The challenge that auth-params attach to: the last one in `out`, or null. */
  private current: ScannedChallenge | null = null;
  /** After a dropped challenge (lenient): auth-params are parsed, then thrown away. */
  private discarding = false;
  private failure: SyntaxFailure | null = null;

  constructor(
    private readonly text: string,
    private readonly lenient: boolean,
  ) {
    this.end = text.length;
  }

  run(): ScannedChallenge[] {
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.end) return this.out;
      // RFC 9110 section 5.6.1: empty list elements are allowed and ignored.
      if (this.at() === COMMA) {
        this.pos++;
        continue;
      }
      if (this.element() && this.elementEnd()) continue;
      const failure = this.failure!;
      if (!this.lenient) {
        throw new ChallengeParseError(
          `Malformed authentication challenge: ${failure.reason} at position ${failure.position} ` +
            '(RFC 9110 section 11.6.1)',
          { position: failure.position },
        );
      }
      this.recover(failure);
    }
  }

  /** One list element: a challenge start (`scheme …`) or an auth-param (`name = value`). */
  private element(): boolean {
    const start = this.pos;
    const name = this.token();
    if (name === '') {
      // Neither a challenge nor an auth-param: junk of its own (lenient mode ignores it).
      return this.fail(start, `expected an auth-scheme, found ${describe(this.at())}`, { elementOnly: true });
    }
    const afterName = this.pos;
    this.skipWhitespace(); // BWS before "="
    if (this.at() === EQUALS) return this.authParam(name, start);
    this.pos = afterName;
    return this.challenge(name);
  }

  /** After a list element: only OWS, then "," or the end. The comma is left for `run`. */
  private elementEnd(): boolean {
    this.skipWhitespace();
    if (this.pos >= this.end || this.at() === COMMA) return true;
    return this.fail(this.pos, `expected ',' or the end, found ${describe(this.at())}`);
  }

  /** `scheme [ 1*SP ( token68 / auth-param ) ]`; the scheme has been read. */
  private challenge(scheme: string): boolean {
    const scanned: ScannedChallenge = { challenge: { scheme, params: new Map() }, token68Position: -1 };
    this.out.push(scanned);
    this.current = scanned;
    this.discarding = false;

    const afterScheme = this.pos;
    this.skipWhitespace();
    // No whitespace: the scheme stands alone; `elementEnd` checks what follows.
    if (this.pos === afterScheme || this.pos >= this.end || this.at() === COMMA) return true;

    // A token68 is a whole list element: its characters, its "=" padding, then "," or the end.
    // Anything else after the run (such as "=value") means it was an auth-param name.
    const token68Start = this.pos;
    while (hasClass(this.at(), TOKEN68)) this.pos++;
    if (this.pos > token68Start) {
      while (this.at() === EQUALS) this.pos++;
      const token68End = this.pos;
      this.skipWhitespace();
      if (this.pos >= this.end || this.at() === COMMA) {
        scanned.challenge.token68 = this.text.slice(token68Start, token68End);
        scanned.token68Position = token68Start;
        return true;
      }
      this.pos = token68Start;
    }

    const name = this.token();
    if (name === '') {
      return this.fail(token68Start, `expected a token68 or an auth-param, found ${describe(this.at())}`);
    }
    this.skipWhitespace();
    if (this.at() !== EQUALS) {
      return this.fail(
        this.pos,
        `expected ',' after a token68 or '=' after an auth-param name, found ${describe(this.at())}`,
      );
    }
    return this.authParam(name, token68Start);
  }

  /** `name BWS "=" BWS ( token / quoted-string )`, positioned on "="; `start` is the name's. */
  private authParam(name: string, start: number): boolean {
    const owner = this.current;
    if (!this.discarding) {
      // Such a param belongs to no challenge (a token68 ends its challenge, RFC 9110 section 11.3),
      // so it spoils none: lenient mode ignores it alone.
      if (owner === null) {
        return this.fail(start, 'found an auth-param before any auth-scheme', { elementOnly: true });
      }
      if (owner.challenge.token68 !== undefined) {
        return this.fail(start, 'found an auth-param after a token68', { elementOnly: true });
      }
    }
    this.pos++; // "="
    this.skipWhitespace();
    const value = this.at() === DQUOTE ? this.quotedString() : this.token();
    if (value === undefined) return false; // a bad quoted-string; "" itself is a valid value
    if (value === '' && this.text.charCodeAt(this.pos - 1) !== DQUOTE) {
      return this.fail(this.pos, `expected a token or a quoted-string, found ${describe(this.at())}`);
    }
    if (this.discarding || owner === null) return true;
    const key = name.toLowerCase();
    if (owner.challenge.params.has(key)) return this.fail(start, 'found a repeated auth-param name');
    owner.challenge.params.set(key, value);
    return true;
  }

  /** `DQUOTE *( qdtext / quoted-pair ) DQUOTE`, positioned on the opening quote; unescaped. */
  private quotedString(): string | undefined {
    const open = this.pos;
    const text = this.text;
    let value = '';
    let segment = ++this.pos;
    while (this.pos < this.end) {
      const c = text.charCodeAt(this.pos);
      if (c === DQUOTE) {
        value += text.slice(segment, this.pos);
        this.pos++;
        return value;
      }
      if (c === BACKSLASH) {
        value += text.slice(segment, this.pos);
        this.pos++;
        if (!hasClass(text.charCodeAt(this.pos), QUOTED_PAIR)) {
          if (this.pos >= this.end) break;
          this.fail(this.pos, `found ${describe(this.at())} after a backslash in a quoted-string`, {
            inQuotedString: true,
          });
          return undefined;
        }
        segment = this.pos;
        this.pos++;
        continue;
      }
      if (!hasClass(c, QDTEXT)) {
        this.fail(this.pos, `found ${describe(c)} in a quoted-string`, { inQuotedString: true });
        return undefined;
      }
      this.pos++;
    }
    // Unterminated: report where it opened; recovery re-reads from there (once) to the end.
    this.fail(open, 'found an unterminated quoted-string');
    return undefined;
  }

  /**
   * Lenient recovery: unless the error is confined to its element, drop the challenge being
   * parsed and discard auth-params until the next auth-scheme; then skip to the next comma
   * outside a quoted string (a `"` opens one, a backslash escapes inside one). Always moves
   * forward from the failure, so the whole scan stays linear.
   */
  private recover(failure: SyntaxFailure): void {
    if (!failure.elementOnly) {
      if (this.current !== null) this.out.pop(); // `current` is always the last challenge pushed
      this.current = null;
      this.discarding = true;
    }
    this.failure = null;
    const text = this.text;
    let pos = failure.position;
    let quoted = failure.inQuotedString;
    while (pos < this.end) {
      const c = text.charCodeAt(pos);
      if (quoted) {
        if (c === BACKSLASH) pos++;
        else if (c === DQUOTE) quoted = false;
      } else if (c === COMMA) {
        break;
      } else if (c === DQUOTE) {
        quoted = true;
      }
      pos++;
    }
    this.pos = pos;
  }

  /** `token = 1*tchar` (RFC 9110 section 5.6.2); '' when there is none. */
  private token(): string {
    const start = this.pos;
    while (hasClass(this.at(), TCHAR)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** OWS / BWS: `*( SP / HTAB )` (RFC 9110 section 5.6.3). */
  private skipWhitespace(): void {
    let c = this.at();
    while (c === SPACE || c === TAB) c = this.text.charCodeAt(++this.pos);
  }

  /** The char code at the cursor; NaN past the end. */
  private at(): number {
    return this.text.charCodeAt(this.pos);
  }

  private fail(
    position: number,
    reason: string,
    { inQuotedString = false, elementOnly = false }: { inQuotedString?: boolean; elementOnly?: boolean } = {},
  ): false {
    this.failure = { position, reason, inQuotedString, elementOnly };
    return false;
  }
}

/**
 * Names one character for an error message. A single character cannot leak a token, and this
 * never quotes more of the header.
 */
function describe(code: number): string {
  if (Number.isNaN(code)) return 'the end';
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code > 0x20 && code < 0x7f ? `'${String.fromCharCode(code)}' (${hex})` : hex;
}

function isNegotiate(scheme: string): boolean {
  return scheme.length === 9 && scheme.toLowerCase() === 'negotiate';
}

/**
 * Joins header lines with ", " (RFC 9110 section 5.3) and enforces the size bound before any
 * concatenation happens.
 */
function joinHeaderLines(header: string | readonly string[]): string {
  let length: number;
  if (typeof header === 'string') {
    length = header.length;
  } else if (Array.isArray(header)) {
    length = header.length > 0 ? 2 * (header.length - 1) : 0;
    for (const line of header as readonly unknown[]) {
      if (typeof line !== 'string') throw new TypeError('header must be a string or an array of strings');
      length += line.length;
    }
  } else {
    throw new TypeError('header must be a string or an array of strings');
  }
  if (length > MAX_CHALLENGE_HEADER_LENGTH) {
    throw new ChallengeParseError(
      `Authentication header value of ${length} characters exceeds the limit of ` +
        `${MAX_CHALLENGE_HEADER_LENGTH} (MAX_CHALLENGE_HEADER_LENGTH)`,
      {
        position: MAX_CHALLENGE_HEADER_LENGTH,
        hint: 'No real challenge is that long; the server or a proxy in between is misbehaving.',
      },
    );
  }
  return typeof header === 'string' ? header : header.join(', ');
}

/**
 * `base64` of RFC 4648 section 4 with mandatory padding. Linear: the groups have fixed widths
 * and one way to split the input, so a failing match backtracks at most once per group.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes strict base64 (RFC 4648 section 4): alphabet and padding checked by {@link BASE64}, and
 * canonical encoding (zero padding bits, RFC 4648 section 3.5) checked by re-encoding, since
 * `Buffer.from` ignores those bits. Returns a copy with its own ArrayBuffer (not a slice of
 * Node's shared Buffer pool) or `null`.
 */
function decodeBase64Strict(text: string): Uint8Array | null {
  if (text.length === 0 || !BASE64.test(text)) return null;
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) return null;
  return new Uint8Array(decoded);
}
