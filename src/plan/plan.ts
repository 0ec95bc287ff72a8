import { problem, type Problem } from '../errors.js';
import { matchesRecorded } from '../revision/checksums.js';
import { parseDownFile } from '../revision/parse-header.js';
import { lineColumnAt, splitLines } from '../text/source-position.js';
import { skipWhitespaceAndComments } from '../text/whitespace-and-comments.js';
import { formatUtc } from '../text/utc-time.js';
import type { Revision, RevisionScript } from '../revision/revision.js';
import type { AppliedRevision } from './applied-revision.js';
import { allIds, computeStatus, newestAppliedId } from './revision-status.js';
import { resolveTarget, type TargetUniverse } from './targets.js';

export type { Script } from '../sql/script.js';

export interface UpStep {
  direction: 'up';
  id: string;
  revision: Revision;
  script: RevisionScript;
  /**
   * strata stamp: only the bookkeeping runs (the revision is recorded as applied, its SQL is not
   * run); `script` is still the revision's, for the checks made before anything runs.
   */
  recordOnly?: boolean;
}

export interface DownStep {
  direction: 'down';
  id: string;
  /** 'stored' = the copy kept in the tracking table when the revision was applied */
  source: 'disk' | 'stored';
  /** why the stored copy is used, when it is */
  note: string | undefined;
  applied: AppliedRevision;
  script: RevisionScript;
  /** strata stamp to an earlier revision: only the record is removed, no down.sql runs (`script` is empty) */
  recordOnly?: boolean;
}

export type Step = UpStep | DownStep;

export type Plan<S extends Step> = { ok: true; steps: S[] } | { ok: false; problems: Problem[] };

export interface PlanUpOptions {
  /** run a pending revision older than an applied one instead of refusing */
  allowOutOfOrder?: boolean;
  /** the command that restores a file's committed version (git), when there is one: offered for an edited revision */
  restoreCommand?: (file: string) => string | undefined;
}

export function targetUniverse(revisions: readonly Revision[], applied: readonly AppliedRevision[]): TargetUniverse {
  const ids = allIds(revisions, applied);
  const tags = new Map<string, string>();
  for (const row of applied) for (const tag of row.tags) tags.set(tag, row.id);
  const onDisk = new Map<string, string[]>();
  for (const revision of revisions) {
    for (const tag of revision.tags) {
      tags.set(tag, revision.id);
      const owners = onDisk.get(tag) ?? [];
      if (!owners.includes(revision.id)) onDisk.set(tag, [...owners, revision.id]);
    }
  }
  const ambiguousTags = new Map([...onDisk].filter(([, owners]) => owners.length > 1));
  const known = new Set(ids);
  const replacedBy = new Map(revisions.flatMap((r) => r.replaces.filter((id) => !known.has(id)).map((id) => [id, r.id] as const)));
  return { ids, tags, ...(ambiguousTags.size > 0 ? { ambiguousTags } : {}), ...(replacedBy.size > 0 ? { replacedBy } : {}) };
}

/** Pending revisions to apply, in order, up to `targetText` (default head); or why not. */
export function planUp(
  revisions: readonly Revision[],
  applied: readonly AppliedRevision[],
  targetText = 'head',
  options: PlanUpOptions = {},
): Plan<UpStep> {
  const problems: Problem[] = [];
  const statuses = computeStatus(revisions, applied);
  const lastApplied = newestAppliedId(applied);
  for (const status of statuses) {
    if (status.state === 'edited') {
      const revision = status.revision!;
      problems.push(problem('APPLIED_EDITED', {
        file: revision.up.path, revision: status.id,
        // the first line of SQL (or comment) after the header, not the blank line after it
        line: lineOf(revision.up.text, revision.up.bodyOffset + revision.up.body.length - revision.up.body.trimStart().length),
        message: `${status.id} was edited after it was applied (its SQL no longer matches the checksum recorded on ${formatDate(status.appliedAt)})`,
        hint: editedHint(options.restoreCommand?.(revision.up.path), status.id === statuses.at(-1)?.id),
      }));
    } else if (status.state === 'pending' && lastApplied !== undefined && status.id < lastApplied && !options.allowOutOfOrder) {
      problems.push(problem('OUT_OF_ORDER', {
        file: status.revision!.up.path, revision: status.id,
        message: `${status.id} is pending but a later revision, ${lastApplied}, is already applied; running it now would apply history out of order`,
        hint: `revert to before it (strata down ${status.revision!.parent}) and run strata up, or give it a timestamp after ${lastApplied}`,
      }));
    }
  }
  const missing = missingProblem(statuses);
  if (missing) problems.push(missing);
  const resolved = resolveTarget(targetText, targetUniverse(revisions, applied));
  if (!resolved.ok) problems.push(resolved.problem);
  if (problems.length > 0 || !resolved.ok) return { ok: false, problems };

  const appliedIds = new Set(applied.map((a) => a.id));
  const pending = revisions.filter((r) => !appliedIds.has(r.id));
  const target = resolved.target;
  let chosen: Revision[];
  switch (target.kind) {
    case 'head':
      chosen = pending;
      break;
    case 'base':
      chosen = [];
      break;
    case 'relative':
      if (target.steps < 0) {
        return { ok: false, problems: [problem('TARGET_INVALID', { message: `'${targetText}' goes backwards`, hint: `use strata down ${targetText}` })] };
      }
      if (target.steps > pending.length) {
        return {
          ok: false,
          problems: [problem('TARGET_INVALID', {
            message: `'${targetText}' asks for ${target.steps} ${target.steps === 1 ? 'revision' : 'revisions'} but only ${pending.length} ${pending.length === 1 ? 'is' : 'are'} pending`,
            hint: 'use strata up (to head) or a smaller number',
          })],
        };
      }
      chosen = pending.slice(0, target.steps);
      break;
    case 'revision': {
      if (!revisions.some((r) => r.id === target.id)) {
        return { ok: false, problems: [problem('TARGET_UNKNOWN', { message: `${target.id} is not in the migrations folder`, hint: "'strata status' lists the revisions" })] };
      }
      chosen = pending.filter((r) => r.id <= target.id);
      break;
    }
  }
  return {
    ok: true,
    steps: chosen.map((revision) => ({
      direction: 'up',
      id: revision.id,
      revision,
      script: {
        path: revision.up.path, text: revision.up.text, body: revision.up.body, bodyOffset: revision.up.bodyOffset, transactional: revision.transactional, revision: revision.id,
      },
    })),
  };
}

/**
 * Applied revisions whose folders are gone (a branch switch, a hand squash), as one problem with
 * both ways out: bring the folders back, or, when the schema already holds their effect, drop their
 * records without running anything (strata stamp); reverting them is the destructive third way.
 */
function missingProblem(statuses: ReturnType<typeof computeStatus>): Problem | undefined {
  const missing = statuses.filter((s) => s.state === 'missing').map((s) => s.id);
  if (missing.length === 0) return undefined;
  const appliedOnDisk = statuses.filter((s) => s.state === 'applied' || s.state === 'edited').map((s) => s.id);
  const oldestMissing = missing[0]!;
  const lastKept = appliedOnDisk.filter((id) => id < oldestMissing).at(-1) ?? 'base';
  const newestOnDisk = appliedOnDisk.at(-1);
  const laterKept = newestOnDisk !== undefined && newestOnDisk > oldestMissing ? newestOnDisk : undefined;
  const stamp = laterKept
    ? `strata stamp ${lastKept}, then strata stamp ${laterKept} to record the revisions after the gap again`
    : `strata stamp ${lastKept}`;
  const names = missing.length === 1 ? missing[0]! : `${missing.length} revisions (${missing.join(', ')})`;
  return problem('APPLIED_MISSING', {
    revision: oldestMissing,
    message: `${names} ${missing.length === 1 ? 'is applied but its folder is' : 'are applied but their folders are'} missing from the migrations folder`,
    hint: `check the ${missing.length === 1 ? 'folder' : 'folders'} out again (a branch switch?); or, when the schema already holds ${missing.length === 1 ? 'its' : 'their'} effect `
      + `(squashed into another revision?), remove ${missing.length === 1 ? 'its record' : 'their records'} without running any SQL: ${stamp}`
      + (laterKept ? '' : `; or undo ${missing.length === 1 ? 'it' : 'them'} with the down.sql stored when applied: strata down ${lastKept}`),
  });
}

function editedHint(restoreCommand: string | undefined, isNewest: boolean): string {
  const restore = restoreCommand ? `restore the file (${restoreCommand})` : 'undo the edit to its SQL (a change to the header alone is fine)';
  if (isNewest) return `${restore}, or apply the new version with 'strata redo' (reverts with the stored down.sql, then applies)`;
  return `${restore}, then put the change in a new revision ('strata new <message>')`;
}

/** Applied revisions to revert, newest first, down to `targetText` (default -1); or why not. */
export function planDown(
  revisions: readonly Revision[],
  applied: readonly AppliedRevision[],
  targetText = '-1',
): Plan<DownStep> {
  const appliedInOrder = [...applied].sort((a, b) => (a.id < b.id ? -1 : 1));
  const resolved = resolveTarget(targetText, targetUniverse(revisions, applied));
  if (!resolved.ok) return { ok: false, problems: [resolved.problem] };
  const target = resolved.target;
  let chosen: AppliedRevision[];
  switch (target.kind) {
    case 'head':
      chosen = [];
      break;
    case 'base':
      chosen = appliedInOrder;
      break;
    case 'relative':
      if (target.steps > 0) {
        return { ok: false, problems: [problem('TARGET_INVALID', { message: `'${targetText}' goes forwards`, hint: `use strata up ${targetText}` })] };
      }
      {
        const newest = newestApplied(appliedInOrder, -target.steps, targetText, 'revert', 'strata down base');
        if (!newest.ok) return newest;
        chosen = newest.rows;
      }
      break;
    case 'revision':
      if (!appliedInOrder.some((a) => a.id === target.id)) {
        return {
          ok: false,
          problems: [problem('TARGET_INVALID', {
            message: `${target.id} is not applied, so there is nothing to revert down to`,
            hint: 'down reverts every revision after the target and keeps the target; strata status shows what is applied',
          })],
        };
      }
      chosen = appliedInOrder.filter((a) => a.id > target.id);
      break;
  }
  const problems: Problem[] = [];
  const onDisk = new Map(revisions.map((r) => [r.id, r]));
  const steps: DownStep[] = [];
  const newest = appliedInOrder.at(-1)?.id;
  for (const row of chosen.reverse()) {
    const step = downStep(row, onDisk.get(row.id));
    const irreversible = parseDownFile(step.script.text, step.script.path).header.irreversible;
    if (irreversible !== undefined) {
      problems.push(problem('IRREVERSIBLE', {
        file: step.script.path, revision: row.id,
        line: lineWith(step.script.text, /^--!\s*irreversible/i),
        message: `${row.id} cannot be reverted: ${irreversible}`,
        hint: irreversibleHint(row, row.id === newest, step.source === 'stored'),
      }));
    }
    steps.push(step);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, steps };
}

/**
 * strata cannot run an Irreversible revision backwards; what it can do is forget the record once
 * a person has undone the effects (stamp), or run a down.sql someone writes. Revisions applied
 * after it can still be reverted first, which is all `strata down <its id>` does.
 */
function irreversibleHint(row: AppliedRevision, isNewest: boolean, isStored: boolean): string {
  // the copy stored when it was applied is what would run (its up.sql edited since, or its folder
  // gone): a down.sql written on disk changes nothing, so the stamp is the one way
  const byHand = isStored
    ? `to move the record only, undo its effects by hand and run strata stamp ${row.parent} (the down.sql that reverts it is the copy stored when it was applied, so editing down.sql on disk does not change it)`
    : `to move the record only, undo its effects by hand and run strata stamp ${row.parent}; or write a down.sql that undoes it and remove the '--! Irreversible' line`;
  if (isNewest) return `strata cannot revert ${row.id}: ${byHand}`;
  return `revert only the revisions after it (strata down ${row.id}); then, to go past ${row.id}: ${byHand}`;
}

/**
 * The newest `count` applied revisions, oldest first, for `-N`; at base there is nothing to
 * take, whatever N, which is not an error; more than are applied is.
 */
export function newestApplied(
  appliedInOrder: readonly AppliedRevision[], count: number, targetText: string, verb: 'revert' | 'unstamp', everything: string,
): { ok: true; rows: AppliedRevision[] } | { ok: false; problems: Problem[] } {
  if (appliedInOrder.length === 0) return { ok: true, rows: [] };
  if (count > appliedInOrder.length) {
    const applied = `${appliedInOrder.length} ${appliedInOrder.length === 1 ? 'is' : 'are'} applied`;
    return {
      ok: false,
      problems: [problem('TARGET_INVALID', {
        message: `'${targetText}' asks to ${verb} ${count} revisions but only ${applied}`,
        hint: `use ${everything} to ${verb} everything`,
      })],
    };
  }
  return { ok: true, rows: appliedInOrder.slice(appliedInOrder.length - count) };
}

/**
 * Which down.sql undoes what was applied: the file on disk while up.sql is unchanged (a developer
 * may have fixed down.sql since); the stored copy when up.sql was edited or the folder is gone,
 * because that copy matches the SQL that actually ran — unless the stored copy has no SQL and the
 * file on disk has some: the revision was applied before its down.sql was written (straight after
 * `strata new`), and reverting with nothing would leave the applied version in place.
 */
function downStep(row: AppliedRevision, revision: Revision | undefined): DownStep {
  const path = revision ? `${revision.down.path} (stored copy)` : `${row.id}/down.sql (stored copy)`;
  const parsed = parseDownFile(row.downText, path, row.id);
  const stored: RevisionScript = { path, text: row.downText, body: parsed.body, bodyOffset: parsed.bodyOffset, transactional: parsed.header.transactional, revision: row.id };
  if (revision && matchesRecorded(revision.up, row.upChecksum)) {
    return { direction: 'down', id: row.id, source: 'disk', note: undefined, applied: row, script: downScriptOf(revision) };
  }
  // (an Irreversible stored copy has no SQL on purpose: it still refuses)
  if (revision && hasNoSql(stored.body) && parsed.header.irreversible === undefined && !hasNoSql(revision.down.body)) {
    return {
      direction: 'down', id: row.id, source: 'disk', applied: row, script: downScriptOf(revision),
      note: 'the down.sql stored when it was applied has no SQL, so the down.sql on disk reverts it',
    };
  }
  return {
    direction: 'down', id: row.id, source: 'stored', applied: row, script: stored,
    note: revision
      ? 'up.sql was edited after it was applied; reverting with the down.sql stored when it was applied'
      : 'its folder is not on disk; reverting with the down.sql stored when it was applied',
  };
}

/** A revision's down.sql on disk, as a script to run. */
export function downScriptOf(revision: Revision): RevisionScript {
  const { path, text, body, bodyOffset, transactional } = revision.down;
  return { path, text, body, bodyOffset, transactional, revision: revision.id };
}

/** True when `body` is only whitespace and comments. */
export function hasNoSql(body: string): boolean {
  return skipWhitespaceAndComments(body, 0) >= body.length;
}

function lineOf(text: string, index: number): number {
  return lineColumnAt(text, index).line;
}

function lineWith(text: string, pattern: RegExp): number {
  const index = splitLines(text).findIndex((l) => pattern.test(l));
  return index === -1 ? 1 : index + 1;
}

function formatDate(date: Date | null): string {
  return date ? formatUtc(date) : 'an unknown date';
}
