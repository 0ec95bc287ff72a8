import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite-database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import { diffSnapshots, formatChange } from '../../src/schema/model/diff.js';
import { renderSchema } from '../../src/schema/model/render.js';
import { emptyDatabase, loadSql, schemaDatabases, snapshotOf, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// The same logical schema gives the same snapshot, and the same schema.sql, on PostgreSQL 15 and
// on the embedded PGlite (PostgreSQL 18): what the versions store differently is normalised.
let dbs: SchemaDatabases | undefined;
let pglite: Database | undefined;
test.before(async () => {
  dbs = await schemaDatabases('parity');
  pglite = await openPglite(undefined);
});
test.after(async () => {
  await dbs?.drop();
  await pglite?.close();
});

const SCHEMA = `
  create schema app;
  comment on schema app is 'the app';
  create type app.mood as enum ('sad', 'ok', 'happy');
  create type app.pair as (left_side integer, right_side text collate "C");
  create type app.floatrange as range (subtype = float8, subtype_diff = float8mi);
  create domain app.positive as integer default 1 not null constraint positive_check check (value > 0);
  create domain app.email as text constraint has_at check (value like '%@%');
  create sequence app.counter as integer start with 10 increment by 5 minvalue 10 maxvalue 1000 cache 1 cycle;
  create sequence app.big;
  comment on sequence app.big is 'big';
`;

async function pgliteSnapshot(sql: string) {
  const db = pglite!;
  await db.runScript('drop schema if exists app cascade');
  const loaded = await db.runScript(sql);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return takeSnapshot(db, { excludedSchemas: ['strata'], privileges: false, serverVersionNum: db.serverVersionNum });
}

test('PostgreSQL 15 and PGlite (18): equal snapshots and byte-identical schema.sql', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, SCHEMA);
  const server = await snapshotOf(dbs.first);
  const embedded = await pgliteSnapshot(SCHEMA);
  assert.equal(diffSnapshots(server, embedded).map((c) => formatChange(c)), [], 'no difference object by object');
  assert.equal(embedded, server);
  assert.is(renderSchema(embedded, { head: null }), renderSchema(server, { head: null }));
});

test.run();
