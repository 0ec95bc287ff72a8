import type { Command } from 'cac';
import { createStrata, type Problem, type RunReport, type StampReport, type StrataEvent } from '../index.js';
import { formatEvent, formatFailure, formatInterrupted, formatRefusal, formatRunSummary, formatStep, makeStyle, toJson } from './output.js';
import { createProgress } from './progress.js';
import { onStopSignals } from './stop-signals.js';

/** What every command's action shares: the flags every command takes, styles, exit codes, printing a report. */

export const EXIT = { ok: 0, failed: 1, unavailable: 1, forked: 1, invalid: 2, interrupted: 130 } as const;
export const out = makeStyle(process.stdout);
export const err = makeStyle(process.stderr);
let progress = createProgress(process.stderr, { isEnabled: false });

export interface GlobalFlags {
  databaseUrl?: string;
  /** dump and check only */
  shadowDatabaseUrl?: string;
  dir?: string;
  schema?: string;
  lockTimeout?: number;
  json?: boolean;
  quiet?: boolean;
  /** dump, check: snapshots include grants and default privileges */
  privileges?: boolean;
  /** up, down, redo, sql: bounds for the revisions' own SQL (TIMEOUT_OPTIONS) */
  lockTimeoutDdl?: string | number;
  retries?: string | number;
  statementTimeout?: string | number;
}

/**
 * The options of the commands that run revisions (and of strata sql, which prints what they would
 * run): lock_timeout and statement_timeout for the revisions' SQL, and retries after a lock timeout.
 */
export function withTimeoutOptions(command: Command): Command {
  return command
    .option('--lock-timeout-ddl <duration>', "lock_timeout for each revision's SQL, e.g. 500ms or 2s: a statement gives up waiting for a table lock instead of queueing every query behind it (default: STRATA_LOCK_TIMEOUT_DDL, else none; --lock-timeout is strata's own run lock)")
    .option('--retries <n>', 'try a revision that hit its lock timeout again, up to n times, waiting longer each time (default: STRATA_RETRIES, else 0)')
    .option('--statement-timeout <duration>', "statement_timeout for each revision's SQL, e.g. 30s; not retried (default: STRATA_STATEMENT_TIMEOUT, else none)");
}

export function strataFor(flags: GlobalFlags, onEvent = (event: StrataEvent) => printEvent(event, flags)) {
  progress = createProgress(process.stderr, { isEnabled: !flags.quiet });
  // cac turns values that look like numbers into numbers (--schema 123, --dir 2026): flags are text
  const text = (value: unknown) => (value === undefined ? undefined : String(value));
  return createStrata({
    databaseUrl: text(flags.databaseUrl),
    shadowDatabaseUrl: text(flags.shadowDatabaseUrl),
    dir: text(flags.dir),
    schema: text(flags.schema),
    lockTimeoutSeconds: flags.lockTimeout,
    lockTimeoutDdl: text(flags.lockTimeoutDdl),
    retries: text(flags.retries),
    statementTimeout: text(flags.statementTimeout),
    ...(flags.privileges ? { privileges: true } : {}),
    onEvent,
  });
}

export function stopProgress(): void {
  progress.stop();
}

/** Which databases a command said it uses: a proof on two embedded shadows names them once, not twice. */
const databasesSaid = new Set<string>();

/**
 * The lines of steps done, not yet written: the revisions of one batch finish together, so their
 * lines go out as one write (one redaction, one system call) at the end of the tick, or before
 * anything else is printed, whichever comes first.
 */
let stepLines: string[] = [];
let isFlushScheduled = false;

export function flushStepLines(): void {
  if (stepLines.length === 0) return;
  const text = `${stepLines.join('\n')}\n`;
  stepLines = [];
  process.stdout.write(text);
}

function queueStepLine(line: string): void {
  stepLines.push(line);
  if (isFlushScheduled) return;
  isFlushScheduled = true;
  setImmediate(() => {
    isFlushScheduled = false;
    flushStepLines();
  });
}

process.on('exit', flushStepLines);

export function printEvent(event: StrataEvent, flags: GlobalFlags): void {
  if (event.type !== 'step-done') flushStepLines();
  if (event.type === 'step-start') progress.step(event.index, event.total, event.step.id);
  else progress.clear();
  if (event.type === 'step-done' && !flags.json && !flags.quiet) queueStepLine(formatStep(event.outcome, out));
  if (flags.json || (flags.quiet && event.type !== 'lock-wait')) return;
  if (event.type === 'database') {
    if (databasesSaid.has(event.description)) return;
    databasesSaid.add(event.description);
  }
  const text = formatEvent(event, err);
  if (text) {
    flushStepLines();
    console.error(text);
    if (event.type === 'note') notesSaid.add(event.message);
  }
}

/** The notes a run printed as they happened: its summary does not say them again. */
const notesSaid = new Set<string>();

export function finishRun(report: RunReport, flags: GlobalFlags, started: number): number {
  flushStepLines();
  progress.stop();
  if (flags.json) {
    console.log(toJson(report));
  } else if (report.ok) {
    if (!flags.quiet) console.log(formatRunSummary({ ...report, notes: report.notes.filter((note) => !notesSaid.has(note)) }, Math.round(performance.now() - started), out));
  } else if (report.reason === 'interrupted') {
    console.error(formatInterrupted(report, err));
  } else if (report.reason !== 'failed') {
    console.error(formatRefusal(report, err));
  } else {
    console.error(formatFailure(report.failure, err));
  }
  return report.ok ? EXIT.ok : EXIT[report.reason];
}

/**
 * Ctrl-C (or SIGTERM) during up/down/redo: the revision in progress finishes (or fails) as a
 * whole and the run stops at the boundary after it; a second signal stops at once.
 */
export async function stoppable<T = RunReport>(run: (signal: AbortSignal) => Promise<T>, saying = 'stopping after the revision in progress (Ctrl-C again to stop now)'): Promise<T> {
  const controller = new AbortController();
  const removeHandlers = onStopSignals(() => {
    controller.abort();
    flushStepLines();
    progress.clear();
    console.error(err.yellow(saying));
  });
  try {
    return await run(controller.signal);
  } finally {
    removeHandlers();
  }
}

/**
 * Prints any report: JSON as is, else `text` on success (unless --quiet, when the output is not
 * `isData`, what was asked for) or the problems / failure on stderr.
 */
export function finishReport(
  report: { ok: true } | { ok: false; reason: 'invalid' | 'unavailable'; problems: Problem[] } | Extract<StampReport, { reason: 'failed' }>,
  flags: GlobalFlags,
  text: () => string,
  { isData = false } = {},
): number {
  flushStepLines();
  if (flags.json) console.log(toJson(report));
  else if (report.ok) {
    if (!flags.quiet || isData) process.stdout.write(text());
  } else if (report.reason !== 'failed') console.error(formatRefusal(report, err));
  else console.error(formatFailure(report.failure, err));
  return report.ok ? EXIT.ok : EXIT[report.reason];
}

/** A mistake in the command line itself (exit 2), as text or as the documented invalid JSON shape. */
export function printUsageError(message: string, hint: string, isJson: boolean): number {
  const problems: Problem[] = [{ code: 'ARGUMENT_INVALID', message, hint }];
  if (isJson) console.log(toJson({ ok: false, reason: 'invalid', problems }));
  else console.error(`${err.red('error')}: ${message}\n  ${err.cyan('fix')}: ${hint}`);
  return EXIT.invalid;
}

export function usageProblem(message: string, hint: string): { ok: false; reason: 'invalid'; problems: Problem[] } {
  return { ok: false, reason: 'invalid', problems: [{ code: 'ARGUMENT_INVALID', message, hint }] };
}
