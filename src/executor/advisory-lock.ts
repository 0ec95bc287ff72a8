import type { Database } from '../db/database.js';
import { problem, type Problem } from '../errors.js';
import { DatabaseQueryError } from '../db/database.js';

/** 'STRA': the first key of strata's two-key advisory lock; the second is hashtext(schema). */
export const LOCK_CLASS = 1398035009;

export interface LockHolder {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  since: Date | null;
  query: string | null;
}

export type LockResult = { ok: true } | { ok: false; holder: LockHolder | undefined };

/**
 * One session-level advisory lock per tracking schema, held for the whole run. If another
 * session holds it, say who, then wait for it (bounded by timeoutMs) without polling.
 */
export async function acquireRunLock(
  db: Database,
  schema: string,
  timeoutMs: number,
  onWait: (holder: LockHolder | undefined) => void,
): Promise<LockResult> {
  const [first] = await db.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [LOCK_CLASS, schema]);
  if (first?.locked) return { ok: true };
  const holder = await lockHolder(db, schema);
  onWait(holder);
  if (timeoutMs <= 0) return { ok: false, holder };
  // --lock-timeout bounds the wait, not a statement_timeout set on the database or role (which
  // would cancel the wait early with an error); the session's own value is put back afterwards
  const [saved] = await db.query<{ statement_timeout: string }>(`select current_setting('statement_timeout') as statement_timeout`);
  try {
    await db.query(`select set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)`, [`${timeoutMs}ms`]);
    await db.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    return { ok: true };
  } catch (error) {
    if (error instanceof DatabaseQueryError && error.info.code === '55P03') return { ok: false, holder: (await lockHolder(db, schema)) ?? holder };
    throw error;
  } finally {
    await db.query(`select set_config('lock_timeout', '0', false), set_config('statement_timeout', $1, false)`, [saved?.statement_timeout ?? '0']).catch(() => {});
  }
}

export async function releaseRunLock(db: Database, schema: string): Promise<void> {
  try {
    await db.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, schema]);
  } catch {
    // the connection is gone, and the lock with it
  }
}

async function lockHolder(db: Database, schema: string): Promise<LockHolder | undefined> {
  const rows = await db.query<{
    pid: number; usename: string | null; application_name: string | null; client: string | null; backend_start: Date | null; query: string | null;
  }>(
    `select a.pid, a.usename::text as usename, a.application_name, coalesce(host(a.client_addr), 'local socket') as client, a.backend_start, a.query
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = $1::int4::oid and l.objid = hashtext($2)::oid and l.objsubid = 2
        and l.database = (select oid from pg_database where datname = current_database())
      limit 1`,
    [LOCK_CLASS, schema],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { pid: row.pid, user: row.usename, application: row.application_name, client: row.client, since: row.backend_start ? new Date(row.backend_start) : null, query: row.query };
}

/** The problem reported when the lock was not free within the timeout, naming who held it. */
export function lockTimeoutProblem(schema: string, timeoutMs: number, holder: LockHolder | undefined): Problem {
  const who = holder ? `pid ${holder.pid}${holder.application ? ` (${holder.application})` : ''}` : 'another session';
  return problem('LOCK_TIMEOUT', {
    message: `gave up after ${timeoutMs / 1000} s waiting for the migration lock on schema ${schema}, held by ${who}`,
    hint: 'wait for the other run to finish, raise --lock-timeout, or end that session if it is stuck (select pg_terminate_backend(pid))',
  });
}
