import { quoteLiteral } from '../sql/quote.js';
import type { Database } from './database.js';
import { quoteIdentifier } from './tracking.js';

/**
 * What a shadow database holds besides what every new database has: a shadow must start empty
 * (strata never wipes what someone else put there), and one strata was given by URL is emptied
 * again after use, of what strata made in it, so that the next dump finds it empty too.
 */

/** A user object found in the shadow, e.g. `{ kind: 'relation', name: 'public.orders' }`. */
export interface FoundObject {
  kind: string;
  name: string;
}

/** n.nspname is a schema of the user's (not pg_catalog, pg_toast, a temporary schema, information_schema) */
const IN_USER_SCHEMA = "(n.nspname !~ '^pg_' and n.nspname <> 'information_schema')";

/**
 * Objects a new database does not have: schemas other than public and the tracking schema;
 * relations, types (not the row and array types made with another object) and routines outside
 * the tracking schema; extensions other than plpgsql; event triggers, publications and
 * subscriptions (the database's, in no schema); foreign-data wrappers (not an extension's) and
 * servers (with which go their user mappings). `$1` = the tracking schema.
 */
const FOREIGN_OBJECTS_SQL = `
  select kind, name from (
    select 'schema' as kind, quote_ident(n.nspname) as name from pg_namespace n
      where ${IN_USER_SCHEMA} and n.nspname not in ('public', $1)
    union all
    select 'relation', format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where ${IN_USER_SCHEMA} and n.nspname <> $1
    union all
    select 'type', format('%I.%I', n.nspname, t.typname) from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where ${IN_USER_SCHEMA} and n.nspname <> $1 and t.typrelid = 0
        and not exists (select 1 from pg_type e where e.typarray = t.oid)
    union all
    select 'function', format('%I.%I', n.nspname, p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where ${IN_USER_SCHEMA} and n.nspname <> $1
    union all
    select 'extension', quote_ident(extname) from pg_extension where extname <> 'plpgsql'
    union all
    select 'event trigger', quote_ident(evtname) from pg_event_trigger
    union all
    select 'foreign-data wrapper', quote_ident(w.fdwname) from pg_foreign_data_wrapper w
      where not exists (select 1 from pg_depend e where e.classid = 'pg_foreign_data_wrapper'::regclass and e.objid = w.oid and e.deptype = 'e')
    union all
    select 'server', quote_ident(srvname) from pg_foreign_server
    union all
    select 'publication', quote_ident(pubname) from pg_publication
    union all
    select 'subscription', quote_ident(subname) from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())
  ) as found order by kind, name`;

/** Everything in `db` that a new database does not have, the tracking schema's rows included. */
export async function findForeignObjects(db: Database, trackingSchema: string): Promise<FoundObject[]> {
  const found = await db.query<FoundObject>(FOREIGN_OBJECTS_SQL, [trackingSchema]);
  for (const table of ['revisions', 'events']) {
    const [exists] = await db.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [`${quoteIdentifier(trackingSchema)}.${quoteIdentifier(table)}`]);
    if (!exists?.exists) continue;
    const [row] = await db.query<{ count: string }>(`select count(*)::text as count from ${quoteIdentifier(trackingSchema)}.${quoteIdentifier(table)}`);
    if (row && row.count !== '0') found.push({ kind: 'rows', name: `${row.count} in ${trackingSchema}.${table}` });
  }
  return found;
}

/** What a schema strata found in an empty shadow is like, to make it again as it was after use. */
interface SchemaState {
  name: string;
  owner: string;
  comment: string | null;
  /** [grantee ('' = PUBLIC), privilege, grantable] */
  grants: [string, string, boolean][];
}

/** the privileges a schema has, as aclexplode names them */
const SCHEMA_PRIVILEGES = { USAGE: 'usage', CREATE: 'create' } as const;

export interface ShadowBaseline {
  schemas: SchemaState[];
  eventTriggers: string[];
  publications: string[];
  subscriptions: string[];
}

/** The schemas, event triggers and publications of an empty shadow (public, usually), before strata uses it. */
export async function readBaseline(db: Database): Promise<ShadowBaseline> {
  const schemas = await db.query<SchemaState>(`
    select n.nspname as name, pg_get_userbyid(n.nspowner) as owner, obj_description(n.oid, 'pg_namespace') as comment,
      coalesce((select json_agg(json_build_array(case when a.grantee = 0 then '' else pg_get_userbyid(a.grantee) end, a.privilege_type, a.is_grantable) order by a.grantee, a.privilege_type)
        from aclexplode(n.nspacl) a), '[]'::json) as grants
    from pg_namespace n where ${IN_USER_SCHEMA} order by n.nspname`);
  const triggers = await db.query<{ name: string }>('select evtname as name from pg_event_trigger order by evtname');
  const publications = await db.query<{ name: string }>('select pubname as name from pg_publication order by pubname');
  const subscriptions = await db.query<{ name: string }>(`select subname as name from pg_subscription where ${THIS_DATABASE} order by subname`);
  return {
    schemas: schemas.map((s) => ({ ...s, grants: typeof s.grants === 'string' ? JSON.parse(s.grants) : s.grants })),
    eventTriggers: triggers.map((t) => t.name),
    publications: publications.map((p) => p.name),
    subscriptions: subscriptions.map((s) => s.name),
  };
}

/**
 * Takes the shadow back to its baseline: schemas strata's revisions made are dropped; a schema
 * that was there (and empty) is dropped with what was made in it and made again with its owner,
 * comment and grants; event triggers, publications and subscriptions made since are dropped (a
 * dropped schema takes its tables out of a publication, not the publication), and servers and
 * foreign-data wrappers (an empty shadow has none), with their user mappings and foreign tables.
 */
export async function restoreBaseline(db: Database, baseline: ShadowBaseline): Promise<void> {
  const now = await readBaseline(db);
  for (const name of now.eventTriggers.filter((t) => !baseline.eventTriggers.includes(t))) await db.query(`drop event trigger if exists ${quoteIdentifier(name)}`);
  for (const name of now.publications.filter((p) => !baseline.publications.includes(p))) await db.query(`drop publication if exists ${quoteIdentifier(name)}`);
  await dropSubscriptions(db, baseline.subscriptions);
  for (const { name } of await db.query<{ name: string }>('select srvname as name from pg_foreign_server')) await db.query(`drop server if exists ${quoteIdentifier(name)} cascade`);
  const wrappers = await db.query<{ name: string }>(`select fdwname as name from pg_foreign_data_wrapper w
    where not exists (select 1 from pg_depend e where e.classid = 'pg_foreign_data_wrapper'::regclass and e.objid = w.oid and e.deptype = 'e')`);
  for (const { name } of wrappers) await db.query(`drop foreign data wrapper if exists ${quoteIdentifier(name)} cascade`);
  const kept = new Set(baseline.schemas.map((s) => s.name));
  for (const schema of now.schemas.filter((s) => !kept.has(s.name))) await db.query(`drop schema if exists ${quoteIdentifier(schema.name)} cascade`);
  for (const schema of baseline.schemas) {
    const [used] = await db.query<{ used: boolean }>(`select exists (select 1 from pg_depend d join pg_namespace n on d.refclassid = 'pg_namespace'::regclass and d.refobjid = n.oid
      where n.nspname = $1 and d.deptype = 'n') as used`, [schema.name]);
    if (!used?.used) continue;
    const name = quoteIdentifier(schema.name);
    await db.query(`drop schema ${name} cascade`);
    await db.query(`create schema ${name} authorization ${quoteIdentifier(schema.owner)}`);
    await db.query(`revoke all on schema ${name} from ${quoteIdentifier(schema.owner)}`);
    for (const [grantee, privilegeName, grantable] of schema.grants) {
      const privilege = SCHEMA_PRIVILEGES[privilegeName as keyof typeof SCHEMA_PRIVILEGES];
      if (privilege === undefined) continue;
      await db.query(`grant ${privilege} on schema ${name} to ${grantee === '' ? 'public' : quoteIdentifier(grantee)}${grantable ? ' with grant option' : ''}`);
    }
    if (schema.comment !== null) await db.query(`comment on schema ${name} is ${quoteLiteral(schema.comment)}`);
  }
}

const THIS_DATABASE = 'subdbid = (select oid from pg_database where datname = current_database())';

/**
 * Drops the subscriptions a shadow's revisions made (a database that has one cannot be dropped),
 * but `kept`, without reaching their publishers: each is disabled and let go of its replication
 * slot first (slot_name = none), so DROP SUBSCRIPTION does not connect to drop the slot, which
 * may be another database's (production's) slot.
 */
export async function dropSubscriptions(db: Database, kept: readonly string[] = []): Promise<void> {
  const found = await db.query<{ name: string }>(`select subname as name from pg_subscription where ${THIS_DATABASE} order by subname`);
  for (const { name } of found.filter((s) => !kept.includes(s.name))) {
    const subscription = quoteIdentifier(name);
    await db.query(`alter subscription ${subscription} disable`);
    await db.query(`alter subscription ${subscription} set (slot_name = none)`);
    // DROP SUBSCRIPTION leaves its comment in pg_description (PostgreSQL 15)
    await db.query(`comment on subscription ${subscription} is null`);
    await db.query(`drop subscription ${subscription}`);
  }
}
