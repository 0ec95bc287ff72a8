import type { Database } from '../db/database.js';
import { problem, type Problem } from '../errors.js';
import { DatabaseQueryError } from '../db/database.js';
import { quoteLiteral } from '../sql/quote.js';

/** 'STRA': the first key of strata's two-key advisory lock; the second is hashtext(schema). */
export const LOCK_CLASS = 1398035009;
/** 'STRB': with the lock session's pid, a lock only that session ever takes (see LockGuard). */
export const TOKEN_CLASS = 1398035010;

export interface LockHolder {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  since: Date | null;
  query: string | null;
}

/**
 * How a bookkeeping statement makes sure the run still holds its lock, failing its transaction
 * when not.
 * - 'session': strata holds the lock on a session of its own, where nothing else runs, so that
 *   no revision's SQL (pg_advisory_unlock_all(), DISCARD ALL) can release it; that session can
 *   still end (terminated, its connection dropped). With the run lock it takes a token, an
 *   advisory lock keyed by its own pid that nobody else takes. The guard asks for both, shared
 *   and without waiting: it gets one only when its holder has let go of it. (pg_locks would say
 *   the same but costs a scan of the whole lock table, which grows with
 *   max_locks_per_transaction; a session still listed in pg_stat_activity may already have
 *   released its locks on its way out.)
 * - 'this-session': the lock was taken by the session that runs the script (psql running what
 *   `strata sql` printed), where the revisions' SQL could release it, and where asking for it
 *   again would succeed: pg_locks must show it.
 */
export type LockGuard =
  | { kind: 'session'; pid: number }
  | { kind: 'this-session' };

/** The lock, once had: where it is held (to release it there) and how to check it is still held. */
export interface HeldLock {
  session: Database;
  /** undefined on a database no other session can reach (PGlite): nobody can take the lock there */
  guard: LockGuard | undefined;
  /** no advisory lock was taken: the database is held while open (Database.runLock), so there is nothing to release */
  isImplied?: boolean;
}

export type LockResult = { ok: true; lock: HeldLock } | { ok: false; holder: LockHolder | undefined };

/**
 * One session-level advisory lock per tracking schema, held for the whole run on the database's
 * lock session (its own connection) when it has one. If another session holds it, say who, then
 * wait for it (bounded by timeoutMs) without polling.
 */
export async function acquireRunLock(
  db: Database,
  schema: string,
  timeoutMs: number,
  onWait: (holder: LockHolder | undefined) => void,
): Promise<LockResult> {
  // nobody else can reach the database while this process has it open: the run is alone already
  if (db.runLock === 'held-while-open') return { ok: true, lock: { session: db, guard: undefined, isImplied: true } };
  const session = db.lockSession ? await db.lockSession() : db;
  const held = async (): Promise<LockResult> => ({ ok: true, lock: { session, guard: session === db ? undefined : await sessionIdentity(session) } });
  if (session !== db) {
    // on a lock session of its own, the token (sessionIdentity) is taken in the same statement when the lock is free
    const pid = await session.backendPid();
    const [first] = await session.query<{ locked: boolean }>(`with attempt as materialized (select pg_try_advisory_lock($1, hashtext($2)) as locked)
select locked, case when locked then pg_advisory_lock($3, $4)::text end as token from attempt`, [LOCK_CLASS, schema, TOKEN_CLASS, pid]);
    if (first?.locked) return { ok: true, lock: { session, guard: { kind: 'session', pid } } };
  } else {
    const [first] = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [LOCK_CLASS, schema]);
    if (first?.locked) return held();
  }
  const holder = await lockHolder(session, schema);
  onWait(holder);
  if (timeoutMs <= 0) return { ok: false, holder };
  // --lock-timeout bounds the wait, not a statement_timeout set on the database or role (which
  // would cancel the wait early with an error); the session's own value is put back afterwards
  const [saved] = await session.query<{ statement_timeout: string }>(`select current_setting('statement_timeout') as statement_timeout`);
  try {
    await session.query(`select set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)`, [`${timeoutMs}ms`]);
    await session.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    return await held();
  } catch (error) {
    if (error instanceof DatabaseQueryError && error.info.code === '55P03') return { ok: false, holder: (await lockHolder(session, schema)) ?? holder };
    throw error;
  } finally {
    await session.query(`select set_config('lock_timeout', '0', false), set_config('statement_timeout', $1, false)`, [saved?.statement_timeout ?? '0']).catch(() => {});
  }
}

async function sessionIdentity(session: Database): Promise<LockGuard> {
  const pid = await session.backendPid();
  await session.query('select pg_advisory_lock($1, $2)', [TOKEN_CLASS, pid]);
  return { kind: 'session', pid };
}

export async function releaseRunLock(lock: HeldLock, schema: string): Promise<void> {
  if (lock.isImplied) return;
  try {
    if (lock.guard?.kind === 'session') await lock.session.query('select pg_advisory_unlock($1, hashtext($2)), pg_advisory_unlock($3, $4)', [LOCK_CLASS, schema, TOKEN_CLASS, lock.guard.pid]);
    else await lock.session.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, schema]);
  } catch {
    // the connection is gone, and the lock with it
  }
}

/** The SQLSTATE and the start of the message of a lock guard that failed. */
export const LOCK_LOST_SQLSTATE = '55000';
export const LOCK_LOST_MESSAGE = "strata's migration lock";

/** The name the guard's error carries in its CONSTRAINT field: how strata knows the error is its own, without reading the message. */
export const LOCK_LOST_MARK = 'strata_migration_lock';

export function isLockLost(error: { code: string; constraint?: string | undefined }): boolean {
  return error.code === LOCK_LOST_SQLSTATE && error.constraint === LOCK_LOST_MARK;
}

/**
 * A statement that fails its transaction unless the run still holds its lock: run before every
 * bookkeeping statement, and before a Transaction: off step starts.
 */
export function lockGuardSql(schema: string, guard: LockGuard): string {
  const key = `${LOCK_CLASS}, pg_catalog.hashtext(${quoteLiteral(schema)})`;
  const lost = guard.kind === 'session'
    ? `pg_catalog.pg_try_advisory_xact_lock_shared(${TOKEN_CLASS}, ${guard.pid}) or pg_catalog.pg_try_advisory_xact_lock_shared(${key})`
    : `not exists (select from pg_catalog.pg_locks l where l.locktype = 'advisory' and l.granted and l.pid = pg_catalog.pg_backend_pid()
      and l.classid = ${LOCK_CLASS}::oid and l.objid = pg_catalog.hashtext(${quoteLiteral(schema)})::oid and l.objsubid = 2
      and l.database = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()))`;
  const message = guard.kind === 'session'
    ? `${LOCK_LOST_MESSAGE} on schema ${schema} is no longer held: the session that held it (pid ${guard.pid}) has ended or is ending`
    : `${LOCK_LOST_MESSAGE} on schema ${schema} is no longer held by this session`;
  const hint = guard.kind === 'session'
    ? 'someone ended strata\'s lock session (pg_terminate_backend?) or its connection dropped: another strata run may have started; check strata status'
    : 'a statement of the revisions released it (pg_advisory_unlock_all(), DISCARD ALL): another strata run may have started; check strata status';
  const body = ` begin
  if ${lost} then
    raise exception using errcode = ${quoteLiteral(LOCK_LOST_SQLSTATE)}, message = ${quoteLiteral(message)}, hint = ${quoteLiteral(hint)}, constraint = ${quoteLiteral(LOCK_LOST_MARK)};
  end if;
end `;
  const tag = dollarTag(body);
  return `do ${tag}${body}${tag};`;
}

/** `$strata$`, or `$strata_N$` if the text holds that. */
function dollarTag(text: string): string {
  for (let n = 0; ; n++) {
    const tag = n === 0 ? '$strata$' : `$strata_${n}$`;
    if (!text.includes(tag)) return tag;
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
    object: { kind: 'schema', name: schema },
    hint: 'wait for the other run to finish, raise --lock-timeout, or end that session if it is stuck (select pg_terminate_backend(pid))',
  });
}
