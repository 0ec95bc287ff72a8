import type { CAC } from 'cac';
import type { CheckReport, DumpReport, LockTrace } from '../index.js';
import { withHelp } from './help.js';
import { formatLintCounts } from './lint-output.js';
import { formatProblems, formatRefusal, toJson, type Style } from './output.js';
import { EXIT, err, out, stoppable, strataFor, type GlobalFlags } from './session.js';

type ShadowFlags = GlobalFlags & { shadowDatabaseUrl?: string };

/** The options check, diff and new --from-schema share, in the same words. */
export const SHADOW_OPTION = ['--shadow-database-url <url>', 'an empty database to prove on (default: SHADOW_DATABASE_URL, else a temporary database on the server of DATABASE_URL, else a temporary PGlite)'] as const;
export const PRIVILEGES_OPTION = ['--privileges', 'compare grants and default privileges too (default: STRATA_PRIVILEGES, else off)'] as const;

/** The commands that prove things on a shadow database: dump and check. */
export function registerProofCommands(cli: CAC): void {
  withHelp(cli.command('dump', 'write schema.sql from a shadow database migrated to head')
    .option('--shadow-database-url <url>', 'an empty database to migrate (default: SHADOW_DATABASE_URL, else a temporary database on the server of DATABASE_URL, else a temporary PGlite)')
    .option('--privileges', 'include grants and default privileges (default: STRATA_PRIVILEGES, else off)'), {
    details: [
      'Apply every revision to a shadow database, read its schema and write it to schema.sql, ordered as',
      'pg_dump orders, with the head revision in its header. Two runs write the same bytes. The shadow is',
      'an empty database strata never wipes: a temporary one is dropped after, even after a failure or Ctrl-C.',
    ],
    examples: [['strata dump', 'write schema.sql from the migrations'], ['strata dump --json', 'the same, reported as JSON']],
  }).action(async (flags: ShadowFlags) => {
    const report = await untilSignal((signal) => strataFor(flags).dump({ signal }));
    return finish(report, flags, () => formatDump(report as Extract<DumpReport, { ok: true }>, out), EXIT.failed, 'schema.sql was not written.');
  });

  withHelp(cli.command('check', 'CI gate: every revision valid, every down.sql undoes its up.sql, schema.sql current')
    .option('--revisions <range>', 'round-trip only <from>..<to> (revision ids or unique prefixes; either end may be left out)')
    .option('--live', 'also compare the database (DATABASE_URL) with what its applied revisions make: changes made outside strata')
    .option('--locks', "also trace on a shadow the lock each statement takes on every relation that existed before its revision, and every rewrite, against lint's predictions")
    .option(...SHADOW_OPTION)
    .option(...PRIVILEGES_OPTION), {
    details: [
      'Check that every revision file is valid and its SQL parses; then, on a shadow database, that for each',
      'revision in order up then down returns the schema to exactly what it was and up again gives the same',
      'schema; then that schema.sql is what strata dump writes (edited ahead of the migrations, it names what no',
      'revision makes yet: strata new --from-schema writes one). With --live, also that the database has',
      'exactly the schema its applied revisions make (drift). With --locks, also run each revision on a shadow',
      'statement by statement, read its session\'s locks from pg_locks and the relations\' relfilenodes after each,',
      'and list the lock taken on every relation that existed before the revision and every rewrite; where lint',
      'predicted otherwise, a warning. Every problem is listed; exit 1 on any.',
    ],
    examples: [['strata check', 'the whole history, as CI runs it'], ['strata check --live', 'the same, and whether the database was changed by hand']],
  }).action(async (flags: ShadowFlags & { revisions?: string | number; live?: boolean; locks?: boolean }) => {
    const revisions = flags.revisions === undefined ? undefined : String(flags.revisions);
    const report = await untilSignal((signal) => strataFor(flags).check({ revisions, live: flags.live ?? false, locks: flags.locks ?? false, signal }));
    if (!flags.json && !flags.quiet && 'roundTrips' in report) console.log(formatCheck(report, out));
    return finish(report, flags, () => '', report.ok === false && 'reason' in report && report.reason === 'invalid' ? EXIT.invalid : EXIT.failed, 'check failed.');
  });
}

function finish(report: DumpReport | CheckReport, flags: GlobalFlags, text: () => string, failedExit: number, closing: string): number {
  if (flags.json) console.log(toJson(report));
  else if ('warnings' in report) for (const w of report.warnings) console.error(`${err.yellow('warning')}: ${w.message}`);
  if (report.ok) {
    if (!flags.json && !flags.quiet) process.stdout.write(text());
    return EXIT.ok;
  }
  if ('reason' in report && report.reason === 'interrupted') {
    if (!flags.json) console.error(err.yellow('stopped; the shadow databases were removed'));
    return EXIT.interrupted;
  }
  if (!flags.json) {
    if ('reason' in report && (report.reason === 'invalid' || report.reason === 'unavailable')) console.error(formatRefusal(report, err));
    else console.error(formatProblems(report.problems, err, closing));
  }
  return 'reason' in report && report.reason === 'unavailable' ? EXIT.unavailable : failedExit;
}

function formatDump(report: Extract<DumpReport, { ok: true }>, style: Style): string {
  const lines = [`${style.green('wrote')} ${report.file}: ${report.objects} ${report.objects === 1 ? 'object' : 'objects'}, head ${report.head ?? 'base (no revisions)'}`];
  const secrets = report.unmodelled.filter((u) => u.kind === 'secret option');
  const unmodelled = report.unmodelled.filter((u) => u.kind !== 'secret option');
  if (unmodelled.length > 0) {
    const kinds = [...new Set(unmodelled.map((u) => u.kind))].join(', ');
    lines.push(style.yellow(`warning: ${unmodelled.length} objects of kinds strata does not model are not in ${report.file}, so it cannot recreate them (${kinds}): ${unmodelled.map((u) => u.identity).join(', ')}`));
  }
  if (secrets.length > 0) {
    lines.push(style.yellow(`warning: ${secrets.length} secret ${secrets.length === 1 ? 'option is' : 'options are'} not in ${report.file}, as strata never writes a secret into a file (a database made from it lacks them; set them by hand in a revision or outside migrations): ${secrets.map((u) => u.identity).join(', ')}`));
  }
  return `${lines.join('\n')}\n`;
}

function formatCheck(report: Extract<CheckReport, { roundTrips: unknown }>, style: Style): string {
  const mark = { passed: style.green('ok'), failed: style.red('failed'), irreversible: style.yellow('irreversible, not round-tripped') };
  const lines = report.roundTrips.map((entry) => `round trip ${entry.id}: ${mark[entry.result]}`);
  lines.push(`schema.sql: ${report.schemaSql === 'current' ? style.green('current') : report.schemaSql === 'ahead' ? 'ahead of the migrations (edited: changes no revision makes yet)' : report.schemaSql}`);
  if (report.lint !== 'not checked') lines.push(`lint: ${report.lint.counts.errors > 0 ? style.red(formatLintCounts(report.lint.counts)) : formatLintCounts(report.lint.counts)}`);
  if (report.drift !== 'not checked') lines.push(`live database: ${report.drift === 'none' ? style.green('as its revisions make it') : style.red('changed outside strata')}`);
  if (report.locks !== 'not checked') lines.push(formatLockTrace(report.locks, style));
  if (report.ok) lines.push(style.green('check passed'));
  return lines.join('\n');
}

/** Per revision, each lock on a relation that existed before it and each rewrite, and how lint's prediction compares. */
function formatLockTrace(trace: LockTrace, style: Style): string {
  const lines = ['lock trace (on a shadow, after every statement):'];
  let count = 0;
  let rewrites = 0;
  for (const revision of trace.revisions) {
    const file = revision.file.split('/').at(-1);
    if (revision.locks.length === 0 && revision.untraced.length === 0) lines.push(style.dim(`  ${revision.id}: no lock on a relation that existed before it`));
    else lines.push(`  ${revision.id}`);
    for (const lock of revision.locks) {
      count++;
      if (lock.isRewritten) rewrites++;
      const lint = lock.verdict === 'as-predicted' ? style.dim(' (as lint predicts)')
        : lock.verdict === 'not-exact' ? style.dim(' (lint: not exact)')
          : style.red(` (lint: ${lock.why})`);
      lines.push(`    ${file}:${lock.line} ${lock.label}: ${lock.relation} ${lock.mode ?? 'no lock'}${lock.isRewritten ? style.yellow(', rewritten') : ''}${lint}`);
    }
    for (const u of revision.untraced) lines.push(style.dim(`    ${file}:${u.line} ${u.label}: runs outside a transaction block, its locks end with it (rewrites traced)`));
  }
  const summary = `locks: ${count} on relations that existed before their revision, ${rewrites} ${rewrites === 1 ? 'rewrite' : 'rewrites'}, ${trace.mismatches} ${trace.mismatches === 1 ? 'mismatch' : 'mismatches'} with lint`;
  lines.push(trace.mismatches > 0 ? style.yellow(summary) : summary);
  return lines.join('\n');
}

/** Ctrl-C: the proof stops at the next revision and its shadow is removed (a second Ctrl-C exits at once). */
const untilSignal = <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> =>
  stoppable(run, 'stopping after the revision in progress, then removing the shadow databases (Ctrl-C again to stop now)');
