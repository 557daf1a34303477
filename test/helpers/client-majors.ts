import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Which major of each HTTP client the tests run against: the lockfile's (ky 1, got 14, undici 7)
// on Node 20, the newest on Node 22 and 24 (scripts/test-adapters-on.sh). Tests branch on these
// only where a client's own API changed between majors, never to excuse our behavior.

/** The major version of an installed package, from the package.json above its entry point. */
function majorOf(name: string): number {
  // got 15+ does not export ./package.json, so resolve the entry point and walk up.
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (json.name === name) return Number(json.version.split('.')[0]);
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}

export const kyMajor = majorOf('ky');
export const gotMajor = majorOf('got');
export const undiciMajor = majorOf('undici');
