import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPglite } from '../../src/db/pglite-database.js';
import { takeSnapshot } from '../../src/schema/introspect/take-snapshot.js';
import { orderObjects } from '../../src/schema/model/render.js';
import type { ObjectKind, SchemaObject, Snapshot } from '../../src/schema/model/snapshot.js';
import { emptyDatabase, loadSql, roundTrip, schemaDatabases, snapshotOf, type SchemaDatabases } from '../helpers/schema-roundtrip.js';

// Snapshots of routines, triggers, event triggers, rules, policies and privileges: round trips on
// PostgreSQL, the creates run on a database that holds the tables, and PGlite's 18 reads the same
// attributes as PostgreSQL 15.
let dbs: SchemaDatabases | undefined;
test.before(async () => {
  dbs = await schemaDatabases('routines');
});
test.after(async () => {
  await dbs?.drop();
});

/** roles are the cluster's: made once, left for the next run */
const ROLES = `do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'strata_prog_reader') then create role strata_prog_reader; end if;
  if not exists (select 1 from pg_roles where rolname = 'Strata Prog Writer') then create role "Strata Prog Writer"; end if;
end $$;`;

const ROUTINES_SQL = `
  create schema app;
  create type app.mood as enum ('sad', 'happy');
  create function app.add(a integer, b integer default 1) returns integer language sql immutable strict parallel safe as 'select a + b';
  create function app.add(a numeric, b numeric) returns numeric language sql immutable leakproof as $$select a + b$$;
  create function app.next_id(x integer) returns integer language sql stable begin atomic select x + 1; end;
  create function app.tricky(variadic parts text[]) returns setof text language plpgsql security definer set search_path = app, pg_temp cost 10 rows 5
    as $body$ begin return next 'it''s $function$ ' || array_to_string(parts, ','); end $body$;
  create function app.cheer(m app.mood, out loud text, out quiet text) language sql as $$ select m::text, lower(m::text) $$;
  create procedure app.reset(inout n integer, out m integer) language plpgsql as $$ begin n := 0; m := 1; end $$;
  create function app.on_ddl() returns event_trigger language plpgsql as $$ begin null; end $$;
  create aggregate app.total(integer) (sfunc = int4pl, stype = integer, initcond = '0', combinefunc = int4pl, parallel = safe);
  create aggregate app.product(numeric) (sfunc = numeric_mul, stype = numeric, initcond = '1', msfunc = numeric_mul, minvfunc = numeric_div, mstype = numeric, minitcond = '1');
  create aggregate app.biggest(integer) (sfunc = int4larger, stype = integer, sortop = >);
  create aggregate app.how_many(*) (sfunc = int8inc, stype = int8, initcond = '0');
  create aggregate app.pick(float8 order by anyelement) (sfunc = ordered_set_transition, stype = internal, finalfunc = percentile_disc_final, finalfunc_extra);
  create aggregate app.place(variadic "any" order by variadic "any") (sfunc = ordered_set_transition_multi, stype = internal, finalfunc = rank_final, finalfunc_extra, hypothetical);
  create event trigger strata_prog_ddl on ddl_command_end when tag in ('CREATE TABLE', 'ALTER TABLE') execute function app.on_ddl();
  alter event trigger strata_prog_ddl disable;
`;

/** the tables the triggers, rules and policies below need (the relations family's, on another branch) */
const TABLES_SQL = `
  create schema app;
  create table app.orders (id integer primary key, owner_name text, total integer, updated_at timestamptz);
  create view app.recent as select id, total from app.orders;
`;

const ON_TABLES_SQL = `
  create function app.touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;
  create function app.audit() returns trigger language plpgsql as $$ begin return null; end $$;
  create trigger touch before update on app.orders for each row execute function app.touch();
  create trigger "Touch Later" before insert on app.orders for each row when (new.id > 0) execute function app.touch();
  alter table app.orders disable trigger "Touch Later";
  create trigger replica_only after delete on app.orders for each statement execute function app.audit();
  alter table app.orders enable replica trigger replica_only;
  create trigger always after truncate on app.orders execute function app.audit();
  alter table app.orders enable always trigger always;
  create constraint trigger checked after insert or update of total on app.orders deferrable initially deferred for each row execute function app.audit();
  create rule no_negative_delete as on delete to app.orders where old.id < 0 do instead nothing;
  create rule recent_insert as on insert to app.recent do instead insert into app.orders (id, total) values (new.id, new.total);
  alter table app.orders enable row level security;
  create policy own_rows on app.orders for select to public using (owner_name = current_user);
  create policy no_negative on app.orders as restrictive for insert to strata_prog_reader, "Strata Prog Writer" with check (id >= 0 and total is not null);
  create policy everything on app.orders using (true) with check (true);
`;

const MY_KINDS: readonly ObjectKind[] = ['function', 'procedure', 'aggregate', 'trigger', 'event trigger', 'rule', 'policy', 'privileges', 'default privileges'];
const mine = (snapshot: Snapshot) => snapshot.objects.filter((o) => MY_KINDS.includes(o.kind));
const byIdentity = (snapshot: Snapshot, identity: string): SchemaObject => {
  const found = snapshot.objects.find((o) => o.identity === identity);
  assert.ok(found, `${identity} in ${snapshot.objects.map((o) => o.identity).join(', ')}`);
  return found!;
};

test('functions, procedures, aggregates and event triggers: a round trip', async () => {
  if (!dbs) return;
  const { snapshot, dump } = await roundTrip(dbs, ROUTINES_SQL);
  for (const identity of ['function app.add(integer, integer)', 'function app.add(numeric, numeric)', 'function app.next_id(integer)', 'function app.tricky(text[])',
    'function app.cheer(app.mood)', 'procedure app.reset(integer)', 'aggregate app.total(integer)', 'aggregate app.product(numeric)', 'aggregate app.biggest(integer)',
    'aggregate app.how_many()', 'aggregate app.pick(double precision, anyelement)', 'aggregate app.place("any")', 'event trigger strata_prog_ddl']) byIdentity(snapshot, identity);
  const tricky = byIdentity(snapshot, 'function app.tricky(text[])').attributes;
  assert.equal([tricky.securityDefiner, tricky.cost, tricky.rows, tricky.config, tricky.result], [true, 10, 5, ['search_path=app, pg_temp'], 'SETOF text']);
  assert.is(byIdentity(snapshot, 'function app.next_id(integer)').attributes.sqlStandardBody, true);
  assert.ok(byIdentity(snapshot, 'function app.cheer(app.mood)').dependsOn.includes('type app.mood'), 'a routine depends on the types of its arguments');
  assert.ok(byIdentity(snapshot, 'event trigger strata_prog_ddl').dependsOn.includes('function app.on_ddl()'));
  assert.match(dump, "create aggregate app.pick(double precision ORDER BY anyelement) (sfunc = pg_catalog.ordered_set_transition, stype = internal, finalfunc = pg_catalog.percentile_disc_final, finalfunc_extra = true);");
  assert.match(dump, 'create aggregate app.how_many(*) (sfunc = pg_catalog.int8inc, stype = bigint, initcond = \'0\');');
  assert.match(dump, "create aggregate app.biggest(integer) (sfunc = pg_catalog.int4larger, stype = integer, sortop = operator(pg_catalog.>));");
  assert.match(dump, "create event trigger strata_prog_ddl on ddl_command_end when tag in ('ALTER TABLE', 'CREATE TABLE') execute function app.on_ddl();\nalter event trigger strata_prog_ddl disable;");
  assert.match(dump, /CREATE OR REPLACE PROCEDURE app\.reset\(INOUT n integer, OUT m integer\)\n LANGUAGE plpgsql\nAS \$procedure\$[^]*\$procedure\$;/);
});

test('a routine whose string body calls a routine written after it still loads', async () => {
  if (!dbs) return;
  // pg_depend knows nothing of a string body: the dump writes app.a before app.b, its name order
  const { dump } = await roundTrip(dbs, `
    create schema app;
    create function app.b() returns integer language sql as 'select 1';
    create function app.a() returns integer language sql as 'select app.b() + 1';
  `);
  assert.ok(dump.indexOf('FUNCTION app.a()') < dump.indexOf('FUNCTION app.b()'), dump);
});

test('triggers, rules and policies: a round trip', async () => {
  if (!dbs) return;
  await loadSql(dbs.first, ROLES);
  await roundTrip(dbs, TABLES_SQL + ON_TABLES_SQL);
});

test('triggers, rules and policies: read, and their creates run on a database that holds the tables', async () => {
  if (!dbs) return;
  await emptyDatabase(dbs.first);
  await emptyDatabase(dbs.second);
  await loadSql(dbs.first, ROLES + TABLES_SQL + ON_TABLES_SQL);
  const snapshot = await snapshotOf(dbs.first);
  const touch = byIdentity(snapshot, 'trigger app.orders.touch');
  assert.is(touch.parent, 'table app.orders');
  assert.equal(touch.attributes, { definition: 'CREATE TRIGGER touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch()', enabled: 'origin' });
  assert.ok(touch.dependsOn.includes('function app.touch()'));
  assert.is(byIdentity(snapshot, 'trigger app.orders."Touch Later"').create,
    'CREATE TRIGGER "Touch Later" BEFORE INSERT ON app.orders FOR EACH ROW WHEN ((new.id > 0)) EXECUTE FUNCTION app.touch();\nalter table app.orders disable trigger "Touch Later";');
  assert.is(byIdentity(snapshot, 'trigger app.orders.replica_only').attributes.enabled, 'replica');
  assert.is(byIdentity(snapshot, 'trigger app.orders.always').attributes.enabled, 'always');
  assert.match(byIdentity(snapshot, 'trigger app.orders.checked').create, 'CREATE CONSTRAINT TRIGGER checked AFTER INSERT OR UPDATE OF total ON app.orders DEFERRABLE INITIALLY DEFERRED');
  assert.is(byIdentity(snapshot, 'rule app.recent.recent_insert').parent, 'view app.recent');
  assert.not.ok(snapshot.objects.some((o) => o.identity.startsWith('rule app.recent._RETURN')), "a view's _RETURN rule is the view");
  assert.equal(byIdentity(snapshot, 'policy app.orders.no_negative').attributes,
    { permissive: false, command: 'insert', roles: ['"Strata Prog Writer"', 'strata_prog_reader'], using: null, withCheck: '((id >= 0) AND (total IS NOT NULL))' });
  assert.is(byIdentity(snapshot, 'policy app.orders.everything').create, 'create policy everything on app.orders as permissive for all to public using (true) with check (true);');

  await loadSql(dbs.second, TABLES_SQL + 'alter table app.orders enable row level security;');
  for (const object of orderObjects(snapshot).filter((o) => MY_KINDS.includes(o.kind))) await loadSql(dbs.second, object.create);
  const again = await snapshotOf(dbs.second);
  assert.equal(mine(again), mine(snapshot), 'the creates make the same objects');
});

const PRIVILEGES_SQL = `
  create schema app;
  create type app.mood as enum ('sad', 'happy');
  create domain app.positive as integer check (value > 0);
  create table app.orders (id integer, secret text);
  create sequence app.counter;
  create function app.f() returns integer language sql as 'select 1';
  create procedure app.p() language sql as 'select 1';
  grant usage on schema app to strata_prog_reader;
  grant usage on type app.mood to "Strata Prog Writer";
  revoke usage on domain app.positive from public;
  grant select, insert on app.orders to strata_prog_reader;
  grant update (secret) on app.orders to "Strata Prog Writer" with grant option;
  grant usage on sequence app.counter to strata_prog_reader;
  revoke execute on function app.f() from public;
  grant execute on function app.f() to strata_prog_reader with grant option;
  grant execute on procedure app.p() to strata_prog_reader;
  alter default privileges in schema app grant select on tables to strata_prog_reader;
  alter default privileges revoke execute on functions from public;
`;
/** pg_default_acl's entries for all schemas outlive the schemas: put back */
const UNDO_GLOBAL_DEFAULTS = 'alter default privileges grant execute on functions to public;';

test('privileges: grants, revokes and default privileges, only with the option', async () => {
  if (!dbs) return;
  await loadSql(dbs.first, ROLES);
  try {
    await emptyDatabase(dbs.first);
    await loadSql(dbs.first, PRIVILEGES_SQL);
    const snapshot = await snapshotOf(dbs.first, { privileges: true });
    assert.is(byIdentity(snapshot, 'privileges on schema app').create, 'grant usage on schema app to strata_prog_reader;');
    assert.is(byIdentity(snapshot, 'privileges on function app.f()').create,
      'revoke execute on function app.f() from public;\ngrant execute on function app.f() to strata_prog_reader with grant option;');
    assert.is(byIdentity(snapshot, 'privileges on table app.orders').create, 'grant insert, select on table app.orders to strata_prog_reader;');
    assert.is(byIdentity(snapshot, 'privileges on column app.orders.secret').create, 'grant update (secret) on table app.orders to "Strata Prog Writer" with grant option;');
    assert.is(byIdentity(snapshot, 'privileges on sequence app.counter').create, 'grant usage on sequence app.counter to strata_prog_reader;');
    assert.is(byIdentity(snapshot, 'privileges on domain app.positive').create, 'revoke usage on domain app.positive from public;');
    assert.is(byIdentity(snapshot, 'privileges on type app.mood').create, 'grant usage on type app.mood to "Strata Prog Writer";');
    assert.is(byIdentity(snapshot, 'default privileges for role postgres in schema app on tables').create,
      'alter default privileges for role postgres in schema app grant select on tables to strata_prog_reader;');
    assert.is(byIdentity(snapshot, 'default privileges for role postgres on functions').create,
      'alter default privileges for role postgres revoke execute on functions from public;');
    assert.is(byIdentity(snapshot, 'privileges on procedure app.p()').parent, 'procedure app.p()');
    const without = await snapshotOf(dbs.first);
    assert.not.ok(without.objects.some((o) => o.kind === 'privileges' || o.kind === 'default privileges'), 'no privileges without the option');
    await roundTrip(dbs, PRIVILEGES_SQL, { privileges: true });
  } finally {
    await loadSql(dbs.first, UNDO_GLOBAL_DEFAULTS);
    await loadSql(dbs.second, UNDO_GLOBAL_DEFAULTS);
  }
});

test('privileges of routines and types: a round trip', async () => {
  if (!dbs) return;
  await loadSql(dbs.first, ROLES);
  await roundTrip(dbs, `
    create schema app;
    grant usage, create on schema app to "Strata Prog Writer";
    create type app.mood as enum ('sad', 'happy');
    grant usage on type app.mood to strata_prog_reader;
    create function app.f(x app.mood) returns integer language sql as 'select 1';
    revoke execute on function app.f(app.mood) from public;
    grant execute on function app.f(app.mood) to strata_prog_reader;
    alter default privileges in schema app grant execute on functions to strata_prog_reader;
  `, { privileges: true });
});

test('PGlite (PostgreSQL 18) reads the same attributes and writes the same creates as PostgreSQL 15', async () => {
  if (!dbs) return;
  const first = dbs.first;
  const embedded = await openPglite(undefined);
  const compare = async (sql: string, privileges: boolean) => {
    await emptyDatabase(first);
    await loadSql(first, sql);
    const onServer = await snapshotOf(first, { privileges });
    const result = await embedded.runScript(`drop schema if exists app cascade; grant usage, create on schema public to public; ${sql}`);
    assert.ok(result.ok, `PGlite loads the schema: ${result.ok ? '' : result.error.message}`);
    const onPglite = await takeSnapshot(embedded, { excludedSchemas: ['strata'], privileges, serverVersionNum: embedded.serverVersionNum });
    const readOf = (snapshot: Snapshot) => mine(snapshot).map((o) => ({ identity: o.identity, attributes: o.attributes, create: o.create }));
    assert.ok(mine(onServer).length >= 10, 'the comparison has something to compare');
    assert.equal(readOf(onPglite), readOf(onServer));
  };
  try {
    await compare(ROLES + TABLES_SQL + ON_TABLES_SQL + ROUTINES_SQL.replace('create schema app;', ''), false);
    await compare(ROLES + PRIVILEGES_SQL, true);
  } finally {
    await loadSql(first, UNDO_GLOBAL_DEFAULTS);
    await embedded.close();
  }
});

test.run();
