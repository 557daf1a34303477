/**
 * What to tell the caller when a server keeps answering our tokens with a new challenge: it
 * refused them, and a Negotiate refusal rarely says why (a bare `Negotiate` 401, as Tomcat
 * answers, or a SPNEGO reject without a mechanism token, RFC 4178 section 4.2.2).
 *
 * @module
 */
import { OID } from '../gssapi/oid.js';
import { SPNEGOExchangeError } from './errors.js';

/**
 * What the flow knows about the tokens a server refused.
 *
 * @example
 * ```ts
 * const refused: RefusedExchange = { challenges: 3, bound: false, delegated: false, mech: KRB5 };
 * ```
 */
export interface RefusedExchange {
  /** How many challenges came in a row (the last answered none). */
  readonly challenges: number;
  /** Whether any refused token carried channel bindings. */
  readonly bound: boolean;
  /** Whether any refused token delegated the user's credentials (the context granted `DELEG`). */
  readonly delegated: boolean;
  /** The mechanism the tokens were made for (`mech` option); null lets GSSAPI choose. */
  readonly mech: OID | null;
}

/**
 * The error for a server that refused every token of an exchange by challenging again, with a
 * hint naming the usual causes. They are all on the server's side, which is why only its log
 * says which: the service's keys (a keytab older than the KDC's key: kvno mismatch), the clocks
 * (Kerberos allows 5 minutes, RFC 4120 section 1.6), an SPN registered to another account, an
 * SPNEGO-only acceptor given raw Kerberos (`mech: KRB5`), channel bindings a TLS middlebox
 * broke, or a server that accepts only delegated credentials (lighttpd's `mod_authn_gssapi` with
 * its default `store-creds`) given a token that did not delegate.
 *
 * @example
 * ```ts
 * const error = tokenRefusedError({ challenges: 3, bound: false, delegated: false, mech: SPNEGO });
 * error.message; // 'the server refused our Negotiate token: it answered 3 Negotiate challenges in a row'
 * ```
 */
export function tokenRefusedError(refused: RefusedExchange): SPNEGOExchangeError {
  const causes: string[] = [];
  if (refused.bound) {
    causes.push(
      'if the server enforces channel bindings (Extended Protection), a TLS proxy or load balancer between us presents another certificate than the server expects (its log says bad bindings)',
    );
  }
  causes.push(
    'most likely its keytab does not match the KDC (the service password was reset: kvno mismatch, re-export the keytab), the clocks differ by more than 5 minutes, or the SPN belongs to another account',
  );
  if (refused.mech?.equals(OID.KRB5)) {
    causes.push(
      'an acceptor that speaks only SPNEGO (Tomcat, IIS) refuses the raw Kerberos tokens that mech: KRB5 makes: leave mech at its default (SPNEGO)',
    );
  }
  if (!refused.delegated) {
    causes.push(
      "the server may require delegated credentials (lighttpd's mod_authn_gssapi with its default store-creds refuses a token that does not delegate): try delegate: true if you trust it with your ticket",
    );
  }
  return new SPNEGOExchangeError(
    `the server refused our Negotiate token: it answered ${refused.challenges} Negotiate challenges in a row`,
    {
      hint: `the server rejects our tickets without saying why: ${causes.join('; ')}; the server's log names the cause`,
    },
  );
}
