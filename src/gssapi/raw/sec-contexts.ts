/**
 * Security contexts (RFC 2743 section 2.2, RFC 2744 section 5): establishing, inspecting and
 * deleting them, like python-gssapi's `gssapi/raw/sec_contexts.pyx`. Both establishing calls may
 * reach the KDC, so they run on a worker thread (see `call-limiter.ts`).
 *
 * @module
 */
import { bindFunctions } from './bind-functions.js';
import { callAsync } from './call-limiter.js';
import type { ContextHandle, CredHandle, NameHandle, Status } from './handles.js';
import { releaseBuffer } from './library-memory.js';
import { type Arena, type ChannelBindingsInput, nativeOid, readOid, withArena } from './memory.js';

const functions = bindFunctions({
  init_sec_context:
    'uint32_t gss_init_sec_context(_Out_ uint32_t *minor, void *cred, _Inout_ void **ctx, void *target, void *mech, uint32_t flags, uint32_t time, void *bindings, void *input, _Out_ void **actual_mech, void *output, _Out_ uint32_t *ret_flags, _Out_ uint32_t *time_rec)',
  accept_sec_context:
    'uint32_t gss_accept_sec_context(_Out_ uint32_t *minor, _Inout_ void **ctx, void *cred, void *input, void *bindings, _Out_ void **src_name, _Out_ void **mech, void *output, _Out_ uint32_t *ret_flags, _Out_ uint32_t *time_rec, _Out_ void **delegated)',
  inquire_context:
    'uint32_t gss_inquire_context(_Out_ uint32_t *minor, void *ctx, _Out_ void **src, _Out_ void **targ, _Out_ uint32_t *lifetime, _Out_ void **mech, _Out_ uint32_t *flags, _Out_ int *local, _Out_ int *open)',
  delete_sec_context: 'uint32_t gss_delete_sec_context(_Out_ uint32_t *minor, _Inout_ void **ctx, void *out)',
});

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

/**
 * `gss_init_sec_context`.
 *
 * @example
 * ```ts
 * const step = await initSecContext({ cred: NO_CREDENTIAL, context: NO_CONTEXT, target, mech: spnegoOid, flags: ContextFlag.MUTUAL, lifetime: 0, bindings: null, input: null });
 * // send step.output; while step.major === CONTINUE_NEEDED, call again with step.context and the reply
 * ```
 */
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

/**
 * `gss_accept_sec_context`. The source name and delegated credential belong to the caller.
 *
 * @example
 * ```ts
 * const step = await acceptSecContext({ context: NO_CONTEXT, cred: NO_CREDENTIAL, input: token, bindings: null });
 * if (step.major === COMPLETE) console.log(displayName(step.sourceName).text);
 * ```
 */
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

/**
 * `gss_inquire_context`. Returned names belong to the caller.
 *
 * @example
 * ```ts
 * const { open, flags, sourceName } = inquireContext(context, { source: true });
 * ```
 */
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

/**
 * `gss_delete_sec_context` (no output token: RFC 2744 section 5.9 deprecates it).
 *
 * @example
 * ```ts
 * deleteSecContext(context);
 * ```
 */
export function deleteSecContext(context: ContextHandle): Status {
  const minor = [0];
  const major = functions().delete_sec_context(minor, [context], 0n);
  return { major, minor: minor[0]! };
}
