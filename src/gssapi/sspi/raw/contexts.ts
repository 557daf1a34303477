/**
 * Security contexts (sspi.h): InitializeSecurityContextW, CompleteAuthToken,
 * QueryContextAttributesW and DeleteSecurityContext, 1:1. InitializeSecurityContextW may reach
 * the domain controller for a service ticket, so it runs on a worker thread, under the same
 * limit as the GSSAPI calls (`setMaxConcurrentCalls`).
 *
 * @module
 */
import { callAsync } from '../../raw/call-limiter.js';
import { ContextAttribute, SecBufferType } from './constants.js';
import { NO_HANDLE, packHandle, type SspiHandle, unpackHandle } from './handles.js';
import { bindSspi, sspiKoffi } from './library.js';
import { readWideString, type SecBufferInput, type SspiArena, sspiStructs, withSspiArena } from './memory.js';
import { freeContextBuffer } from './packages.js';

const functions = bindSspi({
  initialize:
    'uint32_t InitializeSecurityContextW(void *credential, void *context, void *target, uint32_t req, uint32_t reserved1, uint32_t data_rep, void *input, uint32_t reserved2, void *new_context, void *output, _Out_ uint32_t *attributes, _Out_ int64_t *expiry)',
  complete: 'uint32_t CompleteAuthToken(void *context, void *token)',
  query: 'uint32_t QueryContextAttributesW(void *context, uint32_t attribute, void *buffer)',
  delete: 'uint32_t DeleteSecurityContext(void *context)',
});

/** Inputs of {@link initializeSecurityContext}. */
export interface InitializeInput {
  /** `phCredential`; {@link NO_HANDLE} is not allowed by SSPI: acquire one first. */
  readonly credential: SspiHandle;
  /** `phContext`: {@link NO_HANDLE} on the first call, then the handle the first call returned. */
  readonly context: SspiHandle;
  /** `pszTargetName`, e.g. `HTTP/web.example.org`. */
  readonly target: string | null;
  /** `fContextReq` (`IscReq` bits). */
  readonly req: number;
  /** `TargetDataRep`. */
  readonly dataRep: number;
  /** The input SecBuffers (the server token, channel bindings); empty for none. */
  readonly input: readonly SecBufferInput[];
  /** Size of the output token buffer: the package's cbMaxToken. */
  readonly maxToken: number;
}

/** Outputs of {@link initializeSecurityContext}. */
export interface InitializeResult {
  readonly status: number;
  /** `phNewContext`, or the input handle when the call made none. */
  readonly context: SspiHandle;
  /** The output token, or null when the package wrote none. */
  readonly output: Uint8Array | null;
  /** `pfContextAttr` (`IscRet` bits). */
  readonly attributes: number;
  /** `ptsExpiry` as a FILETIME. */
  readonly expiry: bigint;
}

function nativeHandle(arena: SspiArena, handle: SspiHandle): bigint {
  const t = sspiStructs();
  const ptr = arena.struct(t.secHandle);
  if (handle !== NO_HANDLE) {
    const { lower, upper } = unpackHandle(handle);
    arena.encode(ptr, t.secHandle, { dwLower: lower, dwUpper: upper });
  }
  return ptr;
}

function readHandle(ptr: bigint): SspiHandle {
  const h = sspiKoffi().decode(ptr, sspiStructs().secHandle) as {
    dwLower: bigint | number;
    dwUpper: bigint | number;
  };
  return packHandle(h.dwLower, h.dwUpper);
}

/**
 * `InitializeSecurityContextW` with a caller-allocated output buffer (no
 * ISC_REQ_ALLOCATE_MEMORY: Wine 8 rejects it, and a buffer of cbMaxToken bytes works on Windows
 * too). When the package asks for it (SEC_I_COMPLETE_NEEDED, SEC_I_COMPLETE_AND_CONTINUE),
 * `CompleteAuthToken` is left to the caller: see {@link completeAuthToken}.
 *
 * @example
 * ```ts
 * const r = await initializeSecurityContext({ credential, context: NO_HANDLE, target: 'HTTP/web.example.org',
 *   req: IscReq.MUTUAL_AUTH, dataRep: SECURITY_NATIVE_DREP, input: [], maxToken: 48256 });
 * ```
 */
export function initializeSecurityContext(input: InitializeInput): Promise<InitializeResult> {
  const fn = functions().initialize;
  return withSspiArena(async (arena) => {
    const credential = nativeHandle(arena, input.credential);
    const context = input.context === NO_HANDLE ? 0n : nativeHandle(arena, input.context);
    // On later calls the new context is the same handle (sspi.h: phNewContext may equal phContext).
    const newContext = context === 0n ? nativeHandle(arena, NO_HANDLE) : context;
    const inDesc = arena.bufferDesc(input.input);
    const outDesc = arena.bufferDesc([{ type: SecBufferType.TOKEN, size: input.maxToken }]);
    const attributes = [0];
    const expiry = [0n];
    const status =
      (await callAsync(fn, [
        credential,
        context,
        arena.wide(input.target),
        input.req,
        0,
        input.dataRep,
        inDesc.desc,
        0,
        newContext,
        outDesc.desc,
        attributes,
        expiry,
      ])) >>> 0;
    const failed = status >= 0x80000000;
    const made = failed ? input.context : readHandle(newContext);
    const token = arena.readBuffer(outDesc.buffers, 0).data;
    return {
      status,
      // A failed first call leaves phNewContext untouched (zeroed): there is nothing to delete.
      context: failed && input.context === NO_HANDLE ? NO_HANDLE : made,
      output: token.length > 0 ? token : null,
      attributes: attributes[0] ?? 0,
      expiry: BigInt(expiry[0] ?? 0n),
    };
  });
}

/**
 * `CompleteAuthToken` on a token InitializeSecurityContextW produced.
 *
 * @example
 * ```ts
 * if (r.status === SecStatus.SEC_I_COMPLETE_NEEDED) completeAuthToken(r.context, r.output);
 * ```
 */
export function completeAuthToken(context: SspiHandle, token: Uint8Array): Promise<number> {
  const fn = functions().complete;
  return withSspiArena((arena) => {
    const desc = arena.bufferDesc([{ type: SecBufferType.TOKEN, data: token }]);
    return callAsync(fn, [nativeHandle(arena, context), desc.desc]).then((s) => s >>> 0);
  });
}

/** What {@link queryContextAttributes} reads, by attribute. */
export type ContextAttributeValue =
  | { readonly attribute: 'sizes'; readonly maxToken: number; readonly maxSignature: number }
  | { readonly attribute: 'negotiationInfo'; readonly packageName: string | null; readonly state: number }
  | { readonly attribute: 'names'; readonly userName: string | null }
  | { readonly attribute: 'flags'; readonly flags: number };

/**
 * `QueryContextAttributesW` for SIZES, NEGOTIATION_INFO, NAMES or FLAGS, copying the result and
 * releasing what the package allocated (`FreeContextBuffer`). Wine 8 answers only SIZES and
 * NEGOTIATION_INFO (the others give SEC_E_UNSUPPORTED_FUNCTION).
 *
 * @example
 * ```ts
 * const { status, value } = queryContextAttributes(ctx, 'negotiationInfo');
 * if (status === 0 && value?.attribute === 'negotiationInfo') console.log(value.packageName); // Kerberos
 * ```
 */
export function queryContextAttributes(
  context: SspiHandle,
  attribute: ContextAttributeValue['attribute'],
): { status: number; value: ContextAttributeValue | null } {
  const koffi = sspiKoffi();
  const t = sspiStructs();
  const arenaFree: bigint[] = [];
  const alloc = (size: number) => {
    const ptr = koffi.alloc('uint8_t', size) as bigint;
    new Uint8Array(koffi.view(ptr, size)).fill(0);
    arenaFree.push(ptr);
    return ptr;
  };
  try {
    const handle = alloc(koffi.sizeof(t.secHandle));
    const { lower, upper } = unpackHandle(context);
    koffi.encode(handle, t.secHandle, { dwLower: lower, dwUpper: upper });
    const code = {
      sizes: ContextAttribute.SIZES,
      negotiationInfo: ContextAttribute.NEGOTIATION_INFO,
      names: ContextAttribute.NAMES,
      flags: ContextAttribute.FLAGS,
    }[attribute];
    const buffer = alloc(32);
    const status = (functions().query(handle, code, buffer) as number) >>> 0;
    if (status >= 0x80000000) return { status, value: null };
    switch (attribute) {
      case 'sizes': {
        const s = koffi.decode(buffer, t.sizes) as { cbMaxToken: number; cbMaxSignature: number };
        return { status, value: { attribute, maxToken: s.cbMaxToken, maxSignature: s.cbMaxSignature } };
      }
      case 'negotiationInfo': {
        const n = koffi.decode(buffer, t.negotiationInfo) as {
          PackageInfo: bigint;
          NegotiationState: number;
        };
        let packageName: string | null = null;
        if (n.PackageInfo !== 0n) {
          const info = koffi.decode(n.PackageInfo, t.pkgInfo) as { Name: bigint };
          packageName = readWideString(info.Name);
          freeContextBuffer(n.PackageInfo);
        }
        return { status, value: { attribute, packageName, state: n.NegotiationState } };
      }
      case 'names': {
        const n = koffi.decode(buffer, t.names) as { sUserName: bigint };
        const userName = readWideString(n.sUserName);
        freeContextBuffer(n.sUserName);
        return { status, value: { attribute, userName } };
      }
      case 'flags': {
        const flags = new DataView(koffi.view(buffer, 4)).getUint32(0, true);
        return { status, value: { attribute, flags } };
      }
      default:
        throw new TypeError(`unknown context attribute ${String(attribute)}`);
    }
  } finally {
    for (const ptr of arenaFree) koffi.free(ptr);
  }
}

/**
 * `DeleteSecurityContext`. Synchronous: it releases local state only.
 *
 * @example
 * ```ts
 * deleteSecurityContext(context);
 * ```
 */
export function deleteSecurityContext(context: SspiHandle): number {
  const koffi = sspiKoffi();
  const t = sspiStructs();
  const { lower, upper } = unpackHandle(context);
  const ptr = koffi.alloc(t.secHandle, 1) as bigint;
  try {
    koffi.encode(ptr, t.secHandle, { dwLower: lower, dwUpper: upper });
    return (functions().delete(ptr) as number) >>> 0;
  } finally {
    koffi.free(ptr);
  }
}
