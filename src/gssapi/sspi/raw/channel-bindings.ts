/**
 * The SEC_CHANNEL_BINDINGS blob (sspi.h) that InitializeSecurityContextW takes in a
 * SECBUFFER_CHANNEL_BINDINGS input buffer: eight little-endian ULONGs, then the data they point
 * at, each offset counted from the start of the structure. The same fields as GSSAPI's
 * `gss_channel_bindings_struct` (RFC 2744 section 3.11), laid out flat. Pure bytes: built and
 * unit-tested on every platform; that Windows accepts it (IIS Extended Protection) is unproven
 * here, since Wine ignores channel bindings.
 *
 * @module
 */
import type { ChannelBindingsInput } from '../../raw/memory.js';

/** Size of the fixed part: 8 ULONGs. */
export const SEC_CHANNEL_BINDINGS_SIZE = 32;

/**
 * Builds the blob: header, then initiator address, acceptor address and application data, in
 * that order, each directly after the previous one. An absent field has length 0 and offset 0.
 *
 * @example
 * ```ts
 * const blob = encodeSecChannelBindings({ applicationData: tlsServerEndPoint });
 * // blob.length === 32 + tlsServerEndPoint.length
 * ```
 */
export function encodeSecChannelBindings(cb: ChannelBindingsInput): Uint8Array {
  const parts = [cb.initiatorAddress, cb.acceptorAddress, cb.applicationData].map(
    (p) => p ?? new Uint8Array(0),
  ) as [Uint8Array, Uint8Array, Uint8Array];
  const total = SEC_CHANNEL_BINDINGS_SIZE + parts.reduce((n, p) => n + p.length, 0);
  const blob = new Uint8Array(total);
  const view = new DataView(blob.buffer);
  const offsets: number[] = [];
  let at = SEC_CHANNEL_BINDINGS_SIZE;
  for (const part of parts) {
    offsets.push(part.length ? at : 0);
    blob.set(part, at);
    at += part.length;
  }
  const fields = [
    cb.initiatorAddrType ?? 0,
    parts[0].length,
    offsets[0]!,
    cb.acceptorAddrType ?? 0,
    parts[1].length,
    offsets[1]!,
    parts[2].length,
    offsets[2]!,
  ];
  for (const [i, value] of fields.entries()) view.setUint32(i * 4, value, true);
  return blob;
}
