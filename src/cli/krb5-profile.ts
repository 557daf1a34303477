/**
 * A reader for krb5.conf (the MIT profile format), enough for `doctor` to say which files are in
 * use and what they set: sections, `key = value` relations, `{ }` subsections, `include` and
 * `includedir`. The library reads the files itself; this only reports.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files in use and their relations. */
export interface Krb5Profile {
  /** Files named by KRB5_CONFIG (or the default), in order, with whether each could be read. */
  readonly files: readonly { readonly path: string; readonly read: boolean; readonly error?: string }[];
  /** Where the list came from. */
  readonly source: 'KRB5_CONFIG' | 'default';
  /** Every value of a relation, e.g. `values('libdefaults', 'default_realm')`, `values('realms', 'EXAMPLE.ORG', 'kdc')`. */
  values(...path: string[]): string[];
  /** The first value of a relation, or undefined. */
  value(...path: string[]): string | undefined;
}

/** MIT's default profile path on Unix-like systems. */
export const DEFAULT_KRB5_CONFIG = '/etc/krb5.conf';

/** A relation parsed from a file: its path (section, subsection keys, name) and value. */
interface Relation {
  readonly path: readonly string[];
  readonly value: string;
}

/**
 * Parses profile text into relations. Comments (`#`, `;`), the final marker `*` and unknown
 * lines are skipped; `include`/`includedir` are returned for the caller to follow.
 *
 * @example
 * ```ts
 * parseProfile('[libdefaults]\n default_realm = EXAMPLE.ORG\n').relations; // [{ path: ['libdefaults', 'default_realm'], value: 'EXAMPLE.ORG' }]
 * ```
 */
export function parseProfile(text: string): {
  relations: Relation[];
  includes: { dir: boolean; path: string }[];
} {
  const relations: Relation[] = [];
  const includes: { dir: boolean; path: string }[] = [];
  let stack: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const include = /^(include|includedir)\s+(.+)$/.exec(line);
    if (include && stack.length === 0) {
      includes.push({ dir: include[1] === 'includedir', path: include[2]!.trim() });
      continue;
    }
    const section = /^\[([^\]]+)\]\*?$/.exec(line);
    if (section) {
      stack = [section[1]!.trim()];
      continue;
    }
    if (line.startsWith('}')) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const relation = /^([^=\s]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!relation || stack.length === 0) continue;
    const [, key, value] = relation as unknown as [string, string, string];
    if (value === '{') stack.push(key);
    else relations.push({ path: [...stack, key], value: value.replace(/\*$/, '').trim() });
  }
  return { relations, includes };
}

/** File names `includedir` takes (MIT: letters, digits, dashes, underscores, or ending in `.conf`). */
const INCLUDED_NAME = /^(?:[A-Za-z0-9_-]+|.*\.conf)$/;

/**
 * Reads the profile the library will read: the files in `KRB5_CONFIG` (colon-separated), or
 * `/etc/krb5.conf`, with their includes.
 *
 * @example
 * ```ts
 * const profile = readKrb5Profile(process.env);
 * profile.value('libdefaults', 'default_realm');
 * ```
 */
export function readKrb5Profile(env: Readonly<Record<string, string | undefined>>): Krb5Profile {
  const configured = env['KRB5_CONFIG'];
  const paths = configured ? configured.split(':').filter(Boolean) : [DEFAULT_KRB5_CONFIG];
  const files: { path: string; read: boolean; error?: string }[] = [];
  const relations: Relation[] = [];
  const load = (path: string, depth: number) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      files.push({
        path,
        read: false,
        error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      });
      return;
    }
    files.push({ path, read: true });
    const parsed = parseProfile(text);
    relations.push(...parsed.relations);
    if (depth > 4) return;
    for (const include of parsed.includes) {
      if (!include.dir) {
        load(include.path, depth + 1);
        continue;
      }
      let names: string[] = [];
      try {
        names = readdirSync(include.path)
          .filter((n) => INCLUDED_NAME.test(n))
          .sort();
      } catch {
        // An includedir that does not exist is ignored by MIT as well.
      }
      for (const name of names) load(join(include.path, name), depth + 1);
    }
  };
  for (const path of paths) load(path, 0);
  const values = (...path: string[]) =>
    relations
      .filter(
        (r) =>
          r.path.length === path.length && r.path.every((p, i) => p.toLowerCase() === path[i]!.toLowerCase()),
      )
      .map((r) => r.value);
  return {
    files,
    source: configured ? 'KRB5_CONFIG' : 'default',
    values,
    value: (...path) => values(...path)[0],
  };
}

/** A krb5.conf boolean (`true`/`yes`/`on`/`1` and their opposites), or the default. */
export function profileBoolean(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (/^(?:true|yes|on|1)$/i.test(value)) return true;
  if (/^(?:false|no|off|0|nil)$/i.test(value)) return false;
  return fallback;
}
