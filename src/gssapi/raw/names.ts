/**
 * Names (RFC 2743 section 2.4, RFC 2744 section 5): the raw calls, one per C function, like
 * python-gssapi's `gssapi/raw/names.pyx`. Each returns its major and minor status with its
 * outputs and never throws on a GSS error.
 *
 * @module
 */
import { bindFunctions } from './bind-functions.js';
import { callAsync } from './call-limiter.js';
import type { NameHandle, Status } from './handles.js';
import { releaseBuffer } from './library-memory.js';
import { nativeOid, readOid, withArenaSync } from './memory.js';

const functions = bindFunctions({
  import_name: 'uint32_t gss_import_name(_Out_ uint32_t *minor, void *input, void *type, _Out_ void **name)',
  display_name: 'uint32_t gss_display_name(_Out_ uint32_t *minor, void *name, void *out, _Out_ void **type)',
  release_name: 'uint32_t gss_release_name(_Out_ uint32_t *minor, _Inout_ void **name)',
  canonicalize_name:
    'uint32_t gss_canonicalize_name(_Out_ uint32_t *minor, void *name, void *mech, _Out_ void **out)',
  duplicate_name: 'uint32_t gss_duplicate_name(_Out_ uint32_t *minor, void *name, _Out_ void **out)',
  compare_name: 'uint32_t gss_compare_name(_Out_ uint32_t *minor, void *a, void *b, _Out_ int *equal)',
  export_name: 'uint32_t gss_export_name(_Out_ uint32_t *minor, void *name, void *out)',
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (input: Uint8Array | string) => (typeof input === 'string' ? encoder.encode(input) : input);

/**
 * `gss_import_name`. `nameType` null means `GSS_C_NO_OID` (the mechanism's default syntax).
 *
 * @example
 * ```ts
 * const { major, name } = importName('HTTP@web.example.org', hostbasedServiceOid);
 * if (!isError(major)) releaseName(name);
 * ```
 */
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

/**
 * `gss_display_name`: the printable form and the name type OID.
 *
 * @example
 * ```ts
 * console.log(displayName(name).text); // 'HTTP@web.example.org'
 * ```
 */
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

/**
 * `gss_release_name`.
 *
 * @example
 * ```ts
 * releaseName(name);
 * ```
 */
export function releaseName(name: NameHandle): Status {
  const minor = [0];
  const major = functions().release_name(minor, [name]);
  return { major, minor: minor[0]! };
}

/**
 * `gss_canonicalize_name` (async: the krb5 mechanism may look the host up in DNS).
 *
 * @example
 * ```ts
 * const { name: mechName } = await canonicalizeName(name, krb5MechOid);
 * ```
 */
export async function canonicalizeName(
  name: NameHandle,
  mech: Uint8Array,
): Promise<Status & { readonly name: NameHandle }> {
  const minor = [0];
  const out = [0n];
  const major = await callAsync(functions().canonicalize_name, [minor, name, nativeOid(mech), out]);
  return { major, minor: minor[0]!, name: (out[0] ?? 0n) as NameHandle };
}

/**
 * `gss_duplicate_name`.
 *
 * @example
 * ```ts
 * const { name: copy } = duplicateName(name);
 * ```
 */
export function duplicateName(name: NameHandle): Status & { readonly name: NameHandle } {
  const minor = [0];
  const out = [0n];
  const major = functions().duplicate_name(minor, name, out);
  return { major, minor: minor[0]!, name: (out[0] ?? 0n) as NameHandle };
}

/**
 * `gss_compare_name`.
 *
 * @example
 * ```ts
 * if (compareName(a, b).equal) console.log('same principal');
 * ```
 */
export function compareName(a: NameHandle, b: NameHandle): Status & { readonly equal: boolean } {
  const minor = [0];
  const equal = [0];
  const major = functions().compare_name(minor, a, b, equal);
  return { major, minor: minor[0]!, equal: equal[0] !== 0 };
}

/**
 * `gss_export_name` (the name must be a mechanism name, RFC 2743 section 3.2).
 *
 * @example
 * ```ts
 * const { exported } = exportName(mechName); // a token to compare or store
 * ```
 */
export function exportName(name: NameHandle): Status & { readonly exported: Uint8Array | null } {
  return withArenaSync((arena) => {
    const minor = [0];
    const desc = arena.outBuffer();
    const major = functions().export_name(minor, name, desc);
    return { major, minor: minor[0]!, exported: arena.takeBuffer(desc, releaseBuffer) };
  });
}
