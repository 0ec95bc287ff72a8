import type { CAC } from 'cac';
import type { LintCounts, LintFinding, LintReport } from '../index.js';
import { withHelp } from './help.js';
import { formatLintCounts, formatLintFindings } from './lint-output.js';
import { toJson, type Style } from './output.js';
import { EXIT, finishReport, out, strataFor, type GlobalFlags } from './session.js';

/** `strata lint [revisions]`: the rules over the revisions' files; exit 1 on an error finding. */
export function registerLintCommands(cli: CAC): void {
  withHelp(cli.command('lint [...revisions]', 'rules for lock-taking and destructive DDL, over up.sql and down.sql'), {
    details: [
      'Check the revisions (default: all; or ids, unique prefixes, or one <from>..<to> range) against rules for',
      'statements that lock or rewrite busy tables, lose data or break running code: CREATE INDEX without',
      'CONCURRENTLY, foreign keys without NOT VALID, rewriting type changes, missing lock_timeout, ... Each',
      'finding says the lock, and the safe rewrite. Reads only files. Accept a finding knowingly with',
      "'--! Lint-allow: <rule> <why>' in the header, or '-- strata:allow <rule>' above the statement.",
      'Exit 1 when any finding is an error; docs/lint.md lists every rule.',
    ],
    examples: [['strata lint', 'every revision'], ['strata lint 20261125.. --json', 'the revisions from 20261125 on, as JSON']],
  }).action(async (revisions: (string | number)[] | undefined, flags: GlobalFlags) => {
    const report = await strataFor(flags).lint((revisions ?? []).map(String));
    if (!report.ok && report.reason === 'invalid') return finishReport(report, flags, () => '');
    const done = report as Exclude<LintReport, { reason: 'invalid' }>;
    if (flags.json) console.log(toJson(done));
    else process.stdout.write(formatLintReport(done.findings.filter((f) => !flags.quiet || f.severity === 'error'), done.counts, done.revisions.length, out));
    return done.ok ? EXIT.ok : EXIT.failed;
  });
}

function formatLintReport(findings: readonly LintFinding[], counts: LintCounts, revisions: number, style: Style): string {
  const summary = `lint: ${formatLintCounts(counts, `in ${revisions} ${revisions === 1 ? 'revision' : 'revisions'}`)}`;
  return `${[...formatLintFindings(findings, style), counts.errors > 0 ? style.red(summary) : summary].join('\n')}\n`;
}
