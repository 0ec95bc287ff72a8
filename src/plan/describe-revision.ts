import { matchesRecorded } from '../revision/checksums.js';
import { problem, type Problem } from '../errors.js';
import { parseDownFile } from '../revision/parse-header.js';
import type { Revision } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';
import { targetUniverse } from './plan.js';
import { computeStatus, newestAppliedId, type RevisionState } from './revision-status.js';
import { resolveTarget } from './targets.js';

export interface RevisionFileDetails {
  path: string;
  /** sha-256 (hex) of the body, header excluded: what `up` records */
  checksum: string;
  transactional: boolean;
}

export interface AppliedDetails {
  /** ISO 8601, UTC */
  at: string;
  /** who ran strata: user@host */
  by: string;
  durationMs: number;
  upChecksum: string;
  downChecksum: string;
  /** the file on disk still has the SQL that ran; null when the folder is missing */
  isUpMatching: boolean | null;
  isDownMatching: boolean | null;
  /** Transaction header of the stored down.sql (what reverts it when the folder is gone) */
  isStoredDownTransactional: boolean;
}

export interface RevisionDetails {
  id: string;
  parent: string;
  message: string | null;
  tags: string[];
  state: RevisionState;
  /** the newest applied revision */
  isCurrent: boolean;
  /** the newest revision on disk */
  isHead: boolean;
  /** down.sql's `Irreversible` reason (the stored copy's when the folder is gone), or null */
  irreversible: string | null;
  /**
   * the squashed revision that replaces this one, when the database follows the squashed chain (it
   * ran the squash, or finished the range and recorded the squash in its place): `state` is then the
   * squashed revision's, and `applied` null (its row is the squash's)
   */
  replacedBy: string | null;
  /** null when the folder is missing on disk (the revision is known from its tracking row) */
  files: { up: RevisionFileDetails; down: RevisionFileDetails } | null;
  applied: AppliedDetails | null;
}

export type DescribedRevision = { ok: true; revision: RevisionDetails } | { ok: false; problem: Problem };

const ONE_REVISION = 'strata show takes one revision: head, a revision id or its prefix, or a tag';

/** One revision (`head`, an id or its unique prefix, a tag), from its files and its tracking row. */
export function describeRevision(revisions: readonly Revision[], applied: readonly AppliedRevision[], targetText: string): DescribedRevision {
  const resolved = resolveTarget(targetText, targetUniverse(revisions, applied));
  if (!resolved.ok) {
    // a typo's suggestion and an ambiguous prefix's advice are more use than the general hint
    const isKept = resolved.suggestion !== undefined || resolved.problem.code === 'TARGET_AMBIGUOUS';
    return isKept ? { ok: false, problem: resolved.problem } : { ok: false, problem: { ...resolved.problem, hint: `${ONE_REVISION}; strata history lists them` } };
  }
  const target = resolved.target;
  if (target.kind === 'base' || target.kind === 'relative') {
    const what = target.kind === 'base' ? 'base is the start of the history, not a revision' : `'${targetText.trim()}' counts from the database, not one revision`;
    return { ok: false, problem: problem('TARGET_INVALID', { message: `${what}`, hint: ONE_REVISION }) };
  }
  const head = revisions.at(-1)?.id;
  const id = target.kind === 'head' ? head : target.id;
  if (id === undefined) return { ok: false, problem: problem('TARGET_UNKNOWN', { message: 'there are no revisions yet, so there is no head', hint: 'create one with strata new "<message>"' }) };

  const { revision, applied: row, state, message, tags } = computeStatus(revisions, applied).find((s) => s.id === id)!;
  const stored = row && parseDownFile(row.downText, `${id}/down.sql (stored copy)`).header;
  return {
    ok: true,
    revision: {
      id,
      parent: revision?.parent ?? row!.parent,
      message,
      tags,
      state,
      isCurrent: row !== undefined && row.id === newestAppliedId(applied),
      isHead: id === head,
      irreversible: (revision ? revision.down.irreversible : stored?.irreversible) ?? null,
      replacedBy: null,
      files: revision
        ? {
          up: { path: revision.up.path, checksum: revision.up.checksum, transactional: revision.transactional },
          down: { path: revision.down.path, checksum: revision.down.checksum, transactional: revision.down.transactional },
        }
        : null,
      applied: row
        ? {
          at: row.appliedAt.toISOString(),
          by: row.appliedBy,
          durationMs: row.durationMs,
          upChecksum: row.upChecksum,
          downChecksum: row.downChecksum,
          isUpMatching: revision ? matchesRecorded(revision.up, row.upChecksum) : null,
          isDownMatching: revision ? matchesRecorded(revision.down, row.downChecksum) : null,
          isStoredDownTransactional: stored!.transactional,
        }
        : null,
    },
  };
}
