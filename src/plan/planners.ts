import { problem } from '../errors.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Revision } from '../revision/revision.js';
import { databaseView } from './squashes.js';
import type { AppliedRevision } from './applied-revision.js';
import { planDown, planUp, type DownStep, type Plan, type PlanUpOptions, type Step, type UpStep } from './plan.js';
import { planStamp } from './plan-stamp.js';

/**
 * What each writing command plans, from the revisions on disk and the rows applied. The run
 * pipeline calls its planner twice: before the lock, to check everything while nothing is held,
 * and again under the lock, where another runner may have moved the database meanwhile.
 */
export type Planner = (set: RevisionSet, applied: readonly AppliedRevision[]) => Plan<Step>;

export const planners = {
  up: (target: string, options: PlanUpOptions): Planner => viewed((revisions, applied) => planUp(revisions, applied, target, options)),
  down: (target: string): Planner => viewed((revisions, applied) => planDown(revisions, applied, target)),
  redo: (): Planner => viewed(planRedo),
  stamp: (target: string): Planner => viewed((revisions, applied) => {
    const plan = planStamp(revisions, applied, target);
    if (!plan.ok) return plan;
    return { ok: true, steps: [...plan.stamp.map(recordAsApplied), ...plan.unstamp.map(removeRecord)] };
  }),
};

/** Plans on the chain this database follows, squashed revisions resolved (squashes.ts). */
function viewed(plan: (revisions: readonly Revision[], applied: readonly AppliedRevision[]) => Plan<Step>): Planner {
  return (set, applied) => {
    const view = databaseView(set, applied);
    return view.problems.length > 0 ? { ok: false, problems: view.problems } : plan(view.revisions, view.applied);
  };
}

/**
 * strata redo: revert the newest applied revision and apply it again from disk (the pipeline runs
 * both in one transaction when both allow it).
 */
export function planRedo(revisions: readonly Revision[], applied: readonly AppliedRevision[]): Plan<Step> {
  const down = planDown(revisions, applied, '-1');
  if (!down.ok) return down;
  const reverted = down.steps[0];
  if (!reverted) {
    return { ok: false, problems: [problem('TARGET_INVALID', { message: 'nothing is applied, so there is nothing to redo', hint: 'use strata up' })] };
  }
  const remaining = applied.filter((a) => a.id !== reverted.id);
  // not on disk: said as such, not as a target up would not find (the user gave none)
  const up = revisions.some((r) => r.id === reverted.id) ? planUp(revisions, remaining, reverted.id) : undefined;
  if (up && !up.ok) return up;
  const reapplied = up?.steps.find((s) => s.id === reverted.id);
  if (!reapplied) {
    return {
      ok: false,
      problems: [problem('APPLIED_MISSING', {
        revision: reverted.id,
        message: `${reverted.id} is not on disk, so it cannot be applied again`,
        hint: 'use strata down to revert it (with its stored down.sql)',
      })],
    };
  }
  return { ok: true, steps: [reverted, reapplied] };
}

function recordAsApplied(step: UpStep): UpStep {
  return { ...step, recordOnly: true };
}

function removeRecord(row: AppliedRevision): DownStep {
  return {
    direction: 'down', id: row.id, source: 'stored', note: undefined, applied: row, recordOnly: true,
    script: { path: `${row.id} (its record)`, text: '', body: '', bodyOffset: 0, transactional: true, revision: row.id },
  };
}
