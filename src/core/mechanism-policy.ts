import type { Credentials } from '../gssapi/credentials.js';
import { OID } from '../gssapi/oid.js';
import { providerCapabilities } from '../gssapi/provider.js';
import { NtlmNotAllowedError } from './errors.js';
import type { ContextFactory } from './negotiate-context.js';
import type { ResolvedOptions } from './options.js';

/** Credentials already limited to Kerberos: `gss_set_neg_mechs` is done once per handle. */
const limited = new WeakSet<Credentials>();

/**
 * Limits what SPNEGO may negotiate with `creds` to Kerberos (RFC 4178 section 3,
 * `gss_set_neg_mechs`) unless the `allowNtlm` option is on: without it a SPNEGO that can offer
 * every mechanism the credentials serve (MIT's) falls back to NTLM, with gss-ntlmssp installed,
 * when Kerberos fails (an unknown SPN, no ticket). Nothing for null credentials (the library's
 * own, acquired inside the call; {@link refuseNtlm} guards those), for another mechanism than
 * SPNEGO, or where the provider cannot limit a handle after acquisition
 * (`limitMechsAfterAcquisition` false): there the credential source and the context acquire
 * them already limited ({@link negotiableMechsFor}, `limitMechsAtAcquisition`), and
 * {@link refuseNtlm} guards credentials the caller acquired without the limit.
 *
 * @example
 * ```ts
 * limitToKerberos(creds, options); // before the first gss_init_sec_context with creds
 * ```
 */
export function limitToKerberos(creds: Credentials | null, options: ResolvedOptions): void {
  if (options.allowNtlm || creds === null || limited.has(creds)) return;
  if (!providerCapabilities().limitMechsAfterAcquisition) return;
  if (options.mech !== null && !options.mech.equals(OID.SPNEGO)) return;
  const mechs = creds.mechs;
  if (mechs.some((m) => m.equals(OID.NTLMSSP)) && !mechs.some((m) => m.equals(OID.KRB5))) {
    // Limited to Kerberos, SPNEGO would find nothing to negotiate ("SPNEGO cannot find
    // mechanisms"): say why instead, before any token is made.
    throw new NtlmNotAllowedError('the credentials serve NTLM but not Kerberos, and NTLM is not allowed', {
      hint: 'use Kerberos credentials (kinit, a keytab or a password login), or set the allowNtlm option to true if NTLM is really wanted',
    });
  }
  creds.setNegotiableMechs([OID.KRB5]);
  limited.add(creds);
}

/**
 * What SPNEGO may negotiate for this client: Kerberos alone (`[OID.KRB5]`) unless the
 * `allowNtlm` option is on or another mechanism than SPNEGO was chosen, else null (no limit).
 * A provider that takes the limit at acquisition (`limitMechsAtAcquisition`) acquires its
 * credentials with it; the others get the same limit from {@link limitToKerberos}.
 *
 * @example
 * ```ts
 * negotiableMechsFor(resolveOptions({})); // [OID.KRB5]
 * negotiableMechsFor(resolveOptions({ allowNtlm: true })); // null
 * ```
 */
export function negotiableMechsFor(options: ResolvedOptions): readonly OID[] | null {
  if (options.allowNtlm) return null;
  if (options.mech !== null && !options.mech.equals(OID.SPNEGO)) return null;
  return KERBEROS_ONLY;
}

const KERBEROS_ONLY: readonly OID[] = Object.freeze([OID.KRB5]);

/**
 * `inner` with the client's {@link negotiableMechsFor} limit on every context it makes: a
 * context without credentials (the default ones busy or unavailable) may acquire its own (a
 * provider that limits at acquisition does), and those must be limited to Kerberos too.
 *
 * @example
 * ```ts
 * const factory = limitedContextFactory(gssapiContextFactory, options);
 * ```
 */
export function limitedContextFactory(inner: ContextFactory, options: ResolvedOptions): ContextFactory {
  const negotiableMechs = negotiableMechsFor(options);
  if (negotiableMechs === null) return inner;
  return (request) => inner({ ...request, negotiableMechs });
}

/** `NTLMSSP\0`: the signature every NTLM message starts with (MS-NLMP section 2.2.1). */
const NTLM_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/**
 * Defense in depth: throws {@link NtlmNotAllowedError} for a token about to be sent that carries
 * an NTLM message (bare, or as SPNEGO's mechToken/responseToken) or comes from a context whose
 * mechanism is NTLM, unless the `allowNtlm` option is on. Covers what {@link limitToKerberos}
 * cannot: the library's default credentials, a handle the provider cannot limit after its
 * acquisition, caller credentials.
 * Eight fixed bytes inside a Kerberos AP-REQ (encrypted parts, random-looking) by chance: 2^-64
 * per position, never seen.
 *
 * @example
 * ```ts
 * refuseNtlm(token, context.mech, options); // before the token goes into an Authorization header
 * ```
 */
export function refuseNtlm(token: Uint8Array, mech: OID | null, options: ResolvedOptions): void {
  if (options.allowNtlm) return;
  const isNtlm = mech?.equals(OID.NTLMSSP) || Buffer.from(token).includes(NTLM_SIGNATURE);
  if (!isNtlm) return;
  throw new NtlmNotAllowedError(
    'the security context produced an NTLM token (Kerberos was not used), which was not sent',
    {
      hint: 'Kerberos failed for this server (check the SPN and that a ticket can be had: kvno HTTP/host); if NTLM is really wanted, set the allowNtlm option to true',
    },
  );
}
