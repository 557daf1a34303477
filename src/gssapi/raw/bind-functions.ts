/**
 * Binding C prototypes to the loaded GSSAPI library, on first use. Each API area binds its own
 * functions, so a call loads the library (and looks up symbols) only when it is first needed.
 *
 * Prototypes are written in C syntax: pointers we build are `void *`, outputs are `_Out_`.
 *
 * @module
 */
import type { GssFunction } from './call-limiter.js';
import { GssapiLibraryError, gssapiBinding } from './library.js';

/**
 * Functions every RFC 2744 library exports. The getter binds them all on its first call (which
 * throws what the library loader throws, or koffi's error for a missing symbol) and caches them.
 *
 * @example
 * ```ts
 * const functions = bindFunctions({
 *   release_name: 'uint32_t gss_release_name(_Out_ uint32_t *minor, _Inout_ void **name)',
 * });
 * const major = functions().release_name(minor, [name]);
 * ```
 */
export function bindFunctions<K extends string>(
  prototypes: Readonly<Record<K, string>>,
): () => Readonly<Record<K, GssFunction>> {
  let bound: Record<K, GssFunction> | undefined;
  return () => {
    if (bound) return bound;
    const { lib } = gssapiBinding();
    const functions = {} as Record<K, GssFunction>;
    for (const [key, prototype] of Object.entries(prototypes) as [K, string][]) {
      functions[key] = lib.func(prototype);
    }
    bound = functions;
    return bound;
  };
}

/**
 * A function beyond RFC 2744 that not every library exports (MIT has them all since 1.11;
 * Heimdal and older MIT lack some). Looked up once; when it is absent, each call of the getter
 * throws `ERR_GSSAPI_UNSUPPORTED` naming the library and the function, so the caller learns
 * what to install instead of reading a koffi symbol error.
 *
 * @example
 * ```ts
 * const setNegMechsFn = bindExtension('uint32_t gss_set_neg_mechs(_Out_ uint32_t *minor, void *cred, void *mechs)');
 * const major = setNegMechsFn()(minor, cred, mechs); // throws GssapiLibraryError when absent
 * ```
 */
export function bindExtension(prototype: string): () => GssFunction {
  const name = /(\w+)\s*\(/.exec(prototype)?.[1] ?? prototype;
  let lookup: { readonly fn: GssFunction | undefined } | undefined;
  return () => {
    if (!lookup) {
      const { lib } = gssapiBinding();
      try {
        lookup = { fn: lib.func(prototype) };
      } catch {
        lookup = { fn: undefined };
      }
    }
    if (!lookup.fn) {
      throw new GssapiLibraryError(
        'ERR_GSSAPI_UNSUPPORTED',
        `the loaded GSSAPI library (${gssapiBinding().info.path}) does not export ${name}`,
        'use MIT krb5 1.11 or later (libgssapi_krb5.so.2), or set HTTP_GSSAPI_LIBRARY to a library that has it',
      );
    }
    return lookup.fn;
  };
}
