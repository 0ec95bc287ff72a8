import { matchesRecorded } from '../revision/checksums.js';
import type { Revision } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';

export type RevisionState = 'applied' | 'pending' | 'edited' | 'missing';

export interface RevisionStatus {
  id: string;
  state: RevisionState;
  message: string | null;
  tags: string[];
  /** applied revisions only */
  appliedAt: Date | null;
  /** applied and on disk, up.sql unchanged, but down.sql differs from the stored copy */
  isDownEdited: boolean;
  revision: Revision | undefined;
  applied: AppliedRevision | undefined;
}

/** Every revision on disk or applied, in id order, with its state. */
export function computeStatus(revisions: readonly Revision[], applied: readonly AppliedRevision[]): RevisionStatus[] {
  const appliedById = new Map(applied.map((row) => [row.id, row]));
  const onDisk = new Map(revisions.map((r) => [r.id, r]));
  const ids = [...new Set([...onDisk.keys(), ...appliedById.keys()])].sort();
  return ids.map((id) => {
    const revision = onDisk.get(id);
    const row = appliedById.get(id);
    const state: RevisionState = !row ? 'pending' : !revision ? 'missing' : !matchesRecorded(revision.up, row.upChecksum) ? 'edited' : 'applied';
    return {
      id,
      state,
      message: revision?.message ?? row?.message ?? null,
      tags: revision?.tags ?? row?.tags ?? [],
      appliedAt: row?.appliedAt ?? null,
      isDownEdited: state === 'applied' && !matchesRecorded(revision!.down, row!.downChecksum),
      revision,
      applied: row,
    };
  });
}
