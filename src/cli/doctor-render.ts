/**
 * `doctor`'s findings as text: one line per check with its status, details indented under it,
 * and the fix for everything short of ok.
 *
 * @module
 */
import type { Finding, FindingStatus } from './doctor-finding.js';

const LABEL: Readonly<Record<FindingStatus, string>> = {
  ok: 'ok',
  info: 'info',
  warn: 'WARN',
  problem: 'PROBLEM',
  skipped: 'skipped',
};

/**
 * Renders findings, then a last line that counts the problems.
 *
 * @example
 * ```ts
 * io.stdout.write(renderFindings(findings));
 * ```
 */
export function renderFindings(findings: readonly Finding[]): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines: string[] = [];
  for (const finding of findings) {
    lines.push(
      `${finding.check.padEnd(width)}  ${LABEL[finding.status].padEnd(7)}  ${finding.summary}${finding.code ? ` [${finding.code}]` : ''}`,
    );
    for (const detail of finding.details ?? []) lines.push(`${' '.repeat(width + 11)}${detail}`);
    if (finding.fix && finding.status !== 'ok') lines.push(`${' '.repeat(width + 11)}fix: ${finding.fix}`);
  }
  const problems = findings.filter((f) => f.status === 'problem').length;
  const warnings = findings.filter((f) => f.status === 'warn').length;
  lines.push(
    '',
    problems === 0
      ? `no problem found${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`
      : `${problems} problem${problems > 1 ? 's' : ''} found${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
