/**
 * Which release of Kerberos the loaded GSSAPI library belongs to. GSSAPI has no version call, so
 * the answer comes from the krb5 library mapped into this process beside it: MIT stamps
 * `KRB5_BRAND: krb5-1.20.1-final 1.20.1 ...` into libkrb5, Heimdal `Heimdal 7.8.0`.
 *
 * @module
 */
import { readFileSync, realpathSync } from 'node:fs';

/** The loaded library's file and release, as far as they can be found. */
export interface GssapiLibraryVersion {
  /** The file the library was loaded from (symlinks resolved), or null when not found. */
  readonly file: string | null;
  /** `MIT krb5 1.20.1`, `Heimdal 7.8.0`, or null. */
  readonly release: string | null;
}

/** Files mapped into this process (Linux `/proc/self/maps`), or [] elsewhere. */
function mappedFiles(): string[] {
  try {
    const lines = readFileSync('/proc/self/maps', 'utf8').split('\n');
    return [...new Set(lines.map((l) => /\s(\/\S.*)$/.exec(l)?.[1] ?? '').filter(Boolean))];
  } catch {
    return [];
  }
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The release stamped in a library file, or null. */
export function releaseIn(bytes: Buffer): string | null {
  const text = bytes.toString('latin1');
  const mit = /KRB5_BRAND: krb5-(\d+\.\d+(?:\.\d+)?)/.exec(text);
  if (mit) return `MIT krb5 ${mit[1]}`;
  const heimdal = /Heimdal (\d+\.\d+(?:\.\d+)?)/.exec(text);
  return heimdal ? `Heimdal ${heimdal[1]}` : null;
}

/**
 * Finds the loaded GSSAPI library among the files this process maps (it must be loaded already)
 * and the release of the krb5 library it came with.
 *
 * @param loadedAs - the path or soname it was loaded by (`GssapiLibraryInfo.path`).
 * @example
 * ```ts
 * const { info } = loadGssapiLibrary();
 * gssapiLibraryVersion(info.path); // { file: '/usr/lib/x86_64-linux-gnu/libgssapi_krb5.so.2.2', release: 'MIT krb5 1.20.1' }
 * ```
 */
export function gssapiLibraryVersion(loadedAs: string): GssapiLibraryVersion {
  const mapped = mappedFiles();
  const base = loadedAs
    .split('/')
    .at(-1)!
    .replace(/\.so.*$/, '');
  const file =
    mapped.find((f) => f === realpath(loadedAs)) ??
    mapped.find((f) => f.split('/').at(-1)!.startsWith(`${base}.so`)) ??
    null;
  // The brand is in the krb5 library next to it (libkrb5.so.3 for MIT, libkrb5.so.26 for Heimdal),
  // and for some builds in the GSSAPI library itself.
  const candidates = [...(file ? [file] : []), ...mapped.filter((f) => /\/libkrb5\.so/.test(f))];
  for (const candidate of candidates) {
    try {
      const release = releaseIn(readFileSync(candidate));
      if (release) return { file, release };
    } catch {
      // Unreadable: try the next.
    }
  }
  return { file, release: null };
}
