import type { SqlErrorInfo } from '../db/database.js';
import type { Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import { lineColumnAt, renderCodeFrame } from '../text/source-position.js';
import { locateError, type SentText } from './locate-error.js';
import { describeStatements, type StatementEffects } from './statement-effects.js';

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
  /** how often the revision was tried: more than 1 after lock timeouts with --retries */
  attempts: number;
}

export function failureFrom(
  step: Step,
  statements: readonly ScriptStatement[],
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
      ? { index: statementIndex, count: statements.length, label: statement.label, line: statementLine(step, statements, statementIndex) }
      : undefined,
    codeFrame: location ? renderCodeFrame(script.text, location.line, location.column) : undefined,
    effects,
    attempts: 1,
  };
}

export function statementLine(step: Step, statements: readonly ScriptStatement[], index: number): number {
  return lineColumnAt(step.script.text, step.script.bodyOffset + statements[index]!.start).line;
}

/** SQLSTATEs of an object that does not exist: a down.sql that fails on one may meet a schema that already lacks it. */
const UNDEFINED_OBJECT = new Set(['42P01', '42704', '42883', '3F000', '42703', '42P02']);

/** SQLSTATEs of an object that exists already (duplicate table, object, column, function, schema) */
const ALREADY_THERE = new Set(['42P07', '42710', '42701', '42723', '42P06']);

/**
 * What a rolled-back step left: for an up step, the database before it; for a down step, the
 * revision still applied (and, when its down.sql trips over something already gone, how to record
 * the revert without running it).
 */
export function rolledBackEffects(step: Step, error: SqlErrorInfo | undefined, isBookkeeping: boolean, failedIndex?: number): string {
  if (step.direction === 'up') {
    if (isBookkeeping) return 'the SQL ran, but recording it failed, so the revision was rolled back and is not recorded';
    const rolledBack = `the revision was rolled back; the database is as it was before ${step.id}`;
    // its first statement meets what it makes there already: made by hand, or its record deleted
    // (a later one may meet what an earlier statement of its own made)
    return error && ALREADY_THERE.has(error.code) && failedIndex === 0
      ? `${rolledBack}. If what ${step.id} makes is already there (made by hand, or its record removed?), record it as applied without running its up.sql: strata stamp ${step.id}`
      : rolledBack;
  }
  const still = isBookkeeping
    ? `its down.sql ran, but removing its record failed, so it was rolled back: nothing was reverted; still at ${step.id}`
    : `nothing was reverted; still at ${step.id}`;
  if (error && UNDEFINED_OBJECT.has(error.code)) {
    // what it drops is not there: forgetting the record is the one way on, whichever copy ran
    return `${still}${storedCopyFact(step)}. If what ${step.id} created is already gone (dropped by hand?), record the revert without running its down.sql: strata stamp -1`;
  }
  return `${still}${storedCopyNote(step)}`;
}

/**
 * A down step that ran the down.sql stored when its revision was applied: editing down.sql on disk
 * does not change what reverts it, which a developer who just fixed that file needs to be told.
 */
export function storedCopyNote(step: Step): string {
  const fact = storedCopyFact(step);
  return fact === '' ? '' : `${fact}: make the database accept it, or undo ${step.id} by hand and remove its record with strata stamp -1`;
}

function storedCopyFact(step: Step): string {
  if (step.direction !== 'down' || step.source !== 'stored') return '';
  return `. The down.sql that ran is the copy stored when ${step.id} was applied (its up.sql was edited since, or its folder is gone), so editing down.sql on disk does not change it`;
}

/**
 * What a Transaction: off step left, from the server's account of each statement: which took
 * effect, which were rolled back with the transaction block they were in, and that the step is
 * not recorded (or, for a down step, still recorded).
 */
export function partialEffects(step: Step, statements: readonly ScriptStatement[], effects: StatementEffects, extra = '', resumesAt?: number): string {
  const line = (index: number) => statementLine(step, statements, index);
  const took = effects.indexesWith('took-effect');
  const undone = effects.indexesWith('rolled-back');
  const prepared = effects.indexesWith('prepared');
  const parts = [took.length === 0
    ? 'no statement took effect'
    : `${describeStatements(took, statements.length, line)} already took effect and ${took.length === 1 ? 'was' : 'were'} not undone`];
  if (undone.length > 0) parts.push(`${describeStatements(undone, statements.length, line)}, in a transaction block, ${undone.length === 1 ? 'was' : 'were'} rolled back`);
  if (prepared.length > 0) parts.push(`${describeStatements(prepared, statements.length, line)} ${prepared.length === 1 ? 'is' : 'are'} in a prepared transaction (PREPARE TRANSACTION), neither committed nor rolled back`);
  const command = step.direction === 'down' ? 'strata down' : 'strata up';
  const resume = resumesAt === undefined
    ? ''
    : resumesAt === 1
      ? `; ${command} runs it from statement 1 again once the cause is fixed`
      : `; ${command} resumes it at statement ${resumesAt} once the cause is fixed, after checking that ${resumesAt === 2 ? 'statement 1 is unchanged (it is' : `statements 1–${resumesAt - 1} are unchanged (they are`} not run again)`;
  const record = step.direction === 'down'
    ? `the revision is still recorded as applied${resume || ' — fix down.sql, make it safe to re-run, and run strata down again'}`
    : `this Transaction: off revision is not recorded${resume || ' — fix the SQL, make it safe to re-run, and run again'}`;
  return `${parts.join('; ')}${extra}; ${record}`;
}
