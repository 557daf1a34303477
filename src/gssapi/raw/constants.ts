/**
 * Numeric constants of the GSSAPI C bindings (RFC 2744 section 3.9 and appendix A), plus the
 * MIT/Heimdal extension flags this library uses. Values are ABI: MIT and Heimdal agree on them.
 *
 * @example
 * ```ts
 * import { ContextFlag, isError } from 'http-gssapi/gssapi/raw';
 * const wanted = ContextFlag.MUTUAL | ContextFlag.SEQUENCE | ContextFlag.REPLAY;
 * ```
 * @module
 */

/** Context flags (`req_flags` / `ret_flags`), RFC 2744 section 5.19 plus extensions. */
export const ContextFlag = {
  DELEG: 1,
  MUTUAL: 2,
  REPLAY: 4,
  SEQUENCE: 8,
  CONF: 16,
  INTEG: 32,
  ANON: 64,
  PROT_READY: 128,
  TRANS: 256,
  /**
   * MIT 1.19+, acceptor's `ret_flags`: the initiator's token carried channel bindings and they
   * matched the acceptor's. An acceptor given bindings still accepts a token that carries none
   * (the flag is then unset), so a server that requires bindings must check this flag.
   */
  CHANNEL_BOUND: 2048,
  /** MIT and Heimdal: delegate only when the KDC marks the service ok-as-delegate (RFC 5896). */
  DELEG_POLICY: 32768,
} as const;

/** Credential usage values, RFC 2744 section 5.2. */
export const CredUsage = { BOTH: 0, INITIATE: 1, ACCEPT: 2 } as const;

/** `GSS_C_INDEFINITE`: lifetime without limit (RFC 2744 section 3.9.1). */
export const INDEFINITE = 0xffffffff;

/** Status code types for `gss_display_status` (RFC 2744 section 5.11). */
export const StatusType = { GSS_CODE: 1, MECH_CODE: 2 } as const;

/** Shifts and masks that split a major status word (RFC 2744 section 3.9.1). */
export const CALLING_ERROR_OFFSET = 24;
export const ROUTINE_ERROR_OFFSET = 16;
export const SUPPLEMENTARY_OFFSET = 0;
export const CALLING_ERROR_MASK = 0xff;
export const ROUTINE_ERROR_MASK = 0xff;
export const SUPPLEMENTARY_MASK = 0xffff;

/** `GSS_S_COMPLETE`. */
export const COMPLETE = 0;
/** `GSS_S_CONTINUE_NEEDED`: a supplementary bit, not an error (RFC 2744 section 3.9.1). */
export const CONTINUE_NEEDED = 1;

/** Calling errors, by their value after shifting (RFC 2744 section 3.9.1 table 5-1). */
export const CALLING_ERROR_NAMES = {
  1: 'GSS_S_CALL_INACCESSIBLE_READ',
  2: 'GSS_S_CALL_INACCESSIBLE_WRITE',
  3: 'GSS_S_CALL_BAD_STRUCTURE',
} as const satisfies Readonly<Record<number, string>>;

/** Routine errors, by their value after shifting (RFC 2744 section 3.9.1 table 5-2). */
export const ROUTINE_ERROR_NAMES = {
  1: 'GSS_S_BAD_MECH',
  2: 'GSS_S_BAD_NAME',
  3: 'GSS_S_BAD_NAMETYPE',
  4: 'GSS_S_BAD_BINDINGS',
  5: 'GSS_S_BAD_STATUS',
  6: 'GSS_S_BAD_SIG',
  7: 'GSS_S_NO_CRED',
  8: 'GSS_S_NO_CONTEXT',
  9: 'GSS_S_DEFECTIVE_TOKEN',
  10: 'GSS_S_DEFECTIVE_CREDENTIAL',
  11: 'GSS_S_CREDENTIALS_EXPIRED',
  12: 'GSS_S_CONTEXT_EXPIRED',
  13: 'GSS_S_FAILURE',
  14: 'GSS_S_BAD_QOP',
  15: 'GSS_S_UNAUTHORIZED',
  16: 'GSS_S_UNAVAILABLE',
  17: 'GSS_S_DUPLICATE_ELEMENT',
  18: 'GSS_S_NAME_NOT_MN',
  19: 'GSS_S_BAD_MECH_ATTR',
} as const satisfies Readonly<Record<number, string>>;

/**
 * A routine or calling error name (RFC 2744 section 3.9.1): a `GSSError.code` when the minor
 * status names nothing more specific.
 */
export type GSSStatusName =
  | (typeof ROUTINE_ERROR_NAMES)[keyof typeof ROUTINE_ERROR_NAMES]
  | (typeof CALLING_ERROR_NAMES)[keyof typeof CALLING_ERROR_NAMES];

/** Supplementary information bits (RFC 2744 section 3.9.1 table 5-3). */
export const SUPPLEMENTARY_NAMES: Readonly<Record<number, string>> = {
  1: 'GSS_S_CONTINUE_NEEDED',
  2: 'GSS_S_DUPLICATE_TOKEN',
  4: 'GSS_S_OLD_TOKEN',
  8: 'GSS_S_UNSEQ_TOKEN',
  16: 'GSS_S_GAP_TOKEN',
};

/** Channel binding address types (RFC 2744 section 3.11); HTTP uses `UNSPEC` with application data. */
export const AddressType = { UNSPEC: 0, LOCAL: 1, INET: 2, INET6: 24, NULLADDR: 255 } as const;

/** True when a major status word carries a calling or routine error (`GSS_ERROR()` in C). */
export function isError(major: number): boolean {
  return (
    ((major >>> CALLING_ERROR_OFFSET) & CALLING_ERROR_MASK) !== 0 ||
    ((major >>> ROUTINE_ERROR_OFFSET) & ROUTINE_ERROR_MASK) !== 0
  );
}

/** Splits a major status word into its three parts (RFC 2744 section 3.9.1). */
export function splitMajor(major: number): { calling: number; routine: number; supplementary: number } {
  return {
    calling: (major >>> CALLING_ERROR_OFFSET) & CALLING_ERROR_MASK,
    routine: (major >>> ROUTINE_ERROR_OFFSET) & ROUTINE_ERROR_MASK,
    supplementary: (major >>> SUPPLEMENTARY_OFFSET) & SUPPLEMENTARY_MASK,
  };
}
