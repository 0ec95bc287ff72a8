import type { Revision } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';
import { computeStatus, newestAppliedId, type RevisionState } from './revision-status.js';

/** One revision of the chain, as `strata history` shows it. */
export interface HistoryEntry {
  id: string;
  /** the previous revision, or 'base' */
  parent: string;
  message: string | null;
  tags: string[];
  /** null when the applied state could not be read */
  state: RevisionState | null;
  /** the newest applied revision */
  isCurrent: boolean;
  /** no revision claims it as its parent: the end of a branch (more than one only after a merge fork) */
  isHead: boolean;
  /** more than one revision claims it as their parent */
  isBranchPoint: boolean;
  /** ISO 8601, UTC; null when not applied */
  appliedAt: string | null;
}

/**
 * The revision chain newest first, as Alembic's `history` lists it (parent -> id), with each
 * revision's state; revisions applied but gone from disk are listed from their tracking rows.
 * `applied` undefined: the database could not be read, so no state is claimed.
 */
export function listHistory(revisions: readonly Revision[], applied: readonly AppliedRevision[] | undefined): HistoryEntry[] {
  const statuses = computeStatus(revisions, applied ?? []);
  const parentOf = (s: (typeof statuses)[number]) => s.revision?.parent ?? s.applied!.parent;
  const children = new Map<string, number>();
  for (const s of statuses) children.set(parentOf(s), (children.get(parentOf(s)) ?? 0) + 1);
  const current = applied && newestAppliedId(applied);
  return statuses.reverse().map((s) => ({
    id: s.id,
    parent: parentOf(s),
    message: s.message,
    tags: s.tags,
    state: applied ? s.state : null,
    isCurrent: s.id === current,
    isHead: s.revision !== undefined && !children.has(s.id),
    isBranchPoint: (children.get(s.id) ?? 0) > 1,
    appliedAt: s.appliedAt?.toISOString() ?? null,
  }));
}
