import { findNegotiateChallenge } from './challenge.js';

/** A quoted-string (RFC 9110 section 5.6.4), whose content is never a scheme. */
const QUOTED = /"(?:[^"\\]|\\.)*"?/g;

/** `Negotiate` as the scheme of a list element: at the start or after a comma, then a space or the end. */
const NEGOTIATE_ELEMENT = /(?:^|,)[ \t]*negotiate(?=[ \t]|,|$)/i;

/**
 * Whether a header value has a `Negotiate` element that {@link findNegotiateChallenge} dropped as
 * malformed (`Negotiate !!not*base64!!`: `!` and `*` are no token68 characters, so lenient
 * parsing drops the element as it drops any other garbled challenge). On a 401 that is right
 * (the challenge is unusable); on the response that should carry the server's final token it is
 * not: a server or proxy garbled the token mutual authentication must verify, and OPTIONAL
 * ("verify when a token comes") must not read that as "no token came" (docs/compatibility.md).
 *
 * Only meaningful when the grammar found no Negotiate challenge: a bare `Negotiate` matches
 * too, and is well-formed (see {@link readFinalToken}, which asks the grammar first).
 *
 * @param header - the `WWW-Authenticate` (or `Proxy-Authenticate`) value or lines.
 * @returns true when a Negotiate element is present in the text of the header.
 * @example
 * ```ts
 * hasMalformedNegotiate('Negotiate !!not*base64!!'); // true
 * hasMalformedNegotiate('Basic realm="a, Negotiate b"'); // false
 * ```
 */
export function hasMalformedNegotiate(header: string | readonly string[] | null | undefined): boolean {
  if (header === null || header === undefined) return false;
  const lines = typeof header === 'string' ? [header] : header;
  return lines.some((line) => NEGOTIATE_ELEMENT.test(line.replace(QUOTED, '""')));
}

/**
 * What a final (non-challenge) response says about the server's last token (RFC 4559 section 5):
 * - `absent`: no Negotiate element, or one the grammar (RFC 9110 section 11) parsed without a
 *   token68 (a bare `Negotiate`, or `Negotiate token="..."`, auth-params RFC 4559 does not
 *   define): no token came, so OPTIONAL passes and REQUIRED fails;
 * - `token`: a token68 that decodes as base64;
 * - `garbled`: a token68 that is not base64, or a Negotiate element too malformed to parse at
 *   all: a bad token under both OPTIONAL and REQUIRED, never "no token".
 *
 * @example
 * ```ts
 * readFinalToken('Negotiate oYG3MIG0oAMKAQA='); // { kind: 'token', token: Uint8Array [...] }
 * readFinalToken('Negotiate'); // { kind: 'absent' }
 * readFinalToken('Negotiate !!not*base64!!'); // { kind: 'garbled', cause: Error }
 * ```
 */
export type FinalToken =
  | { readonly kind: 'absent' }
  | { readonly kind: 'token'; readonly token: Uint8Array }
  | { readonly kind: 'garbled'; readonly cause: unknown };

const ABSENT: FinalToken = { kind: 'absent' };

/**
 * Reads the server's final token from a `WWW-Authenticate` (or `Proxy-Authenticate`) value: see
 * {@link FinalToken}. The grammar decides whether a Negotiate element is there; the text is only
 * searched for one when the grammar dropped every Negotiate element as malformed.
 *
 * @param header - the header value or lines, or null/undefined when absent.
 * @example
 * ```ts
 * const final = readFinalToken(response.header('www-authenticate'));
 * if (final.kind === 'token') await context.step(final.token);
 * ```
 */
export function readFinalToken(header: string | readonly string[] | null | undefined): FinalToken {
  let challenge: ReturnType<typeof findNegotiateChallenge>;
  try {
    challenge = findNegotiateChallenge(header);
  } catch (cause) {
    return { kind: 'garbled', cause };
  }
  if (challenge?.token) return { kind: 'token', token: challenge.token };
  if (challenge) return ABSENT;
  return hasMalformedNegotiate(header)
    ? { kind: 'garbled', cause: new Error('the Negotiate element of the header could not be parsed') }
    : ABSENT;
}
