/**
 * The subcommands of `http-gssapi`, listed once: `main.ts` dispatches by this list (its table of
 * handlers is typed by {@link SubcommandName}, so a command without a handler, or a handler
 * without an entry here, does not compile) and the main help lists every entry, so no command
 * can be left out of `http-gssapi --help`.
 *
 * @module
 */

/** A subcommand as the main help shows it. */
export interface Subcommand {
  readonly name: string;
  /** Its usage line, as its own `--help` shows it. */
  readonly usage: string;
  /** One line: what it is for. */
  readonly summary: string;
}

/**
 * Every subcommand; anything else on the command line is the request command's URL.
 *
 * @example
 * ```ts
 * for (const command of SUBCOMMANDS) console.log(command.usage);
 * ```
 */
export const SUBCOMMANDS = [
  {
    name: 'doctor',
    usage: 'http-gssapi doctor [options] [URL]',
    summary: 'why Kerberos works or not here, each problem with its fix',
  },
  {
    name: 'token',
    usage: 'http-gssapi token [options] SPN',
    summary: 'the first token for a service, redacted unless --reveal',
  },
  {
    name: 'proxy',
    usage: 'http-gssapi proxy [options]',
    summary: 'a local forward proxy adding Kerberos for an upstream proxy',
  },
] as const satisfies readonly Subcommand[];

/** The name of a subcommand: `'doctor' | 'token' | 'proxy'`. */
export type SubcommandName = (typeof SUBCOMMANDS)[number]['name'];

/**
 * Whether a command-line word names a subcommand.
 *
 * @example
 * ```ts
 * isSubcommand('proxy'); // true; isSubcommand('https://example.org/') is false
 * ```
 */
export function isSubcommand(word: string | undefined): word is SubcommandName {
  return SUBCOMMANDS.some((command) => command.name === word);
}

/**
 * The main help's list of subcommands, one aligned line each, and where to read more.
 *
 * @example
 * ```ts
 * const text = `Commands:\n${subcommandsHelp()}`;
 * ```
 */
export function subcommandsHelp(): string {
  const usages = SUBCOMMANDS.map((command) => command.usage.replace(/^http-gssapi /, ''));
  const width = Math.max(...usages.map((usage) => usage.length)) + 2;
  const lines = SUBCOMMANDS.map((command, i) => `  ${usages[i]!.padEnd(width)}${command.summary}`);
  return `${lines.join('\n')}\n\`http-gssapi COMMAND --help\` describes each.`;
}
