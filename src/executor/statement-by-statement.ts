import { compile, sql } from 'pg-sql2';
import type { Database, SqlErrorInfo } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { isLockLost, lockGuardSql } from './advisory-lock.js';
import { lostEffects, type RunState, type StepResult } from './run-state.js';
import { failureFrom, partialEffects, statementLine, type Failure } from './failure.js';
import type { SentText } from './locate-error.js';
import type { Session } from './session.js';
import { ProgressWriter } from './progress-writer.js';
import { StatementEffects } from './statement-effects.js';
import { recordingStatements, SESSION_RESET, timeoutSettings } from './step-script.js';
import { givenUp, isLockTimeout, waitToRetry } from './lock-retry.js';

/**
 * What a failing statement outside a transaction block can leave although it failed: CREATE INDEX
 * CONCURRENTLY leaves its index behind, INVALID (and the next run fails on "already exists"); a DO
 * block or a procedure may COMMIT inside, keeping what it did before the error.
 */
async function leftBehind(db: Database, statement: ScriptStatement): Promise<string> {
  if (statement.label === 'CREATE INDEX CONCURRENTLY') {
    const name = concurrentIndexName(statement);
    if (!name) return '';
    const rows = await db.query<{ invalid: string }>(
      `select i.indexrelid::regclass::text as invalid from pg_index i where i.indexrelid = to_regclass($1) and not i.indisvalid`, [name]).catch(() => []);
    const invalid = rows[0]?.invalid;
    return invalid ? `; the failed CREATE INDEX CONCURRENTLY left the INVALID index ${invalid}: strata up drops it (DROP INDEX CONCURRENTLY) and builds it again when it resumes the revision` : '';
  }
  if (statement.nodeType === 'CallStmt' || (statement.nodeType === 'DoStmt' && /\b(commit|rollback)\b/i.test(statement.text))) {
    return `; a ${statement.nodeType === 'CallStmt' ? 'procedure' : 'DO block'} can COMMIT inside it: what it committed before the error took effect`;
  }
  return '';
}

/**
 * Transaction: off — each statement on its own, as psql would, so CREATE INDEX CONCURRENTLY etc.
 * can run, and the revision may group statements in BEGIN … COMMIT blocks of its own. What took
 * effect is followed from the server's reply to each statement (StatementEffects). Then the
 * session is reset and the revision recorded, in a transaction of its own: only when the session
 * is outside any block, so that the record never lands in a block of the revision's (which the
 * server would roll back with the connection).
 */
export async function runStatementByStatement(run: RunState, step: Step, index: number): Promise<StepResult> {
  const result = await runStatements(run, step, index);
  // on success the session reset cleared the timeouts; after a failure the session is still used (the failure's event)
  if (!result.ok && timeoutSettings(run.options.timeouts, 'session') !== '' && run.session.status === 'idle') {
    await run.session.run('reset lock_timeout;\nreset statement_timeout;');
  }
  return result;
}

async function runStatements(run: RunState, step: Step, index: number): Promise<StepResult> {
  const { session, options } = run;
  const statements = options.statementsOf(step.script);
  const started = performance.now();
  const fail = (error: SqlErrorInfo, effects: string, failedIndex?: number, sent?: SentText): StepResult =>
    ({ ok: false, failure: failureFrom(step, statements, error, sent, failedIndex, effects) });

  // its statements commit as they go: check the lock is still held before the first; the
  // timeouts are the session's for the revision's statements, until the session reset after them
  // and its progress is recorded from here on, for a later run to resume it (progress.ts)
  const resume = options.resume?.get(step);
  const from = resume?.from ?? 0;
  const progress = new ProgressWriter(run, step, statements, from);
  const settings = timeoutSettings(options.timeouts, 'session');
  const first = [...(options.lock ? [lockGuardSql(options.schema, options.lock)] : []), ...(settings === '' ? [] : [settings]), progress.startSql()];
  const checked = await session.run(first.join('\n'));
  const nothing = from === 0 ? 'no statement ran' : `no statement ran in this run (statements 1–${from} took effect in an earlier one)`;
  if (!checked.ok) {
    return fail(checked.error, isLockLost(checked.error)
      ? `strata's migration lock was lost before ${step.id} started: ${nothing}; the run stopped. Another strata run may have started: check strata status`
      : nothing);
  }
  if (resume?.dropsInvalidIndex && !(await dropInvalidIndex(session, statements[from]!))) {
    return fail({ ...noPosition('55000'), message: `cannot drop the INVALID index that CREATE INDEX CONCURRENTLY at statement ${from + 1} left` }, nothing, from);
  }

  const effects = new StatementEffects(statements);
  effects.tookEffectBefore(from);
  let attempt = 1;
  for (let i = from; i < statements.length; i++) {
    const statement = statements[i]!;
    const before = session.status!;
    const result = await session.run(statement.text);
    const sent: SentText = { text: statement.text, userStart: 0, userLength: statement.text.length, bodyIndex: statement.start };
    if (!result.ok) {
      if (session.isLost) {
        // the server rolls back an open block when the connection ends; a statement outside one may
        // have committed, unless the server said it ended the session before the statement completed
        effects.rollBackOpenBlock();
        const isAborted = result.error.code.startsWith('57P0') && result.completedStatements === 0;
        const unknown = before === 'idle' && !isAborted ? `; whether statement ${i + 1} (line ${statementLine(step, statements, i)}) took effect is unknown: it was running when the connection was lost` : '';
        const resumesAt = unknown === '' ? await progress.failedElsewhere(i, result.error) : undefined;
        const leftovers = isAborted && before === 'idle' && concurrentIndexName(statement) ? '; a CREATE INDEX CONCURRENTLY stopped part way leaves an INVALID index, which the resume drops and builds again' : '';
        return fail(result.error, partialEffects(step, statements, effects, unknown + leftovers, resumesAt), i, sent);
      }
      const opener = effects.opener;
      effects.failed(i, before, result.status);
      await session.rollbackIfOpen();
      const timeouts = options.timeouts;
      if (isLockTimeout(result.error.code) && timeouts && attempt <= timeouts.retries && session.status === 'idle') {
        // only this statement (or the block it was in) was undone: it goes again from there, after
        // the INVALID index a CREATE INDEX CONCURRENTLY may have left is dropped
        const dropped = before === 'idle' ? await dropInvalidIndex(session, statement) : true;
        if (dropped) {
          if (!(await waitToRetry(run, step, failureFrom(step, statements, result.error, sent, i, ''), attempt))) {
            const resumesAt = await progress.failed(i, result.error);
            return fail(result.error, partialEffects(step, statements, effects, '; the run was asked to stop while it waited to try again', resumesAt), i, sent);
          }
          attempt++;
          i = (before === 'idle' ? i : opener ?? i) - 1;
          continue;
        }
      }
      const leftovers = before === 'idle' ? await leftBehind(session.db, statement) : '';
      const resumesAt = await progress.failed(i, result.error);
      const failed = fail(result.error, partialEffects(step, statements, effects, leftovers, resumesAt), i, sent);
      if (!failed.ok && isLockTimeout(result.error.code) && timeouts) failed.failure = givenUp(failed.failure, attempt, timeouts);
      return failed;
    }
    if (result.commands.length !== 1) {
      // strata counted one statement where the server ran several (or none): their effects are not known statement by statement
      await session.rollbackIfOpen();
      return fail(divergence(statement, result.commands), `${partialEffects(step, statements, effects)}; statement ${i + 1} ran as the server read it`, i, sent);
    }
    effects.completed(i, result.commands[0]!, before, result.status!);
    if (session.status === 'idle') {
      const advanced = await progress.advance(i);
      if (!advanced.ok) {
        // the progress goes through the lock's connection: when that ended, the lock is lost, and the guard says so
        const guard = options.lock ? await session.run(lockGuardSql(options.schema, options.lock)) : undefined;
        const lost = guard && !guard.ok && isLockLost(guard.error) ? guard.error : undefined;
        const why = lost ? `; strata's migration lock was lost while ${step.id} ran, so the run stopped (another strata run may have started: check strata status)` : '';
        return fail(lost ?? advanced.error, partialEffects(step, statements, effects, `${why}; recording that statement ${i + 1} took effect failed, so the next run asks what became of it before it resumes`), undefined);
      }
    }
  }

  if (session.status !== 'idle') {
    const opener = effects.opener;
    await session.rollbackIfOpen();
    effects.rollBackOpenBlock();
    const line = opener !== undefined ? statementLine(step, statements, opener) : undefined;
    const error: SqlErrorInfo = {
      code: '25001', severity: 'ERROR',
      message: `${step.id} ends inside a transaction block${line !== undefined ? ` (opened by the ${statements[opener!]!.label} at line ${line})` : ''}: its COMMIT is missing`,
      hint: 'end the block with COMMIT (or ROLLBACK) in the revision; strata records a revision only outside any transaction block',
      detail: undefined, position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined,
    };
    const openerSent = opener !== undefined ? { text: statements[opener]!.text, userStart: 0, userLength: statements[opener]!.text.length, bodyIndex: statements[opener]!.start } : undefined;
    const resumesAt = await progress.failed(opener ?? statements.length - 1, error);
    return fail(error, partialEffects(step, statements, effects, '; strata rolled back the open block rather than record the revision inside it', resumesAt), opener, openerSent);
  }

  const everything = 'every statement took effect';
  const reset = await session.run(SESSION_RESET);
  if (!reset.ok) return fail(reset.error, `${everything}, but resetting the session before recording it failed; ${notRecorded(step)}`);
  const recording = recordingStatements(step, options.schema, options.actor, options.lock, { action: options.eventAction, durationMs: performance.now() - started });
  // the progress goes with the record, in one transaction (a message of several statements is one)
  const recorded = await session.run(`${recording}\n${progress.clearSql()}`);
  if (recorded.ok) return { ok: true, attempts: attempt };
  let failure: Failure;
  if (session.isLost) {
    failure = failureFrom(step, statements, recorded.error, undefined, undefined, '');
    failure.effects = `${everything}; ${(await lostEffects(run, [{ step, index }], `the record of ${step.id}`)).effects}`;
  } else if (isLockLost(recorded.error)) {
    failure = failureFrom(step, statements, recorded.error, undefined, undefined,
      `${everything}, but strata's migration lock was lost while it ran, so it was not recorded: another strata run may be running it too. Check strata status; ${notRecorded(step)}`);
  } else {
    failure = failureFrom(step, statements, recorded.error, undefined, undefined,
      `${everything}, but recording the revision failed (${Math.round(performance.now() - started)} ms); ${notRecorded(step)}`);
  }
  return { ok: false, failure };
}

/** The name of the index a CREATE INDEX CONCURRENTLY statement creates, as written; undefined for other statements. */
export function concurrentIndexName(statement: ScriptStatement): string | undefined {
  if (statement.label !== 'CREATE INDEX CONCURRENTLY') return undefined;
  return /^\s*create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i.exec(statement.text)?.[1];
}

/**
 * Drops the INVALID index a failed CREATE INDEX CONCURRENTLY left, so that it can run again; true
 * when there is nothing in the way (another statement, no such index, or it is gone now).
 */
export async function dropInvalidIndex(session: Session, statement: ScriptStatement): Promise<boolean> {
  const name = concurrentIndexName(statement);
  if (!name) return true;
  const rows = await session.db.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where i.indexrelid = to_regclass($1) and not i.indisvalid`, [name]).catch(() => undefined);
  if (!rows) return false;
  if (rows.length === 0) return true;
  const dropped = await session.run(compile(sql`drop index concurrently if exists ${sql.identifier(rows[0]!.schema, rows[0]!.name)};`).text);
  return dropped.ok;
}

function notRecorded(step: Step): string {
  return step.direction === 'up'
    ? `strata status will show ${step.id} as not applied — use strata stamp once the cause is fixed`
    : `${step.id} is still recorded as applied — use strata stamp to remove the record once the cause is fixed`;
}

function noPosition(code: string): SqlErrorInfo {
  return { code, severity: 'ERROR', message: '', detail: undefined, hint: undefined, position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined };
}

function divergence(statement: ScriptStatement, commands: readonly string[]): SqlErrorInfo {
  return {
    code: 'XX000', severity: 'ERROR',
    message: `the server ran ${commands.length} statements (${commands.join(', ')}) for the one strata sent (${statement.label})`,
    hint: 'strata splits revisions with standard_conforming_strings on and UTF-8; something made the server read this statement otherwise',
    detail: undefined, position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined,
  };
}
