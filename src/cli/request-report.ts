/**
 * The `--json` result of a request: one object on stdout, with the same facts `-v` shows.
 *
 * @module
 */
import { redactUrl } from '../core/redact.js';
import type { RequestOutcome } from './request-outcome.js';
import type { TraceEntry, TraceRecorder } from './trace-recorder.js';

/**
 * The shape of `http-gssapi --json URL` (documented in docs/cli.md). Tokens appear redacted
 * (a few characters and their size), never whole.
 */
export interface RequestReport {
  readonly url: string;
  readonly method: string;
  /** The URL of the last response (after redirects), or null when none came. */
  readonly finalUrl: string | null;
  readonly status: number | null;
  readonly statusText: string | null;
  /** Response headers as `[name, value]` pairs, authentication values redacted. */
  readonly headers: readonly (readonly [string, string])[];
  readonly outcome: RequestOutcome['kind'];
  readonly exitCode: number;
  readonly error: RequestOutcome['error'];
  /** How many Negotiate tokens were sent. */
  readonly tokensSent: number;
  /** The last mutual-authentication result, or null when none was checked. */
  readonly mutual: string | null;
  /** The response body as text, or null (`-o`, or no response). */
  readonly body: string | null;
  /** Bytes of the response body received. */
  readonly bodyBytes: number;
  /** Where the body went with `-o`, or null. */
  readonly output: string | null;
  readonly totalMs: number;
  /** Every attempt and Negotiate event, in order (see `TraceEntry`). */
  readonly trace: readonly TraceEntry[];
}

/** What the request gave, for {@link buildReport}. */
export interface ReportInput {
  readonly url: string;
  readonly method: string;
  readonly response: Response | null;
  readonly headers: readonly (readonly [string, string])[];
  readonly outcome: RequestOutcome;
  readonly body: string | null;
  readonly bodyBytes: number;
  readonly output: string | null;
}

/**
 * Builds the `--json` object.
 *
 * @example
 * ```ts
 * io.stdout.write(`${JSON.stringify(buildReport(input, recorder), null, 2)}\n`);
 * ```
 */
export function buildReport(input: ReportInput, recorder: TraceRecorder): RequestReport {
  const { response } = input;
  return {
    url: input.url,
    method: input.method,
    finalUrl: response ? response.url || input.url : null,
    status: response?.status ?? null,
    statusText: response?.statusText ?? null,
    headers: input.headers,
    outcome: input.outcome.kind,
    exitCode: input.outcome.exitCode,
    error: input.outcome.error,
    tokensSent: recorder.events('token').length,
    mutual: recorder.events('mutual').at(-1)?.result ?? null,
    body: input.body,
    bodyBytes: input.bodyBytes,
    output: input.output,
    totalMs: recorder.elapsed(),
    trace: recorder.entries.map(shownEntry),
  };
}

/**
 * A trace entry as the command shows it (`-v`, `--json`): a URL's user name and password
 * replaced, in an attempt's URL and in a failure's message. The command refuses such a URL
 * given on its command line, but a server can redirect to one, and fetch's refusal quotes it.
 *
 * @example
 * ```ts
 * renderTrace([shownEntry(entry)]);
 * ```
 */
export function shownEntry(entry: TraceEntry): TraceEntry {
  if (entry.kind === 'request') return { ...entry, url: redactUrl(entry.url) };
  if (entry.kind === 'network-error') return { ...entry, message: redactUrl(entry.message) };
  return entry;
}
