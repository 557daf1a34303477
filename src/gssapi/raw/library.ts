import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

/**
 * Which GSSAPI implementation a loaded library is. `custom` is a library named by
 * `HTTP_GSSAPI_LIBRARY` that is neither recognisably MIT nor Heimdal.
 */
export type GssapiProvider = 'mit' | 'heimdal' | 'custom';

/** Where a library came from and what it can do, for diagnostics (`http-gssapi doctor`). */
export interface GssapiLibraryInfo {
  /** The path or soname that loaded. */
  readonly path: string;
  readonly provider: GssapiProvider;
  /** Every candidate tried, in order, with the loader's message for those that failed. */
  readonly tried: readonly { readonly candidate: string; readonly error?: string }[];
  /** Optional extensions present in this library, probed once at load. */
  readonly capabilities: GssapiCapabilities;
}

/**
 * Extensions beyond RFC 2744 that the high-level layer uses when present. Each is a symbol
 * probed once when the library loads; a missing one turns the feature into a coded error
 * instead of a crash.
 */
export interface GssapiCapabilities {
  /** `gss_acquire_cred_from` (MIT 1.11+; not in Debian 12's Heimdal 7.8): keytab/ccache paths per credential. */
  readonly acquireCredFrom: boolean;
  /** `gss_acquire_cred_with_password` (MIT, Heimdal): a password login without kinit. */
  readonly acquireCredWithPassword: boolean;
  /** `gss_store_cred_into` (MIT 1.11+): write delegated credentials to a ccache. */
  readonly storeCredInto: boolean;
  /** `gss_set_neg_mechs` (MIT; not in Heimdal 7.8): restrict the mechanisms SPNEGO offers. */
  readonly setNegMechs: boolean;
  /**
   * `gsskrb5_register_acceptor_identity` (Heimdal) or `krb5_gss_register_acceptor_identity`
   * (MIT, Heimdal): name the acceptor keytab, process-wide. How an acceptor gets a keytab of
   * its choosing where `acquireCredFrom` is missing.
   */
  readonly registerAcceptorIdentity: boolean;
}

/** Code of {@link GssapiLibraryError}. */
export type GssapiLibraryErrorCode =
  | 'ERR_GSSAPI_LIBRARY_NOT_FOUND'
  | 'ERR_GSSAPI_UNSUPPORTED'
  /**
   * An acceptor keytab other than the one already registered process-wide (a library without
   * `gss_acquire_cred_from`: Heimdal 7), which would switch the keytab under other acceptors.
   */
  | 'ERR_GSSAPI_KEYTAB_IN_USE'
  /** koffi's native module is missing: installed with `--omit=optional` and `--ignore-scripts`. */
  | 'ERR_KOFFI_NATIVE_MISSING';

/**
 * The system GSSAPI library could not be loaded, or lacks a function a feature needs.
 * The message names every candidate tried and the package that provides one.
 *
 * @example
 * ```ts
 * import { loadGssapiLibrary, GssapiLibraryError } from 'http-gssapi/gssapi/raw';
 * try { loadGssapiLibrary(); } catch (e) {
 *   if (e instanceof GssapiLibraryError) console.error(e.code, e.hint);
 * }
 * ```
 */
export class GssapiLibraryError extends Error {
  readonly code: GssapiLibraryErrorCode;
  readonly hint: string | undefined;
  constructor(code: GssapiLibraryErrorCode, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GssapiLibraryError';
    this.code = code;
    this.hint = hint;
  }
}

/** The package that provides a GSSAPI library on each platform family we know. */
export const INSTALL_HINT =
  'install the system Kerberos GSSAPI library: Debian/Ubuntu `apt-get install libgssapi-krb5-2`, ' +
  'RHEL/Fedora `dnf install krb5-libs`, Alpine `apk add krb5-libs`; ' +
  'or set HTTP_GSSAPI_LIBRARY to the path of libgssapi_krb5.so.2 or Heimdal libgssapi.so.3';

/** Libraries tried when `HTTP_GSSAPI_LIBRARY` is not set, by platform. */
export function defaultCandidates(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'linux':
      // MIT first: it is what Debian, RHEL and Alpine ship as the default GSSAPI; Heimdal's
      // libgssapi.so.3 installs beside it (Debian libgssapi3-heimdal) and reads the same ccache.
      return ['libgssapi_krb5.so.2', 'libgssapi.so.3'];
    case 'freebsd':
    case 'openbsd':
    case 'netbsd':
      return ['libgssapi_krb5.so.2', 'libgssapi_krb5.so', 'libgssapi.so.10', 'libgssapi.so.3'];
    default:
      // Windows has its own provider (SSPI, src/gssapi/sspi, chosen in provider.ts), not loaded
      // through this table; macOS (GSS.framework, structs packed on x86_64) is still planned.
      return [];
  }
}

interface Loaded {
  readonly koffi: typeof Koffi;
  readonly lib: Koffi.LibraryHandle;
  readonly info: GssapiLibraryInfo;
}

let loaded: Loaded | undefined;

/**
 * Koffi runs async calls on a stack of its own, 128 KiB by default. A call to
 * gss_init_sec_context can go through getaddrinfo and NSS modules, which are stack-hungry,
 * so give async calls 1 MiB. Koffi only accepts this before the first library load; if the
 * application loaded a library through koffi already, its settings stand.
 */
const ASYNC_STACK_SIZE = 1024 * 1024;

function configureKoffi(koffi: typeof Koffi): void {
  try {
    const current = koffi.config();
    if ((current.async_stack_size ?? 0) < ASYNC_STACK_SIZE) {
      koffi.config({ ...current, async_stack_size: ASYNC_STACK_SIZE });
    }
  } catch {
    // Configuration is frozen after the first load anywhere in the process: keep its values.
  }
}

function detectProvider(lib: Koffi.LibraryHandle, candidate: string): GssapiProvider {
  // Heimdal exports gsskrb5_register_acceptor_identity (and MIT's spelling as an alias);
  // MIT has only krb5_gss_register_acceptor_identity.
  if (hasSymbol(lib, 'gsskrb5_register_acceptor_identity')) return 'heimdal';
  if (hasSymbol(lib, 'krb5_gss_register_acceptor_identity')) return 'mit';
  return /heimdal|libgssapi\.so\.3/.test(candidate) ? 'heimdal' : 'custom';
}

/** glibc's dlopen flags (dlfcn.h); musl uses the same values. */
const RTLD_NOW = 0x2;
const RTLD_NOLOAD = 0x4;
const RTLD_NODELETE = 0x1000;

/**
 * Keeps the chosen library mapped until the process exits. koffi unloads a library once its
 * last reference is collected, and Node's teardown collects it before libuv's worker threads
 * exit; a library that registered thread-specific data destructors (pthread_key_create) on those
 * threads then has them run in unmapped code. Heimdal 7.8 does, and every process that made one
 * call through the thread pool died with SIGSEGV at exit. `dlopen(name, RTLD_NOLOAD |
 * RTLD_NODELETE)` loads nothing: it marks the copy already loaded as never unloaded. Best effort:
 * where dlopen cannot be found (musl, which never unloads anyway) nothing is done.
 */
function pinLibrary(koffi: typeof Koffi, candidate: string): void {
  if (process.platform !== 'linux') return;
  // dlopen lives in libc since glibc 2.34; libdl.so.2 still provides it, and is where it is before.
  for (const soname of ['libdl.so.2', 'libc.so.6']) {
    try {
      const dlopen = koffi.load(soname).func('void *dlopen(const char *file, int mode)');
      dlopen(candidate, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
      return;
    } catch {
      // Not this library; try the next.
    }
  }
}

function hasSymbol(lib: Koffi.LibraryHandle, name: string): boolean {
  try {
    lib.symbol(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the system GSSAPI library once and returns it; later calls return the same one.
 * Candidates: `HTTP_GSSAPI_LIBRARY` alone when set (a path or a soname), otherwise MIT
 * `libgssapi_krb5.so.2` then Heimdal `libgssapi.so.3`.
 *
 * @throws {GssapiLibraryError} `ERR_GSSAPI_LIBRARY_NOT_FOUND` naming each candidate tried.
 * @example
 * ```ts
 * import { loadGssapiLibrary } from 'http-gssapi/gssapi/raw';
 * const { info } = loadGssapiLibrary();
 * console.log(info.provider, info.path, info.capabilities);
 * ```
 */
export function loadGssapiLibrary(): { readonly lib: Koffi.LibraryHandle; readonly info: GssapiLibraryInfo } {
  if (loaded) return loaded;
  const koffi = requireKoffi();
  const override = process.env['HTTP_GSSAPI_LIBRARY']?.trim();
  const candidates = override ? [override] : defaultCandidates();
  const tried: { candidate: string; error?: string }[] = [];
  configureKoffi(koffi);
  for (const candidate of candidates) {
    let lib: Koffi.LibraryHandle;
    try {
      lib = koffi.load(candidate);
    } catch (error) {
      tried.push({ candidate, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (!hasSymbol(lib, 'gss_init_sec_context')) {
      tried.push({ candidate, error: 'loaded, but it does not export gss_init_sec_context' });
      lib.unload();
      continue;
    }
    tried.push({ candidate });
    pinLibrary(koffi, candidate);
    const capabilities: GssapiCapabilities = {
      acquireCredFrom: hasSymbol(lib, 'gss_acquire_cred_from'),
      acquireCredWithPassword: hasSymbol(lib, 'gss_acquire_cred_with_password'),
      storeCredInto: hasSymbol(lib, 'gss_store_cred_into'),
      setNegMechs: hasSymbol(lib, 'gss_set_neg_mechs'),
      registerAcceptorIdentity:
        hasSymbol(lib, 'gsskrb5_register_acceptor_identity') ||
        hasSymbol(lib, 'krb5_gss_register_acceptor_identity'),
    };
    const info = { path: candidate, provider: detectProvider(lib, candidate), tried, capabilities };
    loaded = { koffi, lib, info };
    return loaded;
  }
  const list = tried.map((t) => `${t.candidate} (${t.error})`).join('; ');
  throw new GssapiLibraryError(
    'ERR_GSSAPI_LIBRARY_NOT_FOUND',
    candidates.length === 0
      ? `no GSSAPI provider for platform ${process.platform} yet; set HTTP_GSSAPI_LIBRARY to a GSSAPI library`
      : `could not load a GSSAPI library; tried: ${list}`,
    INSTALL_HINT,
  );
}

/** How to get koffi's native module back, for {@link requireKoffi}'s error. */
const KOFFI_HINT =
  'koffi ships its native module in an optional dependency (@koromix/koffi-<platform>-<arch>); ' +
  'reinstall without --omit=optional (or with --include=optional), or, where that package does ' +
  "not exist for the platform, let koffi's install script build it (needs cmake and a C++ compiler, " +
  'so not with --ignore-scripts)';

/**
 * Loads koffi. Its own error for a missing native module ("Cannot find the native Koffi module;
 * did you bundle it correctly?") names neither the cause nor the fix: an install with
 * `--omit=optional` skips the prebuilt binary package, and `--ignore-scripts` then skips the
 * source build that would replace it.
 *
 * @example
 * ```ts
 * const koffi = requireKoffi(); // the SSPI provider loads koffi this way too
 * ```
 */
export function requireKoffi(): typeof Koffi {
  try {
    return createRequire(import.meta.url)('koffi') as typeof Koffi;
  } catch (error) {
    if (error instanceof Error && /native Koffi module/i.test(error.message)) {
      throw new GssapiLibraryError(
        'ERR_KOFFI_NATIVE_MISSING',
        `koffi's native module for ${process.platform}-${process.arch} is not installed`,
        KOFFI_HINT,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Internal: the koffi module and library, loading on first use. */
export function gssapiBinding(): Loaded {
  return loaded ?? (loadGssapiLibrary() as Loaded);
}
