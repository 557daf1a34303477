/**
 * Calls about the library itself rather than one name, credential or context (RFC 2744
 * sections 5.11 and 5.24), like python-gssapi's `gssapi/raw/misc.pyx`.
 *
 * @module
 */
import { bindFunctions } from './bind-functions.js';
import type { Status } from './handles.js';
import { releaseBuffer, takeOidSet } from './library-memory.js';
import { nativeOid, withArenaSync } from './memory.js';

const functions = bindFunctions({
  display_status:
    'uint32_t gss_display_status(_Out_ uint32_t *minor, uint32_t code, int type, void *mech, _Inout_ uint32_t *ctx, void *out)',
  indicate_mechs: 'uint32_t gss_indicate_mechs(_Out_ uint32_t *minor, _Out_ void **set)',
});

const decoder = new TextDecoder();

/**
 * `gss_display_status`: one message; call again with the returned context until it is 0.
 *
 * @example
 * ```ts
 * let messageContext = 0;
 * do {
 *   const status = displayStatus(major, StatusType.GSS_CODE, null, messageContext);
 *   console.log(status.text);
 *   messageContext = status.messageContext;
 * } while (messageContext !== 0);
 * ```
 */
export function displayStatus(
  code: number,
  type: 1 | 2,
  mech: Uint8Array | null,
  messageContext: number,
): Status & { readonly text: string; readonly messageContext: number } {
  return withArenaSync((arena) => {
    const minor = [0];
    const ctx = [messageContext];
    const desc = arena.outBuffer();
    const major = functions().display_status(minor, code >>> 0, type, mech ? nativeOid(mech) : 0n, ctx, desc);
    const bytes = arena.takeBuffer(desc, releaseBuffer);
    return {
      major,
      minor: minor[0]!,
      text: bytes ? decoder.decode(bytes).replace(/\0+$/, '') : '',
      messageContext: ctx[0]!,
    };
  });
}

/**
 * `gss_indicate_mechs`: the mechanisms the library supports.
 *
 * @example
 * ```ts
 * const { mechs } = indicateMechs(); // DER content bytes of each mechanism OID
 * ```
 */
export function indicateMechs(): Status & { readonly mechs: Uint8Array[] } {
  const minor = [0];
  const set = [0n];
  const major = functions().indicate_mechs(minor, set);
  return { major, minor: minor[0]!, mechs: takeOidSet(set[0] ?? 0n) };
}
