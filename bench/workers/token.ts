/**
 * The Node side of the token-cost benchmark: first SPNEGO tokens with a cached service ticket,
 * one fresh context per token, in the same loop shape as bench/c/gss-token.c. Besides the
 * public path (`SecurityContext.step()`), it times the layers under it, to show where the time
 * goes: the raw layer's async call, a bare koffi async call, and a bare koffi sync call.
 *
 * @module
 */
import { Credentials, Name, NameType, OID, SecurityContext } from '../../src/gssapi/index.js';
import * as raw from '../../src/gssapi/raw/index.js';
import { gssapiBinding } from '../../src/gssapi/raw/library.js';
import { Arena, nativeOid } from '../../src/gssapi/raw/memory.js';
import { serveWorker } from '../lib/processes.js';

/** The ways a token is made, from the public API down to a bare FFI call. */
export const TOKEN_VARIANTS = [
  'step',
  'step-no-creds',
  'raw-async',
  'koffi-async',
  'koffi-sync',
  'koffi-async-noop',
] as const;
export type TokenVariant = (typeof TOKEN_VARIANTS)[number];

export interface TokenInput {
  readonly target: string;
  readonly iterations: number;
  readonly warmup: number;
  /** GSS request flags (8 = SEQUENCE, what createFetch asks for by default). */
  readonly flags: number;
  readonly variants: readonly TokenVariant[];
}

export interface TokenTiming {
  readonly iterations: number;
  readonly meanNs: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly tokenBytes: number;
}

export type TokenResult = Partial<Record<TokenVariant, TokenTiming>>;

type MakeToken = () => Promise<number> | number;

async function time(make: MakeToken, iterations: number, warmup: number): Promise<TokenTiming> {
  let bytes = 0;
  for (let i = 0; i < warmup; i++) bytes = await make();
  const samples = new Float64Array(iterations);
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await make();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  const total = Number(process.hrtime.bigint() - started);
  samples.sort();
  return {
    iterations,
    meanNs: total / iterations,
    p50Ns: samples[iterations >> 1]!,
    p99Ns: samples[Math.floor((iterations * 99) / 100)]!,
    tokenBytes: bytes,
  };
}

serveWorker<TokenInput, TokenResult>(async (input) => {
  // As the C program: default credentials acquired once (SPNEGO and Kerberos elements), the
  // target imported once, a new context per token.
  const creds = await Credentials.acquire();
  const name = new Name(input.target, NameType.hostbasedService);
  const spnego = OID.SPNEGO;
  const { lib } = gssapiBinding();
  const init = lib.func(
    'uint32_t gss_init_sec_context(_Out_ uint32_t *minor, void *cred, _Inout_ void **ctx, void *target, void *mech, uint32_t flags, uint32_t time, void *bindings, void *input, _Out_ void **actual_mech, void *output, _Out_ uint32_t *ret_flags, _Out_ uint32_t *time_rec)',
  );
  const release = lib.func('uint32_t gss_release_buffer(_Out_ uint32_t *minor, void *buffer)');
  const del = lib.func(
    'uint32_t gss_delete_sec_context(_Out_ uint32_t *minor, _Inout_ void **ctx, void *out)',
  );
  const mech = nativeOid(spnego.bytes);
  /** gss_release_buffer with GSS_C_NO_BUFFER returns at once: an async call of it is the pool hop alone. */
  const noop = (): Promise<number> =>
    new Promise<number>((resolve, reject) =>
      release.async([0], 0n, (e: unknown, r: number) => (e ? reject(e) : resolve(r))),
    ).then(() => 0);
  const check = (major: number) => {
    if (raw.isError(major)) throw new Error(`gss_init_sec_context failed: major 0x${major.toString(16)}`);
  };

  /** One bare call: the output descriptor from an arena, the arguments as plain values. */
  const bare = (sync: boolean) => async (): Promise<number> => {
    const arena = new Arena();
    try {
      const minor = [0];
      const ctx = [0n];
      const out = arena.outBuffer();
      const args = [minor, creds.handle, ctx, name.handle, mech, input.flags, 0, 0n, 0n, [0n], out, [0], [0]];
      const major: number = sync
        ? init(...args)
        : await new Promise<number>((resolve, reject) =>
            init.async(...args, (e: unknown, r: number) => (e ? reject(e) : resolve(r))),
          );
      check(major);
      const token = arena.takeBuffer(out, (d) => release([0], d));
      del([0], ctx, 0n);
      return token?.length ?? 0;
    } finally {
      arena.free();
    }
  };

  const makers: Record<TokenVariant, MakeToken> = {
    step: async () => {
      const ctx = new SecurityContext({ usage: 'initiate', name, creds, mech: spnego, flags: input.flags });
      try {
        return (await ctx.step())!.length;
      } finally {
        ctx.dispose();
      }
    },
    // What createFetch does by default (creds null): GSS_C_NO_CREDENTIAL, so MIT acquires the
    // default credentials inside every gss_init_sec_context. Compared with the C program's "none" mode.
    'step-no-creds': async () => {
      const ctx = new SecurityContext({
        usage: 'initiate',
        name,
        creds: null,
        mech: spnego,
        flags: input.flags,
      });
      try {
        return (await ctx.step())!.length;
      } finally {
        ctx.dispose();
      }
    },
    'raw-async': async () => {
      const r = await raw.initSecContext({
        cred: creds.handle,
        context: raw.NO_CONTEXT,
        target: name.handle,
        mech: spnego.bytes,
        flags: input.flags,
        lifetime: 0,
        bindings: null,
        input: null,
      });
      check(r.major);
      raw.deleteSecContext(r.context);
      return r.output?.length ?? 0;
    },
    'koffi-async': bare(false),
    'koffi-sync': bare(true),
    'koffi-async-noop': noop,
  };

  const result: TokenResult = {};
  for (const variant of input.variants) {
    result[variant] = await time(makers[variant], input.iterations, input.warmup);
  }
  name.dispose();
  creds.dispose();
  return result;
});
