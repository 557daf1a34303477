/**
 * The version of the installed http-gssapi, for `--version` and `doctor`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `version` of the nearest `package.json` named `http-gssapi` above this file (`dist/cli/`
 * when installed, `build/src/cli/` in the repository), or `'unknown'`.
 *
 * @example
 * ```ts
 * packageVersion(); // '0.1.0'
 * ```
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === 'http-gssapi' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json here: look one level up.
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
