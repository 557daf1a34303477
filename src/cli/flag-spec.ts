/**
 * The shape of one command-line flag, shared by every command's flag table: the tables drive
 * both `node:util` `parseArgs` and the `--help` text, so a flag is declared once.
 *
 * @module
 */

/** Values as `parseArgs` returns them, by long flag name. */
export type FlagValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/**
 * One flag.
 *
 * @example
 * ```ts
 * const flag: FlagSpec = { name: 'output', short: 'o', type: 'string', value: 'FILE', help: 'write the body to FILE' };
 * ```
 */
export interface FlagSpec {
  /** Long name, without `--`. */
  readonly name: string;
  /** One-letter short name, without `-`. */
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  /** May be given more than once (values collected in order). */
  readonly multiple?: boolean;
  /** Placeholder for the value in `--help` (`METHOD`, `FILE`). */
  readonly value?: string;
  readonly help: string;
}

/** The `--help` flag every command has. */
export const HELP_FLAG: FlagSpec = {
  name: 'help',
  short: 'h',
  type: 'boolean',
  help: 'show this help and exit',
};

/** A string flag's value (the last one given), or undefined. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.at(-1);
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a `multiple` string flag, in order. */
export function stringFlags(values: FlagValues, name: string): readonly string[] {
  const value = values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}

/** Whether a boolean flag was given. */
export function booleanFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}
