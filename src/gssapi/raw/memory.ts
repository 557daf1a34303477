import type * as Koffi from 'koffi';
import { gssapiBinding } from './library.js';

/**
 * Native memory for the arguments of one GSSAPI call. Every structure the C side reads
 * (buffers, OID sets, channel bindings, credential stores) is built in memory allocated here,
 * never in a JS Buffer: async calls run on a worker thread while the JS heap moves on, and
 * Heimdal does not export the OID variables MIT does, so we own the bytes of each OID too.
 */
interface Types {
  readonly buffer: Koffi.TypeObject;
  readonly oid: Koffi.TypeObject;
  readonly oidSet: Koffi.TypeObject;
  readonly bindings: Koffi.TypeObject;
  readonly keyValue: Koffi.TypeObject;
  readonly keyValueSet: Koffi.TypeObject;
}

let types: Types | undefined;

/** The C structures of RFC 2744 section 3 (and the MIT credential-store extension). */
export function structs(): Types {
  if (types) return types;
  const { koffi } = gssapiBinding();
  const buffer = koffi.struct('http_gssapi_buffer_desc', { length: 'size_t', value: 'void *' });
  types = {
    buffer,
    oid: koffi.struct('http_gssapi_OID_desc', { length: 'uint32_t', elements: 'void *' }),
    oidSet: koffi.struct('http_gssapi_OID_set_desc', { count: 'size_t', elements: 'void *' }),
    bindings: koffi.struct('http_gssapi_channel_bindings', {
      initiator_addrtype: 'uint32_t',
      initiator_address: buffer,
      acceptor_addrtype: 'uint32_t',
      acceptor_address: buffer,
      application_data: buffer,
    }),
    keyValue: koffi.struct('http_gssapi_key_value_element', { key: 'void *', value: 'void *' }),
    keyValueSet: koffi.struct('http_gssapi_key_value_set', { count: 'uint32_t', elements: 'void *' }),
  };
  return types;
}

/** Copies `length` bytes at a native address into a new JS array we own. */
export function readBytes(address: bigint, length: number): Uint8Array {
  if (length === 0 || address === 0n) return new Uint8Array(0);
  const { koffi } = gssapiBinding();
  return new Uint8Array(koffi.view(address, length)).slice();
}

/** Reads a `gss_OID` (pointer to a gss_OID_desc) into the DER content bytes of the OID. */
export function readOid(address: bigint): Uint8Array | null {
  if (address === 0n) return null;
  const { koffi } = gssapiBinding();
  const desc = koffi.decode(address, structs().oid) as { length: number; elements: bigint };
  return readBytes(desc.elements, desc.length);
}

/** Reads a `gss_OID_set` into a list of DER content byte strings. */
export function readOidSet(address: bigint): Uint8Array[] {
  if (address === 0n) return [];
  const { koffi } = gssapiBinding();
  const t = structs();
  const set = koffi.decode(address, t.oidSet) as { count: number | bigint; elements: bigint };
  const out: Uint8Array[] = [];
  const size = BigInt(koffi.sizeof(t.oid));
  for (let i = 0n; i < BigInt(set.count); i++) {
    const oid = readOid(set.elements + i * size);
    if (oid) out.push(oid);
  }
  return out;
}

const oidCache = new Map<string, bigint>();

/**
 * The native `gss_OID` for the given DER content bytes. OIDs are few and live as long as the
 * process (like the static OIDs of the C libraries), so each distinct one is allocated once.
 */
export function nativeOid(der: Uint8Array): bigint {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('hex');
  const cached = oidCache.get(key);
  if (cached !== undefined) return cached;
  const { koffi } = gssapiBinding();
  const bytes = koffi.alloc('uint8_t', Math.max(der.length, 1)) as bigint;
  new Uint8Array(koffi.view(bytes, der.length)).set(der);
  const desc = koffi.alloc(structs().oid, 1) as bigint;
  koffi.encode(desc, structs().oid, { length: der.length, elements: bytes });
  oidCache.set(key, desc);
  return desc;
}

/** Channel bindings as RFC 2744 section 3.11 lays them out. */
export interface ChannelBindingsInput {
  readonly initiatorAddrType?: number;
  readonly initiatorAddress?: Uint8Array;
  readonly acceptorAddrType?: number;
  readonly acceptorAddress?: Uint8Array;
  readonly applicationData?: Uint8Array;
}

let outstanding = 0;

/** Native allocations made for calls and not yet freed (OIDs, which live forever, excluded). */
export function outstandingAllocations(): number {
  return outstanding;
}

/**
 * Allocations for one call, all released by {@link Arena.free} once the call has returned
 * (for an async call: once its worker thread is done with them).
 */
export class Arena {
  readonly #koffi: typeof Koffi;
  readonly #owned: { ptr: bigint; size: number }[] = [];

  constructor() {
    this.#koffi = gssapiBinding().koffi;
  }

  #alloc(type: Parameters<typeof Koffi.sizeof>[0], count: number): bigint {
    const ptr = this.#koffi.alloc(type, count) as bigint;
    this.#owned.push({ ptr, size: this.#koffi.sizeof(type) * count });
    outstanding++;
    return ptr;
  }

  /** Native copy of some bytes (NUL-terminated, so it also serves as a C string). */
  bytes(data: Uint8Array): bigint {
    const ptr = this.#alloc('uint8_t', data.length + 1);
    const view = new Uint8Array(this.#koffi.view(ptr, data.length + 1));
    view.set(data);
    view[data.length] = 0;
    return ptr;
  }

  /** A C string in native memory. */
  cString(text: string): bigint {
    return this.bytes(new TextEncoder().encode(text));
  }

  /** An input `gss_buffer_t`; `null` gives `GSS_C_NO_BUFFER`. */
  buffer(data: Uint8Array | null | undefined): bigint {
    if (data == null) return 0n;
    const desc = this.#alloc(structs().buffer, 1);
    this.#koffi.encode(desc, structs().buffer, {
      length: data.length,
      value: data.length ? this.bytes(data) : 0n,
    });
    return desc;
  }

  /** An empty `gss_buffer_desc` for the library to fill; read it with {@link Arena.takeBuffer}. */
  outBuffer(): bigint {
    const desc = this.#alloc(structs().buffer, 1);
    this.#koffi.encode(desc, structs().buffer, { length: 0, value: 0n });
    return desc;
  }

  /** A `gss_OID_set` we own; `null` gives `GSS_C_NO_OID_SET` (the default mechanisms). */
  oidSet(oids: readonly Uint8Array[] | null | undefined): bigint {
    if (oids == null) return 0n;
    const t = structs();
    const elements = this.#alloc(t.oid, Math.max(oids.length, 1));
    const size = BigInt(this.#koffi.sizeof(t.oid));
    oids.forEach((der, i) => {
      this.#koffi.encode(elements + BigInt(i) * size, t.oid, {
        length: der.length,
        elements: this.bytes(der),
      });
    });
    const set = this.#alloc(t.oidSet, 1);
    this.#koffi.encode(set, t.oidSet, { count: oids.length, elements });
    return set;
  }

  /** A `gss_channel_bindings_t`; `null` gives `GSS_C_NO_CHANNEL_BINDINGS`. */
  bindings(cb: ChannelBindingsInput | null | undefined): bigint {
    if (cb == null) return 0n;
    const t = structs();
    const desc = (data: Uint8Array | undefined) => ({
      length: data?.length ?? 0,
      value: data?.length ? this.bytes(data) : 0n,
    });
    const ptr = this.#alloc(t.bindings, 1);
    this.#koffi.encode(ptr, t.bindings, {
      initiator_addrtype: cb.initiatorAddrType ?? 0,
      initiator_address: desc(cb.initiatorAddress),
      acceptor_addrtype: cb.acceptorAddrType ?? 0,
      acceptor_address: desc(cb.acceptorAddress),
      application_data: desc(cb.applicationData),
    });
    return ptr;
  }

  /** A `gss_key_value_set_desc` (MIT credential store, `gss_acquire_cred_from`). */
  keyValueSet(store: Readonly<Record<string, string>>): bigint {
    const t = structs();
    const entries = Object.entries(store);
    const elements = this.#alloc(t.keyValue, Math.max(entries.length, 1));
    const size = BigInt(this.#koffi.sizeof(t.keyValue));
    entries.forEach(([key, value], i) => {
      this.#koffi.encode(elements + BigInt(i) * size, t.keyValue, {
        key: this.cString(key),
        value: this.cString(value),
      });
    });
    const set = this.#alloc(t.keyValueSet, 1);
    this.#koffi.encode(set, t.keyValueSet, { count: entries.length, elements });
    return set;
  }

  /** Copies an output `gss_buffer_desc` the library filled, then releases the library's memory. */
  takeBuffer(desc: bigint, release: (desc: bigint) => void): Uint8Array | null {
    const value = this.#koffi.decode(desc, structs().buffer) as { length: number | bigint; value: bigint };
    if (value.value === 0n) return null;
    const length = Number(value.length);
    const bytes = length > 0 ? readBytes(value.value, length) : null;
    release(desc);
    return bytes;
  }

  /** Releases everything this arena allocated. Wipes the bytes first: they may be a password. */
  free(): void {
    for (const { ptr, size } of this.#owned.splice(0)) {
      new Uint8Array(this.#koffi.view(ptr, size)).fill(0);
      this.#koffi.free(ptr);
      outstanding--;
    }
  }
}

/**
 * Runs `body` with an arena whose memory is released when it settles: for an async call, only
 * once the worker thread is done with the arguments.
 *
 * @example
 * ```ts
 * const major = await withArena((arena) => callAsync(fn, [minor, arena.buffer(token), out]));
 * ```
 */
export async function withArena<T>(body: (arena: Arena) => Promise<T>): Promise<T> {
  const arena = new Arena();
  try {
    return await body(arena);
  } finally {
    arena.free();
  }
}

/**
 * {@link withArena} for a synchronous call.
 *
 * @example
 * ```ts
 * const major = withArenaSync((arena) => fn(minor, arena.buffer(bytes), out));
 * ```
 */
export function withArenaSync<T>(body: (arena: Arena) => T): T {
  const arena = new Arena();
  try {
    return body(arena);
  } finally {
    arena.free();
  }
}
