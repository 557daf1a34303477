/**
 * Loading secur32.dll, the Windows SSPI entry points, through koffi. Nothing is loaded until the
 * first call; on other platforms only the koffi module itself is (for the struct layouts, which
 * the unit tests check on every platform).
 *
 * @module
 */
import type * as Koffi from 'koffi';
import { GssapiLibraryError, requireKoffi } from '../../raw/library.js';

let koffiModule: typeof Koffi | undefined;

/** The koffi module, loaded once. Loads no native library. */
export function sspiKoffi(): typeof Koffi {
  if (koffiModule) return koffiModule;
  // ERR_KOFFI_NATIVE_MISSING when koffi's binary package (@koromix/koffi-win32-x64) is absent.
  koffiModule = requireKoffi();
  // Async calls of secur32 may run Kerberos (and, under Wine, MIT krb5 with NSS lookups) on
  // koffi's own stack: give it 1 MiB, as the GSSAPI loader does. Frozen after the first load.
  try {
    const current = koffiModule.config();
    if ((current.async_stack_size ?? 0) < 1024 * 1024) {
      koffiModule.config({ ...current, async_stack_size: 1024 * 1024 });
    }
  } catch {
    // Another library was loaded through koffi first: its settings stand.
  }
  return koffiModule;
}

/** What {@link loadSspiLibrary} loaded, for diagnostics. */
export interface SspiLibraryInfo {
  /** The DLL that loaded (`secur32.dll`). */
  readonly path: string;
}

let loaded: { readonly lib: Koffi.LibraryHandle; readonly info: SspiLibraryInfo } | undefined;

/**
 * Loads secur32.dll once (the SSPI provider's library on Windows).
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_LIBRARY_NOT_FOUND` when it cannot be loaded (any
 *   platform but Windows, or Wine without its secur32).
 * @example
 * ```ts
 * const { info } = loadSspiLibrary(); // { path: 'secur32.dll' }
 * ```
 */
export function loadSspiLibrary(): { readonly lib: Koffi.LibraryHandle; readonly info: SspiLibraryInfo } {
  if (loaded) return loaded;
  const koffi = sspiKoffi();
  const path = 'secur32.dll';
  try {
    loaded = { lib: koffi.load(path), info: { path } };
  } catch (error) {
    throw new GssapiLibraryError(
      'ERR_GSSAPI_LIBRARY_NOT_FOUND',
      `could not load ${path} (the SSPI provider needs Windows): ${error instanceof Error ? error.message : String(error)}`,
      'on Linux and the BSDs use the GSSAPI provider (unset HTTP_GSSAPI_PROVIDER or set it to gssapi)',
      { cause: error },
    );
  }
  return loaded;
}

let wine: string | null | undefined;

/**
 * The version of Wine when secur32 is Wine's (its ntdll exports `wine_get_version`), else null
 * (Windows). Asked once. Wine's Negotiate differs where it matters here: it ignores a package
 * list, and before Wine 11.16 its Kerberos package reads every identity as a
 * SEC_WINNT_AUTH_IDENTITY_W (see docs/windows.md).
 *
 * @example
 * ```ts
 * if (wineVersion() !== null) console.log(`Wine ${wineVersion()}`);
 * ```
 */
export function wineVersion(): string | null {
  if (wine !== undefined) return wine;
  try {
    const fn = sspiKoffi().load('ntdll.dll').func('const char *wine_get_version()');
    wine = String(fn());
  } catch {
    // No such export: Windows' own ntdll.
    wine = null;
  }
  return wine;
}

/** A bound secur32 function. */
export type SspiFunction = ReturnType<Koffi.LibraryHandle['func']>;

/**
 * Binds prototypes on first use, like the GSSAPI raw layer's `bindFunctions`.
 *
 * @example
 * ```ts
 * const functions = bindSspi({ free: 'uint32_t FreeContextBuffer(void *buffer)' });
 * functions().free(address);
 * ```
 */
export function bindSspi<K extends string>(
  prototypes: Readonly<Record<K, string>>,
): () => Readonly<Record<K, SspiFunction>> {
  let bound: Record<K, SspiFunction> | undefined;
  return () => {
    if (bound) return bound;
    const { lib } = loadSspiLibrary();
    const functions = {} as Record<K, SspiFunction>;
    for (const [key, prototype] of Object.entries(prototypes) as [K, string][]) {
      functions[key] = lib.func(prototype);
    }
    bound = functions;
    return bound;
  };
}
