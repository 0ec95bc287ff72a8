import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPglite } from '../../src/db/pglite-database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import type { SchemaObject, Snapshot } from '../../src/schema/model/snapshot.js';
import { emptyDatabase, loadSql, roundTrip, schemaDatabases, snapshotOf, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// Snapshots of publications: what is read (tables with column lists and row filters, schemas,
// options, comments, what a publication depends on), a round trip through the dump on
// PostgreSQL 15, and PGlite's 18 reading the same.
let dbs: SchemaDatabases | undefined;
test.before(async () => {
  dbs = await schemaDatabases('publications');
});
test.after(async () => {
  await dbs?.drop();
});

const PUBLICATIONS_SQL = `
  create schema app;
  create schema feed;
  create table app.orders (id integer primary key, status text, total integer, "Note" text);
  create table app.base (id integer primary key);
  create table app.kid (extra text) inherits (app.base);
  create table app.events (id integer, at date) partition by range (at);
  create table feed.items (id integer primary key);
  create publication everything for all tables with (publish = 'insert, truncate');
  create publication "Orders Feed" for table app.orders (id, "Note", total) where (status = 'paid' and total > 0), app.base;
  create publication by_schema for tables in schema feed, app with (publish_via_partition_root = true);
  create publication rooted for table app.events with (publish_via_partition_root = true, publish = 'delete');
  create publication empty;
  comment on publication empty is 'filled by hand';
`;

const byIdentity = (snapshot: Snapshot, identity: string): SchemaObject => {
  const found = snapshot.objects.find((o) => o.identity === identity);
  assert.ok(found, `${identity} in ${snapshot.objects.map((o) => o.identity).join(', ')}`);
  return found!;
};
const publications = (snapshot: Snapshot) => snapshot.objects.filter((o) => o.kind === 'publication' || (o.kind === 'comment' && o.parent?.startsWith('publication ')));

test('publications: read, with what they depend on', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, PUBLICATIONS_SQL);
  const snapshot = await snapshotOf(dbs.first);
  assert.equal(snapshot.unmodelled, [], 'nothing left unmodelled');
  const orders = byIdentity(snapshot, 'publication "Orders Feed"');
  assert.equal(orders.attributes, {
    allTables: false,
    tables: [
      { table: 'app.base', columns: null, where: null },
      { table: 'app.kid', columns: null, where: null },
      { table: 'app.orders', columns: ['"Note"', 'id', 'total'], where: "((status = 'paid'::text) AND (total > 0))" },
    ],
    schemas: [], publish: ['insert', 'update', 'delete', 'truncate'], viaPartitionRoot: false, generatedColumns: 'none',
  });
  assert.is(orders.schema, null);
  assert.is(orders.name, 'Orders Feed');
  for (const need of ['table app.orders', 'table app.base', 'table app.kid', 'column app.orders.status', 'column app.orders.total', 'column app.orders."Note"']) {
    assert.ok(orders.dependsOn.includes(need), `depends on ${need}: ${orders.dependsOn.join(', ')}`);
  }
  // app.kid inherits from app.base: listed on its own, so app.base is written with ONLY
  assert.is(orders.create, `create publication "Orders Feed" for
    table only app.base,
    table app.kid,
    table app.orders ("Note", id, total) where (((status = 'paid'::text) AND (total > 0)));`);
  assert.is(byIdentity(snapshot, 'publication everything').create, "create publication everything for all tables with (publish = 'insert, truncate');");
  assert.is(byIdentity(snapshot, 'publication by_schema').create, 'create publication by_schema for tables in schema app, feed with (publish_via_partition_root = true);');
  assert.equal(byIdentity(snapshot, 'publication by_schema').dependsOn, ['schema app', 'schema feed']);
  assert.is(byIdentity(snapshot, 'publication rooted').create, "create publication rooted for table app.events with (publish = 'delete', publish_via_partition_root = true);");
  assert.is(byIdentity(snapshot, 'publication empty').create, 'create publication empty;');
  assert.is(byIdentity(snapshot, 'comment on publication empty').create, "comment on publication empty is 'filled by hand';");
});

test('publications: a round trip through the dump, written after the tables they list', async () => {
  if (!dbs) return;
  const { dump } = await roundTrip(dbs, PUBLICATIONS_SQL);
  assert.ok(dump.indexOf('create publication') > dump.indexOf('create table feed.items'), dump);
  assert.match(dump, "create publication empty;\ncomment on publication empty is 'filled by hand';");
});

test('a schema without publications dumps as before (no publication statement)', async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, 'create table t (id integer);');
  assert.equal(publications(snapshot), []);
  assert.not.match(dump, 'publication');
});

test('PGlite (PostgreSQL 18) reads the same publications as PostgreSQL 15', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, PUBLICATIONS_SQL);
  const onServer = await snapshotOf(dbs.first);
  const embedded = await openPglite(undefined);
  try {
    const result = await embedded.runScript(PUBLICATIONS_SQL);
    assert.ok(result.ok, `PGlite loads the schema: ${result.ok ? '' : result.error.message}`);
    const onPglite = await takeSnapshot(embedded, { excludedSchemas: ['strata'], privileges: false, serverVersionNum: embedded.serverVersionNum });
    const readOf = (snapshot: Snapshot) => publications(snapshot).map((o) => ({ identity: o.identity, attributes: o.attributes, create: o.create, dependsOn: o.dependsOn }));
    assert.is(publications(onServer).length, 6);
    assert.equal(readOf(onPglite), readOf(onServer));
  } finally {
    await embedded.close();
  }
});

test.run();
