/**
 * Redaction of secrets for messages and logs.
 *
 * @module
 */

/** How many leading characters of a token {@link redactToken} keeps. */
const KEPT_CHARACTERS = 6;

/**
 * Shortens a token (or any secret-bearing value) to its first 6 characters followed by `…`, for
 * use in error messages, debug output and logs. Every message that mentions a header value or a
 * token must go through this function.
 *
 * Why 6: a base64 SPNEGO/Kerberos token starts with its DER framing (`YII…` for an
 * InitialContextToken, `oY…` for a NegTokenResp, RFC 4178 section 4.2), which is enough to tell
 * the kind of token apart and reveals nothing secret, while the ticket and authenticator that
 * follow are replayable (RFC 4559 section 6) and must never be logged.
 *
 * Bytes are base64-encoded first (the form they take in a header). The empty string stays
 * empty; a value of 6 characters or fewer is shown whole with the `…` marker, since no real
 * token is that short. Whole code points are kept, so the result never ends in half a
 * surrogate pair.
 *
 * @param token - the secret, as a string (e.g. a header's token68) or as bytes.
 * @returns at most 6 characters of `token` plus `…`.
 *
 * @example
 * ```ts
 * import { redactToken } from 'http-gssapi';
 * redactToken('YIIGhgYGKwYBBQUCoIIGejCCBnag...'); // 'YIIGhg…'
 * redactToken(new Uint8Array([0x60, 0x82, 0x06, 0x86])); // 'YIIGhg…'
 * `Negotiate ${redactToken(token68)}`; // safe to log
 * ```
 */
export function redactToken(token: string | Uint8Array): string {
  const text =
    typeof token === 'string'
      ? token
      : Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('base64');
  if (text.length === 0) return '';
  let end = 0;
  for (let kept = 0; kept < KEPT_CHARACTERS && end < text.length; kept++) {
    // Step over a whole code point: a high surrogate followed by a low one counts as one.
    const unit = text.charCodeAt(end);
    const next = text.charCodeAt(end + 1);
    end += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return `${text.slice(0, end)}…`;
}

/**
 * `scheme://user:password@` at the start of a URL, or anywhere in a message: up to the last `@`
 * before the authority ends (`/`, `?`, `#`), since a password may hold an `@` of its own.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi;

/**
 * Replaces the userinfo of every URL in `text` (`http://alice:pw@host/` → `http://***@host/`):
 * a password in a URL (RFC 3986 section 3.2.1 deprecates it, clients still accept it) must not
 * reach a debug line, a diagnostics event or an error message. Text without one is returned as is.
 *
 * @param text - a URL, or a message that may contain URLs.
 * @returns `text` with each URL's userinfo replaced by `***`.
 * @example
 * ```ts
 * import { redactUrl } from 'http-gssapi';
 * redactUrl('http://alice:s3cret@intranet.example.org/x'); // 'http://***@intranet.example.org/x'
 * ```
 */
export function redactUrl(text: string): string {
  return text.includes('@') ? text.replace(USERINFO, '$1***@') : text;
}

/**
 * A copy of a `creds` description whose `password` is non-enumerable: readable by the code that
 * logs in, skipped by `util.inspect`, `console.log` and `JSON.stringify` of the options or of
 * anything that holds them (an `HTTPSPNEGOAuth`).
 *
 * @param creds - a description with or without a password.
 * @returns a frozen copy, or `creds` itself when it has no password.
 * @example
 * ```ts
 * const kept = hidePassword({ principal: 'alice', password: 's3cret' });
 * JSON.stringify(kept); // '{"principal":"alice"}'
 * kept.password; // 's3cret'
 * ```
 */
export function hidePassword<T extends { readonly password?: string }>(creds: T): T {
  if (creds.password === undefined) return creds;
  const { password, ...rest } = creds;
  const copy = { ...rest } as T;
  Object.defineProperty(copy, 'password', { value: password, enumerable: false });
  return Object.freeze(copy);
}
