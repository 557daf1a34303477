/**
 * The SSPI structures (sspi.h) as koffi types, and native memory for the arguments of one call.
 * As for GSSAPI, everything secur32 reads or writes lives in memory allocated here, never in a JS
 * Buffer: async calls run on a worker thread while the JS heap moves on. Every field has an
 * explicit width (ULONG is 32 bits on Windows, `unsigned long` is 64 on Linux), so the layouts
 * are the Windows x64 ones on every platform and the unit tests can check them on Linux.
 *
 * @module
 */
import type * as Koffi from 'koffi';
import { sspiKoffi } from './library.js';

interface SspiTypes {
  readonly secHandle: Koffi.TypeObject;
  readonly secBuffer: Koffi.TypeObject;
  readonly secBufferDesc: Koffi.TypeObject;
  readonly authIdentity: Koffi.TypeObject;
  readonly authIdentityEx: Koffi.TypeObject;
  readonly pkgInfo: Koffi.TypeObject;
  readonly negotiationInfo: Koffi.TypeObject;
  readonly sizes: Koffi.TypeObject;
  readonly names: Koffi.TypeObject;
}

let types: SspiTypes | undefined;

/**
 * The koffi types of the SSPI structures this provider passes (prefixed names: koffi's type
 * registry is process-wide).
 *
 * @example
 * ```ts
 * koffi.sizeof(sspiStructs().secBuffer); // 16 on x64
 * ```
 */
export function sspiStructs(): SspiTypes {
  if (types) return types;
  const koffi = sspiKoffi();
  types = {
    secHandle: koffi.struct('http_gssapi_SecHandle', { dwLower: 'uint64_t', dwUpper: 'uint64_t' }),
    secBuffer: koffi.struct('http_gssapi_SecBuffer', {
      cbBuffer: 'uint32_t',
      BufferType: 'uint32_t',
      pvBuffer: 'void *',
    }),
    secBufferDesc: koffi.struct('http_gssapi_SecBufferDesc', {
      ulVersion: 'uint32_t',
      cBuffers: 'uint32_t',
      pBuffers: 'void *',
    }),
    authIdentity: koffi.struct('http_gssapi_SEC_WINNT_AUTH_IDENTITY_W', {
      User: 'void *',
      UserLength: 'uint32_t',
      Domain: 'void *',
      DomainLength: 'uint32_t',
      Password: 'void *',
      PasswordLength: 'uint32_t',
      Flags: 'uint32_t',
    }),
    // The identity with a package list (sspi.h): Version and Length first, so a package can tell
    // it from SEC_WINNT_AUTH_IDENTITY_W, whose first field is a pointer.
    authIdentityEx: koffi.struct('http_gssapi_SEC_WINNT_AUTH_IDENTITY_EXW', {
      Version: 'uint32_t',
      Length: 'uint32_t',
      User: 'void *',
      UserLength: 'uint32_t',
      Domain: 'void *',
      DomainLength: 'uint32_t',
      Password: 'void *',
      PasswordLength: 'uint32_t',
      Flags: 'uint32_t',
      PackageList: 'void *',
      PackageListLength: 'uint32_t',
    }),
    pkgInfo: koffi.struct('http_gssapi_SecPkgInfoW', {
      fCapabilities: 'uint32_t',
      wVersion: 'uint16_t',
      wRPCID: 'uint16_t',
      cbMaxToken: 'uint32_t',
      Name: 'void *',
      Comment: 'void *',
    }),
    negotiationInfo: koffi.struct('http_gssapi_SecPkgContext_NegotiationInfoW', {
      PackageInfo: 'void *',
      NegotiationState: 'uint32_t',
    }),
    sizes: koffi.struct('http_gssapi_SecPkgContext_Sizes', {
      cbMaxToken: 'uint32_t',
      cbMaxSignature: 'uint32_t',
      cbBlockSize: 'uint32_t',
      cbSecurityTrailer: 'uint32_t',
    }),
    names: koffi.struct('http_gssapi_SecPkgContext_NamesW', { sUserName: 'void *' }),
  };
  return types;
}

/**
 * A NUL-terminated UTF-16LE string (LPWSTR) as bytes.
 *
 * @example
 * ```ts
 * wideString('HTTP/web.example.org'); // 42 bytes
 * ```
 */
export function wideString(text: string): Uint8Array {
  const bytes = new Uint8Array((text.length + 1) * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
  return bytes;
}

/**
 * Reads a NUL-terminated UTF-16LE string at a native address (at most `max` characters).
 *
 * @example
 * ```ts
 * const name = readWideString(info.Name);
 * ```
 */
export function readWideString(address: bigint, max = 1024): string | null {
  if (address === 0n) return null;
  const koffi = sspiKoffi();
  const units: number[] = [];
  for (let i = 0; i < max; i++) {
    const unit = new DataView(koffi.view(address + BigInt(i * 2), 2)).getUint16(0, true);
    if (unit === 0) break;
    units.push(unit);
  }
  return String.fromCharCode(...units);
}

/** One SecBuffer to pass: its type and either input bytes or the size of an empty output buffer. */
export interface SecBufferInput {
  readonly type: number;
  readonly data?: Uint8Array | null;
  /** For an output buffer: bytes to allocate (the package's cbMaxToken). */
  readonly size?: number;
}

let outstanding = 0;

/**
 * Native allocations of SSPI calls not yet freed (for leak tests).
 *
 * @example
 * ```ts
 * assert.equal(sspiOutstandingAllocations(), 0);
 * ```
 */
export function sspiOutstandingAllocations(): number {
  return outstanding;
}

/**
 * Native memory for one call, wiped and freed by {@link SspiArena.free} once the call returned.
 *
 * @example
 * ```ts
 * const arena = new SspiArena();
 * try { fn(arena.wide('Negotiate')); } finally { arena.free(); }
 * ```
 */
export class SspiArena {
  readonly #koffi = sspiKoffi();
  readonly #owned: { ptr: bigint; size: number }[] = [];

  /** `size` zeroed bytes. */
  alloc(size: number): bigint {
    const ptr = this.#koffi.alloc('uint8_t', Math.max(size, 1)) as bigint;
    new Uint8Array(this.#koffi.view(ptr, Math.max(size, 1))).fill(0);
    this.#owned.push({ ptr, size: Math.max(size, 1) });
    outstanding++;
    return ptr;
  }

  /** A native copy of `data`. */
  bytes(data: Uint8Array): bigint {
    const ptr = this.alloc(data.length);
    new Uint8Array(this.#koffi.view(ptr, Math.max(data.length, 1))).set(data);
    return ptr;
  }

  /** A native LPWSTR; null gives NULL. */
  wide(text: string | null | undefined): bigint {
    return text == null ? 0n : this.bytes(wideString(text));
  }

  /** A zeroed structure of a koffi type. */
  struct(type: Koffi.TypeObject): bigint {
    return this.alloc(this.#koffi.sizeof(type));
  }

  /** Writes a structure at `ptr`. */
  encode(ptr: bigint, type: Koffi.TypeObject, value: unknown): void {
    this.#koffi.encode(ptr, type, value);
  }

  /**
   * A SecBufferDesc with its SecBuffers; an empty list gives NULL (no input). Returns the
   * descriptor and the address of the SecBuffer array, to read output buffers back.
   */
  bufferDesc(buffers: readonly SecBufferInput[]): { desc: bigint; buffers: bigint } {
    if (buffers.length === 0) return { desc: 0n, buffers: 0n };
    const t = sspiStructs();
    const size = BigInt(this.#koffi.sizeof(t.secBuffer));
    const array = this.alloc(this.#koffi.sizeof(t.secBuffer) * buffers.length);
    buffers.forEach((b, i) => {
      const length = b.data ? b.data.length : (b.size ?? 0);
      const pv = b.data ? this.bytes(b.data) : length ? this.alloc(length) : 0n;
      this.#koffi.encode(array + BigInt(i) * size, t.secBuffer, {
        cbBuffer: length,
        BufferType: b.type,
        pvBuffer: pv,
      });
    });
    const desc = this.struct(t.secBufferDesc);
    this.#koffi.encode(desc, t.secBufferDesc, { ulVersion: 0, cBuffers: buffers.length, pBuffers: array });
    return { desc, buffers: array };
  }

  /** Copies the bytes of SecBuffer `index` in an array (what the package wrote into it). */
  readBuffer(array: bigint, index: number): { type: number; data: Uint8Array } {
    const t = sspiStructs();
    const at = array + BigInt(index * this.#koffi.sizeof(t.secBuffer));
    const b = this.#koffi.decode(at, t.secBuffer) as {
      cbBuffer: number;
      BufferType: number;
      pvBuffer: bigint;
    };
    const data =
      b.cbBuffer > 0 && b.pvBuffer !== 0n
        ? new Uint8Array(this.#koffi.view(b.pvBuffer, b.cbBuffer)).slice()
        : new Uint8Array(0);
    return { type: b.BufferType, data };
  }

  /** Releases everything, wiping it first: it may hold a password or a token. */
  free(): void {
    for (const { ptr, size } of this.#owned.splice(0)) {
      new Uint8Array(this.#koffi.view(ptr, size)).fill(0);
      this.#koffi.free(ptr);
      outstanding--;
    }
  }
}

/**
 * Runs `body` with an arena freed when it settles (for an async call: after the worker thread
 * is done with the arguments).
 *
 * @example
 * ```ts
 * const status = await withSspiArena((arena) => callAsync(fn, [arena.wide(target)]));
 * ```
 */
export async function withSspiArena<T>(body: (arena: SspiArena) => Promise<T> | T): Promise<T> {
  const arena = new SspiArena();
  try {
    return await body(arena);
  } finally {
    arena.free();
  }
}
