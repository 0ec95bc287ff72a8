import type { CAC } from 'cac';
import { withHelp } from './help.js';
import { FLEET_OPTIONS, fleetFlagsMisplaced, fleetStatusAction, isFleet, type FleetFlags } from './fleet-commands.js';
import { formatChain, formatCurrent, formatHeads, formatShow } from './inspect-output.js';
import { formatLog, formatProblems, formatStatus, toJson } from './output.js';
import { EXIT, err, finishReport, out, strataFor, usageProblem, withTimeoutOptions, type GlobalFlags } from './session.js';

/** The commands that only read: status, current, heads, show, history, log, sql. */
export function registerReadCommands(cli: CAC): void {
  withHelp(cli.command('status', 'every revision: applied, pending, edited or missing on disk')
    .option('--exit-code', 'exit 1 when anything is pending, edited or missing')
    .option(...FLEET_OPTIONS.targets)
    .option(...FLEET_OPTIONS.targetsQuery)
    .option('--parallel <n>', 'with --targets: how many databases are read at a time (default 4)'), {
    details: [
      'List every revision on disk or applied: applied, pending, edited since it was applied (its SQL no',
      'longer matches the recorded checksum), or missing on disk (applied, its folder gone).',
    ],
    examples: [['strata status', 'what is applied and what is not'], ['strata status --quiet --exit-code', 'exit 1 when anything is pending, edited or missing']],
  }).action(async (flags: FleetFlags & { exitCode?: boolean }) => {
    if (isFleet(flags)) return fleetStatusAction(flags);
    const misplaced = fleetFlagsMisplaced(flags, 'status');
    if (misplaced) return finishReport(misplaced, flags, () => '');
    const report = await strataFor({ ...flags, quiet: flags.quiet || flags.json }).status();
    if ('reason' in report) return finishReport(report, flags, () => '');
    if (flags.json) console.log(toJson(report));
    else if (!flags.quiet) console.log(formatStatus(report, out));
    else if (!report.ok) console.error(formatProblems(report.problems, err));
    if (!report.ok) return EXIT.invalid;
    const unsettled = report.counts.pending + report.counts.edited + report.counts.missing;
    return flags.exitCode && unsettled > 0 ? EXIT.failed : EXIT.ok;
  });

  withHelp(cli.command('current', 'the newest applied revision (base when none)'), {
    details: [
      'Print the newest applied revision with its message (base when nothing is applied, also before strata',
      'ever ran on the database), and say on stderr when the head on disk is ahead.',
    ],
    examples: [['strata current', 'which revision the database is at'], ['strata current --json', 'the same as JSON, e.g. for a deploy script']],
  }).action(async (flags: GlobalFlags) => {
    const report = await strataFor(flags).current();
    if (!report.ok) return finishReport(report, flags, () => '');
    if (!flags.json && !flags.quiet) for (const note of report.notes) console.error(err.yellow(`note: ${note}`));
    return finishReport(report, flags, () => `${formatCurrent(report, out)}\n`, { isData: true });
  });

  withHelp(cli.command('heads', 'the head of the history on disk, or the heads of a fork and how to join them'), {
    details: [
      'Print the head of the history on disk; reads only the files, no database. When a merge left two',
      'revisions claiming the same parent, list each head with its branch and how to make the history one',
      'chain again, and exit 1.',
    ],
    examples: [['strata heads', 'the newest revision, or the fork'], ['strata heads --json', 'the same as JSON, e.g. in a CI check after a merge']],
  }).action((flags: GlobalFlags) => {
    const report = strataFor(flags).heads();
    if (!report.ok && report.reason === 'invalid') return finishReport(report, flags, () => '');
    if (flags.json) console.log(toJson(report));
    else console.log(formatHeads(report, out));
    return report.ok ? EXIT.ok : EXIT.forked;
  });

  withHelp(cli.command('show <rev>', 'one revision: header, files, checksums, applied when and by whom'), {
    details: [
      'Print one revision: parent, message, tags, transaction mode, its files with their checksums, and,',
      'when it is applied, when, by whom, how long it took and whether the files still match what ran.',
      'An applied revision whose folder is gone is shown from its tracking record.',
    ],
    target: { argument: 'rev', kinds: ['head', 'id', 'tag'], note: 'show takes one revision, applied or not.' },
    examples: [['strata show head', 'the newest revision on disk'], ['strata show 20261104', 'the revision whose id starts with 20261104']],
  }).action(async (target: string, flags: GlobalFlags) => {
    const report = await strataFor(flags).show(String(target));
    return finishReport(report, flags, () => (report.ok ? `${formatShow(report, out)}\n` : ''), { isData: true });
  });

  withHelp(cli.command('history', 'the revision chain, newest first, as Alembic\'s history shows it')
    .option('--events', 'deprecated: the events log, which is strata log now')
    .option('--limit <n>', 'with --events: how many events (default: 20)'), {
    details: [
      'List the revision chain newest first, as Alembic\'s history does: parent -> revision, with the',
      '(head), (branchpoint) and (current) marks, message, tags, and whether each is applied. Reads the',
      'applied state from the database when it can (else says so and lists the files alone).',
      'The events log is strata log; history --events still prints it, for one release.',
    ],
    examples: [['strata history', 'the chain, newest first'], ['strata history --json', 'the same as JSON']],
  }).action(async (flags: GlobalFlags & { events?: boolean; limit?: number }) => {
    if (flags.events) {
      if (!flags.quiet) console.error(err.yellow('note: strata history --events is now strata log; the alias goes away in the next release'));
      return printLog(flags, flags.limit ?? 20);
    }
    if (flags.limit !== undefined) return finishReport(usageProblem('--limit is an option of the events log', `strata log --limit ${flags.limit}`), flags, () => '');
    const report = await strataFor(flags).history();
    if ('reason' in report) return finishReport(report, flags, () => '');
    if (!flags.json && !flags.quiet) for (const note of report.notes) console.error(err.yellow(`note: ${note}`));
    if (flags.json) console.log(toJson(report));
    else console.log(formatChain(report, out));
    return report.ok ? EXIT.ok : EXIT.invalid;
  });

  withHelp(cli.command('log', 'the events log, newest first: who ran what, when, how long, and the errors of failures')
    .option('--limit <n>', 'how many events', { default: 20 }), {
    details: [
      'List the events log newest first: every up, down, stamp, unstamp and dev run, with when, who',
      '(user@host and the database role), how long it took, and the error of a failure at file:line:col.',
    ],
    examples: [['strata log', 'the 20 newest events'], ['strata log --limit 100 --json', 'the 100 newest, as JSON']],
  }).action((flags: GlobalFlags & { limit: number }) => printLog(flags, flags.limit));

  withHelp(withTimeoutOptions(cli.command('sql <up|down> [target]', 'print the exact script up or down would run, for review or psql'))
    .option('--from <target>', 'plan as if the revisions up to this target (base, head, an id, a tag) were applied: no database needed')
    .option('--single-transaction', 'one transaction for the whole script')
    .option('--allow-out-of-order', 'include a pending revision older than an applied one instead of refusing'), {
    details: [
      'Print the exact script strata up or strata down would run: the revision bodies, the bookkeeping, the',
      'advisory lock, and the tracking schema when it is missing. Review it, or run it with',
      'psql -X -v ON_ERROR_STOP=1 -f script.sql. Nothing runs; with --from no database is opened.',
    ],
    target: {
      argument: 'target', default: 'head for up, -1 for down', kinds: ['head', '+N', '-N', 'base', 'id', 'tag'],
      note: 'the targets of up and down; --from takes base, head, an id or its prefix, or a tag.',
    },
    examples: [['strata sql up', 'the script strata up would run now'], ['strata sql up --from base > all.sql', 'the whole history as one script, no database needed']],
  }).action(async (direction: string, target: string | undefined, flags: GlobalFlags & { from?: string; singleTransaction?: boolean; allowOutOfOrder?: boolean }) => {
    const report = await strataFor(flags).sql(direction as 'up' | 'down', target, { from: flags.from === undefined ? undefined : String(flags.from), singleTransaction: flags.singleTransaction ?? false, allowOutOfOrder: flags.allowOutOfOrder ?? false });
    return finishReport(report, flags, () => (report.ok ? report.script : ''), { isData: true });
  });
}

async function printLog(flags: GlobalFlags, limit: number): Promise<number> {
  const report = await strataFor(flags).log({ limit });
  return finishReport(report, flags, () => `${report.ok ? formatLog(report.events, out) : ''}\n`, { isData: true });
}
