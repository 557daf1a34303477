/**
 * SSPI handles (CredHandle, CtxtHandle: a SecHandle of two ULONG_PTR, sspi.h) as one `bigint`,
 * so that they fit the typed layer's handle ownership like GSSAPI's pointers do. Bit 128 marks
 * a handle as present: 0n is "no handle" even though `{0, 0}` could be a valid SecHandle.
 *
 * @module
 */

declare const brand: unique symbol;

/**
 * A SecHandle packed as `1 << 128 | dwUpper << 64 | dwLower`; 0n for none.
 *
 * @example
 * ```ts
 * const handle = packHandle(0x1234n, 0x5n);
 * unpackHandle(handle); // { lower: 0x1234n, upper: 0x5n }
 * ```
 */
export type SspiHandle = bigint & { readonly [brand]: 'SecHandle' };

/** No handle (a NULL `PCredHandle`/`PCtxtHandle`). */
export const NO_HANDLE = 0n as SspiHandle;

const PRESENT = 1n << 128n;
const MASK = (1n << 64n) - 1n;

/**
 * Packs the two words of a SecHandle.
 *
 * @example
 * ```ts
 * const h = packHandle(decoded.dwLower, decoded.dwUpper);
 * ```
 */
export function packHandle(lower: bigint | number, upper: bigint | number): SspiHandle {
  return (PRESENT | ((BigInt(upper) & MASK) << 64n) | (BigInt(lower) & MASK)) as SspiHandle;
}

/**
 * The two words of a packed SecHandle.
 *
 * @throws {TypeError} for {@link NO_HANDLE} or a value that is not a packed handle.
 * @example
 * ```ts
 * const { lower, upper } = unpackHandle(handle);
 * ```
 */
export function unpackHandle(handle: SspiHandle): { lower: bigint; upper: bigint } {
  if ((handle & PRESENT) === 0n || handle >> 129n !== 0n) throw new TypeError('not an SSPI handle');
  return { lower: handle & MASK, upper: (handle >> 64n) & MASK };
}
