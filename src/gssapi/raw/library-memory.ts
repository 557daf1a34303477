/**
 * Taking what the GSSAPI library allocated: copying it into JS and releasing the library's copy
 * at once, so that no raw result holds library memory (RFC 2744 sections 5.27 and 5.28).
 *
 * @module
 */
import { bindFunctions } from './bind-functions.js';
import { readOidSet } from './memory.js';

const functions = bindFunctions({
  release_buffer: 'uint32_t gss_release_buffer(_Out_ uint32_t *minor, void *buffer)',
  release_oid_set: 'uint32_t gss_release_oid_set(_Out_ uint32_t *minor, _Inout_ void **set)',
});

/**
 * `gss_release_buffer` on an output buffer the library filled; pass it to `Arena.takeBuffer`.
 *
 * @example
 * ```ts
 * const bytes = arena.takeBuffer(desc, releaseBuffer);
 * ```
 */
export function releaseBuffer(desc: bigint): void {
  functions().release_buffer([0], desc);
}

/**
 * Copies a `gss_OID_set` the library allocated, then releases it. 0n (no set) gives `[]`.
 *
 * @example
 * ```ts
 * const mechs = takeOidSet(set[0] ?? 0n);
 * ```
 */
export function takeOidSet(set: bigint): Uint8Array[] {
  if (set === 0n) return [];
  const oids = readOidSet(set);
  functions().release_oid_set([0], [set]);
  return oids;
}
