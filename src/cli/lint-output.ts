/** Lint findings as text: for strata lint, and for the warnings up prints. */
import type { LintCounts, LintFinding } from '../index.js';

interface Style { red(t: string): string; yellow(t: string): string; cyan(t: string): string; bold(t: string): string }

/** Each finding as `file:line:col rule: message [severity]`, its fix under it. */
export function formatLintFindings(findings: readonly LintFinding[], style: Style): string[] {
  return findings.flatMap((f) => [
    `${f.file}:${f.line}:${f.column} ${style.bold(f.rule)}: ${f.message} ${f.severity === 'error' ? style.red('[error]') : style.yellow('[warning]')}`,
    `  ${style.cyan('fix')}: ${f.hint}`,
  ]);
}

/** `1 error, 2 warnings <scope> (3 accepted by Lint-allow or strata:allow)` */
export function formatLintCounts(counts: LintCounts, scope = ''): string {
  const parts = [`${counts.errors} ${counts.errors === 1 ? 'error' : 'errors'}`, `${counts.warnings} ${counts.warnings === 1 ? 'warning' : 'warnings'}`];
  return `${parts.join(', ')}${scope === '' ? '' : ` ${scope}`}${counts.allowed > 0 ? ` (${counts.allowed} accepted by Lint-allow or strata:allow)` : ''}`;
}

