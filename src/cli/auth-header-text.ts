/**
 * Authentication headers as the command shows them: scheme, token redacted to a few characters
 * and its size, parameters as sent. Credentials and tokens are replayable (RFC 4559 section 6):
 * they never reach the terminal, a log or a JSON result whole.
 *
 * @module
 */
import { parseChallenges } from '../core/challenge.js';
import { redactToken } from '../core/redact.js';

/** Bytes a base64 token68 decodes to (padding ignored). */
export function base64Size(token68: string): number {
  const clean = token68.replace(/=+$/, '');
  return Math.floor((clean.length * 3) / 4);
}

/**
 * A `WWW-Authenticate`, `Proxy-Authenticate`, `Authorization` or `Proxy-Authorization` value
 * with every token68 redacted: `Negotiate YIIGhg… (1234 bytes)`. A value that does not parse is
 * reduced to its first word, since it may be a secret in a form we do not know.
 *
 * @example
 * ```ts
 * redactAuthHeader('Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag'); // 'Negotiate YIIGhg… (27 bytes)'
 * redactAuthHeader('Basic realm="intranet"');                  // 'Basic realm="intranet"'
 * ```
 */
export function redactAuthHeader(value: string): string {
  let challenges: ReturnType<typeof parseChallenges>;
  try {
    challenges = parseChallenges(value);
  } catch {
    const scheme = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(value)?.[1];
    return scheme ? `${scheme} (unparsable, not shown)` : '(unparsable, not shown)';
  }
  return challenges
    .map((c) => {
      if (c.token68 !== undefined)
        return `${c.scheme} ${redactToken(c.token68)} (${base64Size(c.token68)} bytes)`;
      const params = [...c.params].map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      return params ? `${c.scheme} ${params}` : c.scheme;
    })
    .join(', ');
}

/** Header names whose values are authentication data. */
export const AUTH_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
]);
