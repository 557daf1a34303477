/**
 * The `-v` trace: one line per HTTP attempt and per Negotiate event, each with its time since the
 * request started. Lines start with `>` (sent), `<` (received) or `*` (what the exchange did),
 * as curl's do. Every token is already redacted in the entries.
 *
 * @module
 */
import type { NegotiateEvent } from '../core/diagnostics.js';
import type { TraceEntry } from './trace-recorder.js';

const list = (names: readonly string[]) => (names.length ? names.join(', ') : 'none');

/** The line (or lines) for one Negotiate event. */
function eventLines(event: NegotiateEvent): string[] {
  switch (event.type) {
    case 'challenge':
      return event.scheme === null
        ? [`* leg ${event.leg}: ${event.status} without a Negotiate challenge: not ours to answer`]
        : [
            `* leg ${event.leg}: Negotiate challenge${event.token ? ` with a server token ${event.token} (${event.tokenSize} bytes)` : ' (no token: start a context)'}`,
          ];
    case 'token':
      return [
        `* leg ${event.leg}: ${event.preemptive ? 'preemptive ' : ''}token for SPN ${event.target}, mechanism ${event.mech}: ${event.token} (${event.tokenSize} bytes)`,
        `*   flags asked: ${list(event.flagsRequested)}; granted so far: ${list(event.flagsGranted)}`,
      ];
    case 'mutual': {
      const token = event.tokenSize === null ? 'no server token' : `server token ${event.tokenSize} bytes`;
      const granted = event.flagsGranted ? `; flags granted: ${list(event.flagsGranted)}` : '';
      return [`* mutual authentication: ${event.result} (${token}, status ${event.status})${granted}`];
    }
    case 'error':
      return [
        `* exchange failed: ${event.code}: ${event.message}`,
        ...(event.hint ? [`*   fix: ${event.hint}`] : []),
      ];
    case 'redirect':
      return [`* redirect ${event.status}: ${event.method} ${event.to}`];
    case 'session':
      return [`* session cookies: ${event.result}`];
  }
}

/**
 * Renders a trace as text lines (no trailing newline per line).
 *
 * @example
 * ```ts
 * for (const line of renderTrace(recorder.entries)) process.stderr.write(`${line}\n`);
 * ```
 */
export function renderTrace(entries: readonly TraceEntry[]): string[] {
  const lines: string[] = [];
  for (const entry of entries) {
    const at = `[${entry.at.toFixed(1).padStart(7)} ms]`;
    const add = (text: string) => lines.push(`${at} ${text}`);
    switch (entry.kind) {
      case 'request':
        add(
          `> ${entry.method} ${entry.url}${entry.authorization ? `  Authorization: ${entry.authorization}` : '  (no Authorization)'}${entry.cookies ? '  Cookie: (sent)' : ''}`,
        );
        break;
      case 'response':
        add(
          `< ${entry.status} ${entry.statusText}${entry.challenge ? `  WWW-Authenticate: ${entry.challenge}` : ''}${entry.setsCookies ? '  Set-Cookie: (set)' : ''}  in ${entry.ms} ms`,
        );
        break;
      case 'network-error':
        add(`! network error after ${entry.ms} ms: ${entry.message}`);
        break;
      case 'event':
        for (const line of eventLines(entry.event)) add(line);
        break;
    }
  }
  return lines;
}
