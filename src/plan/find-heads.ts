import { problem, type Problem } from '../errors.js';
import { timestampAfter } from '../revision/revision-id.js';
import type { Revision } from '../revision/revision.js';

/** A head of a forked history, with the revisions of its own branch (after the fork point). */
export interface ForkHead {
  id: string;
  message: string | null;
  /** the revision both branches grow from, or 'base' */
  forkedFrom: string;
  /** this head's own revisions, oldest first, ending with the head itself */
  branch: string[];
}

/**
 * One step of putting a forked history back into one chain: move `branch` after `onto`, by
 * renaming the folders whose ids would sort before the revision they now follow (revisions run
 * in id order), then setting the Parent headers that change.
 */
export interface BranchMove {
  branch: string[];
  onto: string;
  edits: FileEdit[];
}

export type FileEdit =
  /** folder paths, as printed */
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'set-parent'; file: string; parent: string };

export type HeadsReport =
  /** `head` is null when there are no revisions yet */
  | { ok: true; head: string | null; message: string | null }
  | { ok: false; reason: 'forked'; heads: ForkHead[]; keep: string; moves: BranchMove[] }
  | { ok: false; reason: 'invalid'; problems: Problem[] };

/** Problems a fork causes: the claim itself, and later revisions whose Parent is not the one before them in id order. */
const FORK_CODES = new Set(['CHAIN_FORK', 'CHAIN_PARENT_MISMATCH']);

/**
 * The head of the history on disk, or, when two branches were merged (two revisions claim one
 * parent), every head with its branch and how to make the history one chain again: keep one
 * branch (the one that leaves the fewest folders to rename, else the one whose first revision is
 * oldest) and move each other branch after the tip, re-parenting its first revision and renaming
 * those whose ids would otherwise sort before the revision they now follow.
 */
export function findHeads(revisions: readonly Revision[], problems: readonly Problem[], dirLabel: string, applied: ReadonlySet<string> = new Set()): HeadsReport {
  const byId = new Map(revisions.map((r) => [r.id, r]));
  const hasChild = new Set(revisions.map((r) => r.parent));
  const heads = revisions.filter((r) => !hasChild.has(r.id));
  const isForked = heads.length > 1 && problems.some((p) => p.code === 'CHAIN_FORK');
  if (problems.length > 0 && !(isForked && problems.every((p) => FORK_CODES.has(p.code)))) {
    return { ok: false, reason: 'invalid', problems: [...problems] };
  }
  if (!isForked) {
    const head = revisions.at(-1);
    return { ok: true, head: head?.id ?? null, message: head?.message ?? null };
  }

  const sorted = heads.map((head) => lineageOf(head, byId)).sort(compareLineages);
  // keep the branch that leaves the fewest folders to rename; on a tie, the one whose first revision is oldest;
  // never one that moves a revision the database applied (strata rebase)
  const plans = sorted.map((kept) => planMoves([kept, ...sorted.filter((l) => l !== kept)], dirLabel))
    .filter((p) => p.moves.every((m) => m.branch.every((id) => !applied.has(id))));
  if (plans.length === 0) {
    const appliedHeads = sorted.filter((l) => l.some((id) => applied.has(id) && !sorted.every((other) => other.includes(id)))).map((l) => l.at(-1)!);
    return {
      ok: false, reason: 'invalid',
      problems: [problem('CHAIN_FORK', {
        message: `the database applied revisions of more than one branch (those of ${appliedHeads.join(' and ')}): joining them would move a revision it ran`,
        hint: 'revert one branch on this database first (strata down <the revision they grow from>), then strata rebase; or join them from the files alone (strata rebase --from base) for databases that applied neither',
      })],
    };
  }
  const plan = plans.reduce((best, p) => (p.renames < best.renames ? p : best));
  const forkHeads = plan.lineages.map((lineage, index): ForkHead => {
    const start = index === 0 ? forkIndex(lineage, plan.lineages) : plan.branches[index - 1]!.start;
    const head = byId.get(lineage.at(-1)!)!;
    return { id: head.id, message: head.message ?? null, forkedFrom: start === 0 ? 'base' : lineage[start - 1]!, branch: lineage.slice(start) };
  });
  return { ok: false, reason: 'forked', heads: forkHeads, keep: plan.lineages[0]!.at(-1)!, moves: plan.moves };
}

/** The first lineage kept, each other one's own branch moved after the tip in turn. */
function planMoves(lineages: string[][], dirLabel: string) {
  const placed = new Set(lineages[0]!);
  let tip = lineages[0]!.at(-1)!;
  let renames = 0;
  const moves: BranchMove[] = [];
  const branches: Array<{ start: number }> = [];
  for (const lineage of lineages.slice(1)) {
    const start = lineage.findIndex((id) => !placed.has(id));
    const branch = lineage.slice(start);
    const newIds = idsAfter(tip, branch);
    const edits: FileEdit[] = [];
    branch.forEach((id, i) => {
      if (newIds[i] !== id) edits.push({ kind: 'rename', from: `${dirLabel}/${id}`, to: `${dirLabel}/${newIds[i]}` });
    });
    renames += edits.length;
    newIds.forEach((id, i) => {
      if (i === 0 || newIds[i - 1] !== branch[i - 1]) edits.push({ kind: 'set-parent', file: `${dirLabel}/${id}/up.sql`, parent: i === 0 ? tip : newIds[i - 1]! });
    });
    moves.push({ branch, onto: tip, edits });
    branches.push({ start });
    for (const id of branch) placed.add(id);
    tip = newIds.at(-1)!;
  }
  return { lineages, moves, branches, renames };
}

/** From the first revision (Parent base) to `head`; stops at a parent that is not on disk or at a loop. */
function lineageOf(head: Revision, byId: ReadonlyMap<string, Revision>): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (let r: Revision | undefined = head; r && !seen.has(r.id); r = byId.get(r.parent)) {
    seen.add(r.id);
    ids.push(r.id);
  }
  return ids.reverse();
}

function compareLineages(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/** Where the kept lineage leaves the nearest other one: its own branch starts there. */
function forkIndex(kept: string[], lineages: string[][]): number {
  let shared = 0;
  for (const other of lineages) {
    if (other === kept) continue;
    let i = 0;
    while (i < kept.length && kept[i] === other[i]) i++;
    shared = Math.max(shared, i);
  }
  return shared;
}

/** The ids `branch` needs after `onto`: each must sort after the one it follows; a later timestamp, same slug, where not. */
function idsAfter(onto: string, branch: readonly string[]): string[] {
  let previous = onto;
  return branch.map((id) => {
    previous = id > previous ? id : `${timestampAfter(previous)}${id.slice(14)}`;
    return previous;
  });
}
