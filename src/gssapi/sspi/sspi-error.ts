import { GSSError } from '../gss-error.js';
import type { OID } from '../oid.js';
import { ROUTINE_ERROR_NAMES, ROUTINE_ERROR_OFFSET } from '../raw/constants.js';
import { describeSecStatus, secStatusName } from './status.js';

const ROUTINE_BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(ROUTINE_ERROR_NAMES).map(([value, name]) => [name, Number(value)]),
);

/**
 * An SSPI call failed (SSPI provider, Windows). A {@link GSSError}, so that code written for the
 * GSSAPI provider keeps working: `code` is the name both providers share where the failure is
 * the same (`KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN` for SEC_E_TARGET_UNKNOWN, `KRB5KDC_ERR_PREAUTH_FAILED`
 * for SEC_E_LOGON_DENIED, `GSS_S_NO_CRED` for SEC_E_NO_CREDENTIALS, ...), else the SEC_E_* name;
 * `majorName` and `credentialFailure` follow the GSSAPI routine error it corresponds to; `minor`
 * and {@link SSPIError.status} hold the SECURITY_STATUS itself.
 *
 * @example
 * ```ts
 * import { SSPIError } from 'http-gssapi/gssapi';
 * try { await ctx.step(); } catch (e) {
 *   if (e instanceof SSPIError) console.error(e.statusName, e.code, e.hint); // SEC_E_TARGET_UNKNOWN ...
 * }
 * ```
 */
export class SSPIError extends GSSError {
  /** The SECURITY_STATUS, unsigned (e.g. 0x80090303). */
  readonly status: number;
  /** Its SEC_E_* name, or its hex form when unknown. */
  readonly statusName: string;

  constructor(
    operation: string,
    status: number,
    options: { mech?: OID | null; token?: Uint8Array | null; context?: string; cause?: unknown } = {},
  ) {
    const described = describeSecStatus(status);
    const name = secStatusName(status);
    const hex = `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
    const routine = ROUTINE_BY_NAME.get(described.majorName) ?? 13;
    super(
      operation,
      { major: (routine << ROUTINE_ERROR_OFFSET) >>> 0, minor: status >>> 0 },
      {
        ...options,
        provided: {
          majorName: described.majorName,
          code: described.code,
          messages: [name === hex ? described.message : `${name} (${hex}): ${described.message}`],
          hint: described.hint,
        },
      },
    );
    this.name = 'SSPIError';
    this.status = status >>> 0;
    this.statusName = name;
  }
}
