import type { Problem } from '../errors.js';
import { planners } from '../plan/planners.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Failure } from './execute-steps.js';
import type { RunReport, RunRequest } from './run.js';

export type StampReport =
  /** `stamped`: recorded as applied, in order; `unstamped`: records removed, newest first */
  | { ok: true; command: 'stamp'; stamped: string[]; unstamped: string[]; notes: string[] }
  | { ok: false; reason: 'invalid' | 'unavailable'; command: 'stamp'; problems: Problem[] }
  | { ok: false; reason: 'failed'; command: 'stamp'; failure: Failure };

/**
 * strata stamp: records revisions as applied, or removes their records, without running their
 * SQL (adopting a database whose schema already exists, or telling strata about work done by
 * hand). It is a run of the pipeline whose steps are record-only: the same checks as `up` first
 * (files, chain, checksums, and the SQL of what is recorded must parse), then under the lock,
 * re-planned there, all records in one transaction, each logged as 'stamp' or 'unstamp'.
 */
export function stampRequest(target: string, revisions: RevisionSet): RunRequest {
  return {
    command: 'stamp',
    planner: planners.stamp(target),
    revisions,
    options: { singleTransaction: true },
    nothingToDo: {
      beforeLock: 'nothing to record: the database is already at that revision',
      underLock: 'nothing to record: another runner had already moved the database there',
    },
  };
}

export function toStampReport(report: RunReport): StampReport {
  if (report.ok) {
    return {
      ok: true, command: 'stamp', notes: report.notes,
      stamped: report.steps.filter((s) => s.direction === 'up').map((s) => s.id),
      unstamped: report.steps.filter((s) => s.direction === 'down').map((s) => s.id),
    };
  }
  if (report.reason === 'invalid' || report.reason === 'unavailable') return { ok: false, reason: report.reason, command: 'stamp', problems: report.problems };
  // one transaction: there is no boundary to stop at, so a stamp is never interrupted
  if (report.reason === 'interrupted') throw new Error('a stamp runs in one transaction and cannot be interrupted');
  return { ok: false, reason: 'failed', command: 'stamp', failure: report.failure };
}
