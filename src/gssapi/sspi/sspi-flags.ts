/**
 * GSSAPI context flags (RFC 2744 section 5.19) as SSPI ISC_REQ_* bits and back.
 *
 * Delegation: GSSAPI has two requests, unconditional (GSS_C_DELEG_FLAG) and "only where the KDC
 * marks the service ok-as-delegate" (GSS_C_DELEG_POLICY_FLAG, RFC 5896). SSPI has one,
 * ISC_REQ_DELEGATE, and Windows' Kerberos package forwards the ticket-granting ticket only to
 * services trusted for delegation (ok-as-delegate), so both map to it. Wine's secur32 passes it
 * to MIT as GSS_C_DELEG_FLAG, which ignores ok-as-delegate.
 *
 * @module
 */
import { ContextFlag } from '../raw/constants.js';
import { GssapiLibraryError } from '../raw/library.js';
import { IscReq, IscRet } from './raw/constants.js';

const PAIRS: readonly (readonly [number, number, number])[] = [
  [ContextFlag.DELEG, IscReq.DELEGATE, IscRet.DELEGATE],
  [ContextFlag.DELEG_POLICY, IscReq.DELEGATE, 0],
  [ContextFlag.MUTUAL, IscReq.MUTUAL_AUTH, IscRet.MUTUAL_AUTH],
  [ContextFlag.REPLAY, IscReq.REPLAY_DETECT, IscRet.REPLAY_DETECT],
  [ContextFlag.SEQUENCE, IscReq.SEQUENCE_DETECT, IscRet.SEQUENCE_DETECT],
  [ContextFlag.CONF, IscReq.CONFIDENTIALITY, IscRet.CONFIDENTIALITY],
  [ContextFlag.INTEG, IscReq.INTEGRITY, IscRet.INTEGRITY],
];

/**
 * `fContextReq` for GSSAPI request flags.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_UNSUPPORTED` for anonymity (GSS_C_ANON_FLAG), which
 *   SSPI's Kerberos package cannot provide.
 * @example
 * ```ts
 * iscRequestFlags(ContextFlag.MUTUAL | ContextFlag.SEQUENCE); // ISC_REQ_MUTUAL_AUTH | ISC_REQ_SEQUENCE_DETECT
 * ```
 */
export function iscRequestFlags(flags: number): number {
  if (flags & ContextFlag.ANON) {
    throw new GssapiLibraryError(
      'ERR_GSSAPI_UNSUPPORTED',
      'the SSPI provider cannot request anonymity (ContextFlag.ANON)',
    );
  }
  let req = 0;
  for (const [gss, isc] of PAIRS) if (flags & gss) req |= isc;
  return req >>> 0;
}

/**
 * GSSAPI flags for what InitializeSecurityContextW granted (`pfContextAttr`).
 *
 * @example
 * ```ts
 * contextFlagsOf(IscRet.MUTUAL_AUTH) === ContextFlag.MUTUAL; // true
 * ```
 */
export function contextFlagsOf(attributes: number): number {
  let flags = 0;
  for (const [gss, , ret] of PAIRS) if (ret && attributes & ret) flags |= gss;
  return flags;
}
