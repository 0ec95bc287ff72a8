import type { Problem } from '../errors.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { planUp } from '../plan/plan.js';
import { computeStatus } from '../plan/revision-status.js';
import { matchesRecorded } from '../revision/checksums.js';
import type { Revision } from '../revision/revision.js';

/** What `strata dev` does next, given the revisions on disk and those applied. Pure. */
export type DevStep =
  /** the files match what is applied */
  | { kind: 'none' }
  /** applied revisions after the newest one still on disk lost their folders while dev watched: revert them (stored down.sql) */
  | { kind: 'revert-deleted'; ids: string[]; target: string }
  /** applied revisions are missing on disk in a way dev does not repair by itself */
  | { kind: 'invalid'; problems: Problem[] }
  /** revisions on disk not applied yet (a new folder): apply them as `up` does */
  | { kind: 'apply-pending'; ids: string[] }
  /** the newest revision changed since it was applied: revert it and apply it again, in one transaction */
  | { kind: 'reapply'; id: string; changed: 'up' | 'down' | 'up and down'; isTransactional: boolean }
  /** an applied revision that is not the newest had its up.sql edited: dev does not re-apply it, and nothing can be applied while it differs */
  | { kind: 'older-edited'; revisions: OlderEdit[] };

export interface OlderEdit {
  id: string;
  /** up.sql or down.sql, as printed */
  file: string;
  parent: string;
  /** true when up.sql changed (nothing can be applied until it is restored); false for a down.sql-only change */
  isBlocking: boolean;
  /** the git command that restores the committed file, when git has one (filled in by the dev loop, which does I/O) */
  restoreCommand?: string | undefined;
}

/**
 * Applied revisions, other than the newest, whose down.sql changed in this save. Nothing runs for
 * them (a later down uses the new file); dev says so once.
 */
export function olderDownEdits(revisions: readonly Revision[], applied: readonly AppliedRevision[], changedIds: ReadonlySet<string>): OlderEdit[] {
  const head = revisions.at(-1);
  return computeStatus(revisions, applied)
    .filter((s) => s.isDownEdited && changedIds.has(s.id) && s.id !== head?.id)
    .map((s) => ({ id: s.id, file: s.revision!.down.path, parent: s.revision!.parent, isBlocking: false }));
}

export interface DevStepContext {
  /** revisions that were on disk at the previous run: only a folder deleted while dev watched is reverted by itself */
  previousIds: ReadonlySet<string>;
}

export function decideDevStep(revisions: readonly Revision[], applied: readonly AppliedRevision[], context: DevStepContext): DevStep {
  const statuses = computeStatus(revisions, applied);
  const lastKept = statuses.filter((s) => s.applied && s.revision).at(-1)?.id;
  const missing = statuses.filter((s) => s.state === 'missing').map((s) => s.id);
  if (missing.length > 0) {
    // Never at startup, and never in the middle of the history: a wrong --dir or a half-finished
    // checkout must not revert a database by itself.
    if (missing.every((id) => (lastKept === undefined || id > lastKept) && context.previousIds.has(id))) {
      return { kind: 'revert-deleted', ids: missing, target: lastKept ?? 'base' };
    }
    const plan = planUp(revisions, applied, 'head');
    if (!plan.ok) return { kind: 'invalid', problems: plan.problems };
  }

  const head = revisions.at(-1);
  const newestApplied = applied.at(-1);
  const isHeadApplied = head !== undefined && newestApplied?.id === head.id;
  const edited = statuses.filter((s) => s.state === 'edited' && !(isHeadApplied && s.id === head.id));
  if (edited.length > 0) {
    return {
      kind: 'older-edited',
      revisions: edited.map((s) => ({ id: s.id, file: s.revision!.up.path, parent: s.revision!.parent, isBlocking: true })),
    };
  }

  const pending = statuses.filter((s) => s.state === 'pending').map((s) => s.id);
  if (pending.length > 0) return { kind: 'apply-pending', ids: pending };

  if (isHeadApplied) {
    const upChanged = !matchesRecorded(head.up, newestApplied.upChecksum);
    const downChanged = !matchesRecorded(head.down, newestApplied.downChecksum);
    if (upChanged || downChanged) {
      return {
        kind: 'reapply', id: head.id,
        changed: upChanged && downChanged ? 'up and down' : upChanged ? 'up' : 'down',
        isTransactional: head.transactional && head.down.transactional,
      };
    }
  }
  return { kind: 'none' };
}

/**
 * Problems that only mean a new revision is still being written (`strata new` creates the folder,
 * then up.sql, then down.sql; an editor may save up.sql before the SQL is in): wait quietly.
 */
export function isStillBeingWritten(problems: readonly Problem[], applied: readonly AppliedRevision[]): boolean {
  if (problems.length === 0) return false;
  const appliedIds = new Set(applied.map((a) => a.id));
  return problems.every((p) => {
    if (p.code !== 'FILE_MISSING' && p.code !== 'SQL_EMPTY') return false;
    return p.revision !== undefined && !appliedIds.has(p.revision);
  });
}

export { hasNoSql } from '../plan/plan.js';
