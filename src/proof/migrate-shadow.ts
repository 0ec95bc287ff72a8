import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { problem, type Problem } from '../errors.js';
import { runPipeline } from '../executor/run.js';
import type { Planner } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import { takeSnapshot } from '../schema/introspect/take-snapshot.js';
import type { Snapshot } from '../schema/model/snapshot.js';

export type MigrateResult =
  | { ok: true }
  /** `sqlstate`: PostgreSQL's code when a statement of a revision failed */
  | { ok: false; reason: 'failed'; problems: Problem[]; sqlstate?: string }
  | { ok: false; reason: 'interrupted' };

/**
 * How much work one message of batched revisions may carry on a shadow. `up` keeps its batches to
 * about 40 ms, what the server may go on with after a killed client; a shadow is dropped after, so
 * a long history goes in fewer round trips. Each revision is still its own transaction, with the
 * same bookkeeping (the session reset, the lock guard, the tracking rows) as `up` gives it.
 */
const SHADOW_BATCH_BUDGET_MS = 250;

/**
 * Runs one plan on a shadow with the run pipeline, as `up` and `down` would run it on a database,
 * quietly: what the pipeline reports along the way is about the shadow, not the user's database.
 */
export async function migrateShadow(db: Database, config: StrataConfig, revisions: RevisionSet, planner: Planner, signal?: AbortSignal): Promise<MigrateResult> {
  const report = await runPipeline(db, config, { command: 'up', planner, revisions, options: { signal, batchBudgetMs: SHADOW_BATCH_BUDGET_MS } }, () => {});
  if (report.ok) return report;
  if (report.reason === 'interrupted') return { ok: false, reason: 'interrupted' };
  if (report.reason !== 'failed') return { ok: false, reason: 'failed', problems: report.problems };
  const { failure } = report;
  // PGlite has no libpqwalreceiver, which CREATE SUBSCRIPTION loads even WITH (connect = false)
  const noSubscriptions = db.isEmbedded && failure.message.includes('libpqwalreceiver');
  return {
    ok: false,
    reason: 'failed',
    sqlstate: failure.sqlstate,
    problems: [problem('SHADOW_MIGRATION_FAILED', {
      file: failure.file, line: failure.line, column: failure.column, revision: failure.id, codeFrame: failure.codeFrame,
      message: noSubscriptions
        ? `${failure.direction}.sql of ${failure.id} failed on the shadow database: the embedded PGlite cannot create a subscription (it has no libpqwalreceiver)`
        : `${failure.direction}.sql of ${failure.id} failed on the shadow database: ${failure.message} (${failure.sqlstate})${failure.detail ? `; ${failure.detail}` : ''}`,
      hint: noSubscriptions
        ? 'use a PostgreSQL server as the shadow: set DATABASE_URL (a temporary database is made there) or SHADOW_DATABASE_URL'
        : failure.hint ?? 'fix the revision: every revision must apply from an empty database (strata up on a new database does the same)',
    })],
  };
}

/** A database's schema as the project compares it: strata's tracking schema left out, grants when the project asks for them. */
export function snapshotShadow(db: Database, config: StrataConfig): Promise<Snapshot> {
  return takeSnapshot(db, { excludedSchemas: [config.schema], privileges: config.privileges, serverVersionNum: db.serverVersionNum });
}
