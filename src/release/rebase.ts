import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StrataConfig } from '../config.js';
import { problem, type Problem } from '../errors.js';
import { findHeads, type BranchMove } from '../plan/find-heads.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { setHeaderLine } from '../revision/edit-header.js';

/**
 * strata rebase: after a merge left two (or more) revisions claiming one parent, the edits that
 * strata heads plans (find-heads.ts) are made: each other branch moved after the kept one, its
 * first revision re-parented onto the tip, folders renamed to later timestamps where the order
 * needs it. The kept branch is one whose revisions the database applied: a revision applied there
 * is never moved (with --from base, nothing counts as applied).
 */
export type RebaseReport =
  | { ok: true; moves: BranchMove[]; head: string | null }
  | { ok: false; reason: 'invalid'; problems: Problem[] };

export function rebaseHistory(config: StrataConfig, set: RevisionSet, applied: ReadonlySet<string>): RebaseReport {
  const heads = findHeads(set.revisions, set.problems, config.dirLabel, applied);
  if (heads.ok) return { ok: true, moves: [], head: heads.head };
  if (heads.reason === 'invalid') return heads;
  const written = writeMoves(config, heads.moves);
  if (!written.ok) return written;
  const newIds = new Map(heads.moves.flatMap((m) => m.edits).flatMap((e) => (e.kind === 'rename' ? [[path.basename(e.from), path.basename(e.to)] as const] : [])));
  const tip = heads.moves.at(-1)!.branch.at(-1)!;
  return { ok: true, moves: heads.moves, head: newIds.get(tip) ?? tip };
}

/** Folders renamed, then Parent lines set; a failure puts back what was done, so the history is as it was. */
function writeMoves(config: StrataConfig, moves: readonly BranchMove[]): { ok: true } | { ok: false; reason: 'invalid'; problems: Problem[] } {
  const at = (shown: string) => path.resolve(config.cwd, shown);
  const renamed: Array<[string, string]> = [];
  const edited: Array<{ file: string; was: string }> = [];
  try {
    for (const edit of moves.flatMap((m) => m.edits)) {
      if (edit.kind !== 'rename') continue;
      const [from, to] = [at(edit.from), at(edit.to)];
      if (existsSync(to)) throw new Error(`${edit.to} exists already`);
      renameSync(from, to);
      renamed.push([from, to]);
    }
    for (const edit of moves.flatMap((m) => m.edits)) {
      if (edit.kind !== 'set-parent') continue;
      const file = at(edit.file);
      const was = readFileSync(file, 'utf8');
      writeFileSync(file, setHeaderLine(was, 'Parent', edit.parent));
      edited.push({ file, was });
    }
    return { ok: true };
  } catch (error) {
    for (const { file, was } of edited.reverse()) writeFileSync(file, was);
    for (const [from, to] of renamed.reverse()) renameSync(to, from);
    return { ok: false, reason: 'invalid', problems: [problem('FILE_WRITE_FAILED', { file: config.dirLabel, message: `cannot rebase: ${(error as Error).message}`, hint: 'nothing was changed: check that the migrations folder is writable' })] };
  }
}
