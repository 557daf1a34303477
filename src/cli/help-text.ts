/**
 * `--help` text, rendered from the same flag tables `parseArgs` uses, so help and parsing cannot
 * disagree.
 *
 * @module
 */
import type { FlagSpec } from './flag-spec.js';

/** One command's help. */
export interface HelpPage {
  readonly usage: string;
  readonly description: string;
  readonly groups: readonly { readonly title: string; readonly flags: readonly FlagSpec[] }[];
  /** Text after the flags (examples, exit codes). */
  readonly footer?: string;
}

/** `-o, --output FILE` for a flag. */
function flagLabel(flag: FlagSpec): string {
  const long = `--${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

/**
 * Renders a help page: usage, description, flag groups in aligned columns, footer.
 *
 * @example
 * ```ts
 * process.stdout.write(renderHelp({ usage: 'http-gssapi token SPN', description: '...', groups: [] }));
 * ```
 */
export function renderHelp(page: HelpPage): string {
  const labels = page.groups.flatMap((g) => g.flags.map(flagLabel));
  const width = Math.min(34, Math.max(...labels.map((l) => l.length), 0) + 2);
  const lines = [`Usage: ${page.usage}`, '', page.description, ''];
  for (const group of page.groups) {
    lines.push(`${group.title}:`);
    for (const flag of group.flags) {
      const label = flagLabel(flag);
      lines.push(
        label.length + 2 > width
          ? `  ${label}\n  ${' '.repeat(width)}${flag.help}`
          : `  ${label.padEnd(width)}${flag.help}`,
      );
    }
    lines.push('');
  }
  if (page.footer) lines.push(page.footer, '');
  return lines.join('\n');
}
