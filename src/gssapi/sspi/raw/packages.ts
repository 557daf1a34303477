/**
 * Security packages (sspi.h): QuerySecurityPackageInfoW and FreeContextBuffer, 1:1.
 *
 * @module
 */
import { bindSspi, sspiKoffi } from './library.js';
import { readWideString, sspiStructs } from './memory.js';

const functions = bindSspi({
  query: 'uint32_t QuerySecurityPackageInfoW(void *package, _Out_ void **info)',
  free: 'uint32_t FreeContextBuffer(void *buffer)',
});

/** What {@link querySecurityPackageInfo} reports of a package. */
export interface PackageInfo {
  readonly status: number;
  /** The largest token the package makes: the output buffer size InitializeSecurityContextW needs. */
  readonly maxToken: number;
  readonly name: string | null;
  readonly capabilities: number;
}

/**
 * `QuerySecurityPackageInfoW`, then `FreeContextBuffer` on what it returned.
 *
 * @example
 * ```ts
 * const { maxToken } = querySecurityPackageInfo('Negotiate'); // 48256 on Windows 10, 12000 on Wine 8
 * ```
 */
export function querySecurityPackageInfo(packageName: string): PackageInfo {
  const koffi = sspiKoffi();
  const out = [0n];
  const name = koffi.alloc('uint16_t', packageName.length + 1) as bigint;
  try {
    const units = new Uint16Array(koffi.view(name, (packageName.length + 1) * 2));
    for (let i = 0; i < packageName.length; i++) units[i] = packageName.charCodeAt(i);
    units[packageName.length] = 0;
    const status = (functions().query(name, out) as number) >>> 0;
    const address = BigInt(out[0] ?? 0n);
    if (status >= 0x80000000 || address === 0n) return { status, maxToken: 0, name: null, capabilities: 0 };
    const info = koffi.decode(address, sspiStructs().pkgInfo) as {
      fCapabilities: number;
      cbMaxToken: number;
      Name: bigint;
    };
    const result = {
      status,
      maxToken: info.cbMaxToken,
      name: readWideString(info.Name),
      capabilities: info.fCapabilities,
    };
    freeContextBuffer(address);
    return result;
  } finally {
    koffi.free(name);
  }
}

/**
 * `FreeContextBuffer`: releases memory a package allocated for us.
 *
 * @example
 * ```ts
 * freeContextBuffer(info.PackageInfo);
 * ```
 */
export function freeContextBuffer(address: bigint): number {
  if (address === 0n) return 0;
  return (functions().free(address) as number) >>> 0;
}
