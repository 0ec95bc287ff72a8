import { formatLocation, type Problem } from '../errors.js';
import type { Failure, StepOutcome } from '../executor/execute-steps.js';
import type { NewRevisionReport, StatusResult, StrataEvent } from '../index.js';
import type { RunReport } from '../executor/run.js';
import type { LogEvent } from '../db/events.js';
import type { StampReport } from '../executor/stamp.js';
import { formatUtc } from '../text/utc-time.js';
import { formatLintCounts, formatLintFindings } from './lint-output.js';

/** Colour only on a TTY, never with NO_COLOR (https://no-color.org). */
export function makeStyle(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env) {
  const enabled = stream.isTTY === true && !('NO_COLOR' in env) && env.TERM !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}
export type Style = ReturnType<typeof makeStyle>;

const NOTHING_RAN = 'nothing was run and the database was not changed.';

/** Every problem with its place, code frame and fix, then one closing line (`closing` replaces its end). */
export function formatProblems(problems: readonly Problem[], style: Style, closing = NOTHING_RAN): string {
  const count = problems.length;
  return [...problemLines(problems, style), `${count} ${count === 1 ? 'problem' : 'problems'} found; ${closing}`].join('\n');
}

/** The problems that stopped a command before it could start (configuration, connection, lock): no count, which would say little. */
export function formatStartProblems(problems: readonly Problem[], style: Style): string {
  return [...problemLines(problems, style), NOTHING_RAN].join('\n');
}

/**
 * A line per problem, its code frame and its fix under it. Problems that carry a group (the parts
 * of one table a check found changed) are listed under a heading naming it, and a fix shared by
 * problems in a row is said once, after the last of them: a diff reads like a review.
 */
function problemLines(problems: readonly Problem[], style: Style): string[] {
  const lines: string[] = [];
  problems.forEach((p, k) => {
    if (p.group !== undefined && p.group !== problems[k - 1]?.group) lines.push(style.bold(`${p.group}:`));
    const margin = p.group === undefined ? '' : '  ';
    const where = formatLocation(p);
    lines.push(`${margin}${where ? `${style.bold(where)}: ` : ''}${style.red('error')}: ${p.message}`);
    if (p.codeFrame) lines.push(indent(p.codeFrame, `${margin}  `));
    const next = problems[k + 1];
    const saysTheSameFix = next !== undefined && !p.codeFrame && !next.codeFrame && next.hint === p.hint && next.group === p.group;
    if (p.hint && !saysTheSameFix) lines.push(`${margin}  ${style.cyan('fix')}: ${p.hint}`);
  });
  return lines;
}

export function formatFailure(failure: Failure, style: Style): string {
  const lines: string[] = [];
  const where = formatLocation(failure);
  lines.push(`${style.bold(where)}: ${style.red('error')} ${failure.sqlstate}: ${failure.message}`);
  if (failure.codeFrame) lines.push(indent(failure.codeFrame, '  '));
  if (failure.detail) lines.push(`  ${style.dim('detail')}: ${failure.detail}`);
  if (failure.hint) lines.push(`  ${style.cyan('hint')}: ${failure.hint}`);
  if (failure.where) lines.push(`  ${style.dim('where')}: ${failure.where.replace(/\n/g, '\n         ')}`);
  if (failure.internalQuery) lines.push(`  ${style.dim('query')}: ${failure.internalQuery}`);
  if (failure.statement) {
    const s = failure.statement;
    lines.push(`  ${style.dim('statement')}: ${s.index + 1} of ${s.count} (${s.label}) starting at line ${s.line}`);
  }
  lines.push(`  ${failure.effects}`);
  return lines.join('\n');
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => prefix + l).join('\n');
}

export function formatInterrupted(report: Extract<RunReport, { reason: 'interrupted' }>, style: Style): string {
  const done = report.steps.length;
  const next = report.command === 'down' ? 'strata down <target>' : 'strata up';
  return style.yellow(`stopped: ${done} ${done === 1 ? 'revision' : 'revisions'} ${report.command === 'down' ? 'reverted' : 'applied'} before the stop, nothing half-done; run ${next} to continue`);
}

const VERB = { up: 'applied', down: 'reverted' } as const;

export function formatStep(outcome: StepOutcome, style: Style): string {
  if (outcome.recordOnly) {
    return outcome.direction === 'up'
      ? `${style.green('stamped'.padEnd(9))} ${outcome.id} ${style.dim('(recorded as applied; its SQL was not run)')}`
      : `${style.yellow('unstamped'.padEnd(9))} ${outcome.id} ${style.dim('(record removed; its down.sql was not run)')}`;
  }
  const verb = VERB[outcome.direction];
  const extra = (outcome.source === 'stored' ? style.yellow(' (stored down.sql)') : '') + (outcome.statementCount === 0 ? style.dim(' (no statements)') : '')
    + (outcome.attempts > 1 ? style.yellow(` (attempt ${outcome.attempts}, after lock timeouts)`) : '');
  return `${(outcome.direction === 'up' ? style.green : style.yellow)(verb.padEnd(8))} ${outcome.id}${extra} ${style.dim(`${outcome.durationMs} ms`)}`;
}

export function formatRunSummary(report: Extract<RunReport, { ok: true }>, elapsedMs: number, style: Style): string {
  const applied = report.steps.filter((s) => s.direction === 'up').length;
  const reverted = report.steps.filter((s) => s.direction === 'down').length;
  if (report.steps.length === 0) {
    const why = report.notes[0] ? ` (${report.notes[0]})` : '';
    return report.command === 'down' ? `nothing to revert${why}` : `nothing to apply: the database is up to date${why}`;
  }
  const parts: string[] = [];
  if (reverted > 0) parts.push(`${reverted} reverted`);
  if (applied > 0) parts.push(`${applied} applied`);
  return style.bold(`${parts.join(', ')} in ${elapsedMs} ms`);
}

export function formatStatus(report: StatusResult, style: Style): string {
  const lines: string[] = [];
  const mark: Record<string, (t: string) => string> = { applied: style.green, pending: style.yellow, edited: style.red, missing: style.red };
  const width = Math.max(0, ...report.revisions.map((r) => r.id.length));
  for (const r of report.revisions) {
    const tags = r.tags.length > 0 ? style.cyan(` [${r.tags.join(', ')}]`) : '';
    const when = r.appliedAt ? style.dim(` ${formatUtc(r.appliedAt, 'minute')}`) : '';
    const downNote = r.isDownEdited ? style.yellow(' (down.sql edited since applied)') : '';
    const squashNote = r.replaces.length > 0 ? style.dim(` (replaces ${r.replaces.length} revisions)`) : '';
    const p = r.partial;
    const partialNote = p ? style.yellow(` (partial: ${p.done} of ${p.statementCount} statements ${p.direction === 'up' ? 'applied' : 'of down.sql run'}; strata ${p.direction} resumes at statement ${p.done + 1})`) : '';
    lines.push(`${mark[r.state]!(r.state.padEnd(7))}  ${r.id.padEnd(width)}  ${r.message ?? ''}${tags}${when}${squashNote}${downNote}${partialNote}`);
  }
  if (report.revisions.length === 0) lines.push('no revisions yet: create one with strata new "<message>"');
  const c = report.counts;
  const summary = [`${c.applied} applied`, `${c.pending} pending`];
  if (c.edited) summary.push(style.red(`${c.edited} edited since applied`));
  if (c.missing) summary.push(style.red(`${c.missing} applied but missing on disk`));
  lines.push(`${summary.join(', ')}; at ${report.current ?? 'base'}${report.current && report.current === report.head ? ' (head)' : ''}`);
  if (report.problems.length > 0) lines.push('', formatProblems(report.problems, style, 'fix them before running up or down.'));
  return lines.join('\n');
}

/** What stopped a command before it changed anything: problems found (counted), or a database that could not be used. */
export function formatRefusal(report: { reason: 'invalid' | 'unavailable'; problems: readonly Problem[] }, style: Style): string {
  return report.reason === 'invalid' ? formatProblems(report.problems, style) : formatStartProblems(report.problems, style);
}

export function formatNewRevision(report: Extract<NewRevisionReport, { ok: true }>): string {
  return `created ${report.id} (parent ${report.parent})\n  ${report.files.up}\n  ${report.files.down}`;
}

export function formatEvent(event: StrataEvent, style: Style): string | undefined {
  switch (event.type) {
    case 'database':
      return style.dim(`strata: ${event.description}`);
    case 'lock-wait': {
      const h = event.holder;
      const who = h
        ? `pid ${h.pid}${h.application ? ` (${h.application})` : ''}${h.user ? `, user ${h.user}` : ''}${h.client ? ` from ${h.client}` : ''}${h.since ? `, connected ${h.since.toISOString()}` : ''}`
        : 'another session';
      return style.yellow(`waiting up to ${event.timeoutMs / 1000} s for the migration lock held by ${who}`);
    }
    case 'lock-acquired':
      return style.dim(`got the lock after ${event.waitedMs} ms`);
    case 'lock-retry': {
      const where = formatLocation({ file: event.file, line: event.line });
      const limit = event.lockTimeoutMs !== undefined ? ` (lock_timeout ${event.lockTimeoutMs}ms)` : '';
      return style.yellow(`${where}: ${event.statement ?? 'a statement'} of ${event.id} gave up waiting for a lock${limit}; waiting ${event.waitMs} ms before attempt ${event.attempt} of ${event.attempts}`);
    }
    case 'note':
      return style.yellow(`note: ${event.message}`);
    case 'lint':
      return [...formatLintFindings(event.findings, style), style.yellow(`warning: lint found ${formatLintCounts(event.counts, 'in the pending revisions')}; up goes on (strata lint shows every finding, up --no-lint skips this)`)].join('\n');
    default:
      return undefined;
  }
}

/** The summary after the stamped/unstamped lines (printed as each step is reported, by formatStep). */
export function formatStampResult(report: Extract<StampReport, { ok: true }>, style: Style): string {
  if (report.stamped.length + report.unstamped.length === 0) return report.notes[0] ?? 'nothing to record';
  const parts: string[] = [];
  if (report.stamped.length > 0) parts.push(`${report.stamped.length} stamped`);
  if (report.unstamped.length > 0) parts.push(`${report.unstamped.length} unstamped`);
  return style.bold(parts.join(', '));
}

export function formatLog(events: readonly LogEvent[], style: Style): string {
  if (events.length === 0) return 'no events yet: nothing has been applied, reverted or stamped in this database';
  const actionWidth = Math.max(...events.map((e) => e.action.length));
  const idWidth = Math.max(...events.map((e) => e.revision.length));
  const lines: string[] = [];
  for (const e of events) {
    const when = formatUtc(e.at);
    const outcome = e.ok ? style.green('ok'.padEnd(6)) : style.red('failed');
    const who = `${e.actor}${e.dbUser ? ` as ${e.dbUser}` : ''}`;
    lines.push(`${style.dim(when)}  ${e.action.padEnd(actionWidth)}  ${e.revision.padEnd(idWidth)}  ${outcome} ${`${e.durationMs} ms`.padStart(8)}  ${style.dim(who)}`);
    if (e.error) {
      const where = formatLocation({ file: e.error.file ?? undefined, line: e.error.line ?? undefined, column: e.error.column ?? undefined });
      lines.push(`    ${where ? `${style.bold(where)}: ` : ''}${style.red('error')}${e.error.sqlstate ? ` ${e.error.sqlstate}` : ''}: ${e.error.message}`);
    }
  }
  return lines.join('\n');
}

/**
 * `--json` output (docs/json.md): every key of a shape is always present, with null for "none"
 * (an unknown line, no hint), so consumers never have to tell a missing key from a null one.
 */
export function toJson(report: unknown): string {
  return JSON.stringify(report, (key, value: unknown) => {
    if (value === undefined) return null;
    if (key === 'problems' && Array.isArray(value)) {
      return (value as Problem[]).map((p) => ({ code: p.code, message: p.message, file: p.file ?? null, line: p.line ?? null, column: p.column ?? null, hint: p.hint ?? null, codeFrame: p.codeFrame ?? null }));
    }
    return value;
  }, 2);
}
