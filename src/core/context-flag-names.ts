/**
 * Names of GSSAPI context flags, for diagnostics and the command-line trace.
 *
 * @module
 */
import { ContextFlag } from '../gssapi/raw/constants.js';

/** The flag bits this library asks for or reports, named as in RFC 2744 section 5.19 (`GSS_C_<name>_FLAG`). */
const NAMES: readonly (readonly [number, string])[] = [
  [ContextFlag.DELEG, 'deleg'],
  [ContextFlag.DELEG_POLICY, 'deleg-policy'],
  [ContextFlag.MUTUAL, 'mutual'],
  [ContextFlag.REPLAY, 'replay'],
  [ContextFlag.SEQUENCE, 'sequence'],
  [ContextFlag.CONF, 'conf'],
  [ContextFlag.INTEG, 'integ'],
  [ContextFlag.ANON, 'anon'],
  [ContextFlag.PROT_READY, 'prot-ready'],
  [ContextFlag.TRANS, 'trans'],
];

/**
 * The names of the flags set in `bits` (`req_flags` or `ret_flags`), in a fixed order; bits
 * without a name are left out.
 *
 * @example
 * ```ts
 * contextFlagNames(ContextFlag.MUTUAL | ContextFlag.SEQUENCE); // ['mutual', 'sequence']
 * ```
 */
export function contextFlagNames(bits: number): string[] {
  return NAMES.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
}
