/**
 * Command-line parsing with `node:util` `parseArgs`, strict: an unknown flag, a missing value or
 * a stray argument is a usage error (exit code 2) that names it, before anything is sent.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { CliError, EXIT } from './exit-codes.js';
import type { FlagSpec, FlagValues } from './flag-spec.js';

/** What {@link parseCommandLine} returns. */
export interface ParsedCommandLine {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
}

/** Flags people try that are refused on purpose, with what to use instead. */
const REFUSED: Readonly<Record<string, string>> = {
  password:
    'a password on the command line is visible to every user (ps, shell history): use --password-env VAR or --ask-password',
};

/**
 * Parses `args` against `flags`. `positionals` bounds how many non-flag arguments are allowed.
 *
 * @throws {CliError} `EXIT.USAGE` for an unknown flag, a missing value, or too many arguments.
 * @example
 * ```ts
 * const { values, positionals } = parseCommandLine(['-v', 'https://web/'], REQUEST_FLAGS, { max: 1 });
 * ```
 */
export function parseCommandLine(
  args: readonly string[],
  flags: readonly FlagSpec[],
  positionals: { readonly max: number },
): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const flag of flags) {
    options[flag.name] = {
      type: flag.type,
      ...(flag.short ? { short: flag.short } : {}),
      ...(flag.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '--?([^'=]+)/.exec(message)?.[1];
    const refused = unknown ? REFUSED[unknown] : undefined;
    throw new CliError(EXIT.USAGE, usageMessage(message), refused ?? 'see --help');
  }
  if (parsed.positionals.length > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max);
    throw new CliError(
      EXIT.USAGE,
      `unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`,
      'quote values with spaces; see --help',
    );
  }
  return { values: parsed.values as FlagValues, positionals: parsed.positionals };
}

/** parseArgs' messages, without their advice to use `--` (which reads oddly for a URL). */
function usageMessage(message: string): string {
  return message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Option /, 'option ');
}
