/**
 * Loads a compiled adapter (build/src/adapters/<name>.js, or <name>/index.js for an adapter that
 * is a folder) at run time, so the bench compiles and runs whichever adapters exist when it runs.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClientUnavailableError } from './types.js';

/** URL of a compiled adapter module: a file, or a folder's index. */
export function adapterUrl(name: string): URL {
  const file = new URL(`../../src/adapters/${name}.js`, import.meta.url);
  return existsSync(fileURLToPath(file))
    ? file
    : new URL(`../../src/adapters/${name}/index.js`, import.meta.url);
}

/** Whether the adapter's source exists in src/adapters (and so is compiled with the bench). */
export function adapterExists(name: string): boolean {
  return existsSync(fileURLToPath(adapterUrl(name)));
}

/** Imports the adapter; throws {@link ClientUnavailableError} when it is not there. */
export async function loadAdapter(name: string): Promise<Record<string, unknown>> {
  if (!adapterExists(name)) throw new ClientUnavailableError(`src/adapters/${name}.ts does not exist yet`);
  return (await import(adapterUrl(name).href)) as Record<string, unknown>;
}

/** The first of `names` that the module exports as a function; throws when none is. */
export function pickExport<T>(module: Record<string, unknown>, adapter: string, names: readonly string[]): T {
  for (const name of names) if (typeof module[name] === 'function') return module[name] as T;
  throw new ClientUnavailableError(
    `src/adapters/${adapter}.ts exports none of ${names.join(', ')} (exports: ${Object.keys(module).join(', ')})`,
  );
}
