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

/** Help lines are wrapped to this many columns, the width of a terminal with room to spare. */
const COLUMNS = 100;

/** Splits `text` into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
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
      const [first = '', ...rest] = wrap(flag.help, COLUMNS - width - 2);
      const indent = ' '.repeat(width + 2);
      if (label.length + 2 > width) lines.push(`  ${label}`, `${indent}${first}`);
      else lines.push(`  ${label.padEnd(width)}${first}`);
      for (const line of rest) lines.push(`${indent}${line}`);
    }
    lines.push('');
  }
  if (page.footer) lines.push(page.footer, '');
  return lines.join('\n');
}
