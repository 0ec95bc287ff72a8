import type { Problem } from '../errors.js';
import type { Revision } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';
import { newestApplied, planUp, targetUniverse, type UpStep } from './plan.js';
import { resolveTarget } from './targets.js';

export type StampPlan =
  /** `stamp`: revisions to record as applied, in order; `unstamp`: records to remove, newest first. One of them is empty. */
  | { ok: true; stamp: UpStep[]; unstamp: AppliedRevision[] }
  | { ok: false; problems: Problem[] };

/**
 * What `strata stamp <target>` records or forgets, without running any SQL. A target after the
 * current revision (head, +N, a pending id or tag) records the pending revisions up to it, with
 * the same checks as `up`; a target at or before it (base, -N, an applied id or tag) removes the
 * records after it, newest first.
 */
export function planStamp(revisions: readonly Revision[], applied: readonly AppliedRevision[], targetText: string): StampPlan {
  const appliedInOrder = [...applied].sort((a, b) => (a.id < b.id ? -1 : 1));
  const resolved = resolveTarget(targetText, targetUniverse(revisions, applied));
  if (!resolved.ok) return { ok: false, problems: [resolved.problem] };
  const target = resolved.target;
  const stampUpTo = (text: string): StampPlan => {
    const up = planUp(revisions, applied, text);
    return up.ok ? { ok: true, stamp: up.steps, unstamp: [] } : up;
  };
  const unstampAfter = (rows: AppliedRevision[]): StampPlan => ({ ok: true, stamp: [], unstamp: rows.reverse() });
  switch (target.kind) {
    case 'head':
      return stampUpTo('head');
    case 'base':
      return unstampAfter(appliedInOrder);
    case 'relative':
      if (target.steps > 0) return stampUpTo(targetText);
      {
        const newest = newestApplied(appliedInOrder, -target.steps, targetText, 'unstamp', 'strata stamp base');
        return newest.ok ? unstampAfter(newest.rows) : newest;
      }
    case 'revision':
      if (appliedInOrder.some((a) => a.id === target.id)) return unstampAfter(appliedInOrder.filter((a) => a.id > target.id));
      return stampUpTo(target.id);
  }
}
