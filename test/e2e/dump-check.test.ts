import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, projectFromFixture, runCli, type TestDatabase } from '../helpers/harness.js';

// strata dump and strata check on test/fixtures/shadow-history (schema app; a sequence and an enum;
// a domain and a table; a column and an index), with temporary shadow databases on the test server.
// The faulty histories are the fixture with one down.sql rewritten.
const CREATE_APP = '20261120093000_create_app';
const COUNTER_AND_MOOD = '20261121093000_add_counter_and_mood';
const ORDERS = '20261122093000_add_orders';
const ORDER_NOTE = '20261123093000_add_order_note';

let target: TestDatabase | undefined;
test.before(async () => {
  target = await createTestDatabase('dump_check');
});
test.after(async () => {
  await target?.drop();
});

const serverEnv = () => ({ DATABASE_URL: target!.url, SHADOW_DATABASE_URL: undefined });

async function shadowDatabasesNamedIn(output: string): Promise<string[]> {
  const names = [...output.matchAll(/strata_shadow_[0-9a-f]+/g)].map((m) => m[0]);
  if (names.length === 0) return [];
  const rows = await target!.query<{ datname: string }>('select datname from pg_database where datname = any($1)', [names]);
  return rows.map((r) => r.datname);
}

test('dump writes schema.sql with the head in its header; two runs are byte-identical', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    const first = await runCli(['dump'], { cwd: project.dir, env: serverEnv() });
    assert.is(first.code, 0, first.output);
    assert.match(first.stderr, /shadow database: strata_shadow_[0-9a-f]+, a temporary database on/);
    assert.match(first.stdout, `wrote schema.sql`);
    const written = readFileSync(path.join(project.dir, 'schema.sql'), 'utf8');
    assert.match(written, `-- head: ${ORDER_NOTE}\n`);
    assert.match(written, "create type app.mood as enum ('sad', 'ok', 'happy');");
    assert.match(written, 'create domain app.positive');
    const second = await runCli(['dump', '--json'], { cwd: project.dir, env: serverEnv() });
    assert.is(second.code, 0, second.output);
    const report = JSON.parse(second.stdout) as { ok: boolean; file: string; head: string };
    assert.equal([report.ok, report.file, report.head], [true, 'schema.sql', ORDER_NOTE]);
    assert.is(readFileSync(path.join(project.dir, 'schema.sql'), 'utf8'), written, 'byte-identical');
    assert.equal(await shadowDatabasesNamedIn(first.output + second.output), [], 'the temporary databases are dropped');
  } finally {
    project.remove();
  }
});

test('dump of a history with no revisions: one object (the public schema), said in the singular', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    rmSync(path.join(project.dir, 'migrations'), { recursive: true });
    mkdirSync(path.join(project.dir, 'migrations'));
    const dumped = await runCli(['dump'], { cwd: project.dir, env: serverEnv() });
    assert.is(dumped.code, 0, dumped.output);
    assert.match(dumped.stdout, 'wrote schema.sql: 1 object, head base (no revisions)');
  } finally {
    project.remove();
  }
});

test('check passes on a good history, after dump', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    assert.is((await runCli(['dump'], { cwd: project.dir, env: serverEnv() })).code, 0);
    const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 0, result.output);
    for (const id of [CREATE_APP, COUNTER_AND_MOOD, ORDERS, ORDER_NOTE]) assert.match(result.stdout, `round trip ${id}: ok`);
    assert.match(result.stdout, 'schema.sql: current');
    assert.match(result.stdout, 'check passed');
    const json = await runCli(['check', '--json', '--revisions', '20261121..20261122'], { cwd: project.dir, env: serverEnv() });
    assert.is(json.code, 0, json.output);
    const report = JSON.parse(json.stdout) as { ok: boolean; roundTrips: { id: string; result: string }[]; schemaSql: string };
    assert.equal(report.roundTrips, [{ id: COUNTER_AND_MOOD, result: 'passed' }, { id: ORDERS, result: 'passed' }]);
    assert.is(report.schemaSql, 'current');
  } finally {
    project.remove();
  }
});

test('a Windows checkout (core.autocrlf: every file CRLF, function bodies too) finds schema.sql current', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    project.write('migrations/20261124093000_add_touch/up.sql', [
      `--! Parent: ${ORDER_NOTE}`, '', 'create function app.touch() returns trigger language plpgsql as $$', 'begin', '  return new;', 'end;', '$$;', ''].join('\n'));
    project.write('migrations/20261124093000_add_touch/down.sql', 'drop function app.touch();\n');
    assert.is((await runCli(['dump'], { cwd: project.dir, env: serverEnv() })).code, 0);
    const files = ['schema.sql', ...readdirSync(path.join(project.dir, 'migrations')).flatMap((id) => [`migrations/${id}/up.sql`, `migrations/${id}/down.sql`])];
    for (const file of files) project.write(file, readFileSync(path.join(project.dir, file), 'utf8').replace(/\n/g, '\r\n'));
    const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 0, result.output);
    assert.match(result.stdout, 'schema.sql: current');
  } finally {
    project.remove();
  }
});

// the objects the families on main model: schemas, types, domains, sequences
const FORGETFUL_DOWNS: ReadonlyArray<{ revision: string; down: string; expected: string }> = [
  { revision: COUNTER_AND_MOOD, down: 'drop type app.mood;\n', expected: `down.sql of ${COUNTER_AND_MOOD} leaves sequence app.counter` },
  { revision: COUNTER_AND_MOOD, down: 'drop sequence app.counter;\n', expected: `down.sql of ${COUNTER_AND_MOOD} leaves type app.mood` },
  { revision: ORDERS, down: 'drop table app.orders;\n', expected: `down.sql of ${ORDERS} leaves domain app.positive` },
  { revision: CREATE_APP, down: '-- nothing\n', expected: `down.sql of ${CREATE_APP} leaves schema app` },
];

for (const { revision, down, expected } of FORGETFUL_DOWNS) {
  test(`check fails naming the revision and the object: ${expected}`, async () => {
    if (!target) return;
    const project = projectFromFixture('shadow-history');
    try {
      project.write(`migrations/${revision}/down.sql`, down);
      const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
      assert.is(result.code, 1, result.output);
      assert.match(result.stderr, `migrations/${revision}/down.sql: error: ${expected}`);
      assert.match(result.stdout, `round trip ${revision}: failed`);
      const json = JSON.parse((await runCli(['check', '--json'], { cwd: project.dir, env: serverEnv() })).stdout) as { ok: boolean; problems: { code: string; message: string }[] };
      assert.is(json.ok, false);
      assert.ok(json.problems.some((p) => p.code === 'ROUND_TRIP_FAILED' && p.message === expected), JSON.stringify(json.problems));
      assert.equal(await shadowDatabasesNamedIn(result.output), [], 'the temporary databases are dropped after a failed check');
    } finally {
      project.remove();
    }
  });
}

test('check fails naming a column and an index down.sql leaves, listed under their table with the fix said once', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    assert.is((await runCli(['dump'], { cwd: project.dir, env: serverEnv() })).code, 0);
    project.write(`migrations/${ORDER_NOTE}/down.sql`, '-- forgot everything\n');
    const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stderr, `down.sql of ${ORDER_NOTE} leaves column app.orders.note`);
    assert.match(result.stderr, `down.sql of ${ORDER_NOTE} leaves index app.orders_quantity`);
    const lines = result.stderr.split('\n');
    const heading = lines.indexOf('table app.orders:');
    assert.ok(heading >= 0, result.stderr);
    assert.match(lines[heading + 1]!, /^  migrations\/.*leaves column app\.orders\.note$/);
    assert.match(lines[heading + 2]!, /^  migrations\/.*leaves index app\.orders_quantity$/);
    assert.is(lines[heading + 3], '    fix: make down.sql drop what up.sql creates');
  } finally {
    project.remove();
  }
});

test('an Irreversible revision is reported as not round-tripped, and does not fail the check', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    project.write(`migrations/${ORDER_NOTE}/down.sql`, '--! Irreversible: the notes are kept\n');
    assert.is((await runCli(['dump'], { cwd: project.dir, env: serverEnv() })).code, 0);
    const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 0, result.output);
    assert.match(result.stdout, `round trip ${ORDER_NOTE}: irreversible, not round-tripped`);
    assert.match(result.stderr, `warning: ${ORDER_NOTE} is Irreversible (the notes are kept): not round-tripped`);
  } finally {
    project.remove();
  }
});

test('a stale schema.sql is reported object by object, with "run strata dump"', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    assert.is((await runCli(['dump'], { cwd: project.dir, env: serverEnv() })).code, 0);
    const file = path.join(project.dir, 'schema.sql');
    const written = readFileSync(file, 'utf8');
    // (the sequence: nothing else in schema.sql needs it, so the stale file still loads)
    // (stale: written at an older head; the same edits naming the migrations' head are declared ahead of them: declare.test.ts)
    const edited = written.replace(/create sequence app\.counter[^\n]*\n/, '').replace("'happy');", "'happy', 'glad');");
    project.write('schema.sql', edited.replace(`-- head: ${ORDER_NOTE}`, `-- head: ${ORDERS}`));
    const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stdout, 'schema.sql: stale');
    assert.match(result.stderr, 'schema.sql: error: schema.sql lacks sequence app.counter, which the migrations make');
    assert.match(result.stderr, 'schema.sql: error: schema.sql has type app.mood otherwise than the migrations make it');
    assert.match(result.stderr, 'fix: run strata dump');
    project.write('schema.sql', edited);
    const ahead = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(ahead.code, 1, ahead.output);
    assert.match(ahead.stdout, 'schema.sql: ahead of the migrations');
    assert.match(ahead.stderr, 'schema.sql: error: schema.sql no longer declares sequence app.counter, which the migrations make');
    assert.match(ahead.stderr, 'strata new "<message>" --from-schema');
    project.write('schema.sql', written.replace(`-- head: ${ORDER_NOTE}`, `-- head: ${ORDERS}`));
    const headOnly = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(headOnly.code, 1, headOnly.output);
    assert.match(headOnly.stderr, `it names head ${ORDERS}, the migrations' head is ${ORDER_NOTE}`);
    project.remove();
    const missing = projectFromFixture('shadow-history');
    const none = await runCli(['check'], { cwd: missing.dir, env: serverEnv() });
    missing.remove();
    assert.is(none.code, 1, none.output);
    assert.match(none.stderr, 'schema.sql is missing');
  } finally {
    project.remove();
  }
});

test('a SHADOW_DATABASE_URL that is not empty is refused and left untouched; an empty one is used and left empty', async () => {
  if (!target) return;
  const shadow = await createTestDatabase('dump_check_shadow');
  const project = projectFromFixture('shadow-history');
  try {
    await shadow!.query('create table public.precious (id integer)');
    await shadow!.query('insert into public.precious values (1), (2)');
    const refused = await runCli(['dump'], { cwd: project.dir, env: { ...serverEnv(), SHADOW_DATABASE_URL: shadow!.url } });
    assert.is(refused.code, 1, refused.output);
    assert.match(refused.stderr, 'error: the database SHADOW_DATABASE_URL names is not empty: relation public.precious');
    const json = JSON.parse((await runCli(['check', '--json'], { cwd: project.dir, env: { ...serverEnv(), SHADOW_DATABASE_URL: shadow!.url } })).stdout) as { problems: { code: string }[] };
    assert.equal(json.problems.map((p) => p.code), ['SHADOW_NOT_EMPTY']);
    assert.equal(await shadow!.query('select count(*)::int as n from public.precious'), [{ n: 2 }], 'left untouched');
    const schemas = await shadow!.query<{ nspname: string }>("select nspname from pg_namespace where nspname in ('app', 'strata')");
    assert.equal(schemas, []);

    await shadow!.query('drop table public.precious');
    for (let run = 0; run < 2; run++) {
      const used = await runCli(['dump'], { cwd: project.dir, env: { ...serverEnv(), SHADOW_DATABASE_URL: shadow!.url } });
      assert.is(used.code, 0, used.output);
      assert.match(used.stderr, 'shadow database: postgres://');
    }
    assert.equal(await shadow!.query("select nspname from pg_namespace where nspname in ('app', 'strata')"), [], 'emptied of what strata made');
    assert.equal(await shadow!.query("select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'"), []);
  } finally {
    project.remove();
    await shadow?.drop();
  }
});

test('a publication the revisions make (in no schema) is dropped from a SHADOW_DATABASE_URL after each use', async () => {
  if (!target) return;
  const shadow = await createTestDatabase('dump_check_pub_shadow');
  const project = projectFromFixture('shadow-history');
  try {
    const up = readFileSync(path.join(project.dir, 'migrations', ORDER_NOTE, 'up.sql'), 'utf8');
    project.write(`migrations/${ORDER_NOTE}/up.sql`, `${up}create publication orders_feed for table app.orders (id, note);\n`);
    project.write(`migrations/${ORDER_NOTE}/down.sql`, `drop publication orders_feed;\n${readFileSync(path.join(project.dir, 'migrations', ORDER_NOTE, 'down.sql'), 'utf8')}`);
    for (let run = 0; run < 2; run++) {
      const used = await runCli(['dump'], { cwd: project.dir, env: { ...serverEnv(), SHADOW_DATABASE_URL: shadow!.url } });
      assert.is(used.code, 0, used.output);
      assert.equal(await shadow!.query('select pubname from pg_publication'), [], 'emptied of the publication');
    }
    assert.match(readFileSync(path.join(project.dir, 'schema.sql'), 'utf8'), '\ncreate publication orders_feed for table app.orders (id, note);\n');
  } finally {
    project.remove();
    await shadow?.drop();
  }
});

test('a temporary shadow database that a revision gave a subscription is dropped all the same', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    const up = readFileSync(path.join(project.dir, 'migrations', ORDER_NOTE, 'up.sql'), 'utf8');
    // reaches no publisher: made without connecting, disabled, without a slot
    project.write(`migrations/${ORDER_NOTE}/up.sql`, `${up}create subscription orders_in connection 'host=localhost dbname=postgres' publication orders_pub with (connect = false, slot_name = none, enabled = false);\n`);
    const result = await runCli(['dump'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 0, result.output);
    assert.equal(await shadowDatabasesNamedIn(result.output), [], 'the temporary shadow is gone');
    assert.match(readFileSync(path.join(project.dir, 'schema.sql'), 'utf8'), "\ncreate subscription orders_in connection 'host=localhost dbname=postgres' publication orders_pub with (connect = false, slot_name = none, enabled = false);\n");
  } finally {
    project.remove();
  }
});

test('a subscription on the embedded PGlite shadow, which cannot make one: named, with a server to use instead', async () => {
  const project = projectFromFixture('shadow-history');
  try {
    const up = readFileSync(path.join(project.dir, 'migrations', ORDER_NOTE, 'up.sql'), 'utf8');
    project.write(`migrations/${ORDER_NOTE}/up.sql`, `${up}create subscription orders_in connection 'host=localhost dbname=postgres' publication orders_pub with (connect = false, slot_name = none, enabled = false);\n`);
    const result = await runCli(['dump'], { cwd: project.dir, env: { DATABASE_URL: undefined, SHADOW_DATABASE_URL: undefined } });
    assert.is(result.code, 1, result.output);
    assert.match(result.stderr, `up.sql of ${ORDER_NOTE} failed on the shadow database: the embedded PGlite cannot create a subscription (it has no libpqwalreceiver)`);
    assert.match(result.stderr, 'set DATABASE_URL (a temporary database is made there) or SHADOW_DATABASE_URL');
    assert.not.match(result.stderr, 'TypeError');
  } finally {
    project.remove();
  }
});

test('the temporary shadow database is gone after a revision fails on it', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    project.write(`migrations/${ORDERS}/up.sql`, `--! Parent: ${COUNTER_AND_MOOD}\n\ncreate table app.orders (id integer);\nselect 1 / 0;\n`);
    const result = await runCli(['dump'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stderr, `up.sql of ${ORDERS} failed on the shadow database: division by zero (22012)`);
    assert.match(result.output, /strata_shadow_[0-9a-f]+/);
    assert.equal(await shadowDatabasesNamedIn(result.output), []);
    const leftover = await target.query<{ n: number }>("select count(*)::int as n from pg_database where datname like 'strata\\_shadow\\_%' and datname = any($1)", [[...result.output.matchAll(/strata_shadow_[0-9a-f]+/g)].map((m) => m[0])]);
    assert.equal(leftover, [{ n: 0 }]);
  } finally {
    project.remove();
  }
});

test('without DATABASE_URL the shadow is a temporary PGlite from the template', async () => {
  const project = projectFromFixture('shadow-history');
  try {
    const result = await runCli(['dump'], { cwd: project.dir, env: { DATABASE_URL: undefined, SHADOW_DATABASE_URL: undefined }, timeoutMs: 120_000 });
    assert.is(result.code, 0, result.output);
    assert.match(result.stderr, 'shadow database: a temporary embedded PGlite database');
    assert.match(readFileSync(path.join(project.dir, 'schema.sql'), 'utf8'), `-- head: ${ORDER_NOTE}`);
  } finally {
    project.remove();
  }
});

test('check --live: a database changed by hand is reported object by object; the database is only read', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    assert.is((await runCli(['dump'], { cwd: project.dir, env: serverEnv() })).code, 0);
    assert.is((await runCli(['up'], { cwd: project.dir, env: serverEnv() })).code, 0);
    const clean = await runCli(['check', '--live'], { cwd: project.dir, env: serverEnv() });
    assert.is(clean.code, 0, clean.output);
    assert.match(clean.stdout, 'live database: as its revisions make it');
    await target.query(`alter table app.orders add column by_hand text;
      drop index app.orders_quantity;
      alter sequence app.counter increment by 7;
      create table public.scratch (x int);`);
    const before = await target.query('select count(*)::int as n from strata.events');
    const result = await runCli(['check', '--live'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stdout, 'live database: changed outside strata');
    assert.match(result.stderr, `(applied up to ${ORDER_NOTE}): column app.orders.by_hand added outside strata`);
    assert.match(result.stderr, 'table public.scratch added outside strata');
    assert.match(result.stderr, 'index app.orders_quantity removed outside strata');
    assert.match(result.stderr, 'sequence app.counter changed outside strata (increment 1 -> 7)');
    assert.equal(await target.query('select count(*)::int as n from strata.events'), before, 'nothing recorded');
  } finally {
    await target.query('drop schema if exists app cascade; drop schema if exists strata cascade; drop table if exists public.scratch');
    project.remove();
  }
});

test('a revision that fails on the shadow: dump names its file and line, writes nothing, exit 1', async () => {
  if (!target) return;
  const project = projectFromFixture('shadow-history');
  try {
    project.write(`migrations/${ORDER_NOTE}/up.sql`, `--! Parent: ${ORDERS}\n\nalter table app.orders add column note text;\nalter table app.missing add column x int;\n`);
    const result = await runCli(['dump'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stderr, `migrations/${ORDER_NOTE}/up.sql:4:`);
    assert.match(result.stderr, `up.sql of ${ORDER_NOTE} failed on the shadow database: relation "app.missing" does not exist (42P01)`);
    assert.match(result.stderr, 'schema.sql was not written.');
    assert.not.ok(existsSync(path.join(project.dir, 'schema.sql')), 'no schema.sql');
    assert.equal(await shadowDatabasesNamedIn(result.output), [], 'the temporary database is gone');
  } finally {
    project.remove();
  }
});

test('a temporary shadow a killed strata left behind is dropped by the next one; a recent one, or one without the mark, is left', async () => {
  if (!target) return;
  const suffix = `${process.pid}`;
  const names = { abandoned: `strata_shadow_old${suffix}`, recent: `strata_shadow_new${suffix}`, unmarked: `strata_shadow_mine${suffix}` };
  const mark = (at: string) => `'strata shadow database, dropped after use; created ${at}'`;
  for (const name of Object.values(names)) await target.query(`create database ${name}`);
  await target.query(`comment on database ${names.abandoned} is ${mark('2026-01-01T00:00:00.000Z')}`);
  await target.query(`comment on database ${names.recent} is ${mark(new Date().toISOString())}`);
  const project = projectFromFixture('shadow-history');
  try {
    const result = await runCli(['dump'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 0, result.output);
    assert.match(result.stderr, `dropped ${names.abandoned}, a temporary shadow database a killed strata left behind`);
    const left = await target.query<{ datname: string }>('select datname from pg_database where datname = any($1) order by datname', [Object.values(names)]);
    assert.equal(left.map((r) => r.datname), [names.unmarked, names.recent].sort());
  } finally {
    project.remove();
    for (const name of Object.values(names)) await target.query(`drop database if exists ${name}`);
  }
});

test.run();
