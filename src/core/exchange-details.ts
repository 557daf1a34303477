/**
 * {@link negotiateDetailsOf}: what the Negotiate exchange of a response did, for every adapter.
 *
 * @module
 */

/**
 * What the Negotiate exchange behind one response did: the mechanism, the tokens, and what the
 * security context granted (RFC 2744 section 5.19, `ret_flags`). Delegation in particular is
 * only a request: the KDC refuses a forwardable ticket to an account marked "sensitive and
 * cannot be delegated", MIT then sends the token without the delegated ticket, and the server
 * answers 200 as usual; `delegated` says what actually happened.
 *
 * @example
 * ```ts
 * const details = negotiateDetailsOf(res);
 * if (details?.delegationRequested && !details.delegated) console.warn('the KDC declined delegation');
 * ```
 */
export interface NegotiateDetails {
  /** The URL of the request (or redirect hop) the exchange was for. */
  readonly url: string;
  /** The negotiated mechanism's OID, dotted (`1.2.840.113554.1.2.2` for Kerberos), or null when unknown. */
  readonly mech: string | null;
  /** Tokens sent for this response. */
  readonly tokensSent: number;
  /** Size in bytes of the largest token sent (raw, before base64). */
  readonly tokenBytes: number;
  /** Size in bytes of the largest header value sent (`Negotiate <base64>`). */
  readonly headerBytes: number;
  /** What was asked: `true`, `'policy'` (only to ok-as-delegate services), or `false`. */
  readonly delegationRequested: boolean | 'policy';
  /** Whether a ticket was actually delegated (GSS_C_DELEG_FLAG among the granted flags). */
  readonly delegated: boolean;
  /** Whether the server proved its identity (the context completed with mutual authentication). */
  readonly mutualAuthenticated: boolean;
  /** Every `ContextFlag` bit the context granted. */
  readonly flags: number;
}

const details = new WeakMap<object, NegotiateDetails>();

/**
 * The details of the Negotiate exchange behind a response, or `undefined` when no token was
 * sent for it (a session cookie or an authenticated connection stood in, or the server never
 * asked). Takes the client's own response object (a fetch `Response`, an axios or got response)
 * or, for the undici interceptor, `res.context.negotiate`, like `negotiateErrorOf`.
 *
 * @example
 * ```ts
 * import { createFetch, HTTPSPNEGOAuth, negotiateDetailsOf } from 'http-gssapi';
 * const res = await createFetch(new HTTPSPNEGOAuth({ delegate: true }))('https://app.example.org/');
 * console.log(negotiateDetailsOf(res)?.delegated); // false when the KDC declined
 * ```
 */
export function negotiateDetailsOf(response: object): NegotiateDetails | undefined {
  return details.get(response);
}

/** Internal: records the details for the client's response objects. */
export function recordExchangeDetails(
  record: NegotiateDetails,
  subjects: readonly (object | undefined)[],
): void {
  for (const subject of subjects) if (subject) details.set(subject, record);
}
