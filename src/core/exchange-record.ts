/**
 * What one flow's exchange did, across its contexts: tokens sent and their sizes, whether any
 * was bound or delegated, and what the last context that sent a token granted. Read when the
 * response is handed over (`negotiateDetailsOf`, the header-size explanation) and for the hint
 * when a server refuses our tokens.
 *
 * @module
 */
import { ContextFlag } from '../gssapi/raw/constants.js';
import type { HttpGssapiError } from './errors.js';
import { type NegotiateDetails, recordExchangeDetails } from './exchange-details.js';
import { headerTooLarge } from './header-limits.js';
import type { NegotiateContext } from './negotiate-context.js';

/** What a released context that sent a token granted. */
interface Granted {
  readonly flags: number;
  readonly mech: string | null;
  readonly mutualAuthenticated: boolean;
}

/**
 * The record of one flow's exchange. {@link ExchangeRecord.sent} counts each token as it goes
 * out; {@link ExchangeRecord.released} takes what a context that sent a token granted, at the
 * one point where such a context ends (before it is disposed, when its flags can still be read).
 *
 * @example
 * ```ts
 * const record = new ExchangeRecord();
 * record.sent(token, authorization);
 * record.released(context); // then context.dispose()
 * const tooLarge = record.handOver({ url, header: 'authorization', status: 431, delegationRequested: false, subjects: [res] });
 * ```
 */
export class ExchangeRecord {
  /** Tokens sent, all contexts together. */
  tokens = 0;
  /** Largest token and header value sent so far, in bytes. */
  tokenBytes = 0;
  headerBytes = 0;
  /** Whether any token sent was bound (channel bindings). */
  bound = false;
  /** Whether any released context was granted delegation. */
  delegated = false;
  #granted: Granted | null = null;

  /** One token went out, in this header value. */
  sent(token: Uint8Array, header: string, bound: boolean): void {
    this.tokens++;
    this.tokenBytes = Math.max(this.tokenBytes, token.length);
    this.headerBytes = Math.max(this.headerBytes, header.length);
    if (bound) this.bound = true;
  }

  /** A context whose token went out ends: what it granted is kept (it is disposed next). */
  released(context: NegotiateContext): void {
    this.#granted = {
      flags: context.actualFlags ?? 0,
      mech: context.mech ? String(context.mech) : null,
      mutualAuthenticated: context.mutualAuthenticated,
    };
    if ((this.#granted.flags & ContextFlag.DELEG) !== 0) this.delegated = true;
  }

  /**
   * The response goes back to the caller: the exchange details are recorded for `subjects` (for
   * `negotiateDetailsOf`), and a 400, 413 or 431 to a request that carried a token is explained
   * by the token's size ({@link headerTooLarge}). Returns that error, or null.
   */
  handOver(response: {
    readonly url: URL;
    readonly header: 'authorization' | 'proxy-authorization';
    readonly status: number;
    readonly delegationRequested: boolean | 'policy';
    readonly subjects: readonly (object | undefined)[];
  }): HttpGssapiError | null {
    const granted = this.#granted;
    this.#granted = null;
    if (!granted || this.tokens === 0) return null;
    const details: NegotiateDetails = {
      url: response.url.href,
      mech: granted.mech,
      tokensSent: this.tokens,
      tokenBytes: this.tokenBytes,
      headerBytes: this.headerBytes,
      delegationRequested: response.delegationRequested,
      delegated: (granted.flags & ContextFlag.DELEG) !== 0,
      mutualAuthenticated: granted.mutualAuthenticated,
      flags: granted.flags,
    };
    recordExchangeDetails(details, response.subjects);
    return headerTooLarge({
      status: response.status,
      header: response.header,
      headerBytes: this.headerBytes,
      tokenBytes: this.tokenBytes,
      delegated: details.delegated,
      origin: response.url.origin,
    });
  }
}
