import { compile, sql } from 'pg-sql2';
import type { Database } from '../db/database.js';
import type { Step } from '../plan/plan.js';

/**
 * When the connection drops after strata sent a COMMIT but before it read the reply, the server
 * may have committed or not: only the database can say. A new session finds out: it waits for the
 * old session to end (ending it if it lingers), so that nothing of it can still commit; flushes
 * the WAL, so that what it finds committed is also durable; and reads which of the steps have
 * their event in `<schema>.events` (each step's bookkeeping writes one, in the step's own
 * transaction) among those written since the run began.
 */
export type LostOutcome =
  | { known: true; done: boolean[] }
  | { known: false; reason: string };

const OLD_SESSION_WAIT_MS = 3000;
const TERMINATED_WAIT_MS = 2000;

export async function settleLostSteps(
  lost: Database, oldPid: number, schema: string, watermark: number, steps: readonly Step[], action: (step: Step) => string,
): Promise<LostOutcome> {
  if (!lost.openSession) return { known: false, reason: 'this database cannot be reached from a second session' };
  let db: Database;
  try {
    db = await lost.openSession('strata (after a lost connection)');
  } catch (error) {
    return { known: false, reason: `reconnecting failed: ${(error as Error).message}` };
  }
  try {
    if (!(await hasEnded(db, oldPid, OLD_SESSION_WAIT_MS))) {
      await db.query('select pg_terminate_backend($1)', [oldPid]);
      if (!(await hasEnded(db, oldPid, TERMINATED_WAIT_MS))) return { known: false, reason: `the old session (pid ${oldPid}) did not end` };
    }
    await db.query('select pg_catalog.txid_current()');
    const s = sql.identifier(schema);
    const query = compile(sql`select action, revision_id from ${s}.events where id > ${sql.value(watermark)} and ok order by id`) as { text: string; values: unknown[] };
    const events = await db.query<{ action: string; revision_id: string }>(query.text, query.values);
    let at = 0;
    const done = steps.map((step) => {
      const found = events.findIndex((e, k) => k >= at && e.action === action(step) && e.revision_id === step.id);
      if (found === -1) return false;
      at = found + 1;
      return true;
    });
    // what is done is a prefix: each step's event comes after the one before it
    const firstUndone = done.indexOf(false);
    return { known: true, done: done.map((d, k) => d && (firstUndone === -1 || k < firstUndone)) };
  } catch (error) {
    return { known: false, reason: `reading ${schema}.events failed: ${(error as Error).message}` };
  } finally {
    await db.close();
  }
}

/** The newest event id when the run began: the events of this run's steps come after it. */
export async function eventWatermark(db: Database, schema: string): Promise<number> {
  const query = compile(sql`select coalesce(max(id), 0)::text as id from ${sql.identifier(schema)}.events`) as { text: string; values: unknown[] };
  try {
    const [row] = await db.query<{ id: string }>(query.text, query.values);
    return Number(row?.id ?? 0);
  } catch {
    return 0;
  }
}

async function hasEnded(db: Database, pid: number, waitMs: number): Promise<boolean> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const rows = await db.query('select 1 from pg_stat_activity where pid = $1', [pid]);
    if (rows.length === 0) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
