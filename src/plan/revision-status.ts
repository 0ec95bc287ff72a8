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
  const ids = allIds(revisions, applied);
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

/**
 * The ids of the revisions on disk and of those applied, each once, in order. Both lists come
 * sorted (the folder is read in id order, the tracking rows are read ordered by id), so this
 * merges them; a list out of order is sorted first. It runs several times on every save of
 * strata dev, where a sort of every id took a tenth of a millisecond each time.
 */
export function allIds(revisions: readonly { id: string }[], applied: readonly { id: string }[]): string[] {
  const a = sortedIds(revisions);
  const b = sortedIds(applied);
  const ids: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (ids.length === 0 || ids[ids.length - 1] !== next) ids.push(next);
  }
  return ids;
}

function sortedIds(list: readonly { id: string }[]): string[] {
  const ids = list.map((item) => item.id);
  for (let k = 1; k < ids.length; k++) if (ids[k - 1]! > ids[k]!) return ids.sort();
  return ids;
}

/** The newest applied id (ids sort in time order), or undefined when nothing is applied. */
export function newestAppliedId(applied: readonly { id: string }[]): string | undefined {
  let newest: string | undefined;
  for (const row of applied) if (newest === undefined || row.id > newest) newest = row.id;
  return newest;
}
