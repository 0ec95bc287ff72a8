#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { cac } from 'cac';
import { StrataError, createStrata, type RunReport, type StrataEvent } from './index.js';
import {
  formatEvent, formatFailure, formatNewRevision, formatProblems, formatRunSummary, formatStatus, formatStep, makeStyle,
} from './cli/output.js';

const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;
const out = makeStyle(process.stdout);
const err = makeStyle(process.stderr);

interface GlobalFlags {
  databaseUrl?: string;
  dir?: string;
  schema?: string;
  lockTimeout?: number;
  json?: boolean;
  quiet?: boolean;
}

function strataFor(flags: GlobalFlags) {
  return createStrata({
    databaseUrl: flags.databaseUrl,
    dir: flags.dir,
    schema: flags.schema,
    lockTimeoutSeconds: flags.lockTimeout,
    onEvent: (event) => printEvent(event, flags),
  });
}

function printEvent(event: StrataEvent, flags: GlobalFlags): void {
  if (event.type === 'step-done' && !flags.json && !flags.quiet) console.log(formatStep(event.outcome, out));
  if (flags.json || (flags.quiet && event.type !== 'lock-wait')) return;
  const text = formatEvent(event, err);
  if (text) console.error(text);
}

function finishRun(report: RunReport, flags: GlobalFlags, started: number): number {
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2));
  } else if (report.ok) {
    if (!flags.quiet) console.log(formatRunSummary(report, Math.round(performance.now() - started), out));
  } else if (report.reason === 'invalid') {
    console.error(formatProblems(report.problems, err));
  } else {
    console.error(formatFailure(report.failure, err));
  }
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
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else for (const f of report.created) console.log(`created ${f}`);
  return EXIT.ok;
});

cli.command('new <message>', 'create the next revision folder with its header filled in').action((message: string, flags: GlobalFlags) => {
  const report = strataFor(flags).newRevision(message);
  console.log(flags.json ? JSON.stringify(report, null, 2) : formatNewRevision(report));
  return EXIT.ok;
});

cli
  .command('up [target]', 'apply pending revisions: head (default), +N, a revision id or prefix, a tag')
  .option('--single-transaction', 'run the whole batch in one transaction')
  .option('--allow-out-of-order', 'apply a pending revision older than an applied one instead of refusing')
  .action(async (target: string | undefined, flags: GlobalFlags & { singleTransaction?: boolean; allowOutOfOrder?: boolean }) => {
    const started = performance.now();
    const report = await strataFor(flags).up(target ?? 'head', { singleTransaction: flags.singleTransaction ?? false, allowOutOfOrder: flags.allowOutOfOrder ?? false });
    return finishRun(report, flags, started);
  });

cli
  .command('down [target]', 'revert applied revisions: -1 (default), -N, base, a revision id or prefix (kept), a tag')
  .option('--single-transaction', 'run the whole batch in one transaction')
  .action(async (target: string | undefined, flags: GlobalFlags & { singleTransaction?: boolean }) => {
    const started = performance.now();
    return finishRun(await strataFor(flags).down(target ?? '-1', { singleTransaction: flags.singleTransaction ?? false }), flags, started);
  });

cli.command('redo', 'revert the newest revision and apply it again (one transaction)').action(async (flags: GlobalFlags) => {
  const started = performance.now();
  return finishRun(await strataFor(flags).redo(), flags, started);
});

cli
  .command('status', 'every revision: applied, pending, edited or missing on disk')
  .option('--exit-code', 'exit 1 when anything is pending, edited or missing')
  .action(async (flags: GlobalFlags & { exitCode?: boolean }) => {
    const report = await strataFor({ ...flags, quiet: flags.quiet || flags.json }).status();
    console.log(flags.json ? JSON.stringify(report, null, 2) : formatStatus(report, out));
    if (!report.ok) return EXIT.invalid;
    const unsettled = report.counts.pending + report.counts.edited + report.counts.missing;
    return flags.exitCode && unsettled > 0 ? EXIT.failed : EXIT.ok;
  });

cli.help();
cli.version(readVersion());

async function main(argv: string[]): Promise<number> {
  try {
    cli.parse(argv, { run: false });
    if (!cli.matchedCommand) {
      if (cli.options.help || cli.options.version) return EXIT.ok;
      const name = cli.args[0];
      if (name === undefined) {
        cli.outputHelp();
        return EXIT.ok;
      }
      console.error(`${err.red('error')}: unknown command '${name}'\n  ${err.cyan('fix')}: run strata --help for the list of commands`);
      return EXIT.invalid;
    }
    if (cli.options.help) return EXIT.ok;
    const code = (await cli.runMatchedCommand()) as number | undefined;
    return code ?? EXIT.ok;
  } catch (error) {
    if (error instanceof StrataError) {
      const exit = error.code === 'CONNECTION_FAILED' || error.code === 'LOCK_TIMEOUT' ? EXIT.failed : EXIT.invalid;
      if (cli.options.json) console.log(JSON.stringify({ ok: false, reason: 'invalid', problems: error.problems }, null, 2));
      else console.error(formatProblems(error.problems, err).replace(/\d+ problems? found; /, ''));
      return exit;
    }
    if (error instanceof Error && error.name === 'CACError') {
      console.error(`${err.red('error')}: ${error.message}\n  ${err.cyan('fix')}: see strata ${cli.matchedCommand?.name ?? ''} --help`.trimEnd());
      return EXIT.invalid;
    }
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    return EXIT.failed;
  }
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

process.exitCode = await main(process.argv);
