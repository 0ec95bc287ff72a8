import type { Database, SqlErrorInfo } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { utf16IndexFromCodePointPosition } from '../text/source-position.js';
import { isLockLost } from './advisory-lock.js';
import { failureFrom, rolledBackEffects, statementLine, type Failure } from './failure.js';
import { givenUp, isLockTimeout, waitToRetry } from './lock-retry.js';
import { newestEventDurations } from '../db/tracking.js';
import { eventWatermark } from './lost-connection.js';
import { recordFailure } from './record-failure.js';
import { finishStep, lostEffects, type ExecuteOptions, type RunState, type StepOutcome, type StepResult } from './run-state.js';
import { Session } from './session.js';
import { runStatementByStatement } from './statement-by-statement.js';
import { doneWord, runsInTransaction, transactionalScript, type TransactionalScript } from './step-script.js';
import type { SentText } from './locate-error.js';

export type { Failure } from './failure.js';
export type { ExecuteOptions, ExecutionEvents, StepOutcome } from './run-state.js';

export type ExecutionResult =
  | { ok: true; outcomes: StepOutcome[] }
  /** stopped between two steps because the run was asked to stop (Ctrl-C): what ran is applied */
  | { ok: false; reason: 'interrupted'; outcomes: StepOutcome[] }
  | { ok: false; reason: 'failed'; outcomes: StepOutcome[]; failure: Failure };

/**
 * Consecutive transactional steps may go to the server together, in one message of
 * `begin; …; commit;` scripts: each revision is still its own transaction, but the run pays one
 * round trip per batch instead of one per revision. On an error the server skips the rest of the
 * message and every COMMIT before it stands, as if they had been sent one by one.
 *
 * A server goes on with a message it has received even if the client dies, so a batch is sized
 * to about BATCH_BUDGET_MS of work, estimated from the steps already run: a killed or interrupted
 * runner lets at most that much more finish, which is the granularity of one ordinary revision.
 * The first step of a run always goes alone. A shadow, scratch that is dropped after, may be
 * given a larger budget (ExecuteOptions.batchBudgetMs): fewer round trips for a long history.
 */
const BATCH_BUDGET_MS = 40;
const BATCH_MAX_STEPS = 50;
const BATCH_MAX_CHARS = 512 * 1024;

/** Runs the steps in order; stops at the first failure, leaving the database at the previous boundary. */
export async function executeSteps(db: Database, steps: readonly Step[], options: ExecuteOptions): Promise<ExecutionResult> {
  const session = new Session(db);
  const run: RunState = {
    db, session, options, steps, outcomes: [],
    pid: await db.backendPid(),
    watermark: db.openSession && steps.length > 0 ? await eventWatermark(db, options.schema) : 0,
  };
  const { outcomes } = run;
  if (options.singleTransaction && steps.length > 0) {
    const begun = await session.run('begin');
    if (!begun.ok) return fail(run, steps[0]!, 0, failureFrom(steps[0]!, [], begun.error, undefined, undefined, 'nothing ran'));
  }
  let stepMsEstimate: number | undefined;
  const observe = (elapsedMs: number, count: number) => {
    const perStep = elapsedMs / count;
    stepMsEstimate = stepMsEstimate === undefined ? perStep : 0.7 * stepMsEstimate + 0.3 * perStep;
  };
  let unbatchedUntil = 0;
  /** the attempt the step at `index` is on: more than 1 after its lock timeouts */
  let attempt = 1;
  const durations: number[] = [];
  for (let index = 0; index < steps.length;) {
    const step = steps[index]!;
    // inside --single-transaction there is no boundary before the end: the run goes on to its commit
    if (options.signal?.aborted && !options.singleTransaction) return { ok: false, reason: 'interrupted', outcomes };
    // a hook between steps needs every boundary: no batches then
    const batchSize = options.singleTransaction || options.afterStep || index < unbatchedUntil || stepMsEstimate === undefined
      ? 1
      : transactionalRun(steps, index, Math.floor((options.batchBudgetMs ?? BATCH_BUDGET_MS) / Math.max(stepMsEstimate, 0.5)));
    if (batchSize > 1) {
      const started = performance.now();
      const batch = await runBatch(run, index, batchSize);
      if (batch.kind === 'failed' && isRetried(run, batch.failure, 1)) {
        // the revisions of the message before it committed; it goes again, alone, after the wait
        if (!(await waitToRetry(run, batch.step, batch.failure, 1))) return { ok: false, reason: 'interrupted', outcomes };
        index = batch.index;
        unbatchedUntil = index + 1;
        attempt = 2;
        continue;
      }
      if (batch.kind === 'failed') return fail(run, batch.step, batch.durationMs, batch.failure);
      // the server refused the whole message before running any of it: find the culprit one by one
      if (batch.kind === 'not-run') unbatchedUntil = index + batchSize;
      else {
        observe(performance.now() - started, batchSize);
        index += batchSize;
      }
      continue;
    }
    if (attempt === 1) options.events?.stepStarted?.(step, index, steps.length);
    const started = performance.now();
    const result = runsInTransaction(step)
      ? await runTransactional(run, step, index)
      : await runStatementByStatement(run, step, index);
    const elapsed = performance.now() - started;
    const durationMs = Math.round(elapsed);
    if (!result.ok && runsInTransaction(step) && isRetried(run, result.failure, attempt)) {
      if (!(await waitToRetry(run, step, result.failure, attempt))) return { ok: false, reason: 'interrupted', outcomes };
      attempt++;
      continue;
    }
    if (!result.ok && isLockTimeout(result.failure.sqlstate) && options.timeouts && !options.singleTransaction) {
      result.failure = givenUp(result.failure, runsInTransaction(step) ? attempt : result.failure.attempts, options.timeouts);
    }
    if (!result.ok) {
      if (options.singleTransaction && !session.isLost) {
        await session.rollbackIfOpen();
        result.failure.effects = `the whole run was rolled back (--single-transaction): nothing was ${doneWord(step)}`;
      }
      return fail(run, step, durationMs, result.failure, options.singleTransaction);
    }
    observe(elapsed, 1);
    // inside --single-transaction a step is done when the run commits
    if (options.singleTransaction) durations.push(durationMs);
    else finishStep(run, step, durationMs, index, runsInTransaction(step) ? attempt : result.attempts ?? 1);
    const next = steps[index + 1];
    if (next && options.afterStep) await options.afterStep(step, next);
    index++;
    attempt = 1;
  }
  if (options.singleTransaction && steps.length > 0) {
    const committed = await session.run('commit');
    const last = steps.at(-1)!;
    const nothing = `nothing was ${doneWord(last)}`;
    if (!committed.ok && session.isLost) {
      const failure = failureFrom(last, [], committed.error, undefined, undefined, '');
      failure.effects = (await lostEffects(run, steps.map((step, k) => ({ step, index: k })), 'the COMMIT of the whole run (--single-transaction)')).effects;
      return fail(run, last, 0, failure);
    }
    if (!committed.ok) {
      const failure = failureFrom(last, options.statementsOf(last.script), committed.error, undefined, undefined,
        `the commit failed, so the whole run was rolled back (--single-transaction): ${nothing}`);
      return fail(run, last, 0, failure, true);
    }
    steps.forEach((step, k) => finishStep(run, step, durations[k] ?? 0, k));
  }
  return { ok: true, outcomes };
}

/**
 * Whether a failed transactional attempt is tried again: a lock timeout, with retries left, the
 * connection still there, and the step in a transaction of its own (inside --single-transaction
 * the timeout rolled back the whole run, which is not retried).
 */
function isRetried(run: RunState, failure: Failure, attempt: number): boolean {
  const { timeouts, singleTransaction } = run.options;
  return isLockTimeout(failure.sqlstate) && !singleTransaction && !run.session.isLost && timeouts !== undefined && attempt <= timeouts.retries;
}

async function fail(run: RunState, step: Step, durationMs: number, failure: Failure, discardOutcomes = false): Promise<ExecutionResult> {
  // a connection lost after the step committed fails the run, not the step: its event says it is done
  const isDone = run.outcomes.some((o) => o.id === step.id && o.direction === step.direction);
  if (!isDone) await recordFailure(run, step, durationMs, failure);
  return { ok: false, reason: 'failed', outcomes: discardOutcomes ? [] : run.outcomes, failure };
}

/** How many transactional steps from `index` on go in one message: at most `limit`, at least 1. */
function transactionalRun(steps: readonly Step[], index: number, limit: number): number {
  const max = Math.min(limit, BATCH_MAX_STEPS);
  let count = 0;
  let chars = 0;
  while (index + count < steps.length && count < max) {
    const step = steps[index + count]!;
    const script = step.script;
    if (!runsInTransaction(step) || (count > 0 && chars + script.body.length > BATCH_MAX_CHARS)) break;
    chars += script.body.length;
    count++;
  }
  return Math.max(count, 1);
}

type BatchResult =
  | { kind: 'ok' }
  /** nothing ran: the server could not parse the message as a whole (it parses all of it first) */
  | { kind: 'not-run' }
  | { kind: 'failed'; step: Step; index: number; durationMs: number; failure: Failure };

/** A batch that took longer than this is read back for each revision's own duration (one more round trip). */
const SLOW_BATCH_MS = 100;

/**
 * Every script of a batch but the last commits without waiting for its flush; the last one's
 * synchronous commit flushes them all, so the batch is reported applied only once it is durable.
 */
async function runBatch(run: RunState, first: number, count: number): Promise<BatchResult> {
  const { options, steps, session } = run;
  const total = steps.length;
  const parts: Array<{ step: Step; index: number; script: TransactionalScript; start: number; statementCount: number }> = [];
  let text = '';
  for (let k = 0; k < count; k++) {
    const step = steps[first + k]!;
    const script = transactionalScript(step, options.schema, options.actor, {
      ownTransaction: true, deferFlush: run.db.canDeferFlush && k < count - 1, action: options.eventAction, lock: options.lock, timeouts: options.timeouts,
    });
    if (k > 0) text += '\n';
    parts.push({ step, index: first + k, script, start: text.length, statementCount: script.leadingStatements + options.statementsOf(step.script).length + script.trailingStatements });
    text += script.text;
  }
  options.events?.stepStarted?.(parts[0]!.step, first, total);
  const started = performance.now();
  const result = await session.run(text);
  // the round trip's time shared: for a quick batch (each of its revisions took less than the
  // batch), or when the durations the server recorded for each cannot be read
  const elapsed = performance.now() - started;
  const share = Math.round(elapsed / count);
  if (result.ok) {
    // a batch that took long has a slow revision in it: say which, from the durations the server recorded
    const durations = elapsed >= SLOW_BATCH_MS ? await newestEventDurations(run.db, options.schema, parts.length) : undefined;
    parts.forEach((part, k) => finishStep(run, part.step, durations?.[k] ?? share, part.index));
    return { kind: 'ok' };
  }
  if (session.isLost) {
    const lost = await lostEffects(run, parts, `the COMMITs of ${parts.length} revisions (${parts[0]!.step.id} … ${parts.at(-1)!.step.id}, one message)`, share);
    // placed where the server's replies say it was, when that is the step the failure is about
    const part = parts[lost.failedAt]!;
    const before = parts.slice(0, lost.failedAt).reduce((n, p) => n + p.statementCount, 0);
    const error = { ...result.error, position: positionWithin(text, part.start, part.script.text.length, result.error.position) };
    const failure = transactionalFailure(part.step, options.statementsOf(part.step.script), part.script, error, result.completedStatements - before);
    failure.effects = lost.effects;
    return { kind: 'failed', step: part.step, index: part.index, durationMs: share, failure };
  }
  if (result.completedStatements === 0) return { kind: 'not-run' };
  let confirmed = 0;
  const committed: typeof parts = [];
  for (const part of parts) {
    if (result.completedStatements >= confirmed + part.statementCount) {
      committed.push(part);
      confirmed += part.statementCount;
      continue;
    }
    await session.rollbackIfOpen();
    // the confirmed ones committed without waiting for their flush: flush before saying so
    await session.flush();
    const durations = committed.length > 0 ? await newestEventDurations(run.db, options.schema, committed.length) : [];
    committed.forEach((done, k) => finishStep(run, done.step, durations?.[k] ?? share, done.index));
    const error = { ...result.error, position: positionWithin(text, part.start, part.script.text.length, result.error.position) };
    const failure = transactionalFailure(part.step, options.statementsOf(part.step.script), part.script, error, result.completedStatements - confirmed);
    return { kind: 'failed', step: part.step, index: part.index, durationMs: share, failure };
  }
  // every statement of the batch was confirmed, yet an error came: report it against the last step
  await session.flush();
  for (const done of committed) finishStep(run, done.step, share, done.index);
  const last = parts.at(-1)!;
  return { kind: 'failed', step: last.step, index: last.index, durationMs: share, failure: failureFrom(last.step, [], result.error, undefined, undefined, 'the server reported an error after the last revision of the batch committed') };
}

/** A PostgreSQL position (1-based, code points) in the batch text, re-based to the part that starts at `start`; undefined outside it. */
function positionWithin(text: string, start: number, length: number, position: number | undefined): number | undefined {
  if (position === undefined) return undefined;
  const index = utf16IndexFromCodePointPosition(text, position);
  if (index < start || index > start + length) return undefined;
  return [...text.slice(start, index)].length + 1;
}

async function runTransactional(run: RunState, step: Step, index: number): Promise<StepResult> {
  const { options, session } = run;
  const statements = options.statementsOf(step.script);
  const ownTransaction = !options.singleTransaction;
  const script = transactionalScript(step, options.schema, options.actor, { ownTransaction, deferFlush: false, action: options.eventAction, lock: options.lock, timeouts: options.timeouts });
  const result = await session.run(script.text);
  if (result.ok) return result;
  if (session.isLost) {
    if (!ownTransaction) return { ok: false, failure: failureFrom(step, statements, result.error, undefined, undefined, 'the whole run was rolled back by the server when the connection ended (--single-transaction): nothing was applied') };
    const failure = transactionalFailure(step, statements, script, result.error, result.completedStatements);
    failure.effects = (await lostEffects(run, [{ step, index }], `the COMMIT of ${step.id}`)).effects;
    return { ok: false, failure };
  }
  if (ownTransaction) await session.rollbackIfOpen();
  return { ok: false, failure: transactionalFailure(step, statements, script, result.error, result.completedStatements) };
}

/** The last statement of the body that writes rows of `table` (INSERT, UPDATE, DELETE, MERGE, COPY), by its text. */
function lastWriterOf(statements: readonly ScriptStatement[], table: string | undefined): number | undefined {
  if (!table) return undefined;
  const name = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const writes = new RegExp(`\\b(into|update|from|copy)\\s+(only\\s+)?("?[\\w$]+"?\\.)?"?${name}"?(\\s|\\(|;|$)`, 'i');
  const writers = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt']);
  for (let i = statements.length - 1; i >= 0; i--) {
    if (writers.has(statements[i]!.nodeType) && writes.test(statements[i]!.text)) return i;
  }
  return undefined;
}

/**
 * The failure of one transactional script, from the statements of it the server confirmed: ours
 * before the body, then the body's own (the next one failed), then the reset and the bookkeeping.
 */
function transactionalFailure(step: Step, statements: readonly ScriptStatement[], script: TransactionalScript, error: SqlErrorInfo, completedInScript: number): Failure {
  const bodyCompleted = completedInScript - script.leadingStatements;
  const failedIndex = bodyCompleted >= 0 && bodyCompleted < statements.length ? bodyCompleted : undefined;
  const sent: SentText = { text: script.text, userStart: script.userStart, userLength: script.userLength, bodyIndex: 0 };
  // the COMMIT failing on an integrity error: a deferred constraint (DEFERRABLE INITIALLY DEFERRED,
  // or SET CONSTRAINTS ... DEFERRED) is checked only then, after the body and the bookkeeping ran
  const isDeferredCheck = script.leadingStatements > 0 && error.code.startsWith('23')
    && completedInScript === script.leadingStatements + statements.length + script.trailingStatements - 1;
  if (isDeferredCheck) {
    const writer = lastWriterOf(statements, error.table);
    const what = `a deferred constraint${error.constraint ? ` (${error.constraint}${error.table ? ` on ${error.table}` : ''})` : ''} was checked at COMMIT and failed`;
    const where = writer === undefined
      ? ''
      : `; the last statement writing to ${error.table} is statement ${writer + 1} (line ${statementLine(step, statements, writer)})`;
    return failureFrom(step, statements, error, writer === undefined ? undefined : sent, writer, `${what}${where}: ${rolledBackEffects(step, error, false)}`);
  }
  const effects = isLockLost(error)
    ? `strata's migration lock was lost while ${step.id} ran, so it was rolled back and not recorded; the run stopped. Another strata run may have started: check strata status`
    : rolledBackEffects(step, error, bodyCompleted >= statements.length, failedIndex);
  return failureFrom(step, statements, error, sent, failedIndex, effects);
}

