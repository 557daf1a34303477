import type { NegotiateFlow } from './negotiate-flow.js';
import { sanitizedHeaders } from './sanitize.js';

/**
 * How a client that can simply await a send (fetch, axios) runs one Negotiate exchange with
 * {@link runExchange}: the client's own response type `R`, and five translations (`send`,
 * `status`, `header`, `discard`, `sanitize`), with two optional hooks (`clientResponse`,
 * `checkAborted`).
 *
 * @example
 * ```ts
 * const exchange: Exchange<Response> = {
 *   send: (headers) => fetch(url, { headers }),
 *   status: (res) => res.status,
 *   header: (res, name) => res.headers.get(name),
 *   discard: (res) => res.body?.cancel(),
 *   sanitize: (res, headers) => new Response(null, { status: res.status, headers }),
 * };
 * ```
 */
export interface Exchange<R> {
  /**
   * Sends one attempt with these request headers set on top of the request's own (the token in
   * {@link NegotiateFlow.header}, or nothing): see {@link NegotiateFlow.requestHeaders}.
   */
  send(headers: Readonly<Record<string, string>>): Promise<R>;
  status(response: R): number;
  /**
   * The object the caller receives for `response`, when it is not `response` itself: what a
   * flow error carries and what `negotiateErrorOf` answers for.
   */
  clientResponse?(response: R): object;
  /** A response header (lower-case name), or null. */
  header(response: R, name: string): string | readonly string[] | null | undefined;
  /** Releases a response that is not handed over (a challenge answered, a rejected response). */
  discard(response: R): Promise<void> | void;
  /** The response stripped to these headers and no body (mutual authentication REQUIRED). */
  sanitize(response: R, headers: Record<string, string>): R;
  /** Throws when the caller gave up between attempts (an aborted signal). */
  checkAborted?(): void;
}

/**
 * Runs one exchange to its end: the first attempt (with a token when the flow says so), a new
 * attempt per answered challenge, and the response the flow hands over. Errors are the flow's
 * (`BodyNotReplayableError` before anything is sent, `MutualAuthenticationError` with the
 * response attached) or the client's own; the flow's context is released in every case.
 *
 * @example
 * ```ts
 * const res = await runExchange(auth.flow(url), exchange);
 * ```
 */
export async function runExchange<R>(flow: NegotiateFlow, exchange: Exchange<R>): Promise<R> {
  try {
    let authorization = await flow.start();
    for (;;) {
      let response: R;
      try {
        response = await exchange.send(flow.requestHeaders(authorization));
      } catch (error) {
        // A bound token stopped before it was written (another certificate on the connection).
        if (!flow.rebind(error)) throw error;
        // Two turns later: a client frees the refused connection first, and then sends the bare
        // attempt on the connection its answer will take too (undici's pool would pick another).
        await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
        authorization = null;
        continue;
      }
      let decision: Awaited<ReturnType<NegotiateFlow['onResponse']>>;
      try {
        decision = await flow.onResponse({
          status: exchange.status(response),
          header: (name) => exchange.header(response, name),
          response: exchange.clientResponse?.(response) ?? (response as object),
        });
      } catch (error) {
        await exchange.discard(response);
        throw error;
      }
      if (decision.action === 'return') {
        if (!decision.sanitize) return response;
        return exchange.sanitize(
          response,
          sanitizedHeaders((name) => exchange.header(response, name)),
        );
      }
      await exchange.discard(response);
      exchange.checkAborted?.();
      authorization = decision.authorization;
    }
  } finally {
    flow.dispose();
  }
}
