import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { redactUrl } from './redact.js';

/**
 * What the Negotiate flow reports as it runs. Every event goes to `util.debuglog` (enable with
 * `NODE_DEBUG=http-gssapi`) and to a `diagnostics_channel` of the same name as the event type
 * prefixed with `http-gssapi:` (e.g. `http-gssapi:token`), for tracing tools. Tokens are
 * redacted to a few characters before they are put in an event.
 *
 * | channel                 | when                                                          |
 * | ----------------------- | ------------------------------------------------------------- |
 * | `http-gssapi:challenge` | a response carried (or lacked) a Negotiate challenge          |
 * | `http-gssapi:token`     | a token was produced for a request (preemptive or after 401)  |
 * | `http-gssapi:mutual`    | the server's final token was verified, skipped or failed      |
 * | `http-gssapi:error`     | the exchange failed; the response is returned as is           |
 * | `http-gssapi:redirect`  | the fetch wrapper followed a redirect                         |
 * | `http-gssapi:session`   | session cookies were kept, sent instead of a token, or dropped |
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('http-gssapi:token', (event) => console.log(event));
 * ```
 */
export type NegotiateEvent =
  | {
      type: 'challenge';
      url: string;
      status: number;
      scheme: 'Negotiate' | null;
      token: string | null;
      /** Size in bytes of the server's token, or null when the challenge had none. */
      tokenSize: number | null;
      leg: number;
    }
  | {
      type: 'token';
      url: string;
      target: string;
      mech: string;
      leg: number;
      preemptive: boolean;
      token: string;
      /** Size in bytes of the token (before base64). */
      tokenSize: number;
      /** Context flags asked for (`req_flags`, RFC 2744 section 5.19), by name: `mutual`, `deleg`, ... */
      flagsRequested: string[];
      /** Context flags the mechanism reported after this step (`ret_flags`; final once complete). */
      flagsGranted: string[];
    }
  | {
      type: 'mutual';
      url: string;
      result: 'verified' | 'not-required' | 'missing' | 'failed';
      status: number;
      /** Size in bytes of the server's final token, or null when the response had none. */
      tokenSize: number | null;
      /** Context flags granted once the context completed, or null when it did not complete. */
      flagsGranted: string[] | null;
    }
  | { type: 'error'; url: string; code: string; message: string; hint?: string | undefined }
  | { type: 'redirect'; from: string; to: string; status: number; method: string }
  | {
      type: 'session';
      url: string;
      /**
       * `stored`: a response set cookies; `reused`: a request went with session cookies and no
       * token; `dropped`: the server asked for Negotiate despite them (the session is over);
       * `not-a-session`: they never worked, so they no longer hold back a token.
       */
      result: 'stored' | 'reused' | 'dropped' | 'not-a-session';
    };

const log = debuglog('http-gssapi');

/**
 * The event with every URL's userinfo redacted (`url`, `from`, `to`, and URLs inside a
 * message): a request made to `http://user:password@host/` must not put the password in a
 * debug line or in what a diagnostics subscriber logs.
 */
function withoutUserinfo(event: NegotiateEvent): NegotiateEvent {
  let copy: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(event)) {
    if (typeof value !== 'string') continue;
    const clean = redactUrl(value);
    if (clean !== value) {
      copy ??= { ...event };
      copy[key] = clean;
    }
  }
  return (copy ?? event) as NegotiateEvent;
}
const channels = new Map<string, ReturnType<typeof channel>>();

function channelFor(type: string) {
  let c = channels.get(type);
  if (!c) {
    c = channel(`http-gssapi:${type}`);
    channels.set(type, c);
  }
  return c;
}

/** Names of the channels, for subscribers. */
export const DIAGNOSTICS_CHANNELS = {
  challenge: 'http-gssapi:challenge',
  token: 'http-gssapi:token',
  mutual: 'http-gssapi:mutual',
  error: 'http-gssapi:error',
  redirect: 'http-gssapi:redirect',
  session: 'http-gssapi:session',
} as const;

/**
 * Internal: publishes one event. Pass a function to build the event only when somebody listens:
 * a token event base64-encodes the whole token to redact it, which the hot path should not pay.
 */
export function emit(
  event: NegotiateEvent | { readonly type: NegotiateEvent['type']; readonly build: () => NegotiateEvent },
): void {
  const c = channelFor(event.type);
  if (!c.hasSubscribers && !log.enabled) return;
  const full = withoutUserinfo('build' in event ? event.build() : event);
  if (c.hasSubscribers) c.publish(full);
  if (log.enabled) log('%s %j', full.type, full);
}
