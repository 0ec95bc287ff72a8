import { sha256 } from '../revision/checksums.js';
import { compile, sql } from 'pg-sql2';
import { quoteLiteral } from '../sql/quote.js';
import type { Database } from './database.js';
import { queryTracking, quoteIdentifier } from './tracking.js';

/**
 * `<schema>.progress` (tracking version 4): how far a Transaction: off revision got. Its statements
 * commit one by one, so when one fails the ones before it stay; the run that resumes it must run
 * neither those again nor a changed text of them. One row per revision and direction while it is
 * partly done: `done` statements took effect (each text's checksum in `checksums`), `failed_at`
 * the one that failed (1-based) when the run saw it fail, null when the run ended unseen (killed)
 * with statement `done + 1` perhaps running. The row goes in the transaction that records the
 * revision. Written as literal SQL: it travels in the run's own simple-protocol messages.
 */
export interface ProgressRow {
  revisionId: string;
  direction: 'up' | 'down';
  statementCount: number;
  done: number;
  checksums: string[];
  failedAt: number | null;
  error: { sqlstate?: string; message?: string } | null;
  /** the server process that ran the statements, and since when it runs: to tell whether it still does */
  pid: number;
  backendStart: Date | null;
  actor: string;
  updatedAt: Date;
}

/** sha-256 of a statement's text, as split from the revision: what resuming compares. */
export function statementChecksum(text: string): string {
  return sha256(text.trim());
}

/** Every progress row; none when the tracking schema is older than version 4 or missing (read-only commands read old schemas). */
export async function readProgress(db: Database, schema: string): Promise<ProgressRow[]> {
  const s = sql.identifier(schema);
  const rows = await queryTracking<{
    revision_id: string; direction: 'up' | 'down'; statement_count: number; done: number; checksums: string[]; failed_at: number | null;
    error: ProgressRow['error']; pid: number; backend_start: Date | string | null; actor: string; updated_at: Date | string;
  }>(db, compile(sql`select revision_id, direction, statement_count, done, checksums, failed_at, error, pid, backend_start, actor, updated_at
from ${s}.progress order by revision_id, direction`) as { text: string; values: unknown[] });
  return (rows ?? []).map((row) => ({
    revisionId: row.revision_id, direction: row.direction, statementCount: row.statement_count, done: row.done, checksums: row.checksums,
    failedAt: row.failed_at, error: row.error, pid: row.pid, backendStart: row.backend_start === null ? null : new Date(row.backend_start),
    actor: row.actor, updatedAt: new Date(row.updated_at),
  }));
}

/** The row as a revision's statements start (or resume after `checksums.length` done ones), by this session. */
export function startProgressSql(schema: string, id: string, direction: 'up' | 'down', statementCount: number, checksums: readonly string[], actor: string): string {
  const s = quoteIdentifier(schema);
  return `insert into ${s}.progress (revision_id, direction, statement_count, done, checksums, pid, backend_start, actor)
select ${quoteLiteral(id)}, ${quoteLiteral(direction)}, ${statementCount}, ${checksums.length}, array[${checksums.map(quoteLiteral).join(', ')}]::text[], pg_catalog.pg_backend_pid(), a.backend_start, ${quoteLiteral(actor)}
from (select (select backend_start from pg_catalog.pg_stat_activity where pid = pg_catalog.pg_backend_pid()) as backend_start) a
on conflict (revision_id, direction) do update set statement_count = excluded.statement_count, done = excluded.done, checksums = excluded.checksums,
  failed_at = null, error = null, pid = excluded.pid, backend_start = excluded.backend_start, actor = excluded.actor, updated_at = pg_catalog.clock_timestamp();`;
}

/** Statements up to `done` took effect; `added` are the checksums of those since the last update. */
export function advanceProgressSql(schema: string, id: string, direction: 'up' | 'down', done: number, added: readonly string[]): string {
  const s = quoteIdentifier(schema);
  return `update ${s}.progress set done = ${done}, checksums = checksums || array[${added.map(quoteLiteral).join(', ')}]::text[], updated_at = pg_catalog.clock_timestamp()
where revision_id = ${quoteLiteral(id)} and direction = ${quoteLiteral(direction)};`;
}

/** Statement `failedAt` (1-based) failed and took no effect; the ones up to `done` stand. */
export function failProgressSql(schema: string, id: string, direction: 'up' | 'down', failedAt: number, error: { sqlstate: string; message: string }): string {
  const s = quoteIdentifier(schema);
  return `update ${s}.progress set failed_at = ${failedAt}, error = ${quoteLiteral(JSON.stringify(error))}::jsonb, updated_at = pg_catalog.clock_timestamp()
where revision_id = ${quoteLiteral(id)} and direction = ${quoteLiteral(direction)};`;
}

/** In the transaction that records the revision (or reverts its record): it is done, not partly. */
export function clearProgressSql(schema: string, id: string, direction: 'up' | 'down'): string {
  const s = quoteIdentifier(schema);
  return `delete from ${s}.progress where revision_id = ${quoteLiteral(id)} and direction = ${quoteLiteral(direction)};`;
}

/** Whether the server process of a row still runs (the statement it was sent may still be going). */
export async function isStillRunning(db: Database, row: ProgressRow): Promise<boolean> {
  const rows = await db.query<{ n: number }>(
    // a Date has milliseconds; backend_start has microseconds
    `select count(*)::int as n from pg_catalog.pg_stat_activity where pid = $1 and pid <> pg_catalog.pg_backend_pid()
      and ($2::timestamptz is null or pg_catalog.date_trunc('milliseconds', backend_start) = pg_catalog.date_trunc('milliseconds', $2::timestamptz))`,
    [row.pid, row.backendStart]);
  return (rows[0]?.n ?? 0) > 0;
}
