import type { Database, ScriptResult, SqlErrorInfo } from '../db/database.js';
import { recordEventSql, STEP_STARTED_MARKER } from '../db/tracking.js';
import type { Script, Step } from '../plan/plan.js';
import type { SqlStatement } from '../revision/sql-statements.js';
import { lineColumnAt, renderCodeFrame, utf16IndexFromCodePointPosition } from '../source-position.js';
import { locateError, type SentText } from './locate-error.js';
import { bookkeepingStatement, transactionalScript, type TransactionalScript } from './step-script.js';

export interface StepOutcome {
  id: string;
  direction: 'up' | 'down';
  durationMs: number;
  transactional: boolean;
  /** statements of the SQL that ran; 0 for a revision that does nothing (a body of comments only) */
  statementCount: number;
  /** for down: which down.sql ran */
  source?: 'disk' | 'stored';
  note?: string;
}

export interface Failure {
  id: string;
  direction: 'up' | 'down';
  /** file as printed; with line and column when known */
  file: string;
  line: number | undefined;
  column: number | undefined;
  sqlstate: string;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
  where: string | undefined;
  internalQuery: string | undefined;
  /** the failing statement, when known */
  statement: { index: number; count: number; label: string; line: number } | undefined;
  /** lines of the file around the error with a caret */
  codeFrame: string | undefined;
  /** what already took effect and was not undone (Transaction: off), or what was rolled back */
  effects: string;
}

export type ExecutionResult =
  | { ok: true; outcomes: StepOutcome[] }
  /** stopped between two steps because the run was asked to stop (Ctrl-C): what ran is applied */
  | { ok: 'interrupted'; outcomes: StepOutcome[] }
  | { ok: false; outcomes: StepOutcome[]; failure: Failure };

export interface ExecutionEvents {
  stepStarted?(step: Step, index: number, total: number): void;
  stepFinished?(outcome: StepOutcome, index: number, total: number): void;
}

export interface ExecuteOptions {
  schema: string;
  actor: string;
  singleTransaction: boolean;
  /** record events as this action instead of up/down (strata dev) */
  eventAction?: 'dev' | undefined;
  /** statements of each script, from the check before anything ran */
  statementsOf(script: Script): readonly SqlStatement[];
  events?: ExecutionEvents;
  /** when aborted, the run stops at the next step boundary (never inside a step) */
  signal?: AbortSignal | undefined;
}

/**
 * Consecutive transactional steps may go to the server together, in one message of
 * `begin; …; commit;` scripts: each revision is still its own transaction, but the run pays one
 * round trip per batch instead of one per revision. On an error the server skips the rest of the
 * message and every COMMIT before it stands, as if they had been sent one by one.
 *
 * A server goes on with a message it has received even if the client dies, so a batch is sized
 * to about BATCH_BUDGET_MS of work, estimated from the steps already run: a killed or interrupted
 * runner lets at most that much more finish, which is the granularity of one ordinary revision.
 * The first step of a run always goes alone.
 */
const BATCH_BUDGET_MS = 40;
const BATCH_MAX_STEPS = 50;
const BATCH_MAX_CHARS = 512 * 1024;

/** Runs the steps in order; stops at the first failure, leaving the database at the previous boundary. */
export async function executeSteps(db: Database, steps: readonly Step[], options: ExecuteOptions): Promise<ExecutionResult> {
  const outcomes: StepOutcome[] = [];
  if (options.singleTransaction && steps.length > 0) await db.runScript('begin');
  let stepMsEstimate: number | undefined;
  const observe = (elapsedMs: number, count: number) => {
    const perStep = elapsedMs / count;
    stepMsEstimate = stepMsEstimate === undefined ? perStep : 0.7 * stepMsEstimate + 0.3 * perStep;
  };
  let unbatchedUntil = 0;
  for (let index = 0; index < steps.length;) {
    const step = steps[index]!;
    // inside --single-transaction there is no boundary before the end: the run goes on to its commit
    if (options.signal?.aborted && !options.singleTransaction) return { ok: 'interrupted', outcomes };
    const batchSize = options.singleTransaction || index < unbatchedUntil || stepMsEstimate === undefined
      ? 1
      : transactionalRun(steps, index, Math.floor(BATCH_BUDGET_MS / Math.max(stepMsEstimate, 0.5)));
    if (batchSize > 1) {
      const started = performance.now();
      const batch = await runBatch(db, steps, index, batchSize, options, outcomes);
      if (batch.kind === 'failed') {
        await recordFailure(db, batch.step, batch.durationMs, batch.failure, options);
        return { ok: false, outcomes, failure: batch.failure };
      }
      // the server refused the whole message before running any of it: find the culprit one by one
      if (batch.kind === 'not-run') unbatchedUntil = index + batchSize;
      else {
        observe(performance.now() - started, batchSize);
        index += batchSize;
      }
      continue;
    }
    options.events?.stepStarted?.(step, index, steps.length);
    const started = performance.now();
    const result = step.script.transactional
      ? await runTransactional(db, step, options, index < steps.length - 1)
      : await runStatementByStatement(db, step, options);
    const elapsed = performance.now() - started;
    const durationMs = Math.round(elapsed);
    if (!result.ok) {
      if (options.singleTransaction) {
        await rollbackQuietly(db);
        result.failure.effects = `the whole run was rolled back (--single-transaction): nothing was ${step.direction === 'up' ? 'applied' : 'reverted'}`;
      }
      await recordFailure(db, step, durationMs, result.failure, options);
      return { ok: false, outcomes: options.singleTransaction ? [] : outcomes, failure: result.failure };
    }
    observe(elapsed, 1);
    finishStep(step, durationMs, index, steps.length, options, outcomes);
    index++;
  }
  if (options.singleTransaction && steps.length > 0) {
    const committed = await db.runScript('commit');
    if (!committed.ok) {
      const last = steps.at(-1)!;
      const failure = failureFrom(last, options.statementsOf(last.script), committed.error, undefined, undefined,
        `the commit failed, so the whole run was rolled back (--single-transaction): nothing was ${last.direction === 'up' ? 'applied' : 'reverted'}`);
      await recordFailure(db, last, 0, failure, options);
      return { ok: false, outcomes: [], failure };
    }
  }
  return { ok: true, outcomes };
}

function finishStep(step: Step, durationMs: number, index: number, total: number, options: ExecuteOptions, outcomes: StepOutcome[]): void {
  const outcome: StepOutcome = {
    id: step.id, direction: step.direction, durationMs, transactional: step.script.transactional,
    statementCount: options.statementsOf(step.script).length,
    ...(step.direction === 'down' ? { source: step.source, ...(step.note ? { note: step.note } : {}) } : {}),
  };
  outcomes.push(outcome);
  options.events?.stepFinished?.(outcome, index, total);
}

/** How many transactional steps from `index` on go in one message: at most `limit`, at least 1. */
function transactionalRun(steps: readonly Step[], index: number, limit: number): number {
  const max = Math.min(limit, BATCH_MAX_STEPS);
  let count = 0;
  let chars = 0;
  while (index + count < steps.length && count < max) {
    const script = steps[index + count]!.script;
    if (!script.transactional || (count > 0 && chars + script.body.length > BATCH_MAX_CHARS)) break;
    chars += script.body.length;
    count++;
  }
  return Math.max(count, 1);
}

type BatchResult =
  | { kind: 'ok' }
  /** nothing ran: the server could not parse the message as a whole (it parses all of it first) */
  | { kind: 'not-run' }
  | { kind: 'failed'; step: Step; durationMs: number; failure: Failure };

async function runBatch(
  db: Database, steps: readonly Step[], first: number, count: number, options: ExecuteOptions, outcomes: StepOutcome[],
): Promise<BatchResult> {
  const total = steps.length;
  const parts: Array<{ step: Step; script: TransactionalScript; start: number; statementCount: number }> = [];
  let text = '';
  for (let k = 0; k < count; k++) {
    const step = steps[first + k]!;
    const script = transactionalScript(step, options.schema, options.actor, { ownTransaction: true, deferFlush: canDeferFlush(db) && first + k < total - 1, action: options.eventAction });
    if (k > 0) text += '\n';
    // ours before the body, the body's statements, the bookkeeping and the commit
    parts.push({ step, script, start: text.length, statementCount: script.leadingStatements + options.statementsOf(step.script).length + 2 });
    text += script.text;
  }
  options.events?.stepStarted?.(parts[0]!.step, first, total);
  const started = performance.now();
  const result = await runSafely(db, text);
  // the steps share the round trip's time
  const share = Math.round((performance.now() - started) / count);
  if (result.ok) {
    parts.forEach((part, k) => finishStep(part.step, share, first + k, total, options, outcomes));
    return { kind: 'ok' };
  }
  if (result.completedStatements === 0 && result.error.code !== '08006') return { kind: 'not-run' };
  let confirmed = 0;
  for (const [k, part] of parts.entries()) {
    if (result.completedStatements >= confirmed + part.statementCount) {
      finishStep(part.step, share, first + k, total, options, outcomes);
      confirmed += part.statementCount;
      continue;
    }
    await rollbackQuietly(db);
    const error = { ...result.error, position: positionWithin(text, part.start, part.script.text.length, result.error.position) };
    const failure = transactionalFailure(part.step, options.statementsOf(part.step.script), part.script, error, result.completedStatements - confirmed);
    return { kind: 'failed', step: part.step, durationMs: share, failure };
  }
  // every statement of the batch was confirmed, yet an error came: report it against the last step
  const last = parts.at(-1)!;
  return { kind: 'failed', step: last.step, durationMs: share, failure: failureFrom(last.step, [], result.error, undefined, undefined, 'the server reported an error after the last revision of the batch committed') };
}

/** A PostgreSQL position (1-based, code points) in the batch text, re-based to the part that starts at `start`; undefined outside it. */
function positionWithin(text: string, start: number, length: number, position: number | undefined): number | undefined {
  if (position === undefined) return undefined;
  const index = utf16IndexFromCodePointPosition(text, position);
  if (index < start || index > start + length) return undefined;
  return [...text.slice(start, index)].length + 1;
}

type StepResult = { ok: true } | { ok: false; failure: Failure };

/**
 * A server flushes a deferred commit on its own within a fraction of a second, whatever becomes of
 * the client. The embedded database has no WAL writer and dies with this process: a deferred commit
 * there is only flushed by a later synchronous one, so a killed run would lose revisions it had
 * reported applied. There every commit waits for its flush.
 */
function canDeferFlush(db: Database): boolean {
  return db.kind === 'postgres';
}

async function runTransactional(db: Database, step: Step, options: ExecuteOptions, isFollowed: boolean): Promise<StepResult> {
  const statements = options.statementsOf(step.script);
  const ownTransaction = !options.singleTransaction;
  const script = transactionalScript(step, options.schema, options.actor, { ownTransaction, deferFlush: canDeferFlush(db) && isFollowed, action: options.eventAction });
  const result = await runSafely(db, script.text);
  if (result.ok) return result;
  if (ownTransaction) await rollbackQuietly(db);
  return { ok: false, failure: transactionalFailure(step, statements, script, result.error, result.completedStatements) };
}

/**
 * The failure of one transactional script, from the statements of it the server confirmed: ours
 * before the body, then the body's own (the next one failed), then the bookkeeping.
 */
function transactionalFailure(step: Step, statements: readonly SqlStatement[], script: TransactionalScript, error: SqlErrorInfo, completedInScript: number): Failure {
  const bodyCompleted = completedInScript - script.leadingStatements;
  const failedIndex = bodyCompleted >= 0 && bodyCompleted < statements.length ? bodyCompleted : undefined;
  const sent: SentText = { text: script.text, userStart: script.userStart, userLength: script.userLength, bodyIndex: 0 };
  return failureFrom(step, statements, error, sent, failedIndex, rolledBackEffects(step, error, bodyCompleted >= statements.length));
}

/** SQLSTATEs of an object that does not exist: a down.sql that fails on one may meet a schema that already lacks it. */
const UNDEFINED_OBJECT = new Set(['42P01', '42704', '42883', '3F000', '42703', '42P02']);

/**
 * What a rolled-back step left: for an up step, the database before it; for a down step, the
 * revision still applied (and, when its down.sql trips over something already gone, how to record
 * the revert without running it).
 */
function rolledBackEffects(step: Step, error: SqlErrorInfo | undefined, isBookkeeping: boolean): string {
  if (step.direction === 'up') {
    return isBookkeeping
      ? 'the SQL ran, but recording it failed, so the revision was rolled back and is not recorded'
      : `the revision was rolled back; the database is as it was before ${step.id}`;
  }
  const still = isBookkeeping
    ? `its down.sql ran, but removing its record failed, so it was rolled back: nothing was reverted; still at ${step.id}`
    : `nothing was reverted; still at ${step.id}`;
  if (error && UNDEFINED_OBJECT.has(error.code)) {
    return `${still}. If what ${step.id} created is already gone (dropped by hand?), record the revert without running its down.sql: strata stamp -1`;
  }
  return still;
}

/** Transaction: off — each statement on its own, as psql would, so CREATE INDEX CONCURRENTLY etc. can run. */
async function runStatementByStatement(db: Database, step: Step, options: ExecuteOptions): Promise<StepResult> {
  const statements = options.statementsOf(step.script);
  let insideOwnBlock = false;
  const marked = await runSafely(db, STEP_STARTED_MARKER);
  if (!marked.ok) return { ok: false, failure: failureFrom(step, statements, marked.error, undefined, undefined, 'no statement took effect') };
  for (const [index, statement] of statements.entries()) {
    const result = await runSafely(db, statement.text);
    if (!result.ok) {
      if (insideOwnBlock || result.error.code === '25P02') await rollbackQuietly(db);
      const sent: SentText = { text: statement.text, userStart: 0, userLength: statement.text.length, bodyIndex: statement.start };
      return { ok: false, failure: failureFrom(step, statements, result.error, sent, index, partialEffects(step, statements, index, insideOwnBlock)) };
    }
    if (statement.isTransactionControl) insideOwnBlock = /^(begin|start)/i.test(statement.text);
  }
  const started = performance.now();
  const record = await runSafely(db, bookkeepingStatement(step, options.schema, options.actor, options.eventAction));
  if (!record.ok) {
    const failure = failureFrom(step, statements, record.error, undefined, undefined,
      `every statement took effect, but recording the revision failed (${Math.round(performance.now() - started)} ms); strata status will show it as not applied — use strata stamp once the cause is fixed`);
    return { ok: false, failure };
  }
  return { ok: true };
}

function partialEffects(step: Step, statements: readonly SqlStatement[], failedIndex: number, insideOwnBlock: boolean): string {
  const script = step.script;
  const lines = (index: number) => lineColumnAt(script.text, script.bodyOffset + statements[index]!.start).line;
  const done = failedIndex === 0
    ? 'no statement took effect'
    : `statements 1–${failedIndex} of ${statements.length} (lines ${lines(0)}–${lines(failedIndex - 1)}) already took effect and were not undone`;
  const record = step.direction === 'down'
    ? 'the revision is still recorded as applied — fix down.sql, make it safe to re-run, and run strata down again'
    : 'this Transaction: off revision is not recorded — fix the SQL, make it safe to re-run, and run again';
  return `${done}${insideOwnBlock ? ' (the open BEGIN block was rolled back)' : ''}; ${record}`;
}

async function runSafely(db: Database, text: string): Promise<ScriptResult> {
  try {
    return await db.runScript(text);
  } catch (error) {
    // connection lost: report it like an SQL failure, with the driver's message
    return {
      ok: false,
      completedStatements: -1,
      error: {
        code: '08006', message: `connection lost: ${(error as Error).message}`, severity: 'FATAL',
        detail: undefined, hint: 'the server ended the connection; what was not committed was rolled back by the server',
        position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined,
      },
    };
  }
}

async function rollbackQuietly(db: Database): Promise<void> {
  try {
    await db.runScript('rollback');
  } catch {
    // the connection is gone; the server rolled back
  }
}

async function recordFailure(db: Database, step: Step, durationMs: number, failure: Failure, options: ExecuteOptions): Promise<void> {
  try {
    const statement = recordEventSql(options.schema, {
      action: options.eventAction ?? step.direction, revisionId: step.id, ok: false, durationMs, actor: options.actor,
      error: { sqlstate: failure.sqlstate, message: failure.message, file: failure.file, line: failure.line, column: failure.column },
    });
    await db.query(statement.text, statement.values);
  } catch {
    // the tracking schema may not exist yet (first revision failed) or the connection is gone
  }
}

function failureFrom(
  step: Step,
  statements: readonly SqlStatement[],
  error: SqlErrorInfo,
  sent: SentText | undefined,
  failedIndex: number | undefined,
  effects: string,
): Failure {
  const script = step.script;
  const location = sent ? locateError(script, statements, error, sent, failedIndex) : undefined;
  const statementIndex = location?.statementIndex ?? failedIndex;
  const statement = statementIndex !== undefined ? statements[statementIndex] : undefined;
  return {
    id: step.id,
    direction: step.direction,
    file: script.path,
    line: location?.line,
    column: location?.column,
    sqlstate: error.code,
    message: error.message,
    detail: error.detail,
    hint: error.hint,
    where: error.where,
    internalQuery: error.internalQuery,
    statement: statement && statementIndex !== undefined
      ? { index: statementIndex, count: statements.length, label: statement.label, line: lineColumnAt(script.text, script.bodyOffset + statement.start).line }
      : undefined,
    codeFrame: location ? renderCodeFrame(script.text, location.line, location.column) : undefined,
    effects,
  };
}
