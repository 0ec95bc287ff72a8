#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { cac } from 'cac';
import { StrataError, createStrata, type Problem, type RunReport, type StampReport, type StrataEvent } from './index.js';
import {
  formatEvent, formatFailure, formatHistory, formatNewRevision, formatProblems, formatRunSummary, formatStampFailure, formatStampResult,
  formatInterrupted, formatStatus, formatStep, makeStyle, toJson,
} from './cli/output.js';
import { createProgress } from './cli/progress.js';
import { onStopSignals } from './cli/stop-signals.js';
import { devEventJson, formatDevEvent, isDevEvent, untilStopped } from './cli/dev-output.js';

const EXIT = { ok: 0, failed: 1, unavailable: 1, invalid: 2, interrupted: 130 } as const;
const out = makeStyle(process.stdout);
const err = makeStyle(process.stderr);
let progress = createProgress(process.stderr, { isEnabled: false });

interface GlobalFlags {
  databaseUrl?: string;
  dir?: string;
  schema?: string;
  lockTimeout?: number;
  json?: boolean;
  quiet?: boolean;
}

function strataFor(flags: GlobalFlags, onEvent = (event: StrataEvent) => printEvent(event, flags)) {
  progress = createProgress(process.stderr, { isEnabled: !flags.quiet });
  return createStrata({
    databaseUrl: flags.databaseUrl,
    dir: flags.dir,
    schema: flags.schema,
    lockTimeoutSeconds: flags.lockTimeout,
    onEvent,
  });
}

function printEvent(event: StrataEvent, flags: GlobalFlags): void {
  if (event.type === 'step-start') progress.step(event.index, event.total, event.step.id);
  else progress.clear();
  if (event.type === 'step-done' && !flags.json && !flags.quiet) console.log(formatStep(event.outcome, out));
  if (flags.json || (flags.quiet && event.type !== 'lock-wait')) return;
  const text = formatEvent(event, err);
  if (text) console.error(text);
}

function printDevEvent(event: StrataEvent, flags: GlobalFlags): void {
  if (!isDevEvent(event)) return printEvent(event, flags);
  if (flags.json) return console.log(devEventJson(event));
  const line = formatDevEvent(event, { out, err }, flags.quiet);
  if (line) (line.isError ? console.error : console.log)(line.text);
}

function finishRun(report: RunReport, flags: GlobalFlags, started: number): number {
  progress.stop();
  if (flags.json) {
    console.log(toJson(report));
  } else if (report.ok) {
    if (!flags.quiet) console.log(formatRunSummary(report, Math.round(performance.now() - started), out));
  } else if (report.reason === 'interrupted') {
    console.error(formatInterrupted(report, err));
  } else if (report.reason !== 'failed') {
    console.error(formatProblems(report.problems, err));
  } else {
    console.error(formatFailure(report.failure, err));
  }
  return report.ok ? EXIT.ok : EXIT[report.reason];
}

/**
 * Ctrl-C (or SIGTERM) during up/down/redo: the revision in progress finishes (or fails) as a
 * whole and the run stops at the boundary after it; a second signal stops at once.
 */
async function stoppable(run: (signal: AbortSignal) => Promise<RunReport>): Promise<RunReport> {
  const controller = new AbortController();
  const removeHandlers = onStopSignals(() => {
    controller.abort();
    progress.clear();
    console.error(err.yellow('stopping after the revision in progress (Ctrl-C again to stop now)'));
  });
  try {
    return await run(controller.signal);
  } finally {
    removeHandlers();
  }
}

/** Prints any report: JSON as is, else `text` on success (unless --quiet) or the problems / failure on stderr. */
function finishReport(
  report: { ok: true } | { ok: false; reason: 'invalid' | 'unavailable'; problems: Problem[] } | Extract<StampReport, { reason: 'failed' }>,
  flags: GlobalFlags,
  text: () => string,
  { isData = false } = {},
): number {
  if (flags.json) console.log(toJson(report));
  else if (report.ok) {
    if (!flags.quiet || isData) process.stdout.write(text());
  } else if (report.reason !== 'failed') console.error(formatProblems(report.problems, err));
  else console.error(formatStampFailure(report.failure, err));
  return report.ok ? EXIT.ok : EXIT[report.reason];
}

const cli = cac('strata');
cli
  .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else the embedded PGlite database in .strata/)')
  .option('--dir <path>', 'migrations folder (default: STRATA_DIR, else migrations)')
  .option('--schema <name>', 'tracking schema (default: STRATA_SCHEMA, else strata)')
  .option('--lock-timeout <seconds>', 'how long to wait for another runner (default: STRATA_LOCK_TIMEOUT, else 60)')
  .option('--json', 'print the report as JSON')
  .option('--quiet', 'print only errors');

cli.command('init', 'create migrations/, schema.sql and .env.example here').action((flags: GlobalFlags) => {
  const report = strataFor(flags).init();
  return finishReport({ ok: true, ...report }, flags, () => report.created.map((f) => `created ${f}\n`).join(''));
});

cli.command('new <message>', 'create the next revision folder with its header filled in').action((message: string, flags: GlobalFlags) => {
  const report = strataFor(flags).newRevision(message);
  return finishReport({ ok: true, ...report }, flags, () => `${formatNewRevision(report)}\n`);
});

cli
  .command('up [target]', 'apply pending revisions: head (default), +N, a revision id or prefix, a tag')
  .option('--single-transaction', 'run the whole batch in one transaction')
  .option('--allow-out-of-order', 'apply a pending revision older than an applied one instead of refusing')
  .action(async (target: string | undefined, flags: GlobalFlags & { singleTransaction?: boolean; allowOutOfOrder?: boolean }) => {
    const started = performance.now();
    const report = await stoppable((signal) => strataFor(flags).up(target ?? 'head', { singleTransaction: flags.singleTransaction ?? false, allowOutOfOrder: flags.allowOutOfOrder ?? false, signal }));
    return finishRun(report, flags, started);
  });

cli
  .command('down [target]', 'revert applied revisions: -1 (default), -N, base, a revision id or prefix (kept), a tag')
  .option('--single-transaction', 'run the whole batch in one transaction')
  .action(async (target: string | undefined, flags: GlobalFlags & { singleTransaction?: boolean }) => {
    const started = performance.now();
    const report = await stoppable((signal) => strataFor(flags).down(target ?? '-1', { singleTransaction: flags.singleTransaction ?? false, signal }));
    return finishRun(report, flags, started);
  });

cli.command('redo', 'revert the newest revision and apply it again (one transaction)').action(async (flags: GlobalFlags) => {
  const started = performance.now();
  return finishRun(await stoppable((signal) => strataFor(flags).redo({ signal })), flags, started);
});

cli
  .command('status', 'every revision: applied, pending, edited or missing on disk')
  .option('--exit-code', 'exit 1 when anything is pending, edited or missing')
  .action(async (flags: GlobalFlags & { exitCode?: boolean }) => {
    const report = await strataFor({ ...flags, quiet: flags.quiet || flags.json }).status();
    if (flags.json) console.log(toJson(report));
    else if (!flags.quiet) console.log(formatStatus(report, out));
    else if (!report.ok) console.error(formatProblems(report.problems, err));
    if (!report.ok) return EXIT.invalid;
    const unsettled = report.counts.pending + report.counts.edited + report.counts.missing;
    return flags.exitCode && unsettled > 0 ? EXIT.failed : EXIT.ok;
  });

cli
  .command('sql <up|down> [target]', 'print the exact script up or down would run, for review or psql -X -v ON_ERROR_STOP=1 -f')
  .option('--from <target>', 'plan as if the revisions up to this target (base, head, an id, a tag) were applied: no database needed')
  .option('--single-transaction', 'one transaction for the whole script')
  .option('--allow-out-of-order', 'include a pending revision older than an applied one instead of refusing')
  .action(async (direction: string, target: string | undefined, flags: GlobalFlags & { from?: string; singleTransaction?: boolean; allowOutOfOrder?: boolean }) => {
    const report = await strataFor(flags).sql(direction as 'up' | 'down', target, { from: flags.from === undefined ? undefined : String(flags.from), singleTransaction: flags.singleTransaction ?? false, allowOutOfOrder: flags.allowOutOfOrder ?? false });
    return finishReport(report, flags, () => (report.ok ? report.script : ''), { isData: true });
  });

cli
  .command('stamp <target>', 'record revisions up to target as applied (or, below the current one, remove their records) without running their SQL')
  .action(async (target: string, flags: GlobalFlags) => {
    const report = await strataFor(flags).stamp(String(target));
    return finishReport(report, flags, () => `${report.ok ? formatStampResult(report, out) : ''}\n`);
  });

cli
  .command('history', 'the events log, newest first: who ran what, when, how long, and the errors of failures')
  .option('--limit <n>', 'how many events', { default: 20 })
  .action(async (flags: GlobalFlags & { limit: number }) => {
    const report = await strataFor(flags).history({ limit: flags.limit });
    return finishReport(report, flags, () => `${report.ok ? formatHistory(report.events, out) : ''}\n`, { isData: true });
  });

cli
  .command('dev', 'bring the database to head, then re-apply the newest revision on every save (Ctrl-C to stop)')
  .option('--poll', 'poll the files instead of native file events (network drives, some container mounts)')
  .action(async (flags: GlobalFlags & { poll?: boolean }) => {
    const result = await untilStopped(strataFor(flags, (event) => printDevEvent(event, flags)).dev({ isPolling: flags.poll ?? false }));
    return result.ok ? EXIT.ok : finishReport(result, flags, () => '');
  });

cli.help();
cli.version(readVersion());

async function main(argv: string[]): Promise<number> {
  try {
    // mri reads a target such as `-3` as a flag: hide it behind a space while parsing, then restore it
    cli.parse(argv.map((arg, i) => (i > 1 && /^-\d+$/.test(arg) ? ` ${arg}` : arg)), { run: false });
    cli.args = cli.args.map((arg) => (/^ -\d+$/.test(arg) ? arg.slice(1) : arg));
    if (!cli.matchedCommand) {
      if (cli.options.help || cli.options.version) return EXIT.ok;
      const name = cli.args[0];
      if (name === undefined) {
        cli.outputHelp();
        return EXIT.ok;
      }
      return printUsageError(`unknown command '${name}'`, 'run strata --help for the list of commands');
    }
    if (cli.options.help) return EXIT.ok;
    const code = (await cli.runMatchedCommand()) as number | undefined;
    return code ?? EXIT.ok;
  } catch (error) {
    progress.stop();
    if (error instanceof StrataError) {
      // a server that cannot be reached or a lock that never came is not bad input: exit 1
      const isUnavailable = error.code === 'CONNECTION_FAILED' || error.code === 'LOCK_TIMEOUT' || error.code === 'EMBEDDED_IN_USE';
      if (cli.options.json) console.log(toJson({ ok: false, reason: isUnavailable ? 'unavailable' : 'invalid', problems: error.problems }));
      else console.error(formatProblems(error.problems, err).replace(/\d+ problems? found; /, ''));
      return isUnavailable ? EXIT.failed : EXIT.invalid;
    }
    if (error instanceof Error && error.name === 'CACError') {
      return printUsageError(error.message, `see strata ${cli.matchedCommand?.name ?? ''} --help`.trimEnd());
    }
    const message = error instanceof Error ? error.stack ?? error.message : String(error);
    if (cli.options.json) console.log(toJson({ ok: false, reason: 'internal', message }));
    else console.error(message);
    return EXIT.failed;
  }
}

function printUsageError(message: string, hint: string): number {
  const problems: Problem[] = [{ code: 'ARGUMENT_INVALID', message, hint }];
  if (cli.options.json) console.log(toJson({ ok: false, reason: 'invalid', problems }));
  else console.error(`${err.red('error')}: ${message}\n  ${err.cyan('fix')}: ${hint}`);
  return EXIT.invalid;
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

process.exitCode = await main(process.argv);
