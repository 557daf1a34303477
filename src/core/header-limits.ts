/**
 * Why a request that carried a Negotiate token may have been refused for its size: the token
 * goes in one request header (RFC 4559 section 4), and servers cap header lines and whole
 * requests well below what a Kerberos token can reach. A ticket carries the user's PAC (about
 * 8 bytes per group SID), and delegation (RFC 4121 section 4.1.1) adds a forwarded TGT with its
 * own PAC, about doubling the token; base64 then adds a third.
 *
 * @module
 */
import { HeaderTooLargeError } from './errors.js';

/** The answers a server gives to a header it finds too large (RFC 9110 section 15.5.1, 15.5.14; RFC 6585 section 5). */
const SIZE_STATUSES: ReadonlySet<number> = new Set([400, 413, 431]);

/**
 * Below this many bytes a header value fits every common limit (the smallest, Apache's and
 * nginx's, are about 8 KiB), so a 400 or 413 is the application's answer, not a size problem:
 * reporting it would put a wrong reason on every validation error of an API.
 */
const SMALLEST_COMMON_LIMIT = 4096;

/** The limits users meet, for the hint. */
const LIMITS =
  'Apache LimitRequestFieldSize (default 8190 bytes per header line), IIS/http.sys MaxFieldLength and MaxRequestBytes (default 16384; Microsoft KB2020943), Node.js maxHeaderSize (default 16 KiB for all headers, answered with 431), nginx large_client_header_buffers (default 8k)';

/** What is known of the request whose answer is being judged. */
export interface SentToken {
  /** The response status. */
  readonly status: number;
  /** `authorization` or `proxy-authorization`. */
  readonly header: string;
  /** Bytes of the header value sent (`Negotiate <base64>`). */
  readonly headerBytes: number;
  /** Bytes of the raw token in it. */
  readonly tokenBytes: number;
  /** Whether the token carries a delegated ticket (GSS_C_DELEG_FLAG granted). */
  readonly delegated: boolean;
  readonly origin: string;
}

/**
 * The reason to attach to a response that answered a token with 400, 413 or 431, or null when
 * the status says nothing about size (any other status; 400/413 with a header below every common
 * limit). 431 (Request Header Fields Too Large) always is about size.
 *
 * @example
 * ```ts
 * const error = headerTooLarge({ status: 400, header: 'authorization', headerBytes: 9000, tokenBytes: 6740, delegated: true, origin });
 * ```
 */
export function headerTooLarge(sent: SentToken): HeaderTooLargeError | null {
  if (!SIZE_STATUSES.has(sent.status)) return null;
  if (sent.status !== 431 && sent.headerBytes < SMALLEST_COMMON_LIMIT) return null;
  const header = sent.header === 'authorization' ? 'Authorization' : 'Proxy-Authorization';
  const smaller = sent.delegated
    ? "without delegation (delegate: false or 'policy'; the forwarded ticket about doubles the token) or with fewer group memberships"
    : 'with fewer group memberships (each group adds to the PAC in every ticket)';
  return new HeaderTooLargeError(
    `${sent.origin} answered ${sent.status} to a request whose ${header} header was ${sent.headerBytes} bytes (a ${sent.tokenBytes}-byte Negotiate token${sent.delegated ? ' with a delegated ticket' : ''}): probably larger than the server accepts`,
    {
      hint: `raise the server's header limit: ${LIMITS}; or make the token smaller: ${smaller}`,
    },
  );
}
