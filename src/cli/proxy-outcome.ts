/**
 * What `http-gssapi proxy` did with one request, as one log line, and the short answer a
 * client gets when the proxy cannot serve it: the status, an `X-Http-Gssapi-Reason` header and
 * a plain-text body with the reason and its fix. Neither ever holds a token: reasons come from
 * the library's errors, whose messages never carry one, and are cut to one printable line.
 *
 * @module
 */
import type http from 'node:http';
import type net from 'node:net';

/** What happened to one request. */
export interface ProxyOutcome {
  /** The status the client got (the upstream's, or ours: 400, 403, 407, 502, 503, 508). */
  readonly status: number;
  /** Negotiate tokens sent upstream for it. */
  readonly legs: number;
  /** Why it failed, one line, or null. */
  readonly reason: string | null;
}

/** The response header that carries the reason. */
export const REASON_HEADER = 'x-http-gssapi-reason';

/** The longest reason in a header or a log line; the body of the answer has all of it. */
const MAX_REASON = 400;

/** One printable line (control characters and non-ASCII replaced), cut to `max` characters. */
function oneLine(text: string, max = MAX_REASON): string {
  const line = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * The reason for `error` (its message and, when the library knows the fix, its hint), or
 * `fallback` when there is no error.
 *
 * @example
 * ```ts
 * reasonOf(decision.error, 'the upstream proxy does not offer Negotiate');
 * ```
 */
export function reasonOf(error: unknown, fallback: string): string {
  if (error === undefined || error === null) return fallback;
  const { message, hint } = error as { message?: unknown; hint?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(error);
  return typeof hint === 'string' && hint !== '' ? `${text}; fix: ${hint}` : text;
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  508: 'Loop Detected',
};

function reasonBody(reason: string): string {
  return `http-gssapi proxy: ${oneLine(reason, Number.POSITIVE_INFINITY)}\n`;
}

/**
 * Answers a plain http request with `status` and the reason (header and body), closing the
 * connection.
 *
 * @example
 * ```ts
 * sendReason(res, 502, 'could not reach the upstream proxy');
 * ```
 */
export function sendReason(res: http.ServerResponse, status: number, reason: string): void {
  const body = reasonBody(reason);
  res.writeHead(status, REASON_PHRASES[status] ?? '', {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
    [REASON_HEADER]: oneLine(reason),
  });
  res.end(body);
}

/**
 * Answers a `CONNECT` on its raw socket (node:http hands the socket over for CONNECT) with
 * `status` and the reason, then closes it.
 *
 * @example
 * ```ts
 * sendReasonOnSocket(socket, 407, reason);
 * ```
 */
export function sendReasonOnSocket(socket: net.Socket, status: number, reason: string): void {
  const body = reasonBody(reason);
  socket.end(
    `HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? 'Error'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n' +
      `X-Http-Gssapi-Reason: ${oneLine(reason)}\r\n\r\n${body}`,
  );
}

/**
 * The log line for one request: time, method, target, status, where it went, tokens sent,
 * duration, and the reason of a failure.
 *
 * @example
 * ```ts
 * logLine('GET', 'http://example.org/', upstream, { status: 200, legs: 1, reason: null }, 12);
 * // 2026-01-01T10:00:00.000Z GET http://example.org/ 200 via http://proxy:3128 legs=1 12ms
 * ```
 */
export function logLine(
  method: string,
  target: string,
  route: URL | null,
  outcome: ProxyOutcome,
  ms: number,
  now: Date = new Date(),
): string {
  const via = route ? `via ${route.origin}` : 'direct';
  const reason = outcome.reason ? ` reason: ${oneLine(outcome.reason)}` : '';
  return `${now.toISOString()} ${method} ${oneLine(target)} ${outcome.status} ${via} legs=${outcome.legs} ${Math.round(ms)}ms${reason}`;
}
