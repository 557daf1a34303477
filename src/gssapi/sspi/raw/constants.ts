/**
 * Constants of the SSPI interface (sspi.h, issper16.h, winerror.h) that the Negotiate initiator
 * uses, with the values Windows defines. Pure data: importing this file loads nothing.
 *
 * @module
 */

/**
 * `fContextReq` bits of InitializeSecurityContextW (ISC_REQ_*). `ALLOCATE_MEMORY` is listed for
 * completeness and never used: Wine 8 rejects it, and a caller-provided output buffer of the
 * package's `cbMaxToken` bytes works everywhere.
 *
 * @example
 * ```ts
 * const req = IscReq.MUTUAL_AUTH | IscReq.SEQUENCE_DETECT;
 * ```
 */
export const IscReq = {
  DELEGATE: 0x1,
  MUTUAL_AUTH: 0x2,
  REPLAY_DETECT: 0x4,
  SEQUENCE_DETECT: 0x8,
  CONFIDENTIALITY: 0x10,
  USE_SESSION_KEY: 0x20,
  ALLOCATE_MEMORY: 0x100,
  CONNECTION: 0x800,
  INTEGRITY: 0x10000,
  IDENTIFY: 0x20000,
} as const;

/**
 * `pfContextAttr` bits InitializeSecurityContextW reports back (ISC_RET_*).
 *
 * @example
 * ```ts
 * const mutual = (attributes & IscRet.MUTUAL_AUTH) !== 0;
 * ```
 */
export const IscRet = {
  DELEGATE: 0x1,
  MUTUAL_AUTH: 0x2,
  REPLAY_DETECT: 0x4,
  SEQUENCE_DETECT: 0x8,
  CONFIDENTIALITY: 0x10,
  USE_SESSION_KEY: 0x20,
  CONNECTION: 0x800,
  INTEGRITY: 0x10000,
  IDENTIFY: 0x20000,
} as const;

/**
 * `fCredentialUse` of AcquireCredentialsHandleW.
 *
 * @example
 * ```ts
 * acquireCredentialsHandle({ principal: null, packageName: 'Negotiate', use: CredentialUse.OUTBOUND, identity: null });
 * ```
 */
export const CredentialUse = { INBOUND: 1, OUTBOUND: 2, BOTH: 3 } as const;

/**
 * `BufferType` of a SecBuffer.
 *
 * @example
 * ```ts
 * const buffers = [{ type: SecBufferType.TOKEN, data: serverToken }];
 * ```
 */
export const SecBufferType = { EMPTY: 0, DATA: 1, TOKEN: 2, CHANNEL_BINDINGS: 14 } as const;

/** `ulVersion` of every SecBufferDesc. */
export const SECBUFFER_VERSION = 0;

/** `TargetDataRep` for InitializeSecurityContextW (ignored by Kerberos and Negotiate). */
export const SECURITY_NATIVE_DREP = 0x10;

/** `Flags` of SEC_WINNT_AUTH_IDENTITY_W: the strings are UTF-16. */
export const SEC_WINNT_AUTH_IDENTITY_UNICODE = 0x2;

/** `Version` of SEC_WINNT_AUTH_IDENTITY_EXW (sspi.h), the identity that carries a `PackageList`. */
export const SEC_WINNT_AUTH_IDENTITY_VERSION = 0x200;

/**
 * `ulAttribute` values of QueryContextAttributesW used here. Wine 8 answers only SIZES and
 * NEGOTIATION_INFO; NAMES and FLAGS give SEC_E_UNSUPPORTED_FUNCTION there.
 *
 * @example
 * ```ts
 * queryContextAttribute(context, ContextAttribute.NEGOTIATION_INFO);
 * ```
 */
export const ContextAttribute = { SIZES: 0, NAMES: 1, NEGOTIATION_INFO: 12, FLAGS: 14 } as const;

/** `NegotiationState` of SecPkgContext_NegotiationInfoW. */
export const NegotiationState = {
  COMPLETE: 0,
  OPTIMISTIC: 1,
  IN_PROGRESS: 2,
  DIRECT: 3,
  TRY_MULTICRED: 4,
} as const;

/**
 * SECURITY_STATUS values (winerror.h) an HTTP initiator meets, by name. Success codes first.
 * The numbers are the unsigned 32-bit HRESULTs; the raw layer returns them unsigned.
 *
 * @example
 * ```ts
 * if (status === SecStatus.SEC_I_CONTINUE_NEEDED) send(output);
 * ```
 */
export const SecStatus = {
  SEC_E_OK: 0x00000000,
  SEC_I_CONTINUE_NEEDED: 0x00090312,
  SEC_I_COMPLETE_NEEDED: 0x00090313,
  SEC_I_COMPLETE_AND_CONTINUE: 0x00090314,
  SEC_E_INSUFFICIENT_MEMORY: 0x80090300,
  SEC_E_INVALID_HANDLE: 0x80090301,
  SEC_E_UNSUPPORTED_FUNCTION: 0x80090302,
  SEC_E_TARGET_UNKNOWN: 0x80090303,
  SEC_E_INTERNAL_ERROR: 0x80090304,
  SEC_E_SECPKG_NOT_FOUND: 0x80090305,
  SEC_E_NOT_OWNER: 0x80090306,
  SEC_E_INVALID_TOKEN: 0x80090308,
  SEC_E_QOP_NOT_SUPPORTED: 0x8009030a,
  SEC_E_NO_IMPERSONATION: 0x8009030b,
  SEC_E_LOGON_DENIED: 0x8009030c,
  SEC_E_UNKNOWN_CREDENTIALS: 0x8009030d,
  SEC_E_NO_CREDENTIALS: 0x8009030e,
  SEC_E_MESSAGE_ALTERED: 0x8009030f,
  SEC_E_OUT_OF_SEQUENCE: 0x80090310,
  SEC_E_NO_AUTHENTICATING_AUTHORITY: 0x80090311,
  SEC_E_BUFFER_TOO_SMALL: 0x80090321,
  SEC_E_WRONG_PRINCIPAL: 0x80090322,
  SEC_E_TIME_SKEW: 0x80090324,
  SEC_E_UNTRUSTED_ROOT: 0x80090325,
  SEC_E_ILLEGAL_MESSAGE: 0x80090326,
  SEC_E_CERT_UNKNOWN: 0x80090327,
  SEC_E_CERT_EXPIRED: 0x80090328,
  SEC_E_CONTEXT_EXPIRED: 0x80090317,
  SEC_E_INCOMPLETE_MESSAGE: 0x80090318,
  SEC_E_DELEGATION_REQUIRED: 0x80090345,
  SEC_E_BAD_BINDINGS: 0x80090346,
  SEC_E_NO_KERB_KEY: 0x80090348,
  SEC_E_KDC_UNKNOWN_ETYPE: 0x80090342,
  SEC_E_POLICY_NLTM_ONLY: 0x8009035f,
  SEC_E_DOWNGRADE_DETECTED: 0x80090350,
  SEC_E_SMARTCARD_LOGON_REQUIRED: 0x8009033e,
  SEC_E_MUTUAL_AUTH_FAILED: 0x80090363,
  SEC_E_KDC_CERT_EXPIRED: 0x8009035a,
  SEC_E_TOO_MANY_PRINCIPALS: 0x8009033b,
  SEC_E_CROSSREALM_DELEGATION_FAILURE: 0x80090357,
  SEC_E_INVALID_PARAMETER: 0x8009035d,
  SEC_E_STRONG_CRYPTO_NOT_SUPPORTED: 0x8009033a,
  SEC_E_KDC_INVALID_REQUEST: 0x80090340,
  SEC_E_KDC_UNABLE_TO_REFER: 0x80090341,
  SEC_E_UNSUPPORTED_PREAUTH: 0x80090343,
  SEC_E_DELEGATION_POLICY: 0x8009035e,
  SEC_E_NO_CONTEXT: 0x80090361,
  /**
   * An NTSTATUS, not a SEC_E_* value: what Wine's Kerberos package returns for every krb5 error
   * of a password login in AcquireCredentialsHandleW (its `krb5_error_to_status`).
   */
  STATUS_UNSUCCESSFUL: 0xc0000001,
} as const;

/**
 * A SECURITY_STATUS name this library knows.
 *
 * @example
 * ```ts
 * const skew: SecStatusName = 'SEC_E_TIME_SKEW';
 * ```
 */
export type SecStatusName = keyof typeof SecStatus;

/** Whether a SECURITY_STATUS is a failure (the severity bit of an HRESULT). */
export function isSecError(status: number): boolean {
  return (status & 0x80000000) !== 0;
}
