import path from 'node:path';
import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { readApplied } from '../db/tracking.js';
import type { Problem } from '../errors.js';
import type { StepOutcome } from '../executor/execute-steps.js';
import { runPipeline, type RunReport } from '../executor/run.js';
import { storedCopyNote } from '../executor/failure.js';
import { planners } from '../plan/planners.js';
import type { DevEventListener } from './dev-events.js';
import { gitRestoreCommand } from '../project/git-restore.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { withoutBom } from '../revision/parse-header.js';
import { attachCodeFrames } from '../text/source-position.js';
import type { DevRunResult } from './dev-events.js';
import { hasNoSql, isStillBeingWritten, type DevStep } from './dev-step.js';
import type { FolderReading } from './read-folder.js';
import type { RevertCheck, RevertFindings } from './revert-check.js';

/** What one action of a run works with: the revisions read, what is applied, where to say what. */
export interface ActionContext {
  db: Database;
  config: StrataConfig;
  set: RevisionSet;
  tracking: Awaited<ReturnType<typeof readApplied>>;
  /** the run pipeline's events worth showing in dev */
  forward: DevEventListener;
  emit: DevEventListener;
  isStopping: () => boolean;
  /** the revision whose up.sql must have SQL before it is applied (the one being written), if any */
  awaitSqlIn: string | undefined;
  /** whether each revert gives back the schema from before the apply it undoes */
  revertCheck: RevertCheck;
}

/** Carries out the step decideDevStep chose, through the run pipeline. */
export async function runDevStep(step: Exclude<DevStep, { kind: 'none' }>, context: ActionContext): Promise<DevRunResult> {
  const { config, set } = context;
  switch (step.kind) {
    case 'invalid':
      return { status: 'invalid', problems: step.problems, codeFrames: step.problems.map((p) => p.codeFrame ?? null) };
    case 'older-edited':
      return {
        status: 'not-reapplied',
        revisions: step.revisions.map((r) => (r.isBlocking ? { ...r, restoreCommand: gitRestoreCommand(config.cwd, r.file) } : r)),
        head: set.revisions.at(-1)?.id ?? null,
      };
    case 'revert-deleted':
      return revertDeleted(step, context);
    case 'apply-pending':
      return applyPending(context);
    case 'reapply':
      return revertAndApply(step, context);
  }
}

/** Folders deleted while dev watched: their stored down.sql reverts them. */
async function revertDeleted(step: Extract<DevStep, { kind: 'revert-deleted' }>, context: ActionContext): Promise<DevRunResult> {
  const { db, config, set, tracking, forward, isStopping } = context;
  context.revertCheck.forget();
  const report = await runPipeline(db, config, { command: 'down', planner: planners.down(step.target), revisions: set, justRead: tracking }, forward);
  return fromReport(report, (steps) => ({ status: 'reverted', ids: step.ids, now: step.target, steps }), isStopping);
}

/** New folders (or, at startup, everything pending): applied as `up` does. */
async function applyPending(context: ActionContext): Promise<DevRunResult> {
  const { db, config, set, tracking, forward, isStopping, awaitSqlIn } = context;
  const planned = planners.up('head', {})(set, tracking.applied);
  const ids = planned.ok ? planned.steps.map((s) => s.id) : [];
  await context.revertCheck.beforeApplying(db, ids);
  const check = ids.length === 1 ? context.revertCheck.hooksFor(db, ids[0]!, undefined) : undefined;
  const report = await runPipeline(db, config, { command: 'up', planner: planners.up('head', {}), options: { awaitSqlIn, afterRun: check?.afterRun }, revisions: set, justRead: tracking }, forward);
  if (!report.ok && report.reason === 'invalid' && isStillBeingWritten(report.problems, [])) return waitingResult(report.problems);
  if (check) sayFindings(ids[0]!, check.findings(), context);
  return fromReport(report, (steps) => ({ status: 'applied', ids: steps.map((s) => s.id), steps }), isStopping);
}

/** The newest revision changed: revert the applied version and apply the new one, in one transaction when both allow it. */
async function revertAndApply(step: Extract<DevStep, { kind: 'reapply' }>, context: ActionContext): Promise<DevRunResult> {
  const { db, config, set, tracking, forward, emit, isStopping, awaitSqlIn } = context;
  if (!step.isTransactional) {
    emit({
      type: 'dev-warning',
      message: `${step.id} has 'Transaction: off': it is reverted and applied again statement by statement, so a failure can leave partial effects`,
    });
  }
  const planner = planners.redo();
  const plan = planner(set, tracking.applied);
  const revert = plan.ok ? plan.steps[0] : undefined;
  if (revert?.direction === 'down' && hasNoSql(revert.script.body)) {
    emit({
      type: 'dev-warning',
      message: `${step.id}: the down.sql that reverts the applied version has no SQL, so that version stays in place and applying up.sql again can fail on its own objects ("already exists"); write down.sql (how to undo up.sql) and save it`,
    });
  }
  const check = context.revertCheck.hooksFor(db, step.id, revert?.direction === 'down' ? revert.script.body : undefined);
  const report = await runPipeline(db, config, {
    command: 'dev', planner, revisions: set, justRead: tracking,
    options: { singleTransaction: 'when-possible', awaitSqlIn, afterStep: check.afterStep, afterRun: check.afterRun },
  }, forward);
  sayFindings(step.id, check.findings(), context);
  const result = fromReport(report, (steps) => ({ status: 're-applied', id: step.id, changed: step.changed, steps }), isStopping);
  if (result.status === 'failed' && step.isTransactional && result.steps.length === 0) {
    const storedDown = result.failure.direction === 'down' && revert ? storedCopyNote(revert) : '';
    result.failure.effects = `rolled back: the database still has the version of ${step.id} that was applied before this save${storedDown}`;
  }
  return result;
}

/** What the revert check found, as warnings: before the run's own line. */
function sayFindings(id: string, findings: RevertFindings | undefined, { emit }: ActionContext): void {
  if (!findings) return;
  if (findings.differences.length > 0) {
    emit({ type: 'dev-warning', message: `${id}: down.sql did not undo up.sql (compared with the schema before it was applied): ${findings.differences.join('; ')}` });
  }
  if (findings.failure) emit({ type: 'dev-warning', message: `${id}: ${findings.failure}` });
}

function fromReport(report: RunReport, ok: (steps: StepOutcome[]) => DevRunResult, isStopping: () => boolean): DevRunResult {
  if (report.ok) return ok(report.steps);
  if (report.reason === 'interrupted') return ok(report.steps);
  if (report.reason !== 'failed') return { status: 'invalid', problems: report.problems, codeFrames: report.problems.map((p) => p.codeFrame ?? null) };
  return { status: 'failed', failure: report.failure, steps: report.steps, wasInterrupted: isStopping() && report.failure.sqlstate === '57014' };
}

/** Each problem with a line and column gets the lines around it with a caret, from the bytes this run read. */
export function invalidResult(problems: Problem[], reading: FolderReading, config: StrataConfig): DevRunResult {
  const framed = attachCodeFrames(problems, (file) => {
    const stamp = reading.files.get(path.resolve(config.cwd, file));
    return stamp && withoutBom(Buffer.from(stamp.bytes).toString('utf8'));
  });
  return { status: 'invalid', problems: framed, codeFrames: framed.map((p) => p.codeFrame ?? null) };
}

/** `problems` passed isStillBeingWritten: each names the revision being written. */
export function waitingResult(problems: Problem[]): DevRunResult {
  const id = problems.find((p) => p.revision !== undefined)?.revision ?? '';
  return { status: 'waiting', id, problems };
}
