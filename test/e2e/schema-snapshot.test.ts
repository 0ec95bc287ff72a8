import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roundTrip, schemaDatabases, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// Snapshots on PostgreSQL: each schema below is loaded, snapshot, dumped, the dump loaded into an
// empty database and snapshot again; both snapshots are equal and both dumps byte-identical.
let dbs: SchemaDatabases | undefined;
test.before(async () => {
  dbs = await schemaDatabases('snapshot');
});
test.after(async () => {
  await dbs?.drop();
});

test('schemas, enums, composite and range types, domains, collations, sequences', async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, `
    create schema app;
    create schema "Mixed Case";
    create type app.mood as enum ('sad', 'ok', 'happy', 'it''s fine');
    create type app.pair as (left_side integer, right_side text collate "C");
    create type app.floatrange as range (subtype = float8, subtype_diff = float8mi);
    create domain app.positive as integer default 1 not null constraint positive_check check (value > 0);
    create domain "Mixed Case".email as text constraint has_at check (value like '%@%');
    create collation app.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    create sequence app.counter as integer start with 10 increment by 5 minvalue 10 maxvalue 1000 cache 1 cycle;
    create sequence app.big;
  `);
  const identities = snapshot.objects.map((o) => o.identity);
  for (const expected of ['schema app', 'schema "Mixed Case"', 'type app.mood', 'type app.pair', 'type app.floatrange', 'domain app.positive', 'domain "Mixed Case".email', 'collation app.nocase', 'sequence app.counter', 'sequence app.big', 'schema public']) {
    assert.ok(identities.includes(expected), `${expected} in ${identities.join(', ')}`);
  }
  assert.match(dump, "create type app.mood as enum ('sad', 'ok', 'happy', 'it''s fine');");
  assert.equal(snapshot.unmodelled, []);
});

test('comments on schemas, types, domains, sequences; one on a part the model holds inside an object is listed, not lost', async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, `
    create schema app;
    comment on schema app is 'the application''s schema';
    create type app.mood as enum ('sad', 'happy');
    comment on type app.mood is 'how it feels';
    create domain app.positive as integer constraint positive_check check (value > 0);
    comment on domain app.positive is 'above zero';
    create sequence app.counter;
    comment on sequence app.counter is 'counts';
    comment on schema public is 'ours now';
  `);
  assert.equal(snapshot.objects.filter((o) => o.kind === 'comment').map((o) => o.identity), [
    'comment on domain app.positive', 'comment on schema app', 'comment on schema public', 'comment on sequence app.counter', 'comment on type app.mood',
  ]);
  assert.match(dump, "create schema app;\ncomment on schema app is 'the application''s schema';");
  await dbs.first.query("comment on constraint positive_check on domain app.positive is 'a part'");
  const { snapshotOf } = await import('../helpers/schema-roundtrip.js');
  const withPart = await snapshotOf(dbs.first);
  assert.equal(withPart.unmodelled.map((u) => u.kind), ['comment']);
});

test('kinds the model does not cover are listed by name, never passed over', async () => {
  if (!dbs) return;
  const { emptyDatabase, loadSql, snapshotOf } = await import('../helpers/schema-roundtrip.js');
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, `
    create domain public.email as text;
    create function public.email_of(text) returns public.email language sql immutable as 'select $1::public.email';
    create cast (text as public.email) with function public.email_of(text);
    create text search configuration public.simple_copy (copy = simple);
    create function public.same(integer, integer) returns boolean language sql immutable as 'select $1 = $2';
    create operator public.=== (leftarg = integer, rightarg = integer, function = public.same);
  `);
  const snapshot = await snapshotOf(dbs.first);
  assert.equal(snapshot.unmodelled.map((u) => u.kind), ['cast', 'operator', 'text search configuration']);
  assert.equal(snapshot.unmodelled.map((u) => u.identity), ['(pg_catalog.text AS public.email)', 'public.===(integer,integer)', 'public.simple_copy']);
});

test('details of modelled objects the model does not carry are listed too: typed tables, column compression, statistics, n_distinct', async () => {
  if (!dbs) return;
  const { emptyDatabase, loadSql, snapshotOf } = await import('../helpers/schema-roundtrip.js');
  await emptyDatabase(dbs.first);
  await loadSql(dbs.first, `
    create type public.pair as (a integer, b integer);
    create table public.pairs of public.pair;
    create table public.notes (body text compression pglz, rank integer, kind integer);
    alter table public.notes alter column rank set statistics 500;
    alter table public.notes alter column kind set (n_distinct = 5);
  `);
  const snapshot = await snapshotOf(dbs.first);
  assert.equal(snapshot.unmodelled, [
    { kind: 'column compression', identity: 'public.notes.body' },
    { kind: 'column options', identity: 'public.notes.kind' },
    { kind: 'column statistics target', identity: 'public.notes.rank' },
    { kind: 'typed table (OF type)', identity: 'public.pairs' },
  ]);
});

test.run();
