import pg from 'pg';
import * as assert from 'uvu/assert';
import { connectPostgres } from '../../src/db/pg-database.js';
import type { Database } from '../../src/db/database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import { renderSchema } from '../../src/schema/model/render.js';
import type { Snapshot } from '../../src/schema/model/snapshot.js';
import { createTestDatabase, type TestDatabase } from './harness.js';

/**
 * The snapshot's proof on PostgreSQL: load SQL into an empty database, snapshot it, write
 * schema.sql from the snapshot, load that into a second empty database, snapshot again: the two
 * snapshots must be equal (and the second schema.sql byte-identical to the first).
 */
export interface SchemaDatabases {
  first: TestDatabase;
  second: TestDatabase;
  drop(): Promise<void>;
}

export async function schemaDatabases(prefix: string): Promise<SchemaDatabases | undefined> {
  const first = await createTestDatabase(`${prefix}_a`);
  const second = await createTestDatabase(`${prefix}_b`);
  if (!first || !second) return undefined;
  return { first, second, drop: async () => { await first.drop(); await second.drop(); } };
}

/** Empties a test database: every schema dropped, public made again, as a new database has it. */
export async function emptyDatabase(db: TestDatabase): Promise<void> {
  // publications and subscriptions are the database's, in no schema: dropping the schemas leaves them
  const subscriptions = await db.query<{ name: string }>('select quote_ident(subname) as name from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())');
  for (const { name } of subscriptions) {
    for (const sql of [`alter subscription ${name} disable`, `alter subscription ${name} set (slot_name = none)`, `comment on subscription ${name} is null`, `drop subscription ${name}`]) await db.query(sql);
  }
  const publications = await db.query<{ name: string }>('select pubname as name from pg_publication');
  for (const { name } of publications) await db.query(`drop publication "${name.replace(/"/g, '""')}"`);
  const schemas = await db.query<{ name: string }>("select nspname as name from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'");
  for (const { name } of schemas) await db.query(`drop schema "${name.replace(/"/g, '""')}" cascade`);
  await db.query('create schema public');
  await db.query("comment on schema public is 'standard public schema'");
  await db.query('grant usage, create on schema public to public').catch(() => {});
  // servers and wrappers are the database's, not a schema's (with them go user mappings and foreign tables)
  for (const { name } of await db.query<{ name: string }>('select srvname as name from pg_foreign_server')) await db.query(`drop server "${name.replace(/"/g, '""')}" cascade`);
  const wrappers = await db.query<{ name: string }>("select fdwname as name from pg_foreign_data_wrapper w where not exists (select 1 from pg_depend e where e.classid = 'pg_foreign_data_wrapper'::regclass and e.objid = w.oid and e.deptype = 'e')");
  for (const { name } of wrappers) await db.query(`drop foreign data wrapper "${name.replace(/"/g, '""')}" cascade`);
  const extensions = await db.query<{ name: string }>("select extname as name from pg_extension where extname <> 'plpgsql'");
  for (const { name } of extensions) await db.query(`drop extension if exists "${name}" cascade`);
}

/** Runs a whole SQL script (many statements) as psql -f would, on the simple protocol. */
export async function loadSql(db: TestDatabase, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function snapshotOf(db: TestDatabase, options: { privileges?: boolean } = {}): Promise<Snapshot> {
  const database: Database = await connectPostgres(db.url);
  try {
    return await takeSnapshot(database, { excludedSchemas: ['strata'], privileges: options.privileges ?? false, serverVersionNum: database.serverVersionNum });
  } finally {
    await database.close();
  }
}

/** Loads `sql` into `first`, dumps, loads the dump into `second`: returns both snapshots and the dump; asserts they are equal. */
export async function roundTrip(dbs: SchemaDatabases, sql: string, options: { privileges?: boolean } = {}): Promise<{ snapshot: Snapshot; dump: string }> {
  await emptyDatabase(dbs.first);
  await emptyDatabase(dbs.second);
  await loadSql(dbs.first, sql);
  const snapshot = await snapshotOf(dbs.first, options);
  const dump = renderSchema(snapshot, { head: null });
  try {
    await loadSql(dbs.second, dump);
  } catch (error) {
    throw new Error(`the dump does not load: ${(error as Error).message}\n--- dump\n${dump}`);
  }
  const again = await snapshotOf(dbs.second, options);
  assert.equal(again, snapshot, `the dump recreates the same snapshot\n--- dump\n${dump}`);
  assert.is(renderSchema(again, { head: null }), dump, 'the dump of the copy is byte-identical');
  return { snapshot, dump };
}
