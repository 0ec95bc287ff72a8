import { describeDatabase, type StrataConfig } from '../config.js';
import { isEmbeddedAbsent, openDatabase } from '../db/open-database.js';
import { readApplied } from '../db/tracking.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { describeFields, diffSnapshots, reportedChanges, type ReportedChange } from '../schema/model/diff.js';
import { changeProblems } from './change-problems.js';
import type { Snapshot } from '../schema/model/snapshot.js';
import { snapshotAt } from './dump.js';
import { databaseView } from '../plan/squashes.js';
import { snapshotShadow } from './migrate-shadow.js';
import type { ProofEvents } from './proof-events.js';

export type DriftResult =
  | { ok: true; database: string; appliedUpTo: string | null; problems: Problem[]; changes: ReportedChange[] }
  | { ok: false; reason: 'failed'; problems: Problem[] }
  | { ok: false; reason: 'interrupted' }
  | Unavailable;

/**
 * strata check --live: the database DATABASE_URL names against what its own applied revisions
 * make (a shadow migrated to exactly the newest of them): every object added, removed or
 * changed outside strata, one problem each. The database is only read. `atHead`: the snapshot of a
 * shadow at head that the caller already has (check's round trip), used instead of migrating
 * another shadow when the database is at head too.
 */
export async function liveDrift(config: StrataConfig, set: RevisionSet, events: ProofEvents, signal?: AbortSignal, atHead?: Snapshot): Promise<DriftResult> {
  // an embedded database not made yet has nothing applied and nothing in it: no drift, and none is made to be read
  if (isEmbeddedAbsent(config)) return { ok: true, database: describeDatabase(config), appliedUpTo: null, problems: [], changes: [] };
  const open = await openDatabase(config, { command: 'check' });
  if (!open.ok) return open;
  let actual: Snapshot;
  let appliedUpTo: string | null;
  // the chain this database follows: a squashed revision, or (partway through) the revisions it replaces
  let followed: RevisionSet;
  const { db, description } = open.opened;
  try {
    const view = databaseView(set, (await readApplied(db, config.schema)).applied);
    appliedUpTo = view.applied.at(-1)?.id ?? null;
    followed = { revisions: view.revisions, problems: [] };
    actual = await snapshotShadow(db, config);
  } finally {
    await open.opened.close();
  }
  const isAtHead = atHead !== undefined && appliedUpTo !== null && appliedUpTo === set.revisions.at(-1)?.id;
  const expected = isAtHead ? { ok: true as const, snapshot: atHead } : await snapshotAt(config, followed, appliedUpTo ?? 'base', events, signal);
  if (!expected.ok) return expected;
  const where = appliedUpTo === null ? 'nothing applied' : `applied up to ${appliedUpTo}`;
  const drift = (message: string) => problem('SCHEMA_DRIFT', {
    message: `${description} (${where}): ${message}`,
    hint: 'a change made outside strata: write a revision for it (or undo it by hand), then check again',
  });
  const changes = diffSnapshots(expected.snapshot, actual);
  const problems = changeProblems(changes, {
    added: (o) => drift(`${o.identity} added outside strata`),
    removed: (o) => drift(`${o.identity} removed outside strata`),
    changed: (o, fields) => drift(`${o.identity} changed outside strata (${describeFields(fields)})`),
  });
  return { ok: true, database: description, appliedUpTo, problems, changes: reportedChanges(changes) };
}
