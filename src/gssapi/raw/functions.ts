import type * as Koffi from 'koffi';
import { AsyncLimiter } from '../../internal/async-limiter.js';
import { GssapiLibraryError, gssapiBinding } from './library.js';
import { Arena, type ChannelBindingsInput, nativeOid, readOid, readOidSet } from './memory.js';

/**
 * The GSSAPI C calls, one function each, with C types mapped as follows: handles are opaque
 * `bigint` addresses (0n is `GSS_C_NO_NAME` / `GSS_C_NO_CREDENTIAL` / `GSS_C_NO_CONTEXT`),
 * OIDs are their DER content bytes, buffers are `Uint8Array`. Every call returns its major and
 * minor status with its outputs and never throws on a GSS error: deciding what is an error is the
 * typed layer's job (python-gssapi's raw layer is the model, RFC 2744 the reference).
 *
 * Calls that may reach the KDC, DNS or the disk return promises: they run on a worker thread
 * and at most {@link setMaxConcurrentCalls} of them are in flight.
 */

declare const brand: unique symbol;
/** A `gss_name_t`. */
export type NameHandle = bigint & { readonly [brand]: 'gss_name_t' };
/** A `gss_cred_id_t`. */
export type CredHandle = bigint & { readonly [brand]: 'gss_cred_id_t' };
/** A `gss_ctx_id_t`. */
export type ContextHandle = bigint & { readonly [brand]: 'gss_ctx_id_t' };

/** `GSS_C_NO_NAME`, `GSS_C_NO_CREDENTIAL`, `GSS_C_NO_CONTEXT`. */
export const NO_NAME = 0n as NameHandle;
export const NO_CREDENTIAL = 0n as CredHandle;
export const NO_CONTEXT = 0n as ContextHandle;

/** The status pair every GSSAPI routine returns (RFC 2744 section 3.9). */
export interface Status {
  readonly major: number;
  /** The mechanism's code, as the unsigned 32-bit value C returns. */
  readonly minor: number;
}

type Fn = ReturnType<Koffi.LibraryHandle['func']>;
interface Functions {
  import_name: Fn;
  display_name: Fn;
  release_name: Fn;
  canonicalize_name: Fn;
  duplicate_name: Fn;
  compare_name: Fn;
  export_name: Fn;
  display_status: Fn;
  release_buffer: Fn;
  release_oid_set: Fn;
  indicate_mechs: Fn;
  acquire_cred: Fn;
  acquire_cred_from?: Fn;
  acquire_cred_with_password?: Fn;
  store_cred_into?: Fn;
  set_neg_mechs?: Fn;
  inquire_cred: Fn;
  release_cred: Fn;
  init_sec_context: Fn;
  accept_sec_context: Fn;
  inquire_context: Fn;
  delete_sec_context: Fn;
}

let fns: Functions | undefined;

/** The prototypes, in C syntax. Pointers we build are `void *`; outputs are `_Out_`. */
const PROTOTYPES = {
  import_name: 'uint32_t gss_import_name(_Out_ uint32_t *minor, void *input, void *type, _Out_ void **name)',
  display_name: 'uint32_t gss_display_name(_Out_ uint32_t *minor, void *name, void *out, _Out_ void **type)',
  release_name: 'uint32_t gss_release_name(_Out_ uint32_t *minor, _Inout_ void **name)',
  canonicalize_name:
    'uint32_t gss_canonicalize_name(_Out_ uint32_t *minor, void *name, void *mech, _Out_ void **out)',
  duplicate_name: 'uint32_t gss_duplicate_name(_Out_ uint32_t *minor, void *name, _Out_ void **out)',
  compare_name: 'uint32_t gss_compare_name(_Out_ uint32_t *minor, void *a, void *b, _Out_ int *equal)',
  export_name: 'uint32_t gss_export_name(_Out_ uint32_t *minor, void *name, void *out)',
  display_status:
    'uint32_t gss_display_status(_Out_ uint32_t *minor, uint32_t code, int type, void *mech, _Inout_ uint32_t *ctx, void *out)',
  release_buffer: 'uint32_t gss_release_buffer(_Out_ uint32_t *minor, void *buffer)',
  release_oid_set: 'uint32_t gss_release_oid_set(_Out_ uint32_t *minor, _Inout_ void **set)',
  indicate_mechs: 'uint32_t gss_indicate_mechs(_Out_ uint32_t *minor, _Out_ void **set)',
  acquire_cred:
    'uint32_t gss_acquire_cred(_Out_ uint32_t *minor, void *name, uint32_t time, void *mechs, int usage, _Out_ void **cred, _Out_ void **actual, _Out_ uint32_t *rec)',
  acquire_cred_from:
    'uint32_t gss_acquire_cred_from(_Out_ uint32_t *minor, void *name, uint32_t time, void *mechs, int usage, void *store, _Out_ void **cred, _Out_ void **actual, _Out_ uint32_t *rec)',
  acquire_cred_with_password:
    'uint32_t gss_acquire_cred_with_password(_Out_ uint32_t *minor, void *name, void *password, uint32_t time, void *mechs, int usage, _Out_ void **cred, _Out_ void **actual, _Out_ uint32_t *rec)',
  store_cred_into:
    'uint32_t gss_store_cred_into(_Out_ uint32_t *minor, void *cred, int usage, void *mech, uint32_t overwrite, uint32_t dflt, void *store, _Out_ void **stored, _Out_ int *usage_stored)',
  set_neg_mechs: 'uint32_t gss_set_neg_mechs(_Out_ uint32_t *minor, void *cred, void *mechs)',
  inquire_cred:
    'uint32_t gss_inquire_cred(_Out_ uint32_t *minor, void *cred, _Out_ void **name, _Out_ uint32_t *lifetime, _Out_ int *usage, _Out_ void **mechs)',
  release_cred: 'uint32_t gss_release_cred(_Out_ uint32_t *minor, _Inout_ void **cred)',
  init_sec_context:
    'uint32_t gss_init_sec_context(_Out_ uint32_t *minor, void *cred, _Inout_ void **ctx, void *target, void *mech, uint32_t flags, uint32_t time, void *bindings, void *input, _Out_ void **actual_mech, void *output, _Out_ uint32_t *ret_flags, _Out_ uint32_t *time_rec)',
  accept_sec_context:
    'uint32_t gss_accept_sec_context(_Out_ uint32_t *minor, _Inout_ void **ctx, void *cred, void *input, void *bindings, _Out_ void **src_name, _Out_ void **mech, void *output, _Out_ uint32_t *ret_flags, _Out_ uint32_t *time_rec, _Out_ void **delegated)',
  inquire_context:
    'uint32_t gss_inquire_context(_Out_ uint32_t *minor, void *ctx, _Out_ void **src, _Out_ void **targ, _Out_ uint32_t *lifetime, _Out_ void **mech, _Out_ uint32_t *flags, _Out_ int *local, _Out_ int *open)',
  delete_sec_context: 'uint32_t gss_delete_sec_context(_Out_ uint32_t *minor, _Inout_ void **ctx, void *out)',
} as const satisfies Record<keyof Functions, string>;

const OPTIONAL = new Set<keyof Functions>([
  'acquire_cred_from',
  'acquire_cred_with_password',
  'store_cred_into',
  'set_neg_mechs',
]);

function functions(): Functions {
  if (fns) return fns;
  const { lib } = gssapiBinding();
  const bound: Partial<Record<keyof Functions, Fn>> = {};
  for (const [key, proto] of Object.entries(PROTOTYPES) as [keyof Functions, string][]) {
    try {
      bound[key] = lib.func(proto);
    } catch (error) {
      if (!OPTIONAL.has(key)) throw error;
    }
  }
  fns = bound as Functions;
  return fns;
}

function optional(name: keyof Functions): Fn {
  const fn = functions()[name];
  if (!fn) {
    throw new GssapiLibraryError(
      'ERR_GSSAPI_UNSUPPORTED',
      `the loaded GSSAPI library (${gssapiBinding().info.path}) does not export gss_${name}`,
      'use MIT krb5 1.11 or later (libgssapi_krb5.so.2), or set HTTP_GSSAPI_LIBRARY to a library that has it',
    );
  }
  return fn;
}

const limiter = new AsyncLimiter(Number(process.env['HTTP_GSSAPI_MAX_CONCURRENCY']) || 2);

/**
 * Sets how many blocking GSSAPI calls may run at once on libuv's thread pool (default 2, or
 * `HTTP_GSSAPI_MAX_CONCURRENCY`); the rest queue in order. Keep it below `UV_THREADPOOL_SIZE`
 * (4 by default) so file system and DNS work are never starved by a slow KDC.
 *
 * @example
 * ```ts
 * import { setMaxConcurrentCalls } from 'http-gssapi/gssapi/raw';
 * setMaxConcurrentCalls(4); // with UV_THREADPOOL_SIZE=8
 * ```
 */
export function setMaxConcurrentCalls(limit: number): void {
  limiter.limit = limit;
}

/** How many blocking calls are running and queued now (for diagnostics and tests). */
export function concurrentCalls(): { running: number; pending: number; limit: number } {
  return { running: limiter.running, pending: limiter.pending, limit: limiter.limit };
}

function callAsync(fn: Fn, args: unknown[]): Promise<number> {
  return limiter.run(
    () =>
      new Promise<number>((resolve, reject) => {
        fn.async(...args, (error: unknown, result: number) => (error ? reject(error) : resolve(result)));
      }),
  );
}

/** Runs `body` with an arena whose memory is released when it settles. */
async function withArena<T>(body: (arena: Arena) => Promise<T>): Promise<T> {
  const arena = new Arena();
  try {
    return await body(arena);
  } finally {
    arena.free();
  }
}

function withArenaSync<T>(body: (arena: Arena) => T): T {
  const arena = new Arena();
  try {
    return body(arena);
  } finally {
    arena.free();
  }
}

function releaseBuffer(desc: bigint): void {
  functions().release_buffer([0], desc);
}

/** Releases a `gss_OID_set` the library allocated, after copying it. */
function takeOidSet(set: bigint): Uint8Array[] {
  if (set === 0n) return [];
  const oids = readOidSet(set);
  functions().release_oid_set([0], [set]);
  return oids;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (input: Uint8Array | string) => (typeof input === 'string' ? encoder.encode(input) : input);

// ---- Names (RFC 2743 section 2.4) -------------------------------------------------------

/** `gss_import_name`. `nameType` null means `GSS_C_NO_OID` (the mechanism's default syntax). */
export function importName(
  input: Uint8Array | string,
  nameType: Uint8Array | null,
): Status & { readonly name: NameHandle } {
  return withArenaSync((arena) => {
    const minor = [0];
    const out = [0n];
    const major = functions().import_name(
      minor,
      arena.buffer(bytesOf(input)),
      nameType ? nativeOid(nameType) : 0n,
      out,
    );
    return { major, minor: minor[0]!, name: (out[0] ?? 0n) as NameHandle };
  });
}

/** `gss_display_name`: the printable form and the name type OID. */
export function displayName(
  name: NameHandle,
): Status & { readonly text: string; readonly nameType: Uint8Array | null } {
  return withArenaSync((arena) => {
    const minor = [0];
    const type = [0n];
    const desc = arena.outBuffer();
    const major = functions().display_name(minor, name, desc, type);
    const bytes = arena.takeBuffer(desc, releaseBuffer);
    return {
      major,
      minor: minor[0]!,
      text: bytes ? decoder.decode(bytes) : '',
      nameType: readOid(type[0] ?? 0n),
    };
  });
}

/** `gss_release_name`. */
export function releaseName(name: NameHandle): Status {
  const minor = [0];
  const major = functions().release_name(minor, [name]);
  return { major, minor: minor[0]! };
}

/** `gss_canonicalize_name` (async: the krb5 mechanism may look the host up in DNS). */
export async function canonicalizeName(
  name: NameHandle,
  mech: Uint8Array,
): Promise<Status & { readonly name: NameHandle }> {
  const minor = [0];
  const out = [0n];
  const major = await callAsync(functions().canonicalize_name, [minor, name, nativeOid(mech), out]);
  return { major, minor: minor[0]!, name: (out[0] ?? 0n) as NameHandle };
}

/** `gss_duplicate_name`. */
export function duplicateName(name: NameHandle): Status & { readonly name: NameHandle } {
  const minor = [0];
  const out = [0n];
  const major = functions().duplicate_name(minor, name, out);
  return { major, minor: minor[0]!, name: (out[0] ?? 0n) as NameHandle };
}

/** `gss_compare_name`. */
export function compareName(a: NameHandle, b: NameHandle): Status & { readonly equal: boolean } {
  const minor = [0];
  const equal = [0];
  const major = functions().compare_name(minor, a, b, equal);
  return { major, minor: minor[0]!, equal: equal[0] !== 0 };
}

/** `gss_export_name` (the name must be a mechanism name, RFC 2743 section 3.2). */
export function exportName(name: NameHandle): Status & { readonly exported: Uint8Array | null } {
  return withArenaSync((arena) => {
    const minor = [0];
    const desc = arena.outBuffer();
    const major = functions().export_name(minor, name, desc);
    return { major, minor: minor[0]!, exported: arena.takeBuffer(desc, releaseBuffer) };
  });
}

// ---- Status messages (RFC 2744 section 5.11) -------------------------------------------

/** `gss_display_status`: one message; call again with the returned context until it is 0. */
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

/** `gss_indicate_mechs`: the mechanisms the library supports. */
export function indicateMechs(): Status & { readonly mechs: Uint8Array[] } {
  const minor = [0];
  const set = [0n];
  const major = functions().indicate_mechs(minor, set);
  return { major, minor: minor[0]!, mechs: takeOidSet(set[0] ?? 0n) };
}

// ---- Credentials (RFC 2743 section 2.1) -------------------------------------------------

/** What every credential acquisition takes. `mechs` null means `GSS_C_NO_OID_SET`. */
export interface AcquireCredInput {
  readonly name: NameHandle;
  /** Seconds; `INDEFINITE` for no limit. */
  readonly lifetime: number;
  readonly mechs: readonly Uint8Array[] | null;
  /** `CredUsage.*`. */
  readonly usage: number;
}

/** What every credential acquisition returns. */
export type AcquireCredResult = Status & {
  readonly cred: CredHandle;
  readonly mechs: Uint8Array[];
  readonly lifetime: number;
};

async function acquire(fn: Fn, before: unknown[], after: unknown[]): Promise<AcquireCredResult> {
  const minor = [0];
  const cred = [0n];
  const actual = [0n];
  const rec = [0];
  const major = await callAsync(fn, [minor, ...before, ...after, cred, actual, rec]);
  return {
    major,
    minor: minor[0]!,
    cred: (cred[0] ?? 0n) as CredHandle,
    mechs: takeOidSet(actual[0] ?? 0n),
    lifetime: rec[0]!,
  };
}

/** `gss_acquire_cred`. */
export function acquireCred(input: AcquireCredInput): Promise<AcquireCredResult> {
  return withArena((arena) =>
    acquire(
      functions().acquire_cred,
      [input.name, input.lifetime >>> 0, arena.oidSet(input.mechs), input.usage],
      [],
    ),
  );
}

/** `gss_acquire_cred_from` (MIT credential store extension: `ccache`, `client_keytab`, `keytab`, ...). */
export function acquireCredFrom(
  input: AcquireCredInput & { readonly store: Readonly<Record<string, string>> },
): Promise<AcquireCredResult> {
  const fn = optional('acquire_cred_from');
  return withArena((arena) =>
    acquire(
      fn,
      [
        input.name,
        input.lifetime >>> 0,
        arena.oidSet(input.mechs),
        input.usage,
        arena.keyValueSet(input.store),
      ],
      [],
    ),
  );
}

/** `gss_acquire_cred_with_password`. The password is copied to native memory and wiped after. */
export function acquireCredWithPassword(
  input: AcquireCredInput & { readonly password: Uint8Array },
): Promise<AcquireCredResult> {
  const fn = optional('acquire_cred_with_password');
  return withArena((arena) =>
    acquire(
      fn,
      [
        input.name,
        arena.buffer(input.password),
        input.lifetime >>> 0,
        arena.oidSet(input.mechs),
        input.usage,
      ],
      [],
    ),
  );
}

/** `gss_inquire_cred` (async: it may read a ccache or keytab from disk). */
export async function inquireCred(cred: CredHandle): Promise<
  Status & {
    readonly name: NameHandle;
    readonly lifetime: number;
    readonly usage: number;
    readonly mechs: Uint8Array[];
  }
> {
  const minor = [0];
  const name = [0n];
  const lifetime = [0];
  const usage = [0];
  const mechs = [0n];
  const major = await callAsync(functions().inquire_cred, [minor, cred, name, lifetime, usage, mechs]);
  return {
    major,
    minor: minor[0]!,
    name: (name[0] ?? 0n) as NameHandle,
    lifetime: lifetime[0]!,
    usage: usage[0]!,
    mechs: takeOidSet(mechs[0] ?? 0n),
  };
}

/** `gss_store_cred_into`: writes (e.g. delegated) credentials to a ccache named in `store`. */
export function storeCredInto(input: {
  readonly cred: CredHandle;
  readonly usage: number;
  readonly mech: Uint8Array | null;
  readonly overwrite: boolean;
  readonly defaultCred: boolean;
  readonly store: Readonly<Record<string, string>>;
}): Promise<Status & { readonly mechs: Uint8Array[]; readonly usage: number }> {
  const fn = optional('store_cred_into');
  return withArena(async (arena) => {
    const minor = [0];
    const stored = [0n];
    const usage = [0];
    const major = await callAsync(fn, [
      minor,
      input.cred,
      input.usage,
      input.mech ? nativeOid(input.mech) : 0n,
      input.overwrite ? 1 : 0,
      input.defaultCred ? 1 : 0,
      arena.keyValueSet(input.store),
      stored,
      usage,
    ]);
    return { major, minor: minor[0]!, mechs: takeOidSet(stored[0] ?? 0n), usage: usage[0]! };
  });
}

/** `gss_set_neg_mechs`: the mechanisms SPNEGO may offer with this credential (RFC 4178). */
export function setNegMechs(cred: CredHandle, mechs: readonly Uint8Array[]): Status {
  const fn = optional('set_neg_mechs');
  return withArenaSync((arena) => {
    const minor = [0];
    const major = fn(minor, cred, arena.oidSet(mechs));
    return { major, minor: minor[0]! };
  });
}

/** `gss_release_cred`. */
export function releaseCred(cred: CredHandle): Status {
  const minor = [0];
  const major = functions().release_cred(minor, [cred]);
  return { major, minor: minor[0]! };
}

// ---- Security contexts (RFC 2743 section 2.2) -------------------------------------------

/** Outputs of one step, on either side. `output` may be an error token when `major` is an error. */
interface StepResult extends Status {
  readonly context: ContextHandle;
  readonly mech: Uint8Array | null;
  readonly output: Uint8Array | null;
  readonly flags: number;
  readonly lifetime: number;
}

/** The output slots both context calls share, and the record made from them. */
function stepOutputs(arena: Arena, context: ContextHandle) {
  const minor = [0];
  const ctx = [context as bigint];
  const mech = [0n];
  const flags = [0];
  const rec = [0];
  const out = arena.outBuffer();
  return {
    minor,
    ctx,
    mech,
    flags,
    rec,
    out,
    result: (major: number): StepResult => ({
      major,
      minor: minor[0]!,
      context: (ctx[0] ?? 0n) as ContextHandle,
      mech: readOid(mech[0] ?? 0n),
      output: arena.takeBuffer(out, releaseBuffer),
      flags: flags[0]!,
      lifetime: rec[0]!,
    }),
  };
}

/** `gss_init_sec_context`. */
export function initSecContext(input: {
  readonly cred: CredHandle;
  readonly context: ContextHandle;
  readonly target: NameHandle;
  readonly mech: Uint8Array | null;
  readonly flags: number;
  readonly lifetime: number;
  readonly bindings: ChannelBindingsInput | null;
  readonly input: Uint8Array | null;
}): Promise<StepResult> {
  return withArena(async (arena) => {
    const o = stepOutputs(arena, input.context);
    const major = await callAsync(functions().init_sec_context, [
      o.minor,
      input.cred,
      o.ctx,
      input.target,
      input.mech ? nativeOid(input.mech) : 0n,
      input.flags >>> 0,
      input.lifetime >>> 0,
      arena.bindings(input.bindings),
      arena.buffer(input.input),
      o.mech,
      o.out,
      o.flags,
      o.rec,
    ]);
    return o.result(major);
  });
}

/** `gss_accept_sec_context`. The source name and delegated credential belong to the caller. */
export function acceptSecContext(input: {
  readonly context: ContextHandle;
  readonly cred: CredHandle;
  readonly input: Uint8Array;
  readonly bindings: ChannelBindingsInput | null;
}): Promise<StepResult & { readonly sourceName: NameHandle; readonly delegatedCred: CredHandle }> {
  return withArena(async (arena) => {
    const o = stepOutputs(arena, input.context);
    const src = [0n];
    const deleg = [0n];
    const major = await callAsync(functions().accept_sec_context, [
      o.minor,
      o.ctx,
      input.cred,
      arena.buffer(input.input),
      arena.bindings(input.bindings),
      src,
      o.mech,
      o.out,
      o.flags,
      o.rec,
      deleg,
    ]);
    return {
      ...o.result(major),
      sourceName: (src[0] ?? 0n) as NameHandle,
      delegatedCred: (deleg[0] ?? 0n) as CredHandle,
    };
  });
}

/** `gss_inquire_context`. Returned names belong to the caller. */
export function inquireContext(
  context: ContextHandle,
  /** Which names to ask for: each is an allocation the caller must release, and some mechanisms
   * (gss-ntlmssp 1.2) crash producing a name they do not have, so ask only for what is needed. */
  names: { readonly source?: boolean; readonly target?: boolean } = { source: true, target: true },
): Status & {
  readonly sourceName: NameHandle;
  readonly targetName: NameHandle;
  readonly lifetime: number;
  readonly mech: Uint8Array | null;
  readonly flags: number;
  readonly locallyInitiated: boolean;
  readonly open: boolean;
} {
  const minor = [0];
  const src = [0n];
  const targ = [0n];
  const lifetime = [0];
  const mech = [0n];
  const flags = [0];
  const local = [0];
  const open = [0];
  const major = functions().inquire_context(
    minor,
    context,
    names.source ? src : null,
    names.target ? targ : null,
    lifetime,
    mech,
    flags,
    local,
    open,
  );
  return {
    major,
    minor: minor[0]!,
    sourceName: (src[0] ?? 0n) as NameHandle,
    targetName: (targ[0] ?? 0n) as NameHandle,
    lifetime: lifetime[0]!,
    mech: readOid(mech[0] ?? 0n),
    flags: flags[0]!,
    locallyInitiated: local[0] !== 0,
    open: open[0] !== 0,
  };
}

/** `gss_delete_sec_context` (no output token: RFC 2744 section 5.9 deprecates it). */
export function deleteSecContext(context: ContextHandle): Status {
  const minor = [0];
  const major = functions().delete_sec_context(minor, [context], 0n);
  return { major, minor: minor[0]! };
}
