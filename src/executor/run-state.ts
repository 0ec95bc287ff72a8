import type { Database } from '../db/database.js';
import type { Script, Step } from '../plan/plan.js';
import type { ScriptStatement } from '../sql/split-statements.js';
import type { LockGuard } from './advisory-lock.js';
import type { DdlTimeouts } from '../config.js';
import type { Failure } from './failure.js';
import type { LockRetry } from './lock-retry.js';
import type { ResumePoint } from './resume.js';
import { settleLostSteps } from './lost-connection.js';
import type { Session } from './session.js';
import { eventActionOf, runsInTransaction } from './step-script.js';

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
  /** strata stamp: only recorded (or its record removed); no SQL of the revision ran */
  recordOnly?: true;
  /** how often it was tried: more than 1 after lock timeouts with --retries */
  attempts: number;
}

export interface ExecutionEvents {
  stepStarted?(step: Step, index: number, total: number): void;
  stepFinished?(outcome: StepOutcome, index: number, total: number): void;
  /** a statement of the step gave up waiting for a lock; the run waits `retry.waitMs` and tries again */
  lockRetry?(retry: LockRetry): void;
}

export interface ExecuteOptions {
  schema: string;
  actor: string;
  singleTransaction: boolean;
  /** record events as this action instead of up/down (strata dev) */
  eventAction?: 'dev' | undefined;
  /** statements of each script, from the check before anything ran */
  statementsOf(script: Script): readonly ScriptStatement[];
  events?: ExecutionEvents;
  /** when aborted, the run stops at the next step boundary (never inside a step) */
  signal?: AbortSignal | undefined;
  /** how each bookkeeping statement checks that the run still holds its lock; none where no other session can run */
  lock?: LockGuard | undefined;
  /**
   * Awaited after a step and before the next one starts: after its commit, or inside the run's
   * one transaction with --single-transaction (strata dev's re-apply), where what the hook reads
   * on the run's connection sees the step's uncommitted work. E.g. to snapshot the schema between
   * a revert and the re-apply. Every step then goes to the server alone.
   */
  afterStep?: ((done: Step, next: Step) => Promise<void>) | undefined;
  /**
   * About how much work (ms, estimated from the steps already run) one message of batched steps
   * may carry: what the server may still finish after the client died. Default BATCH_BUDGET_MS.
   */
  batchBudgetMs?: number | undefined;
  /** partly applied Transaction: off steps (resume.ts): where each starts */
  resume?: ReadonlyMap<Step, ResumePoint> | undefined;
  /** lock_timeout and statement_timeout for the revisions' SQL, and how often a lock timeout is retried */
  timeouts?: DdlTimeouts | undefined;
}

/** One run: the connection, what the server said about it, and what was applied so far. */
export interface RunState {
  db: Database;
  session: Session;
  options: ExecuteOptions;
  steps: readonly Step[];
  outcomes: StepOutcome[];
  /** the connection's server process and the newest event before the run: to find out what a lost connection left */
  pid: number;
  watermark: number;
}

/** `attempts`: how often a Transaction: off step met a lock timeout and tried again, plus one */
export type StepResult = { ok: true; attempts?: number } | { ok: false; failure: Failure };

export function finishStep(run: RunState, step: Step, durationMs: number, index: number, attempts = 1): void {
  const outcome: StepOutcome = {
    id: step.id, direction: step.direction, durationMs, transactional: runsInTransaction(step), attempts,
    statementCount: run.options.statementsOf(step.script).length,
    ...(step.direction === 'down' && !step.recordOnly ? { source: step.source, ...(step.note ? { note: step.note } : {}) } : {}),
    ...(step.recordOnly ? { recordOnly: true as const } : {}),
  };
  run.outcomes.push(outcome);
  run.options.events?.stepFinished?.(outcome, index, run.steps.length);
}

/**
 * What to say when the connection dropped with `sent` in flight: whatever strata saw of the
 * replies, each step may or may not have committed, so a new session reads what is recorded.
 * The steps found done are reported applied (they are durable: the check flushes first).
 * `failedAt` is the one of `sent` the failure is about: the first not done, else the last.
 */
export async function lostEffects(run: RunState, sent: ReadonlyArray<{ step: Step; index: number }>, what: string, durationMs = 0): Promise<{ effects: string; failedAt: number }> {
  const { options } = run;
  const action = (step: Step) => eventActionOf(step, options.eventAction);
  const outcome = await settleLostSteps(run.db, run.pid, options.schema, run.watermark, sent.map((s) => s.step), action);
  if (!outcome.known) {
    return {
      failedAt: 0,
      effects: `the connection was lost after strata sent ${what}, so whether ${sent.length === 1 ? 'it' : 'they'} committed is unknown (${outcome.reason}); ` +
        'every revision reported above as done is durable; check strata status before running again',
    };
  }
  const done = sent.filter((_, k) => outcome.done[k]);
  for (const s of done) finishStep(run, s.step, durationMs, s.index);
  const checked = `strata reconnected and read ${options.schema}.events`;
  const firstNotDone = outcome.done.indexOf(false);
  if (firstNotDone === -1) {
    const last = sent.at(-1)!.step;
    const verb = last.direction === 'up' ? 'applied and recorded' : 'reverted and its record removed';
    return {
      failedAt: sent.length - 1,
      effects: `the connection was lost after strata sent ${what}; ${checked}: ${sent.length === 1 ? `${last.id} is ${verb}` : `all ${sent.length} are done`}. The run stopped there`,
    };
  }
  const first = sent[firstNotDone]!.step;
  const where = first.direction === 'up' ? `the database is as it was before ${first.id}` : `nothing of it was reverted; still at ${first.id}`;
  return {
    failedAt: firstNotDone,
    effects: `the connection was lost after strata sent ${what}; ${checked}: ${done.length > 0 ? `${done.length === 1 ? done[0]!.step.id : `${done.length} of them`} committed, ` : ''}` +
      `${first.id} is not recorded, so it was rolled back: ${where}`,
  };
}
