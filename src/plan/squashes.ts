import { problem, type Problem } from '../errors.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Revision } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';

/**
 * Which chain one database follows when the history has squashed revisions (`--! Replaces:`,
 * Django's model). Per squashed revision S, by what the database's rows say:
 * - S applied, or none of the revisions it replaces: S, like any revision.
 * - every revision it replaces applied: S counts as applied. Until the next run records it (one
 *   row for S in place of theirs, and a `squash` event), its row is made here from S's files.
 * - some of them applied: the replaced revisions themselves, while their folders are on disk (the
 *   rest are applied one by one, and then S counts as applied); without their folders, a problem
 *   that says what the database lacks and how to get it.
 * Pure.
 */
export interface DatabaseView {
  revisions: Revision[];
  applied: AppliedRevision[];
  /** squashed revisions this database applied the whole range of, not recorded as such yet */
  unrecorded: Revision[];
  problems: Problem[];
}

export function databaseView(set: RevisionSet, applied: readonly AppliedRevision[]): DatabaseView {
  const squashes = set.revisions.filter((r) => r.replaces.length > 0);
  if (squashes.length === 0) return { revisions: set.revisions, applied: [...applied], unrecorded: [], problems: [] };
  const rows = new Map(applied.map((a) => [a.id, a]));
  const expanded = new Map<string, Revision[]>();
  const unrecorded: Revision[] = [];
  const problems: Problem[] = [];
  for (const squash of squashes) {
    const done = squash.replaces.flatMap((id) => (rows.has(id) ? [rows.get(id)!] : []));
    if (done.length === 0) continue;
    if (rows.has(squash.id)) {
      // recorded already: rows of replaced revisions beside it say nothing more
      for (const row of done) rows.delete(row.id);
    } else if (done.length === squash.replaces.length) {
      for (const row of done) rows.delete(row.id);
      rows.set(squash.id, squashRow(squash, done));
      unrecorded.push(squash);
    } else if (set.replaced?.has(squash.id)) {
      expanded.set(squash.id, set.replaced.get(squash.id)!);
    } else {
      const lacking = squash.replaces.filter((id) => !rows.has(id));
      problems.push(problem('SQUASH_INCOMPLETE', {
        file: squash.up.path, revision: squash.id,
        message: `this database applied ${done.length} of the ${squash.replaces.length} revisions ${squash.id} replaces (up to ${done.at(-1)!.id}), and their folders are gone: it lacks ${lacking.join(', ')}, which only those folders hold`,
        hint: `check the replaced folders out again from the commit before they were deleted (git log --diff-filter=D --oneline -- '*/${lacking[0]}/up.sql' finds it), run strata up on this database (they finish, then ${squash.id} counts as applied), and delete them again`,
      }));
    }
  }
  const revisions = expanded.size === 0 ? set.revisions : set.revisions.flatMap((r) => expanded.get(r.id) ?? [r]);
  return { revisions, applied: [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), unrecorded, problems };
}

/** What S's row records of its files (the tracking statement adds when, by whom, how long). */
export function squashRecordOf(squash: Revision): Pick<AppliedRevision, 'id' | 'parent' | 'message' | 'tags' | 'upChecksum' | 'downChecksum' | 'downText'> {
  return {
    id: squash.id, parent: squash.parent, message: squash.message ?? null, tags: squash.tags,
    upChecksum: squash.up.checksum, downChecksum: squash.down.checksum, downText: squash.down.text,
  };
}

/** The row S gets when it is recorded in place of the rows of the revisions it replaces. */
function squashRow(squash: Revision, replaced: readonly AppliedRevision[]): AppliedRevision {
  const last = replaced.reduce((a, b) => (b.appliedAt > a.appliedAt ? b : a));
  return { ...squashRecordOf(squash), appliedAt: last.appliedAt, appliedBy: last.appliedBy, durationMs: replaced.reduce((sum, r) => sum + r.durationMs, 0) };
}
