/**
 * Collects what happens during one request, for `-v` and `--json`: each HTTP attempt (from a
 * wrapper around the base fetch that `createFetch` calls) and each Negotiate event the library
 * publishes on its `diagnostics_channel`s (`http-gssapi:*`), in order, with times. The library
 * runs the exchange; this only watches. Tokens arrive here already redacted.
 *
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { DIAGNOSTICS_CHANNELS, type NegotiateEvent } from '../core/diagnostics.js';
import { AUTH_HEADERS, redactAuthHeader } from './auth-header-text.js';

/** One HTTP request as sent (headers redacted). */
export interface AttemptEntry {
  readonly kind: 'request';
  readonly method: string;
  readonly url: string;
  /** `Authorization` as shown (redacted), or null when none went. */
  readonly authorization: string | null;
  readonly cookies: boolean;
}

/** One HTTP response (headers redacted), with how long the attempt took. */
export interface ResponseEntry {
  readonly kind: 'response';
  readonly status: number;
  readonly statusText: string;
  /** `WWW-Authenticate` as shown (redacted), or null. */
  readonly challenge: string | null;
  readonly setsCookies: boolean;
  readonly ms: number;
}

/** An attempt that failed below HTTP (refused, DNS, TLS). */
export interface FailureEntry {
  readonly kind: 'network-error';
  readonly message: string;
  readonly ms: number;
}

/** One entry of the trace; `at` is milliseconds since the request started. */
export type TraceEntry = (
  | AttemptEntry
  | ResponseEntry
  | FailureEntry
  | { readonly kind: 'event'; readonly event: NegotiateEvent }
) & {
  readonly at: number;
};

type Fetch = typeof globalThis.fetch;

/**
 * Records one request's trace. Subscribe with {@link TraceRecorder.start}, send through
 * {@link TraceRecorder.wrap}, read {@link TraceRecorder.entries}, then {@link TraceRecorder.stop}.
 *
 * @example
 * ```ts
 * const recorder = new TraceRecorder().start();
 * try { await createFetch(auth, recorder.wrap(fetch))(url); } finally { recorder.stop(); }
 * ```
 */
export class TraceRecorder {
  readonly entries: TraceEntry[] = [];
  readonly #origin = performance.now();
  readonly #listener = (message: unknown) => this.#push({ kind: 'event', event: message as NegotiateEvent });
  readonly #onEntry: ((entry: TraceEntry) => void) | undefined;

  /** @param onEntry - called with each entry as it is recorded (`-v` prints them live). */
  constructor(onEntry?: (entry: TraceEntry) => void) {
    this.#onEntry = onEntry;
  }

  /** Milliseconds since the recorder was made. */
  elapsed(): number {
    return Math.round((performance.now() - this.#origin) * 10) / 10;
  }

  start(): this {
    for (const name of Object.values(DIAGNOSTICS_CHANNELS)) subscribe(name, this.#listener);
    return this;
  }

  stop(): void {
    for (const name of Object.values(DIAGNOSTICS_CHANNELS)) unsubscribe(name, this.#listener);
  }

  /** The events of one type, in order. */
  events<T extends NegotiateEvent['type']>(type: T): Extract<NegotiateEvent, { type: T }>[] {
    return this.entries.flatMap((e) =>
      e.kind === 'event' && e.event.type === type ? [e.event as Extract<NegotiateEvent, { type: T }>] : [],
    );
  }

  /** A fetch that records each attempt, for `createFetch(auth, recorder.wrap(fetch))`. */
  wrap(base: Fetch): Fetch {
    return async (input, init) => {
      const headers = new Headers(init?.headers);
      const authorization = headers.get('authorization');
      this.#push({
        kind: 'request',
        method: init?.method ?? 'GET',
        url: String(input instanceof Request ? input.url : input),
        authorization: authorization === null ? null : redactAuthHeader(authorization),
        cookies: headers.has('cookie'),
      });
      const started = performance.now();
      const ms = () => Math.round((performance.now() - started) * 10) / 10;
      let response: Response;
      try {
        response = await base(input, init);
      } catch (error) {
        this.#push({ kind: 'network-error', message: networkMessage(error), ms: ms() });
        throw error;
      }
      const challenge = response.headers.get('www-authenticate');
      this.#push({
        kind: 'response',
        status: response.status,
        statusText: response.statusText,
        challenge: challenge === null ? null : redactAuthHeader(challenge),
        setsCookies: response.headers.getSetCookie().length > 0,
        ms: ms(),
      });
      return response;
    };
  }

  #push(entry: AttemptEntry | ResponseEntry | FailureEntry | { kind: 'event'; event: NegotiateEvent }): void {
    const full = { ...entry, at: this.elapsed() } as TraceEntry;
    this.entries.push(full);
    this.#onEntry?.(full);
  }
}

/**
 * The useful part of a fetch failure: undici says `fetch failed` and puts the reason (with
 * `ECONNREFUSED`, `ENOTFOUND`, a certificate error) in `cause`.
 */
export function networkMessage(error: unknown): string {
  const e = error as { message?: unknown; cause?: { message?: unknown; code?: unknown } };
  const cause = e?.cause;
  if (cause && typeof cause.message === 'string') {
    return typeof cause.code === 'string' && !cause.message.includes(cause.code)
      ? `${cause.message} (${cause.code})`
      : cause.message;
  }
  return typeof e?.message === 'string' ? e.message : String(error);
}

/** Response headers as the command shows them (`-i`, `--json`): authentication values redacted. */
export function shownHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of headers) {
    if (name === 'set-cookie') continue;
    out.push([name, AUTH_HEADERS.has(name) ? redactAuthHeader(value) : value]);
  }
  for (const cookie of headers.getSetCookie()) out.push(['set-cookie', cookie]);
  return out;
}
