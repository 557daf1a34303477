import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the nearest directory above this file (build/bench/lib/paths.js once
 * compiled) that holds bench/c/gss-token.c, else the working directory (a build placed
 * elsewhere, run from the repository).
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bench', 'c', 'gss-token.c'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export const REPO_ROOT = findRoot();

/** A file in the repository's source tree (bench/c/..., bench/python/...). */
export function repoFile(relative: string): string {
  return join(REPO_ROOT, relative);
}
