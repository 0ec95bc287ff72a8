import { problem, type Problem } from '../errors.js';
import type { Revision } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';
import { targetUniverse } from './plan.js';
import { resolveTarget } from './targets.js';

export type AssumedApplied = { ok: true; applied: AppliedRevision[] } | { ok: false; problem: Problem };

/**
 * Tracking rows as they would be if exactly the revisions on disk up to `fromText` (base, head,
 * an id or its prefix, a tag) had been applied from these files: planning without a database,
 * e.g. `strata sql up --from base` for review in a pull request.
 */
export function assumeApplied(revisions: readonly Revision[], fromText: string): AssumedApplied {
  const resolved = resolveTarget(fromText, targetUniverse(revisions, []));
  if (!resolved.ok) return { ok: false, problem: { ...resolved.problem, message: `--from: ${resolved.problem.message}` } };
  const target = resolved.target;
  if (target.kind === 'relative') {
    return {
      ok: false,
      problem: problem('TARGET_INVALID', {
        message: `--from ${fromText}: a relative target needs a database to count from`,
        hint: '--from takes base, head, a revision id or its prefix, or a tag',
      }),
    };
  }
  const last = target.kind === 'base' ? '' : target.kind === 'head' ? '\uffff' : target.id;
  return {
    ok: true,
    applied: revisions.filter((r) => r.id <= last).map((r) => ({
      id: r.id,
      parent: r.parent,
      message: r.message ?? null,
      tags: r.tags,
      upChecksum: r.up.checksum,
      downChecksum: r.down.checksum,
      downText: r.down.text,
      appliedAt: new Date(0),
      appliedBy: 'assumed (--from)',
      durationMs: 0,
    })),
  };
}
