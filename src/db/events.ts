import { compile, sql } from 'pg-sql2';
import type { Database } from './database.js';
import { queryTracking, type EventAction } from './tracking.js';

/** One row of `<schema>.events`, as reported by `strata log`. */
export interface LogEvent {
  /** increasing with time: the newest event has the highest id */
  id: number;
  /** ISO 8601, UTC */
  at: string;
  action: EventAction;
  revision: string;
  ok: boolean;
  durationMs: number;
  /** who ran strata: os user@host */
  actor: string;
  /** the database role that ran it */
  dbUser: string;
  /** failures only: what went wrong and where */
  error: EventError | null;
  /** e.g. { source: 'stored' } when a stored down.sql ran */
  details: Record<string, unknown> | null;
}

export interface EventError {
  sqlstate: string | null;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
}


/** The newest `limit` events, newest first; none when the tracking schema does not exist yet. */
export async function readEvents(db: Database, schema: string, limit: number): Promise<LogEvent[]> {
  const s = sql.identifier(schema);
  const query = compile(sql`select id::text as event_id, at, action, revision_id, ok, duration_ms, actor, db_user, error, details
from ${s}.events order by id desc limit ${sql.value(limit)}`);
  const rows = await queryTracking<{
    event_id: string; at: Date | string; action: EventAction; revision_id: string; ok: boolean; duration_ms: number;
    actor: string; db_user: string; error: Record<string, unknown> | string | null; details: Record<string, unknown> | string | null;
  }>(db, query as { text: string; values: unknown[] });
  if (!rows) return [];
  return rows.map((row) => ({
    id: Number(row.event_id),
    at: new Date(row.at).toISOString(),
    action: row.action,
    revision: row.revision_id,
    ok: row.ok,
    durationMs: row.duration_ms,
    actor: row.actor,
    dbUser: row.db_user,
    error: row.error === null ? null : eventError(parseJson(row.error)),
    details: row.details === null ? null : parseJson(row.details),
  }));
}

function parseJson(value: Record<string, unknown> | string): Record<string, unknown> {
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : value;
}

function eventError(raw: Record<string, unknown>): EventError {
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const number = (v: unknown) => (typeof v === 'number' ? v : null);
  return { sqlstate: text(raw.sqlstate), message: text(raw.message) ?? 'unknown error', file: text(raw.file), line: number(raw.line), column: number(raw.column) };
}
