/**
 * What one request came to, as an exit code and a coded reason: the classification behind the
 * command's exit codes and its `--json` `outcome`.
 *
 * @module
 */
import { negotiateErrorOf } from '../core/error-report.js';
import { BodyNotReplayableError, MutualAuthenticationError } from '../core/errors.js';
import type { MutualAuthentication } from '../core/options.js';
import { redactUrl } from '../core/redact.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { TraceRecorder } from './trace-recorder.js';
import { networkMessage } from './trace-recorder.js';

/** The `outcome` field of `--json`, one per exit code of a request. */
export type RequestOutcomeKind =
  | 'ok'
  | 'http-error'
  | 'auth-failed'
  | 'mutual-failed'
  | 'network-error'
  | 'usage-error';

/** Why a request did not succeed, as `--json` shows it. */
export interface OutcomeError {
  readonly code: string;
  readonly message: string;
  readonly hint: string | null;
}

/** The classification of one request. */
export interface RequestOutcome {
  readonly kind: RequestOutcomeKind;
  readonly exitCode: ExitCode;
  readonly error: OutcomeError | null;
}

const EXIT_OF: Readonly<Record<RequestOutcomeKind, ExitCode>> = {
  ok: EXIT.OK,
  'http-error': EXIT.HTTP_ERROR,
  'auth-failed': EXIT.AUTH_FAILED,
  'mutual-failed': EXIT.MUTUAL_FAILED,
  'network-error': EXIT.NETWORK,
  'usage-error': EXIT.USAGE,
};

const outcome = (kind: RequestOutcomeKind, error: OutcomeError | null = null): RequestOutcome => ({
  kind,
  exitCode: EXIT_OF[kind],
  error,
});

/** An error's code, message and hint; a library error's GSSError cause names the code. */
function describe(error: unknown, fallbackCode: string): OutcomeError {
  const e = error as {
    code?: unknown;
    message?: unknown;
    hint?: unknown;
    cause?: { code?: unknown; hint?: unknown };
  };
  const causeCode = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const hint =
    typeof e?.hint === 'string' ? e.hint : typeof e?.cause?.hint === 'string' ? e.cause.hint : null;
  return {
    code: causeCode ?? (typeof e?.code === 'string' ? e.code : fallbackCode),
    message: typeof e?.message === 'string' ? e.message : String(error),
    hint,
  };
}

/**
 * Classifies a response. 401 and 407 are authentication failures (with the exchange's error,
 * if one was recorded); a response that mutual authentication REQUIRED could not authenticate
 * (returned stripped) is a mutual-authentication failure; other 4xx/5xx are HTTP errors.
 *
 * @example
 * ```ts
 * const { exitCode } = classifyResponse(res, recorder, 'required');
 * ```
 */
export function classifyResponse(
  response: Response,
  recorder: TraceRecorder,
  mutual: MutualAuthentication,
): RequestOutcome {
  const reason = negotiateErrorOf(response);
  if (response.status === 401 || response.status === 407) {
    return outcome(
      'auth-failed',
      reason
        ? describe(reason, reason.code)
        : {
            code: 'HTTP_401',
            message: `the server answered ${response.status}${recorder.events('token').length ? ' to our Negotiate token' : ' and asked for no Negotiate exchange'}`,
            hint: recorder.events('token').length
              ? 'the server refused the ticket: check the SPN, the service keytab and the server log'
              : 'the server does not offer Negotiate for this URL',
          },
    );
  }
  const last = recorder.events('mutual').at(-1);
  if (mutual === 'required' && last?.result === 'missing') {
    return outcome('mutual-failed', {
      code: 'ERR_MUTUAL_AUTH',
      message: `the server answered ${response.status} without a Negotiate token: it could not be authenticated, so the response was stripped`,
      hint: 'use --mutual optional if you trust the channel, or --no-sanitize-mutual-error to see the response',
    });
  }
  if (response.status >= 400) {
    return outcome('http-error', {
      code: `HTTP_${response.status}`,
      message: `the server answered ${response.status} ${response.statusText}`.trim(),
      hint: null,
    });
  }
  return outcome('ok');
}

/** The first `code` string along an error's `cause` chain (a system or undici code), if any. */
function causeCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (
    let e = (error as { cause?: unknown })?.cause;
    e && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Classifies an error thrown instead of a response: mutual authentication, a body that could not
 * be sent with a token, a network failure, a value fetch refused. Returns null for anything else
 * (a bug).
 *
 * fetch rejects with a `TypeError` both for a network failure and for a request it refuses to
 * make; the cause tells them apart. A network failure carries a cause with a code (a system
 * code such as `ECONNREFUSED`, an undici `UND_ERR_*`, a library `ERR_*`); a refused value (a
 * method, a header, a URL with credentials: the Fetch standard's Request constructor, or a port
 * on its "bad port" list) has no cause, or one without a code: a usage error, nothing was sent.
 * Unless `answered`: when a response already came (a redirect to a URL with a password, or to a
 * bad port), the value was the server's, not the user's, and it stays a network error.
 */
export function classifyError(error: unknown, answered = false): RequestOutcome | null {
  if (error instanceof MutualAuthenticationError)
    return outcome('mutual-failed', describe(error, error.code));
  if (error instanceof BodyNotReplayableError) return outcome('auth-failed', describe(error, error.code));
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return outcome('network-error', {
      code: 'ETIMEDOUT',
      message: 'the request timed out (--max-time)',
      hint: null,
    });
  }
  if (error instanceof TypeError) {
    if (/redirect/.test(error.message)) {
      return outcome('http-error', { code: 'ERR_TOO_MANY_REDIRECTS', message: error.message, hint: null });
    }
    const code = causeCode(error);
    const cause = (error as { cause?: unknown }).cause;
    const badPort = (cause as { message?: unknown } | undefined)?.message === 'bad port';
    if (!answered && code === undefined && (cause === undefined || badPort)) {
      return outcome('usage-error', {
        code: 'ERR_REQUEST_REFUSED',
        message: badPort
          ? 'fetch refuses this port (one of the Fetch standard\'s "bad ports", kept for other protocols); nothing was sent'
          : `fetch refused the request before sending it: ${redactUrl(error.message)}`,
        hint: null,
      });
    }
    return outcome('network-error', {
      code: code ?? 'ERR_NETWORK',
      message: redactUrl(networkMessage(error)),
      hint: null,
    });
  }
  return null;
}
