import type { StrataConfig } from '../config.js';
import { shadowsMayRunAtOnce, withShadow } from '../db/shadow.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { planners } from '../plan/planners.js';
import { changeProblems } from '../proof/change-problems.js';
import { migrateShadow, snapshotShadow, type MigrateResult } from '../proof/migrate-shadow.js';
import { shadowsInOneLine, type ProofEvents } from '../proof/proof-events.js';
import type { Revision } from '../revision/revision.js';
import { describeFields, diffSnapshots } from '../schema/model/diff.js';
import type { Snapshot } from '../schema/model/snapshot.js';

/**
 * The proof of a squashed revision before it is written: on one shadow the history up to the end
 * of the range, as it is (the range's snapshot); on another the history before the range, then the
 * squashed revision: its up.sql must reach exactly the range's snapshot, and its down.sql exactly the
 * snapshot before the range. On a server the two shadows work at once.
 */
export type SquashProof =
  /** `atEnd`: the schema at the end of the range (what schema.sql holds when the range ends at the head) */
  | { ok: true; atEnd: Snapshot; downProven: boolean }
  | { ok: false; reason: 'failed'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

export async function proveSquash(config: StrataConfig, before: readonly Revision[], range: readonly Revision[], squash: Revision, events: ProofEvents, signal?: AbortSignal): Promise<SquashProof> {
  const isAtOnce = shadowsMayRunAtOnce(config);
  // at once, the two are said in one line; one after the other, each as it opens
  const say = isAtOnce ? shadowsInOneLine(events, 2) : (_k: number, description?: string) => { if (description !== undefined) events.shadow(description); };
  const asItIs = () => withShadow(config, { onNote: events.note }, async (shadow) => {
    say(0, shadow.description);
    const migrated = await migrateShadow(shadow.db, config, { revisions: [...before, ...range], problems: [] }, planners.up('head', {}), signal);
    return migrated.ok ? { ok: true as const, snapshot: await snapshotShadow(shadow.db, config) } : migrated;
  });
  const squashed = () => withShadow(config, { onNote: events.note }, async (shadow) => {
    say(1, shadow.description);
    const set = { revisions: [...before, squash], problems: [] };
    const start = before.length === 0 ? { ok: true as const } : await migrateShadow(shadow.db, config, set, planners.up(before.at(-1)!.id, {}), signal);
    if (!start.ok) return start;
    const atStart = await snapshotShadow(shadow.db, config);
    const up = await migrateShadow(shadow.db, config, set, planners.up('head', {}), signal);
    if (!up.ok) return asSquashFailure(up);
    const afterUp = await snapshotShadow(shadow.db, config);
    if (squash.down.irreversible !== undefined) return { ok: true as const, atStart, afterUp, down: undefined };
    const down = await migrateShadow(shadow.db, config, set, planners.down('-1'), signal);
    if (down.ok) return { ok: true as const, atStart, afterUp, down: await snapshotShadow(shadow.db, config) };
    if (down.reason === 'interrupted') return down;
    // a down.sql that fails is reported after what up.sql got wrong, which is usually the cause
    return { ok: true as const, atStart, afterUp, down: down.problems.map((p) => ({ ...p, hint: SQUASH_HINT })) };
  });
  const [range1, squash1] = isAtOnce ? await Promise.all([asItIs().finally(() => say(0)), squashed().finally(() => say(1))]) : [await asItIs(), await squashed()];
  for (const result of [range1, squash1]) if (!result.ok) return failure(result as Exclude<MigrateResult, { ok: true }> | Unavailable);
  const [expected, proven] = [range1 as { snapshot: Snapshot }, squash1 as { atStart: Snapshot; afterUp: Snapshot; down: Snapshot | Problem[] | undefined }];
  const fault = (file: string, message: string) => problem('SQUASH_PROOF_FAILED', { file, revision: squash.id, message, hint: SQUASH_HINT });
  const upDiff = diffSnapshots(expected.snapshot, proven.afterUp);
  const problems = changeProblems(upDiff, {
    added: (o) => fault(squash.up.path, `after the squashed up.sql the shadow has ${o.identity}, which the range does not make`),
    removed: (o) => fault(squash.up.path, `after the squashed up.sql the shadow lacks ${o.identity}, which the range makes`),
    changed: (o, fields) => fault(squash.up.path, `after the squashed up.sql the shadow has ${o.identity} otherwise than the range makes it (${describeFields(fields)})`),
  });
  if (Array.isArray(proven.down)) problems.push(...proven.down);
  else if (proven.down) {
    problems.push(...changeProblems(diffSnapshots(proven.atStart, proven.down), {
      added: (o) => fault(squash.down.path, `after the squashed down.sql the shadow still has ${o.identity}, which the history before the range does not make`),
      removed: (o) => fault(squash.down.path, `after the squashed down.sql the shadow lacks ${o.identity}, which the history before the range makes`),
      changed: (o, fields) => fault(squash.down.path, `after the squashed down.sql the shadow has ${o.identity} otherwise than before the range (${describeFields(fields)})`),
    }));
  }
  return problems.length > 0 ? { ok: false, reason: 'failed', problems } : { ok: true, atEnd: expected.snapshot, downProven: proven.down !== undefined };
}

const SQUASH_HINT = 'nothing was written: the squashed revision does not do what the range does (a session setting one revision leaves for the next, such as search_path, is the usual cause); set it back at the end of that revision, or squash a shorter range';

/** A failure of the squashed revision's own files is the squash's: its hint says what to do about that. */
function asSquashFailure(result: Exclude<MigrateResult, { ok: true }>): Extract<MigrateResult, { reason: 'failed' }> | Extract<MigrateResult, { reason: 'interrupted' }> {
  return result.reason === 'interrupted' ? result : { ...result, problems: result.problems.map((p) => ({ ...p, hint: SQUASH_HINT })) };
}

function failure(result: Exclude<MigrateResult, { ok: true }> | Unavailable): Exclude<SquashProof, { ok: true }> {
  if (result.reason === 'interrupted' || result.reason === 'unavailable') return result;
  return { ok: false, reason: 'failed', problems: result.problems };
}
