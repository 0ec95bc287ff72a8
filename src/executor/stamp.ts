import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { quoteIdentifier, readApplied, recordDownStatement, recordEventSql } from '../db/tracking.js';
import { planTracking, upgradeNote } from '../db/tracking-schema.js';
import { problem, type Problem } from '../errors.js';
import { releaseRunLock } from './advisory-lock.js';
import { recordingStatements } from './step-script.js';
import { lockGuardSql } from './advisory-lock.js';
import { checkSteps, currentActor, lockForRun, type EventListener } from './run.js';
import { planStamp, type StampPlan } from '../plan/plan-stamp.js';
import type { RevisionSet } from '../revision/build-revisions.js';

export interface StampFailure {
  sqlstate: string;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
  effects: string;
}

export type StampReport =
  /** `stamped`: recorded as applied, in order; `unstamped`: records removed, newest first */
  | { ok: true; command: 'stamp'; stamped: string[]; unstamped: string[]; notes: string[] }
  | { ok: false; reason: 'invalid' | 'unavailable'; command: 'stamp'; problems: Problem[] }
  | { ok: false; reason: 'failed'; command: 'stamp'; failure: StampFailure };

/**
 * Records revisions as applied, or removes their records, without running their SQL: adopting a
 * database whose schema already exists, or telling strata about work done by hand. The same
 * checks as `up` first (files, chain, checksums, and the SQL of what is recorded must parse), then
 * under the migration lock, re-planned there, all records in one transaction, each logged in
 * `events` as 'stamp' or 'unstamp'.
 */
export async function runStamp(db: Database, config: StrataConfig, target: string, set: RevisionSet, emit: EventListener): Promise<StampReport> {
  const invalid = (problems: Problem[]): StampReport => ({ ok: false, reason: 'invalid', command: 'stamp', problems });
  if (set.problems.length > 0) return invalid(set.problems);
  const planned = async (): Promise<{ plan: StampPlan }> => {
    const tracking = await readApplied(db, config.schema);
    return { plan: planStamp(set.revisions, tracking.applied, target) };
  };
  const check = async (plan: Extract<StampPlan, { ok: true }>) => (await checkSteps(plan.stamp, {})).problems;

  const first = await planned();
  if (!first.plan.ok) return invalid(first.plan.problems);
  if (first.plan.stamp.length + first.plan.unstamp.length === 0) return { ok: true, command: 'stamp', stamped: [], unstamped: [], notes: ['nothing to record: the database is already at that revision'] };
  const problems = await check(first.plan);
  if (problems.length > 0) return invalid(problems);

  const lock = await lockForRun(db, config, emit);
  if (!lock.ok) return { ok: false, reason: 'unavailable', command: 'stamp', problems: [lock.problem] };
  try {
    // another runner may have moved the database between the first read and the lock
    const { plan } = await planned();
    if (!plan.ok) return invalid(plan.problems);
    if (plan.stamp.length + plan.unstamp.length === 0) return { ok: true, command: 'stamp', stamped: [], unstamped: [], notes: ['nothing to record: another runner had already moved the database there'] };
    const recheck = await check(plan);
    if (recheck.length > 0) return invalid(recheck);

    const actor = currentActor();
    const tracking = await planTracking(db, config.schema, actor);
    if (!tracking.ok) return { ok: false, reason: 'unavailable', command: 'stamp', problems: [tracking.problem] };
    const statements = [
      'begin;',
      ...(tracking.sql === '' ? [] : [tracking.sql]),
      ...(lock.lock.guard ? [lockGuardSql(config.schema, lock.lock.guard)] : []),
      ...plan.stamp.map((step) => recordingStatements(step, config.schema, actor, undefined, { action: 'stamp' })),
      ...plan.unstamp.map((row) => recordDownStatement(config.schema, row.id, actor, undefined, 'unstamp')),
      'commit;',
    ];
    const result = await db.runScript(statements.join('\n'));
    if (!result.ok) {
      if (result.status !== 'idle') await db.runScript('rollback').catch(() => {});
      const first = plan.stamp[0]?.id ?? plan.unstamp[0]!.id;
      const recorded = recordEventSql(config.schema, {
        action: plan.stamp.length > 0 ? 'stamp' : 'unstamp', revisionId: first, ok: false, durationMs: 0, actor,
        error: { sqlstate: result.error.code, message: result.error.message },
      });
      await db.query(recorded.text, recorded.values).catch(() => {});
      return {
        ok: false, reason: 'failed', command: 'stamp',
        failure: {
          sqlstate: result.error.code,
          message: `recording in ${quoteIdentifier(config.schema)} failed: ${result.error.message}`,
          detail: result.error.detail,
          hint: result.error.hint,
          effects: 'nothing was recorded (one transaction)',
        },
      };
    }
    const notes = tracking.sql !== '' && tracking.from > 0 ? [upgradeNote(config.schema, tracking.from)] : [];
    return { ok: true, command: 'stamp', stamped: plan.stamp.map((s) => s.id), unstamped: plan.unstamp.map((r) => r.id), notes };
  } finally {
    await releaseRunLock(lock.lock, config.schema);
  }
}
