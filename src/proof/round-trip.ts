import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { problem, type DatabaseObject, type Problem } from '../errors.js';
import { planners } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Revision } from '../revision/revision.js';
import type { SchemaObject, Snapshot } from '../schema/model/snapshot.js';
import { describeFields, diffSnapshots, reportedChanges, type ReportedChange, type SchemaChange } from '../schema/model/diff.js';
import { changeProblems } from './change-problems.js';
import { migrateShadow, snapshotShadow } from './migrate-shadow.js';

export interface RoundTripEntry {
  id: string;
  /** passed: down undid up exactly and up again gave the same schema; irreversible: not tried (its down.sql says why) */
  result: 'passed' | 'failed' | 'irreversible';
  /** failed: what differed, in review order (after the revert: what down.sql left or dropped; after the re-apply: what came out otherwise) */
  changes?: ReportedChange[];
}

export type RoundTripResult =
  | {
    ok: true;
    entries: RoundTripEntry[];
    problems: Problem[];
    /** the shadow's schema at head, when the round trip left the shadow there */
    head: Snapshot | undefined;
  }
  | { ok: false; reason: 'interrupted' };

/**
 * For each revision of [from, to] in order, on one shadow: snapshot S0, apply it, S1, revert it,
 * S2 must equal S0, apply it again, S3 must equal S1. It stops at the first revision that fails
 * (what comes after it would be proven on a schema nobody wrote); after `to`, the shadow is taken
 * on to head (unless `toHead` is false: another shadow proves what comes after), so its snapshot
 * serves the schema.sql comparison.
 */
export async function roundTrip(db: Database, config: StrataConfig, set: RevisionSet, range: { from: number; to: number }, options: { signal?: AbortSignal | undefined; toHead?: boolean } = {}): Promise<RoundTripResult> {
  const { signal, toHead = true } = options;
  const entries: RoundTripEntry[] = [];
  const problems: Problem[] = [];
  const migrate = (planner: Parameters<typeof migrateShadow>[3]) => migrateShadow(db, config, set, planner, signal);
  const snapshot = () => snapshotShadow(db, config);
  const before = set.revisions[range.from - 1];
  if (before) {
    const reached = await migrate(planners.up(before.id, {}));
    if (!reached.ok) return reached.reason === 'interrupted' ? reached : { ok: true, entries, problems: reached.problems, head: undefined };
  }
  let s0 = await snapshot();
  for (const revision of set.revisions.slice(range.from, range.to + 1)) {
    if (signal?.aborted) return { ok: false, reason: 'interrupted' };
    const applied = await migrate(planners.up(revision.id, {}));
    if (!applied.ok) return failedAt(applied, revision);
    const s1 = await snapshot();
    if (revision.down.irreversible !== undefined) {
      entries.push({ id: revision.id, result: 'irreversible' });
      problems.push(problem('ROUND_TRIP_SKIPPED', {
        file: revision.down.path, revision: revision.id,
        message: `${revision.id} is Irreversible (${revision.down.irreversible}): not round-tripped`,
        hint: 'nothing to fix if it is meant to be; write a down.sql and remove the --! Irreversible line to have it proven',
      }));
      s0 = s1;
      continue;
    }
    const reverted = await migrate(planners.down('-1'));
    if (!reverted.ok) return failedAt(reverted, revision);
    const leftByDown = diffSnapshots(s0, await snapshot());
    if (leftByDown.length > 0) return failedAt({ ok: false, reason: 'failed', problems: downProblems(revision, leftByDown) }, revision, leftByDown);
    const again = await migrate(planners.up(revision.id, {}));
    if (!again.ok) return failedAt(again, revision);
    const s3 = await snapshot();
    const changedByRedo = diffSnapshots(s1, s3);
    if (changedByRedo.length > 0) return failedAt({ ok: false, reason: 'failed', problems: redoProblems(revision, changedByRedo) }, revision, changedByRedo);
    entries.push({ id: revision.id, result: 'passed' });
    s0 = s3;
  }
  if (!toHead) return { ok: true, entries, problems, head: undefined };
  if (range.to < set.revisions.length - 1) {
    const rest = await migrate(planners.up('head', {}));
    // a later revision that fails is found by the schema.sql comparison, which migrates a shadow of its own
    if (!rest.ok) return rest.reason === 'interrupted' ? rest : { ok: true, entries, problems, head: undefined };
    s0 = await snapshot();
  }
  return { ok: true, entries, problems, head: s0 };

  function failedAt(result: { ok: false; reason: 'failed'; problems: Problem[] } | { ok: false; reason: 'interrupted' }, revision: Revision, changes: SchemaChange[] = []): RoundTripResult {
    if (result.reason === 'interrupted') return result;
    entries.push({ id: revision.id, result: 'failed', ...(changes.length > 0 ? { changes: reportedChanges(changes) } : {}) });
    return { ok: true, entries, problems: [...problems, ...result.problems], head: undefined };
  }
}

/** One problem per object down.sql got wrong: "down.sql of <id> leaves column public.orders.note". */
function downProblems(revision: Revision, changes: readonly SchemaChange[]): Problem[] {
  const at = (o: SchemaObject, message: string, hint: string) => problem('ROUND_TRIP_FAILED', { file: revision.down.path, revision: revision.id, object: objectOf(o), message, hint });
  return changeProblems(changes, {
    added: (o) => at(o, `down.sql of ${revision.id} leaves ${o.identity}`, 'make down.sql drop what up.sql creates'),
    removed: (o) => at(o, `down.sql of ${revision.id} drops ${o.identity}, which was there before up.sql`, 'down.sql must remove only what up.sql created'),
    changed: (o, fields) => at(o, `down.sql of ${revision.id} leaves ${o.identity} changed (${describeFields(fields)})`, 'make down.sql restore what up.sql altered'),
  });
}

/** up.sql applied again after its down.sql gives another schema than the first time. */
function redoProblems(revision: Revision, changes: readonly SchemaChange[]): Problem[] {
  const at = (o: SchemaObject, message: string) => problem('ROUND_TRIP_FAILED', {
    file: revision.up.path, revision: revision.id, object: objectOf(o), message: `up.sql of ${revision.id} applied again after its down.sql ${message}`,
    hint: 'down.sql must return the database to exactly where up.sql found it, so that up.sql does the same the second time',
  });
  return changeProblems(changes, {
    added: (o) => at(o, `adds ${o.identity}, which the first apply did not`),
    removed: (o) => at(o, `does not make ${o.identity}, which the first apply did`),
    changed: (o, fields) => at(o, `makes ${o.identity} differently (${describeFields(fields)})`),
  });
}

function objectOf(object: SchemaObject): DatabaseObject {
  return object.schema === null ? { kind: object.kind, name: object.name } : { kind: object.kind, schema: object.schema, name: object.name };
}
