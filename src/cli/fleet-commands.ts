import type { FleetRunReport, FleetSource, FleetStatusReport, FleetTargetResult, FleetTargetStatus, StrataEvent } from '../index.js';
import { formatEvent, formatFailure, formatProblems, formatStartProblems, formatStep, toJson, type Style } from './output.js';
import { redactOutput } from './redact-output.js';
import { EXIT, err, finishReport, out, stoppable, strataFor, usageProblem, type GlobalFlags } from './session.js';

/**
 * `up --targets` and `status --targets`: the same commands over a fleet of databases. Each
 * target's lines are printed as they happen, prefixed with its name (runs interleave); one table
 * at the end.
 */

export interface FleetFlags extends GlobalFlags {
  targets?: string;
  targetsQuery?: string;
  parallel?: number;
  failFast?: boolean;
}

export const FLEET_OPTIONS = {
  targets: ['--targets <file>', 'run on each database the file lists: [name=]URL [schema=...] [search_path=...] a line'],
  targetsQuery: ['--targets-query <sql>', 'run on each database a query on --database-url returns (columns url, or name and url)'],
  parallel: ['--parallel <n>', 'with --targets: how many databases at a time (default 4)'],
  failFast: ['--fail-fast', 'with --targets: after the first target that fails, start no other'],
} as const;

export function isFleet(flags: FleetFlags): boolean {
  return flags.targets !== undefined || flags.targetsQuery !== undefined;
}

/** A usage mistake in the fleet flags (exit 2), or the source of the targets. */
function fleetSource(flags: FleetFlags, command: string): FleetSource | ReturnType<typeof usageProblem> {
  if (flags.targets !== undefined && flags.targetsQuery !== undefined) {
    return usageProblem(`strata ${command} got both --targets and --targets-query`, 'give one: a file that lists the databases, or a query that does');
  }
  if (flags.targets !== undefined && flags.databaseUrl !== undefined) {
    return usageProblem(`strata ${command} got --database-url with --targets: the targets file lists the databases`, 'leave --database-url out, or use --targets-query to list the databases from that catalog database');
  }
  if (flags.targets !== undefined) return { file: String(flags.targets) };
  return { query: String(flags.targetsQuery) };
}

/** --parallel and --fail-fast mean something only for a fleet. */
export function fleetFlagsMisplaced(flags: FleetFlags, command: string): ReturnType<typeof usageProblem> | undefined {
  const misplaced = flags.parallel !== undefined ? '--parallel' : flags.failFast ? '--fail-fast' : undefined;
  return misplaced ? usageProblem(`${misplaced} is for strata ${command} --targets (or --targets-query)`, `add --targets <file>, or leave ${misplaced} out`) : undefined;
}

/** --parallel as typed: a whole number of at least 1 */
function parallelOf(flags: FleetFlags): number | ReturnType<typeof usageProblem> | undefined {
  if (flags.parallel === undefined) return undefined;
  const text = String(flags.parallel);
  return /^[1-9]\d*$/.test(text) ? Number(text) : usageProblem(`--parallel must be a whole number of at least 1, got '${text}'`, 'e.g. --parallel 8');
}

export async function fleetUpAction(target: string | undefined, flags: FleetFlags & { singleTransaction?: boolean; allowOutOfOrder?: boolean }): Promise<number> {
  const source = fleetSource(flags, 'up');
  if ('reason' in source) return finishReport(source, flags, () => '');
  const parallel = parallelOf(flags);
  if (typeof parallel === 'object') return finishReport(parallel, flags, () => '');
  const strata = strataFor({ ...flags, quiet: true }, (event) => printFleetEvent(event, flags));
  const listed = await strata.fleetTargets(source);
  if (!listed.ok) return finishReport(listed, flags, () => '');
  redactOutput(listed.targets.map((t) => t.url));
  const report = await stoppable((signal) => strata.upFleet({ targets: listed.targets }, target ?? 'head', {
    parallel,
    failFast: flags.failFast ?? false,
    singleTransaction: flags.singleTransaction ?? false,
    allowOutOfOrder: flags.allowOutOfOrder ?? false,
    signal,
  }), 'stopping: no other target starts, the running ones stop after their revision in progress (Ctrl-C again to stop now)');
  return finishFleet(report, flags);
}

export async function fleetStatusAction(flags: FleetFlags): Promise<number> {
  const source = fleetSource(flags, 'status');
  if ('reason' in source) return finishReport(source, flags, () => '');
  if (flags.failFast) return finishReport(usageProblem('--fail-fast is for strata up --targets', 'leave it out: status reads every target'), flags, () => '');
  const parallel = parallelOf(flags);
  if (typeof parallel === 'object') return finishReport(parallel, flags, () => '');
  const strata = strataFor({ ...flags, quiet: true }, () => {});
  const listed = await strata.fleetTargets(source);
  if (!listed.ok) return finishReport(listed, flags, () => '');
  redactOutput(listed.targets.map((t) => t.url));
  const report = await strata.statusFleet({ targets: listed.targets }, { parallel });
  if (flags.json) console.log(toJson(report));
  else if (report.ok || report.reason === 'failed') console.log(formatFleetStatus(report, out));
  else console.error(formatProblems(report.problems, err));
  return report.ok ? EXIT.ok : EXIT[report.reason];
}

export function refuseFleetDown(flags: FleetFlags): number {
  return finishReport(usageProblem(
    'strata down does not take --targets: reverting a fleet is a decision to make per database',
    'revert each database with strata down --database-url <url> [target]; strata status --targets shows where each one is',
  ), flags, () => '');
}

/** lint findings are about the files, not a database: said once for the fleet, not once per target with the same pending revisions */
const lintSaid = new Set<string>();

function printFleetEvent(event: StrataEvent, flags: FleetFlags): void {
  if (flags.json) return;
  if (event.type === 'target-event' && event.event.type === 'lint') {
    const text = formatEvent(event.event, err);
    if (text && !lintSaid.has(text) && !flags.quiet) console.error(text);
    if (text) lintSaid.add(text);
    return;
  }
  if (event.type === 'target-event') {
    const inner = event.event;
    if (inner.type === 'step-done') {
      if (!flags.quiet) console.log(`${out.dim(`[${event.target}]`)} ${formatStep(inner.outcome, out)}`);
      return;
    }
    if (inner.type === 'database' || inner.type === 'step-start' || (flags.quiet && inner.type !== 'lock-wait')) return;
    const text = formatEvent(inner, err);
    if (text) console.error(prefixed(event.target, text, err));
  } else if (event.type === 'target-done') {
    const text = resultText(event.result);
    if (text) console.error(prefixed(event.result.name, text, err));
  }
}

/** What went wrong on one target, as a single run would say it. */
function resultText(result: FleetTargetResult): string | undefined {
  if (result.status === 'failed' && result.failure) return formatFailure(result.failure, err);
  if (result.status === 'invalid') return formatProblems(result.problems, err, 'nothing was run on this database.');
  if (result.status === 'unavailable') return formatStartProblems(result.problems, err).replace(/nothing was run and the database was not changed\.$/, 'nothing was run on this database.');
  return undefined;
}

function prefixed(name: string, text: string, style: Style): string {
  return text.split('\n').map((line) => `${style.dim(`[${name}]`)} ${line}`).join('\n');
}

function finishFleet(report: FleetRunReport, flags: FleetFlags): number {
  if (flags.json) console.log(toJson(report));
  else if ('targets' in report) {
    if (!(flags.quiet && report.ok)) console.log(formatFleetSummary(report.targets, out));
  }
  else console.error(formatProblems(report.problems, err, 'no database was opened.'));
  return report.ok ? EXIT.ok : EXIT[report.reason];
}

const STATUS_STYLE = { ok: 'green', invalid: 'red', failed: 'red', unavailable: 'red', interrupted: 'yellow', 'not-started': 'yellow' } as const;

export function formatFleetSummary(targets: readonly FleetTargetResult[], style: Style): string {
  const rows = targets.map((t) => [
    t.name, t.from ?? '-', t.to ?? '-', t.status === 'not-started' ? '-' : String(t.applied), t.durationMs === null ? '-' : `${t.durationMs} ms`, t.status,
  ]);
  const lines = table(['target', 'from', 'to', 'applied', 'time', 'status'], rows, (row, text) => (text === row[5] ? style[STATUS_STYLE[row[5] as keyof typeof STATUS_STYLE]](text) : text));
  const counts = new Map<string, number>(Object.keys(STATUS_STYLE).map((status) => [status, 0]));
  for (const t of targets) counts.set(t.status, counts.get(t.status)! + 1);
  for (const [status, n] of counts) if (n === 0) counts.delete(status);
  lines.push(style.bold(`${targets.length} ${targets.length === 1 ? 'target' : 'targets'}: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}`));
  const stopped = targets.filter((t) => t.status === 'interrupted').map((t) => t.name);
  if (stopped.length > 0) lines.push(style.yellow(`stopped after the revision in progress: ${stopped.join(', ')} (run strata up --targets again to continue)`));
  const skipped = targets.filter((t) => t.status === 'not-started').map((t) => t.name);
  if (skipped.length > 0) lines.push(style.yellow(`not started: ${skipped.join(', ')}`));
  return lines.join('\n');
}

export function formatFleetStatus(report: Extract<FleetStatusReport, { targets: unknown }>, style: Style): string {
  const count = (t: FleetTargetStatus, key: 'pending' | 'edited' | 'missing') => (t.counts ? String(t.counts[key]) : '-');
  const rows = report.targets.map((t) => [t.name, t.current ?? '-', count(t, 'pending'), count(t, 'edited'), count(t, 'missing'), t.status]);
  const lines = table(['target', 'current', 'pending', 'edited', 'missing', 'status'], rows, (row, text) => (text === row[5] ? style[row[5] === 'ok' ? 'green' : 'red'](text) : text));
  const atHead = report.targets.filter((t) => t.current !== null && t.current === report.head && t.counts?.pending === 0).length;
  lines.push(style.bold(`${report.targets.length} ${report.targets.length === 1 ? 'target' : 'targets'}: ${atHead} at head (${report.head ?? 'base'})`));
  const unsettled = report.targets.filter((t) => t.status === 'invalid').map((t) => t.name);
  if (unsettled.length > 0) lines.push(style.red(`edited or missing revisions on ${unsettled.join(', ')}: strata status --database-url <its URL> lists them`));
  for (const t of report.targets) {
    if (t.problems.length > 0) lines.push(prefixed(t.name, formatStartProblems(t.problems, style).replace(/\nnothing was run and the database was not changed\.$/, ''), style));
  }
  return lines.join('\n');
}

/** Columns padded to their widest cell; `paint` colours a cell after padding (colour codes have no width). */
function table(header: string[], rows: string[][], paint: (row: string[], text: string) => string): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], isHeader: boolean) => cells.map((cell, i) => {
    const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!);
    return isHeader || i !== cells.length - 1 ? padded : paint(cells, padded);
  }).join('  ');
  return [line(header, true), ...rows.map((r) => line(r, false))];
}
