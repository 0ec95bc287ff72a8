import { compile, sql, type SQL } from 'pg-sql2';
import { quoteLiteral } from '../sql/quote.js';
import { redactDeep } from '../text/redact.js';
import type { AppliedRevision } from '../plan/applied-revision.js';
import { DatabaseQueryError, type Database } from './database.js';

/**
 * The tracking schema: `revisions` (one row per applied revision) and `events` (an append-only log).
 * Every identifier goes through pg-sql2; values are always parameters.
 */
export type EventAction = 'up' | 'down' | 'stamp' | 'unstamp' | 'dev' | 'upgrade' | 'squash';

export interface EventRecord {
  action: EventAction;
  revisionId: string;
  ok: boolean;
  durationMs: number;
  actor: string;
  /** for failures: the error as reported */
  error?: Record<string, unknown>;
  /** e.g. { source: 'stored' } */
  details?: Record<string, unknown>;
}

/** What recording an applied revision writes: its row, less what the server fills in. */
export type RevisionRecord = Pick<AppliedRevision, 'id' | 'parent' | 'message' | 'tags' | 'upChecksum' | 'downChecksum' | 'downText'> & {
  actor: string;
};

/**
 * Version 1 of the tracking schema, as every strata before the versioned schema created it. Frozen:
 * later versions are upgrade steps in tracking-schema.ts, and writers go through `prepareTracking`.
 * Readers read only the columns of this layout, so they work on a schema not upgraded yet.
 */
export function trackingSchemaSql(schema: string): string {
  const s = sql.identifier(schema);
  return compile(sql`create schema if not exists ${s};
create table if not exists ${s}.revisions (
  id text primary key,
  parent text not null,
  message text,
  tags text[] not null default '{}',
  up_checksum text not null,
  down_checksum text not null,
  down_sql text not null,
  applied_at timestamptz not null default clock_timestamp(),
  applied_by text not null,
  duration_ms integer not null
);
create table if not exists ${s}.events (
  id bigint generated always as identity primary key,
  at timestamptz not null default clock_timestamp(),
  action text not null check (action in ('up', 'down', 'stamp', 'unstamp', 'dev')),
  revision_id text not null,
  ok boolean not null,
  duration_ms integer not null,
  actor text not null,
  db_user text not null default current_user,
  error jsonb,
  details jsonb
);
comment on schema ${s} is 'strata migration tracking: revisions applied and the event log';`).text;
}

const UNDEFINED_TABLE = '42P01';
const UNDEFINED_SCHEMA = '3F000';

/** Rows of a query on a tracking table; undefined when the tracking schema does not exist yet. */
export async function queryTracking<R>(db: Database, query: { text: string; values: unknown[] }): Promise<R[] | undefined> {
  try {
    return await db.query<R>(query.text, query.values);
  } catch (error) {
    if (error instanceof DatabaseQueryError && (error.info.code === UNDEFINED_TABLE || error.info.code === UNDEFINED_SCHEMA)) return undefined;
    throw error;
  }
}

/** Applied revisions in id order, and a digest of the row versions read: the same digest, the same rows. */
export interface AppliedReading {
  exists: boolean;
  applied: AppliedRevision[];
  /** md5 of every row's (ctid, xmin): a row written again, deleted or added gives another */
  version?: string;
}

/**
 * Applied revisions in id order; empty when the tracking schema does not exist yet (nothing was
 * ever applied). Given the reading before (the run pipeline's re-read under the lock), the rows
 * are sent again only when their versions changed: otherwise that reading's rows are the answer.
 *
 * The rows come as one JSON array in one value: decoding a thousand rows field by field (each
 * a row object, its text array and timestamp parsed) cost a no-op `up` more than the server took
 * to send them; JSON.parse of the one value is native. applied_at comes as whole milliseconds
 * since the epoch, what a Date holds.
 */
export async function readApplied(db: Database, schema: string, previous?: AppliedReading): Promise<AppliedReading> {
  const s = sql.identifier(schema);
  const query = compile(sql`with v as (select md5(coalesce(string_agg(ctid::text || ':' || xmin::text, ',' order by ctid), '')) as version from ${s}.revisions)
select v.version, (
  select coalesce(json_agg(json_build_array(id, parent, message, tags, up_checksum, down_checksum, down_sql,
    floor(extract(epoch from applied_at) * 1000), applied_by, duration_ms) order by id), '[]')::text
  from ${s}.revisions where v.version is distinct from ${sql.value(previous?.exists ? previous.version ?? null : null)}) as rows
from v`);
  const result = await queryTracking<{ version: string; rows: string }>(db, query as { text: string; values: unknown[] });
  if (!result) return { exists: false, applied: [] };
  const version = result[0]?.version;
  if (previous?.exists && previous.version === version) return previous;
  const rows = JSON.parse(result[0]?.rows ?? '[]') as Array<[string, string, string | null, string[], string, string, string, number, string, number]>;
  return { exists: true, version, applied: rows.map(([id, parent, message, tags, upChecksum, downChecksum, downText, appliedAtMs, appliedBy, durationMs]) => ({
    id, parent, message, tags, upChecksum, downChecksum, downText, appliedAt: new Date(appliedAtMs), appliedBy, durationMs,
  })) };
}

export function recordEventSql(schema: string, event: EventRecord): { text: string; values: unknown[] } {
  const s = sql.identifier(schema);
  return compile(sql`insert into ${s}.events (action, revision_id, ok, duration_ms, actor, error, details)
values (${sql.value(event.action)}, ${sql.value(event.revisionId)}, ${sql.value(event.ok)}, ${sql.value(event.durationMs)}, ${sql.value(event.actor)},
  ${sql.value(jsonOrNull(event.error))}::jsonb, ${sql.value(jsonOrNull(event.details))}::jsonb)`) as { text: string; values: unknown[] };
}

/** Event rows outlive the run and are read by others: no password reaches them (a failing dblink call's message, say). */
function jsonOrNull(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(redactDeep(value));
}

const quotedIdentifiers = new Map<string, string>();

/** Memoised: the bookkeeping of every revision quotes the same schema name (pg-sql2's compile is not free). */
export function quoteIdentifier(name: string): string {
  let quoted = quotedIdentifiers.get(name);
  if (quoted === undefined) {
    quoted = compile(sql.identifier(name)).text;
    quotedIdentifiers.set(name, quoted);
  }
  return quoted;
}

/**
 * The bookkeeping statements, as literal SQL, because they run in the same simple-protocol
 * script as the revision (one round trip per revision) and `strata sql` prints that very script.
 * Values go through quoteLiteral.
 *
 * How long the step took: for a transactional step the server measures it, from the later of
 * now() and the newest event's time; a Transaction: off step commits statement by statement, so
 * its duration is measured by the client and written as a number. now() alone is not the step's
 * start: it is when the server began the message (or the transaction), and several revisions share
 * one message (a batch) or one transaction (--single-transaction), so every revision after the
 * first would count the ones before it too. The event the previous revision of that message or
 * transaction wrote is later than now(), and marks where this one began (the newest event by id,
 * read through the primary key). Nothing is read from the session: a revision may reset any of it
 * (RESET ALL, DISCARD ALL). (greatest is syntax, not a function a search_path could shadow.)
 */
export type Duration = 'since-step-start' | { ms: number };

function durationSql(schema: string, duration: Duration): string | number {
  if (duration !== 'since-step-start') return Math.max(0, Math.round(duration.ms));
  const previousEvent = `(select at from ${quoteIdentifier(schema)}.events order by id desc limit 1)`;
  return `(extract(epoch from pg_catalog.clock_timestamp() - greatest(pg_catalog.now(), ${previousEvent})) * 1000)::integer`;
}

/**
 * The durations the server recorded in the newest `count` events, oldest first: what the
 * revisions of a batch took each, which the client cannot time apart (one message, one reply).
 * Undefined when they cannot be read.
 */
export async function newestEventDurations(db: Database, schema: string, count: number): Promise<number[] | undefined> {
  try {
    const rows = await db.query<{ duration_ms: number }>(`select duration_ms from ${quoteIdentifier(schema)}.events order by id desc limit ${Math.max(0, Math.floor(count))}`);
    return rows.length === count ? rows.map((row) => Number(row.duration_ms)).reverse() : undefined;
  } catch {
    return undefined;
  }
}

export function recordUpStatement(schema: string, revision: RevisionRecord, action: EventAction = 'up', start: Duration = 'since-step-start'): string {
  const s = quoteIdentifier(schema);
  const tags = `array[${revision.tags.map(quoteLiteral).join(', ')}]::text[]`;
  const duration = durationSql(schema, start);
  return `with recorded as (
  insert into ${s}.revisions (id, parent, message, tags, up_checksum, down_checksum, down_sql, applied_by, duration_ms)
  values (${quoteLiteral(revision.id)}, ${quoteLiteral(revision.parent)}, ${revision.message === null ? 'null' : quoteLiteral(revision.message)}, ${tags},
    ${quoteLiteral(revision.upChecksum)}, ${quoteLiteral(revision.downChecksum)}, ${quoteLiteral(revision.downText)}, ${quoteLiteral(revision.actor)}, ${duration})
  returning id, duration_ms
)
insert into ${s}.events (action, revision_id, ok, duration_ms, actor)
select ${quoteLiteral(action)}, id, true, duration_ms, ${quoteLiteral(revision.actor)} from recorded;`;
}

/** `source`: which down.sql ran; undefined when none did (strata stamp removing a record). */
export function recordDownStatement(schema: string, id: string, actor: string, source: 'disk' | 'stored' | undefined, action: EventAction = 'down', start: Duration = 'since-step-start'): string {
  const s = quoteIdentifier(schema);
  const duration = durationSql(schema, start);
  return `with reverted as (
  delete from ${s}.revisions where id = ${quoteLiteral(id)} returning id
)
insert into ${s}.events (action, revision_id, ok, duration_ms, actor, details)
select ${quoteLiteral(action)}, id, true, ${duration}, ${quoteLiteral(actor)}, ${source === undefined ? 'null' : `${quoteLiteral(JSON.stringify({ source }))}::jsonb`} from reverted;`;
}

/**
 * A squashed revision recorded in place of the revisions it replaces, all applied: their rows go,
 * its row comes (applied when the last of them was, `replaces` naming them), and a `squash` event
 * names them; one statement, so no run ever sees half of it. Needs tracking version 3.
 */
export function recordSquashStatement(schema: string, squash: RevisionRecord, replaces: readonly string[]): string {
  const s = quoteIdentifier(schema);
  const ids = `array[${replaces.map(quoteLiteral).join(', ')}]::text[]`;
  const tags = `array[${squash.tags.map(quoteLiteral).join(', ')}]::text[]`;
  return `with replaced as (
  delete from ${s}.revisions where id = any(${ids}) returning applied_at, duration_ms
), recorded as (
  insert into ${s}.revisions (id, parent, message, tags, up_checksum, down_checksum, down_sql, applied_at, applied_by, duration_ms, replaces)
  select ${quoteLiteral(squash.id)}, ${quoteLiteral(squash.parent)}, ${squash.message === null ? 'null' : quoteLiteral(squash.message)}, ${tags},
    ${quoteLiteral(squash.upChecksum)}, ${quoteLiteral(squash.downChecksum)}, ${quoteLiteral(squash.downText)}, max(applied_at), ${quoteLiteral(squash.actor)}, coalesce(sum(duration_ms), 0), ${ids}
  from replaced having count(*) = ${replaces.length}
  returning id
)
insert into ${s}.events (action, revision_id, ok, duration_ms, actor, details)
select 'squash', id, true, 0, ${quoteLiteral(squash.actor)}, ${quoteLiteral(JSON.stringify({ replaces }))}::jsonb from recorded;`;
}
