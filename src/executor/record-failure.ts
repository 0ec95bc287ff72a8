import type { Database } from '../db/database.js';
import { recordEventSql } from '../db/tracking.js';
import type { Step } from '../plan/plan.js';
import type { RunState } from './run-state.js';
import type { Failure } from './failure.js';
import { eventActionOf } from './step-script.js';

/**
 * Logs a failed step in `<schema>.events`, in a transaction of its own: never inside the step's
 * block, which the server has aborted or which strata rolls back (the session's own status says
 * which), and through a new session when the run's connection is gone.
 */
export async function recordFailure(run: RunState, step: Step, durationMs: number, failure: Failure): Promise<void> {
  const { session, options } = run;
  const statement = recordEventSql(options.schema, {
    action: eventActionOf(step, options.eventAction), revisionId: step.id, ok: false, durationMs, actor: options.actor,
    error: { sqlstate: failure.sqlstate, message: failure.message, file: failure.file, line: failure.line, column: failure.column },
  });
  let other: Database | undefined;
  try {
    let db = run.db;
    if (session.isLost) {
      if (!run.db.openSession) return;
      other = await run.db.openSession('strata (recording a failure)');
      db = other;
    } else {
      await session.rollbackIfOpen();
      if (session.status !== 'idle') return;
    }
    await db.query(statement.text, statement.values);
  } catch {
    // the tracking schema may not exist yet (first revision failed) or the server is unreachable
  } finally {
    await other?.close();
  }
}
