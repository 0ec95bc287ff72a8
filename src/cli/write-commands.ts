import type { CAC } from 'cac';
import type { StrataEvent } from '../index.js';
import { devEventJson, formatDevEvent, isDevEvent, untilStopped } from './dev-output.js';
import { newFromSchemaAction, RENAME_OPTION, type DeclareFlags } from './declare-commands.js';
import { SHADOW_OPTION } from './proof-commands.js';
import { FLEET_OPTIONS, fleetFlagsMisplaced, fleetUpAction, isFleet, refuseFleetDown, type FleetFlags } from './fleet-commands.js';
import { withHelp } from './help.js';
import { formatNewRevision, formatStampResult } from './output.js';
import { EXIT, err, finishReport, finishRun, flushStepLines, out, printEvent, stoppable, strataFor, usageProblem, withTimeoutOptions, type GlobalFlags } from './session.js';

/** The commands that write: project files (init, new) or the database (up, down, redo, stamp, dev). */
export function registerWriteCommands(cli: CAC): void {
  withHelp(cli.command('init', 'create migrations/, schema.sql and .env.example here'), {
    details: [
      'Create what a strata project needs in the current directory: the migrations folder, schema.sql,',
      '.env.example, and .gitignore entries for .strata/ (the embedded database) and .env. Existing files are kept.',
    ],
    examples: [['strata init', 'set up a project here'], ['strata init --dir db/migrations', 'keep the revisions in db/migrations']],
  }).action((flags: GlobalFlags) => {
    const report = strataFor(flags).init();
    // a second init says what it kept, rather than nothing at all
    return finishReport(report, flags, () => (report.ok ? [...report.created.map((f) => `created ${f}\n`), ...report.kept.map((f) => `kept ${f} (already there)\n`)].join('') : ''));
  });

  withHelp(cli.command('new [message]', 'create the next revision folder with its header filled in (--from-schema: generated and proven)')
    .option('-m, --message <message>', 'the message, as with Alembic\'s revision -m (or give it as the argument)')
    .option('--from-schema', 'write up.sql and down.sql from schema.sql\'s edits, proven on a shadow first (strata diff shows them)')
    .option(...RENAME_OPTION)
    .option('--no-destructive', 'with --from-schema: refuse a change that loses data (a drop, a narrowed type) instead of writing it')
    .option(...SHADOW_OPTION)
    .option('--privileges', 'with --from-schema: grants and default privileges too (default: STRATA_PRIVILEGES, else off)'), {
    details: [
      'Create the next revision folder, <UTC timestamp>_<slug of the message>, with an up.sql whose header',
      'names its parent (the newest revision) and the message, and a down.sql to fill in.',
      'Give the message as the argument or with -m, not both.',
      'With --from-schema, up.sql and down.sql are generated from what schema.sql declares otherwise than the',
      'migrations make it, proven on a shadow database (up gives schema.sql\'s schema, down the migrations\' back,',
      'seeded rows kept, no undeclared table rewrite), and only then written; schema.sql is written again at the',
      'new head. Destructive changes are named (--no-destructive refuses them); changes strata cannot make, by name.',
    ],
    examples: [['strata new -m "add orders"', 'create migrations/<timestamp>_add_orders/ to fill in'], ['strata new -m "add order notes" --from-schema', 'write the revision schema.sql\'s edits need, proven']],
  }).action((argument: string | undefined, flags: DeclareFlags & { message?: string | number; fromSchema?: boolean }) => {
    const example = 'e.g. strata new "add orders table" (or strata new -m "add orders table")';
    if (argument !== undefined && flags.message !== undefined) {
      return finishReport(usageProblem('strata new got the message twice: as the argument and with -m', `give it once; ${example}`), flags, () => '');
    }
    const message = argument ?? flags.message;
    if (message === undefined) return finishReport(usageProblem('strata new needs a message', example), flags, () => '');
    if (flags.fromSchema) return newFromSchemaAction(String(message), flags);
    const misplaced = flags.rename !== undefined ? '--rename' : flags.destructive === false ? '--no-destructive' : undefined;
    if (misplaced) return finishReport(usageProblem(`${misplaced} is for strata new --from-schema`, `add --from-schema, or leave ${misplaced} out`), flags, () => '');
    const report = strataFor(flags).newRevision(String(message));
    return finishReport(report, flags, () => (report.ok ? `${formatNewRevision(report)}\n` : ''));
  });

  withHelp(withTimeoutOptions(cli.command('up [target]', 'apply pending revisions'))
    .option('--single-transaction', 'run the whole batch in one transaction')
    .option('--allow-out-of-order', 'apply a pending revision older than an applied one instead of refusing')
    .option(...FLEET_OPTIONS.targets)
    .option(...FLEET_OPTIONS.targetsQuery)
    .option(...FLEET_OPTIONS.parallel)
    .option(...FLEET_OPTIONS.failFast)
    .option('--resume-at <statement>', "run the partly applied 'Transaction: off' revision from this statement (1: from its start, after undoing the rest by hand) instead of where its recorded progress says")
    .option('--no-lint', 'do not lint the pending revisions first (lint findings are printed as warnings and never stop up)'), {
    details: [
      'Apply the pending revisions up to the target, oldest first, each in its own transaction together with',
      'its record. Everything (files, chain, checksums, the SQL itself) is checked before anything runs.',
      'strata sql up prints the same script without running it.',
      'With --targets (or --targets-query), the same on each database of a fleet, --parallel at a time, each with',
      'its own lock and report, and one table at the end; exit 1 when any target did not end ok.',
      '--lock-timeout-ddl bounds how long a statement of a revision waits for a table lock (SET LOCAL lock_timeout:',
      'a waiting ALTER TABLE would queue every query on the table behind it); with --retries a revision that',
      'gave up is rolled back and tried again after a growing wait. --lock-timeout is another thing: how long',
      "strata waits for its own run lock, held by another strata run. A 'Transaction: off' revision that failed",
      'part way is resumed at the statement that failed by the next up.',
    ],
    target: { argument: 'target', default: 'head', kinds: ['head', '+N', 'id', 'tag'], note: 'up applies every pending revision up to and including the target.' },
    examples: [['strata up +1', 'apply only the next pending revision'], ['strata up --lock-timeout-ddl 500ms --retries 5', 'never queue production queries behind a DDL lock for more than 500 ms']],
  }).action(async (target: string | undefined, flags: FleetFlags & { singleTransaction?: boolean; allowOutOfOrder?: boolean; resumeAt?: number | string; lint?: boolean }) => {
    if (isFleet(flags)) return fleetUpAction(target, flags);
    const misplaced = fleetFlagsMisplaced(flags, 'up');
    if (misplaced) return finishReport(misplaced, flags, () => '');
    const started = performance.now();
    const resumeAt = flags.resumeAt === undefined ? undefined : Number(flags.resumeAt);
    if (resumeAt !== undefined && !Number.isInteger(resumeAt)) {
      return finishReport(usageProblem(`--resume-at takes a statement number, got '${flags.resumeAt}'`, 'e.g. strata up --resume-at 4 (strata status shows how far the revision got)'), flags, () => '');
    }
    const lint = flags.lint === false ? { lint: false as const } : {};
    const report = await stoppable((signal) => strataFor(flags).up(target ?? 'head', { singleTransaction: flags.singleTransaction ?? false, allowOutOfOrder: flags.allowOutOfOrder ?? false, signal, resumeAt, ...lint }));
    return finishRun(report, flags, started);
  });

  withHelp(withTimeoutOptions(cli.command('down [target]', 'revert applied revisions'))
    .option('--single-transaction', 'run the whole batch in one transaction')
    .option('--targets <file>', 'refused: a fleet is reverted one database at a time')
    .option('--targets-query <sql>', 'refused, as --targets'), {
    details: [
      'Revert applied revisions, newest first, each with its down.sql in its own transaction together with',
      'its record. A revision whose folder is gone (a branch switch) is reverted with the down.sql stored',
      'when it was applied. strata sql down prints the same script without running it.',
    ],
    target: { argument: 'target', default: '-1', kinds: ['-N', 'base', 'id', 'tag'], note: 'down reverts every revision after the target and keeps the target itself.' },
    examples: [['strata down', 'revert the newest applied revision'], ['strata down base', 'revert every applied revision']],
  }).action(async (target: string | undefined, flags: FleetFlags & { singleTransaction?: boolean }) => {
    if (isFleet(flags)) return refuseFleetDown(flags);
    const started = performance.now();
    const report = await stoppable((signal) => strataFor(flags).down(target ?? '-1', { singleTransaction: flags.singleTransaction ?? false, signal }));
    return finishRun(report, flags, started);
  });

  withHelp(withTimeoutOptions(cli.command('redo', 'revert the newest revision and apply it again (one transaction)')), {
    details: [
      'Revert the newest applied revision and apply it again from disk, in one transaction when both',
      'directions allow it: to test a down.sql while writing it.',
    ],
    examples: [['strata redo', 'revert and re-apply the newest revision'], ['strata redo --json', 'the same, reported as JSON']],
  }).action(async (flags: GlobalFlags) => {
    const started = performance.now();
    return finishRun(await stoppable((signal) => strataFor(flags).redo({ signal })), flags, started);
  });

  withHelp(cli.command('stamp <target>', 'record revisions as applied (or remove records) without running their SQL'), {
    details: [
      'Record revisions as applied without running their SQL (adopting a database whose schema already',
      'exists), or, for a target at or before the current revision, remove the records after it without',
      'running their down.sql. The same checks as up run first; logged as stamp and unstamp events.',
    ],
    target: {
      argument: 'target', kinds: ['head', '+N', '-N', 'base', 'id', 'tag'],
      note: 'after the current revision: records up to and including it; at or before it: removes the records after it.',
    },
    examples: [['strata stamp head', 'record every revision as applied (the schema exists already)'], ['strata stamp -1', 'forget the newest record; its down.sql does not run']],
  }).action(async (target: string, flags: GlobalFlags) => {
    const report = await strataFor(flags).stamp(String(target));
    return finishReport(report, flags, () => `${report.ok ? formatStampResult(report, out) : ''}\n`);
  });

  withHelp(cli.command('dev', 'bring the database to head, then re-apply the newest revision on every save')
    .option('--poll', 'poll the files instead of native file events (network drives, some container mounts)'), {
    details: [
      'Bring the database to head, then watch the migrations folder and re-apply the newest revision on',
      'every save: revert it, apply the new up.sql and record it, in one transaction. Ctrl-C to stop.',
    ],
    examples: [['strata dev', 'watch migrations/ and re-apply on every save'], ['strata dev --poll', 'the same on a file system without native file events']],
  }).action(async (flags: GlobalFlags & { poll?: boolean }) => {
    const result = await untilStopped(strataFor(flags, (event) => printDevEvent(event, flags)).dev({ isPolling: flags.poll ?? false }));
    return result.ok ? EXIT.ok : finishReport(result, flags, () => '');
  });
}

function printDevEvent(event: StrataEvent, flags: GlobalFlags): void {
  if (!isDevEvent(event)) return printEvent(event, flags);
  flushStepLines();
  if (flags.json) return console.log(devEventJson(event));
  const line = formatDevEvent(event, { out, err }, flags.quiet);
  if (line) (line.isError ? console.error : console.log)(line.text);
}
