/**
 * The request command's URL, method and headers, checked before anything is sent: a value fetch
 * would refuse is a usage error (exit 2) with a message that names the flag, never a network
 * error, and never echoes a password or a header value.
 *
 * @module
 */
import { redactUrl } from '../core/redact.js';
import { CliError, EXIT } from './exit-codes.js';

const usage = (message: string, hint?: string) => new CliError(EXIT.USAGE, message, hint);

/** RFC 9110 section 5.6.2: `token = 1*tchar`, what a method (section 9.1) and a field name are. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Methods the Fetch standard forbids (its "forbidden method": CONNECT, TRACE, TRACK, any case):
 * fetch refuses them, so the command says so itself. CONNECT is for proxies (`--proxy`),
 * TRACE and TRACK echo the request, credentials included (RFC 9110 section 9.3.8).
 */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * The URL argument: an absolute http(s) URL without a user name or password. Negotiate
 * authenticates with Kerberos, and fetch refuses a URL with credentials (nothing would be sent);
 * the message shows the URL with its userinfo replaced, as the library does for proxy URLs.
 *
 * @throws {CliError} exit 2 for a missing, malformed, non-http(s) or credential-bearing URL.
 * @example
 * ```ts
 * requestUrl('https://intranet.example.org/api').host; // 'intranet.example.org'
 * ```
 */
export function requestUrl(text: string | undefined): URL {
  if (text === undefined) throw usage('a URL is required', 'http-gssapi [options] URL; see --help');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage(`not a URL: ${redactUrl(text)}`, 'give an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage(
      `unsupported scheme ${url.protocol} in ${redactUrl(text)}`,
      'give an http:// or https:// URL',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw usage(
      `the URL must not carry a user name or password: ${redactUrl(url.href)}`,
      'drop them from the URL: Negotiate authenticates with your Kerberos ticket (--principal with --password-env to log in as someone else)',
    );
  }
  return url;
}

/**
 * The `-X` method (upper-cased, as curl users type it in either case), checked as fetch would
 * check it, before anything is sent.
 *
 * @throws {CliError} exit 2 for a method that is not an RFC 9110 token, or one fetch forbids.
 * @example
 * ```ts
 * requestMethod('patch'); // 'PATCH'
 * ```
 */
export function requestMethod(text: string): string {
  if (!TOKEN.test(text)) {
    throw usage(
      `-X ${JSON.stringify(text)} is not an HTTP method: a method is letters, digits and !#$%&'*+-.^_\`|~ (RFC 9110 section 9.1)`,
    );
  }
  const method = text.toUpperCase();
  if (FORBIDDEN_METHODS.has(method)) {
    throw usage(
      `-X ${method} cannot be sent with fetch (a forbidden method)`,
      method === 'CONNECT' ? 'to go through a proxy, use --proxy URL' : undefined,
    );
  }
  return method;
}

/**
 * The `-H 'Name: value'` lines as Headers. White space around the value is dropped (as curl
 * does); a name that is not a token, or a value with CR, LF or NUL inside (a header split in
 * two, RFC 9110 section 5.5), is a usage error whose message names the header but never
 * shows its value (it may be a token or a cookie).
 *
 * @throws {CliError} exit 2 for a malformed line.
 * @example
 * ```ts
 * requestHeaders(['Accept: application/json']).get('accept'); // 'application/json'
 * ```
 */
export function requestHeaders(lines: readonly string[]): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw usage(`-H: a header is 'Name: value' (got no name before a colon)`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name)) {
      throw usage(`-H ${JSON.stringify(name)}: not a header name (RFC 9110 section 5.1: a token)`);
    }
    if (/[\r\n\0]/.test(value)) {
      throw usage(
        `-H '${name}': the value has a line break or NUL inside (value not shown)`,
        'give one header per -H',
      );
    }
    try {
      headers.append(name, value);
    } catch {
      throw usage(`-H '${name}': fetch refuses this value (not shown)`);
    }
  }
  return headers;
}
