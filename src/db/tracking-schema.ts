import { compile, sql, type SQL } from 'pg-sql2';
import { problem, type Problem } from '../errors.js';
import { quoteLiteral } from '../sql/quote.js';
import type { Database } from './database.js';
import { queryTracking, quoteIdentifier, trackingSchemaSql } from './tracking.js';

/**
 * The tracking schema has versions, so that a database strata set up long ago gains the columns
 * later features need (squash's `Replaces:`, resume's statement progress), in place.
 *
 * - Version 1 is the layout every strata before versioning created (`trackingSchemaSql`, frozen).
 *   It has no version marker: a schema with `revisions` and no `tracking_version` is version 1.
 * - Each later version is one upgrade step from the version before it, below, in order; a new
 *   database runs version 1 and then every step, so a new database and an upgraded one are the same.
 * - The version is a row of `<schema>.tracking_version`: a table, not the schema's comment,
 *   because it is data strata acts on. It is read with a plain SELECT, changes in the same
 *   transaction as the upgrade it records, and nobody edits it by accident as one edits a comment.
 *
 * Upgrades run only under the run's lock, from `prepareTracking`, in one transaction, with an
 * `upgrade` event. Until then strata reads only version 1's columns: the first read of a run
 * (before the lock), and the read-only commands (status, log, history, current), see old schemas
 * and must keep working there without writing.
 */
interface UpgradeStep {
  /** the version this step brings the schema to */
  to: number;
  /** what it adds, and for what */
  why: string;
  sql(schema: SQL): SQL;
}

const UPGRADES: readonly UpgradeStep[] = [
  {
    to: 2,
    why: 'the version marker itself; revisions.replaces for squash (Replaces:); the upgrade event action',
    // Safe on a live database: a constant default is written in the catalog, not in each row (no
    // table rewrite), and the wider check holds for every row the narrower one let in. The locks
    // last for this short transaction; only strata reads these tables.
    sql: (s) => sql`create table ${s}.tracking_version (
  singleton boolean primary key default true check (singleton),
  version integer not null,
  upgraded_at timestamptz not null default clock_timestamp()
);
comment on table ${s}.tracking_version is 'the version of the strata tracking schema: one row';
insert into ${s}.tracking_version (version) values (1);
alter table ${s}.revisions add column replaces text[] not null default '{}';
alter table ${s}.events drop constraint events_action_check;
alter table ${s}.events add constraint events_action_check check (action in ('up', 'down', 'stamp', 'unstamp', 'dev', 'upgrade'));`,
  },
  {
    to: 3,
    why: "the squash event action: a squashed revision recorded in place of the revisions it replaces",
    sql: (s) => sql`alter table ${s}.events drop constraint events_action_check;
alter table ${s}.events add constraint events_action_check check (action in ('up', 'down', 'stamp', 'unstamp', 'dev', 'upgrade', 'squash'));`,
  },
  {
    to: 4,
    why: "progress: how far a Transaction: off revision got before it failed, so that the next run resumes it there",
    // a new table: nothing else is locked or rewritten
    sql: (s) => sql`create table ${s}.progress (
  revision_id text not null,
  direction text not null check (direction in ('up', 'down')),
  statement_count integer not null,
  done integer not null,
  checksums text[] not null,
  failed_at integer,
  error jsonb,
  pid integer not null,
  backend_start timestamptz,
  actor text not null,
  started_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  primary key (revision_id, direction)
);
comment on table ${s}.progress is 'strata: the statements of a Transaction: off revision that took effect before it failed (done of statement_count, each text''s checksum), for the next run to resume after them';`,
  },
];

/** The version this strata writes, and the newest it knows. */
export const TRACKING_VERSION = 1 + UPGRADES.length;

/** 0: no tracking schema yet; 1: the unversioned layout; otherwise what `tracking_version` says. */
export type TrackingVersion = number;

/** The tracking schema's version; undefined when `tracking_version` exists but holds no row (someone deleted it). */
export async function readTrackingVersion(db: Database, schema: string): Promise<TrackingVersion | undefined> {
  const s = sql.identifier(schema);
  const rows = await queryTracking<{ version: number }>(db, compile(sql`select version from ${s}.tracking_version`) as { text: string; values: unknown[] });
  if (rows) return rows[0]?.version;
  const [found] = await db.query<{ exists: boolean }>('select pg_catalog.to_regclass($1) is not null as exists', [`${quoteIdentifier(schema)}.revisions`]);
  return found?.exists ? 1 : 0;
}

/**
 * The statements that bring the tracking schema from `from` to TRACKING_VERSION, to run in one
 * transaction (the caller's); empty when it is there. From 0 it is created; from 1 or later the
 * upgrade is recorded as an `upgrade` event by `actor`. Literal SQL (no parameters): it runs in a
 * simple-protocol script and `strata sql` prints it.
 */
export function trackingUpgradeSql(schema: string, from: TrackingVersion, actor: string): string {
  if (from >= TRACKING_VERSION) return '';
  const s = sql.identifier(schema);
  const steps = UPGRADES.filter((step) => step.to > Math.max(from, 1)).map((step) => step.sql(s));
  const upgrade = compile(sql.join([...steps, sql`update ${s}.tracking_version set version = ${sql.literal(TRACKING_VERSION)}, upgraded_at = clock_timestamp();`], '\n')).text;
  return from === 0 ? `${trackingSchemaSql(schema)}\n${upgrade}` : `${upgrade}\n${upgradeEventSql(schema, from, actor)}`;
}

/** `revision_id` names the versions (an upgrade is about no revision); the duration counts from the transaction's BEGIN. */
function upgradeEventSql(schema: string, from: TrackingVersion, actor: string): string {
  const label = `tracking v${from} -> v${TRACKING_VERSION}`;
  const details = JSON.stringify({ from, to: TRACKING_VERSION });
  return `insert into ${quoteIdentifier(schema)}.events (action, revision_id, ok, duration_ms, actor, details)
values ('upgrade', ${quoteLiteral(label)}, true, (extract(epoch from pg_catalog.clock_timestamp() - pg_catalog.now()) * 1000)::integer, ${quoteLiteral(actor)}, ${quoteLiteral(details)}::jsonb);`;
}

export type TrackingPlan =
  | { ok: true; from: TrackingVersion; sql: string }
  | { ok: false; problem: Problem };

/** What `prepareTracking` would run, for a writer that runs it inside its own transaction (stamp). */
export async function planTracking(db: Database, schema: string, actor: string): Promise<TrackingPlan> {
  const version = await readWritableVersion(db, schema);
  return version.ok ? { ok: true, from: version.from, sql: trackingUpgradeSql(schema, version.from, actor) } : version;
}

/** The version a writer starts from, or why it must not write. */
async function readWritableVersion(db: Database, schema: string): Promise<{ ok: true; from: TrackingVersion } | { ok: false; problem: Problem }> {
  const from = await readTrackingVersion(db, schema);
  if (from === undefined) return { ok: false, problem: versionRowMissing(schema) };
  const refused = trackingRefusal(schema, from);
  return refused ? { ok: false, problem: refused } : { ok: true, from };
}

/** Why a writer must not touch this tracking schema, if it must not: a newer strata's, or its version row gone. */
export function trackingRefusal(schema: string, version: TrackingVersion | undefined): Problem | undefined {
  if (version === undefined) return versionRowMissing(schema);
  if (version <= TRACKING_VERSION) return undefined;
  return problem('TRACKING_TOO_NEW', {
    message: `the tracking schema ${quoteIdentifier(schema)} is at version ${version}, newer than this strata knows (version ${TRACKING_VERSION}): a newer strata upgraded it, so this one does not write to it; nothing was changed`,
    hint: 'upgrade strata to the version that upgraded this database (read-only commands such as strata status still work)',
  });
}

function versionRowMissing(schema: string): Problem {
  const name = quoteIdentifier(schema);
  return problem('DATABASE_ERROR', {
    message: `the tracking schema ${name} has a tracking_version table without its row, so its version is unknown; nothing was changed`,
    hint: `if nothing but that row was deleted, put it back: insert into ${name}.tracking_version (version) values (${TRACKING_VERSION}) (this strata's version)`,
  });
}

export type PreparedTracking =
  | { ok: true; action: 'none' | 'created' | 'upgraded'; from: TrackingVersion }
  | { ok: false; problem: Problem };

/**
 * Creates the tracking schema, or upgrades it to TRACKING_VERSION, in one transaction; refuses a
 * newer one. Run it under the run's lock, after the plan under the lock, before anything is written:
 * `const prepared = await prepareTracking(db, schema, actor); if (!prepared.ok) return refuse(prepared.problem);`
 */
export async function prepareTracking(db: Database, schema: string, actor: string): Promise<PreparedTracking> {
  const version = await readWritableVersion(db, schema);
  if (!version.ok) return version;
  const { from } = version;
  const statements = trackingUpgradeSql(schema, from, actor);
  if (statements === '') return { ok: true, action: 'none', from };
  const result = await db.runScript(`begin;\n${statements}\ncommit;`);
  if (result.ok) return { ok: true, action: from === 0 ? 'created' : 'upgraded', from };
  if (result.status !== 'idle') await db.runScript('rollback').catch(() => {});
  const name = quoteIdentifier(schema);
  if (from === 0) {
    return {
      ok: false,
      problem: problem('CONNECTION_FAILED', {
        message: `cannot create the tracking schema ${name}: ${result.error.message}`,
        hint: 'the database user needs CREATE on the database, or create the schema for it and grant it',
      }),
    };
  }
  return {
    ok: false,
    problem: problem('DATABASE_ERROR', {
      message: `cannot upgrade the tracking schema ${name} from version ${from} to ${TRACKING_VERSION}: ${result.error.message} (${result.error.code})${result.status === undefined ? '' : '; nothing was changed'}`,
      hint: `altering its tables takes their owner: run this strata once as the role that owns ${name}'s tables (or a superuser)`,
    }),
  };
}

/** One line for the run's notes. */
export function upgradeNote(schema: string, from: TrackingVersion): string {
  return `upgraded the tracking schema ${quoteIdentifier(schema)} from version ${from} to ${TRACKING_VERSION}`;
}
