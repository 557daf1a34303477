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
 * @param header - the `WWW-Authenticate` (or `Proxy-Authenticate`) value or lines.
 * @returns true when a Negotiate element is present though no Negotiate challenge was parsed.
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
