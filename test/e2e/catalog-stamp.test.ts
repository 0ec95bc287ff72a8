import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectPostgres } from '../../src/db/pg-database.js';
import type { Database } from '../../src/db/database.js';
import { CatalogStamper, type CatalogStamp } from '../../src/schema/introspect/catalog-stamp.js';
import { createTestDatabase } from '../helpers/harness.js';

// The catalog stamp strata dev takes after each revert (catalog-stamp.ts): it may only say
// "unchanged" when the catalogs are row for row as they were; any change, however small, is "not proven".

async function withDatabase(body: (db: Database, stamp: (since?: CatalogStamp) => Promise<{ stamp: CatalogStamp; isUnchanged: boolean }>) => Promise<void>): Promise<void> {
  const test = await createTestDatabase('catalog_stamp');
  if (!test) return;
  const db = await connectPostgres(test.url);
  try {
    await db.query('create table t (id int primary key, note text default $$x$$)');
    await db.query("comment on table t is 'kept'");
    await db.query('create function f() returns int language sql as $$select 1$$');
    const stamper = new CatalogStamper();
    // a stamp's floor is the oldest transaction running anywhere on the server: while another
    // test's transaction that began before this setup is still open (a --single-transaction run,
    // a held lock), this database's new catalog rows count as fresh and nothing can be proven; wait it out
    for (let i = 0; i < 200 && (await stamper.stamp(db, undefined))!.stamp.fresh > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    await body(db, async (since) => (await stamper.stamp(db, since))!);
  } finally {
    await db.close();
    await test.drop();
  }
}

const changes: Array<[string, string]> = [
  ['a table created', 'create table u (id int)'],
  ['a table dropped', 'drop table t'],
  ['a column added', 'alter table t add column extra int'],
  ['a default dropped', 'alter table t alter column note drop default'],
  ['a comment changed', "comment on table t is 'touched'"],
  ['a comment removed', 'comment on table t is null'],
  ['a function body replaced', 'create or replace function f() returns int language sql as $$select 2$$'],
  ['a function dropped', 'drop function f()'],
  ['a table renamed', 'alter table t rename to t2'],
  ['a schema renamed', 'alter schema public rename to public2'],
  ['a role created', 'create role strata_stamp_test_role'],
];

test('the same catalogs are proven unchanged, inside a transaction and out, again and again', () => withDatabase(async (db, stamp) => {
  const first = await stamp();
  assert.is(first.isUnchanged, false, 'nothing to compare with');
  assert.is(first.stamp.fresh, 0);
  let last = first.stamp;
  for (let i = 0; i < 3; i++) {
    await db.query('begin');
    await db.query('select pg_current_xact_id()');
    const inside = await stamp(last);
    await db.query('commit');
    assert.ok(inside.isUnchanged, `pass ${i}`);
    last = inside.stamp;
  }
  // DML (the tracking rows dev writes) does not touch the catalogs
  await db.query('insert into t (id) values (1)');
  assert.ok((await stamp(last)).isUnchanged);
}));

test('every kind of change is "not proven", and so is a stamp taken with fresh rows in it', () => withDatabase(async (db, stamp) => {
  const base = (await stamp()).stamp;
  for (const [what, ddl] of changes) {
    await db.query('begin');
    await db.query(ddl);
    const after = await stamp(base);
    assert.is(after.isUnchanged, false, what);
    await db.query('rollback');
    if (what === 'a role created') await db.query('drop role if exists strata_stamp_test_role');
  }
  // rolled back: as before
  assert.ok((await stamp(base)).isUnchanged);
  // a change in this transaction leaves fresh rows: the stamp taken then proves nothing later
  await db.query('begin');
  await db.query('create table w (id int)');
  const dirty = (await stamp()).stamp;
  assert.ok(dirty.fresh > 0);
  await db.query('drop table w');
  assert.is((await stamp(dirty)).isUnchanged, false);
  await db.query('rollback');
}));

test('a change committed between two stamps is not proven unchanged', () => withDatabase(async (db, stamp) => {
  const base = (await stamp()).stamp;
  await db.query('create index t_note on t (note)');
  assert.is((await stamp(base)).isUnchanged, false);
  const next = (await stamp()).stamp;
  await db.query('drop index t_note');
  assert.is((await stamp(next)).isUnchanged, false);
}));

test.run();
