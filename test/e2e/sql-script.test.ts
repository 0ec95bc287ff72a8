import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStrata } from '../../src/index.js';
import { LOCK_CLASS } from '../../src/executor/advisory-lock.js';
import { expectExit, expectText, publicRelations, resetDatabase, revisionFiles } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { catalogObjects, hasPsql, runPsqlScript, trackingRows } from '../helpers/psql.js';

const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_create_orders';
const R3 = '20261103090000_index_orders';
const R4 = '20261104090000_add_mood';
const R5 = '20261105090000_seed';

/**
 * A history that exercises what psql reads differently from a driver: dollar quotes, a body whose
 * last statement has no semicolon, a stored down.sql with quotes and backslashes, casts, and a
 * Transaction: off revision (CREATE INDEX CONCURRENTLY fails inside a transaction block).
 */
const HISTORY: Record<string, string> = {
  ...revisionFiles(R1, 'base', `create function touch() returns trigger language plpgsql as $body$
begin
  new.updated_at := now(); -- it's fine; a quote in a comment
  return new;
end;
$body$;

create table customers (id bigint generated always as identity primary key, name text not null, updated_at timestamptz);
create trigger customers_touch before update on customers for each row execute function touch();
`, `drop table customers;\ndrop function touch();\n`, ['--! Message: Customers\' table, with "quotes"', '--! Tags: v1.0']),
  ...revisionFiles(R2, R1, `create table orders (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customers (id),
  note text default 'a:b'::text
)`, `-- it's C:\\temp\\orders, with a backslash\ndrop table orders;\n`, ['--! Message: Orders']),
  ...revisionFiles(R3, R2, `create index concurrently orders_customer_idx on orders (customer_id);\n`,
    `--! Transaction: off\n\ndrop index concurrently orders_customer_idx;\n`, ['--! Message: Index orders', '--! Transaction: off']),
  ...revisionFiles(R4, R3, `create type mood as enum ('ok', 'meh');\nalter table customers add column mood mood not null default 'ok';\n`,
    `alter table customers drop column mood;\ndrop type mood;\n`),
  ...revisionFiles(R5, R4, `insert into customers (name) values (E'back\\\\slash'), ('O''Brien');\n`, `delete from customers;\n`, ['--! Tags: v2.0']),
};

const psql = hasPsql();
const a = psql ? await createTestDatabase('sql_a') : undefined;
const b = a ? await createTestDatabase('sql_b') : undefined;
const ready = a !== undefined && b !== undefined;
const project = makeProject(HISTORY);
const run = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, { cwd: project.dir, env });

test.after(async () => {
  project.remove();
  await a?.drop();
  await b?.drop();
});

test.before.each(async () => {
  if (!ready) return;
  await resetDatabase(a);
  await resetDatabase(b);
});

/** What `strata status --json` says, without the times. */
async function statusOf(url: string, schema?: string) {
  const result = await run(['status', '--json', ...(schema ? ['--schema', schema] : [])], { DATABASE_URL: url });
  expectExit(result, 0, 'status');
  const report = JSON.parse(result.stdout) as { current: string | null; head: string | null; revisions: Array<Record<string, unknown>>; counts: unknown };
  return { current: report.current, head: report.head, counts: report.counts, revisions: report.revisions.map(({ appliedAt: _, ...rest }) => rest) };
}

(ready ? test : test.skip)('sql up --from base through psql leaves exactly the state strata up leaves', async () => {
  const script = await run(['sql', 'up', '--from', 'base']);
  expectExit(script, 0, 'sql up');
  assert.is(script.stderr, '', 'nothing on stderr: no database line, no warnings');
  const ran = await runPsqlScript(a!.url, script.stdout);
  assert.is(ran.code, 0, `psql failed:\n${ran.stderr}`);
  expectExit(await run(['up'], { DATABASE_URL: b!.url }), 0, 'strata up');

  assert.equal(await trackingRows(a!), await trackingRows(b!), 'same revisions and events, except times, durations and actor');
  assert.equal(await catalogObjects(a!), await catalogObjects(b!), 'same objects');
  const status = await statusOf(a!.url);
  assert.equal(status, await statusOf(b!.url));
  assert.is(status.current, R5);
  assert.equal((await trackingRows(a!)).revisions.length, 5);
  const [note] = await a!.query<{ name: string }>("select name from customers where name like 'back%'");
  assert.is(note?.name, 'back\\slash', 'E-string backslashes survive psql');
  const actors = await a!.query<{ applied_by: string }>('select distinct applied_by from strata.revisions');
  assert.equal(actors.length, 1);
  assert.match(actors[0]!.applied_by, /\(strata sql\)$/, 'the record says it came from a strata sql script');
});

(ready ? test : test.skip)('sql down (planned from the database) through psql leaves exactly what strata down leaves', async () => {
  for (const db of [a!, b!]) expectExit(await run(['up'], { DATABASE_URL: db.url }), 0, 'up');

  // down to R3 first: reverts R5 and R4
  const partial = await run(['sql', 'down', R3.slice(0, 14)], { DATABASE_URL: a!.url });
  expectExit(partial, 0, 'sql down to R3');
  expectText(partial.stdout, `revision 1 of 2: ${R5} (down)`, `revision 2 of 2: ${R4} (down)`, `from: migrations/${R5}/down.sql`);
  assert.not.match(partial.stdout, /create schema/, 'the tracking schema exists: no DDL for it');
  assert.is((await runPsqlScript(a!.url, partial.stdout)).code, 0);
  expectExit(await run(['down', R3.slice(0, 14)], { DATABASE_URL: b!.url }), 0, 'down to R3');
  assert.equal(await trackingRows(a!), await trackingRows(b!));
  assert.equal(await statusOf(a!.url), await statusOf(b!.url));

  const all = await run(['sql', 'down', 'base'], { DATABASE_URL: a!.url });
  expectExit(all, 0, 'sql down base');
  const ran = await runPsqlScript(a!.url, all.stdout);
  assert.is(ran.code, 0, `psql failed:\n${ran.stderr}`);
  expectExit(await run(['down', 'base'], { DATABASE_URL: b!.url }), 0, 'down base');
  assert.equal(await trackingRows(a!), await trackingRows(b!));
  assert.equal(await catalogObjects(a!), await catalogObjects(b!));
  assert.equal(await publicRelations(a!), [], 'everything reverted');
  const status = await statusOf(a!.url);
  assert.is(status.current, null);
  assert.equal(status, await statusOf(b!.url));
});

(ready ? test : test.skip)('sql up planned from the database includes only the pending revisions', async () => {
  for (const db of [a!, b!]) expectExit(await run(['up', R2], { DATABASE_URL: db.url }), 0, 'up to R2');
  const script = await run(['sql', 'up'], { DATABASE_URL: a!.url });
  expectExit(script, 0);
  expectText(script.stdout, `planned against: the revisions applied in ${a!.url} (up to ${R2})`, `revision 1 of 3: ${R3}`);
  assert.not.match(script.stdout, new RegExp(`revision \\d of \\d: ${R1}`));
  assert.is((await runPsqlScript(a!.url, script.stdout)).code, 0);
  expectExit(await run(['up'], { DATABASE_URL: b!.url }), 0);
  assert.equal(await trackingRows(a!), await trackingRows(b!));
  assert.equal(await statusOf(a!.url), await statusOf(b!.url));
});

(ready ? test : test.skip)('Transaction: off revisions stand outside any BEGIN/COMMIT, with their bookkeeping after their statements', async () => {
  const { stdout } = await run(['sql', 'up', '--from', 'base']);
  const lines = stdout.split('\n');
  const balanceAt = (index: number) => lines.slice(0, index).reduce((open, l) => open + (l === 'begin;' ? 1 : l === 'commit;' ? -1 : 0), 0);
  const cic = lines.findIndex((l) => l.startsWith('create index concurrently'));
  assert.ok(cic > 0);
  assert.is(balanceAt(cic), 0, 'no transaction is open at CREATE INDEX CONCURRENTLY');
  const header = lines.findIndex((l) => l.startsWith(`-- revision 3 of 5: ${R3}`));
  assert.ok(header > 0 && header < cic);
  assert.match(lines[header]!, /Transaction: off/);
  const bookkeeping = lines.findIndex((l, i) => i > cic && l.includes(`values ('${R3}'`));
  const nextRevision = lines.findIndex((l) => l.startsWith(`-- revision 4 of 5: ${R4}`));
  assert.ok(bookkeeping > cic && bookkeeping < nextRevision, 'bookkeeping follows the statements');
  assert.is(balanceAt(nextRevision), 0, 'and is not inside a transaction either');
  // every transactional revision is wrapped
  for (const id of [R1, R2, R4, R5]) {
    const at = lines.findIndex((l) => l.startsWith('-- revision') && l.includes(id));
    const from = lines.findIndex((l, i) => i > at && l.startsWith('-- from: '));
    assert.is(lines[from + 1], 'begin;', `${id} starts its own transaction`);
  }
  assert.is(lines.filter((l) => l === 'begin;').length, 4);
  assert.is(lines.filter((l) => l === 'commit;').length, 4);
  // R2's body ends without a semicolon: the script adds one so the session reset and the bookkeeping after it are statements of their own
  expectText(stdout, "note text default 'a:b'::text\n)\n;\nclose all;\n");
});

(ready ? test : test.skip)('the script takes and releases the same advisory lock as strata up', async () => {
  const { stdout } = await run(['sql', 'up', '--from', 'base']);
  const statements = stdout.split('\n').filter((l) => l.startsWith('select pg_advisory'));
  assert.equal(statements, [
    `select pg_advisory_lock(${LOCK_CLASS}, hashtext('strata'));`,
    `select pg_advisory_unlock(${LOCK_CLASS}, hashtext('strata'));`,
  ]);
  assert.ok(stdout.indexOf(statements[0]!) < stdout.indexOf('create schema'), 'locked before anything else runs');
  assert.ok(stdout.trimEnd().endsWith(statements[1]!), 'unlocked at the very end');
  // holding the script's lock makes a strata run wait for it, naming the holder
  const holder = new pg.Client({ connectionString: a!.url, application_name: 'dba psql' });
  await holder.connect();
  try {
    await holder.query(statements[0]!);
    const blocked = await run(['up', '--lock-timeout', '1'], { DATABASE_URL: a!.url });
    assert.is.not(blocked.code, 0);
    expectText(blocked.output, 'held by pid', '(dba psql)');
    assert.equal(await publicRelations(a!), []);
  } finally {
    await holder.end();
  }
});

(ready ? test : test.skip)('a tracking schema with quotes, spaces and a semicolon works through psql', async () => {
  const schema = 'odd "name"; x';
  const script = await run(['sql', 'up', '--from', 'base', '--schema', schema]);
  expectExit(script, 0);
  expectText(script.stdout, `hashtext('odd "name"; x')`, 'create schema if not exists "odd ""name""; x";');
  const ran = await runPsqlScript(a!.url, script.stdout);
  assert.is(ran.code, 0, ran.stderr);
  expectExit(await run(['up', '--schema', schema], { DATABASE_URL: b!.url }), 0);
  assert.equal(await trackingRows(a!, schema), await trackingRows(b!, schema));
  assert.equal(await statusOf(a!.url, schema), await statusOf(b!.url, schema));
});

(ready ? test : test.skip)('a failing revision stops psql at the previous revision boundary, as strata up does', async () => {
  const failing = makeProject({
    ...Object.fromEntries(Object.entries(HISTORY).filter(([file]) => file.includes(R1) || file.includes(R2))),
    ...revisionFiles(R3, R2, 'create table broken (id int);\nselect 1 / 0;\n', 'drop table broken;\n'),
  });
  try {
    const script = await runCli(['sql', 'up', '--from', 'base'], { cwd: failing.dir });
    expectExit(script, 0);
    const ran = await runPsqlScript(a!.url, script.stdout);
    assert.is(ran.code, 3, 'psql stops on the error (ON_ERROR_STOP)');
    expectText(ran.stderr, 'division by zero');
    expectExit(await runCli(['up'], { cwd: failing.dir, env: { DATABASE_URL: b!.url } }), 1, 'strata up fails too');
    assert.equal((await trackingRows(a!)).revisions, (await trackingRows(b!)).revisions);
    assert.equal(await publicRelations(a!), await publicRelations(b!));
    assert.ok(!(await publicRelations(a!)).includes('broken'), 'the failed revision was rolled back');
    const [locks] = await a!.query<{ n: number }>(
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())");
    assert.is(locks!.n, 0, 'the lock went with the psql session');
  } finally {
    failing.remove();
  }
});

(ready ? test : test.skip)('--single-transaction: one BEGIN/COMMIT around everything; refused with a Transaction: off revision', async () => {
  const refused = await run(['sql', 'up', '--from', 'base', '--single-transaction']);
  expectExit(refused, 2);
  assert.is(refused.stdout, '', 'nothing on stdout');
  expectText(refused.stderr, `migrations/${R3}/up.sql:1`, 'cannot run inside --single-transaction');

  const script = await run(['sql', 'up', R2, '--from', 'base', '--single-transaction']);
  expectExit(script, 0);
  const lines = script.stdout.split('\n');
  assert.is(lines.filter((l) => l === 'begin;').length, 1);
  assert.is(lines.filter((l) => l === 'commit;').length, 1);
  assert.ok(lines.indexOf('begin;') < lines.findIndex((l) => l.startsWith(`-- revision 1 of 2: ${R1}`)));
  assert.ok(lines.indexOf('commit;') > lines.findIndex((l) => l.includes(`values ('${R2}'`)));
  assert.is((await runPsqlScript(a!.url, script.stdout)).code, 0);
  expectExit(await run(['up', R2, '--single-transaction'], { DATABASE_URL: b!.url }), 0);
  assert.equal(await trackingRows(a!), await trackingRows(b!));
});

test('--from base needs no database: none configured, or one that cannot be reached', async () => {
  const offline = await run(['sql', 'up', '--from', 'base']);
  expectExit(offline, 0);
  expectText(offline.stdout, '-- planned against: no database: as if no revision were applied (--from base)', `-- revision 5 of 5: ${R5} (up)`);
  assert.ok(!existsSync(path.join(project.dir, '.strata')), 'the embedded database was not opened');
  const unreachable = await run(['sql', 'up', '--from', 'base'], { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/nowhere' });
  expectExit(unreachable, 0);
  assert.is(unreachable.stdout, offline.stdout, 'the same script');
  // --from another revision plans as if it and those before it were applied
  const rest = await run(['sql', 'up', '--from', 'v1.0']);
  expectExit(rest, 0);
  expectText(rest.stdout, `as if ${R1} and every revision before it were applied (--from v1.0)`, `-- revision 1 of 4: ${R2} (up)`);
  assert.not.match(rest.stdout, /create schema/, 'the tracking schema is assumed to exist');
  const downAll = await run(['sql', 'down', 'base', '--from', 'head']);
  expectExit(downAll, 0);
  expectText(downAll.stdout, `-- revision 1 of 5: ${R5} (down)`, `-- revision 5 of 5: ${R1} (down)`);
  const relative = await run(['sql', 'up', '--from', '+1']);
  expectExit(relative, 2);
  assert.is(relative.stdout, '');
});

test('nothing to do: a script of comments only', async () => {
  const result = await run(['sql', 'down', 'base', '--from', 'base']);
  expectExit(result, 0);
  assert.ok(result.stdout.split('\n').filter((l) => l !== '').every((l) => l.startsWith('--')), result.stdout);
  expectText(result.stdout, 'nothing to revert');
});

test('every check of up runs first: problems exit 2 with nothing on stdout', async () => {
  const broken = makeProject({
    ...revisionFiles(R1, 'base', 'create table a (id int);\n', 'drop table a;\n', ['--! Transacton: off']),
    ...revisionFiles(R2, R1, 'create tabel b (id int);\n', 'drop table b;\n'),
    ...revisionFiles(R3, R2, 'create table c (id int);\n\\i other.sql\n', 'drop table c;\n'),
  });
  try {
    const header = await runCli(['sql', 'up', '--from', 'base'], { cwd: broken.dir });
    expectExit(header, 2);
    assert.is(header.stdout, '');
    expectText(header.stderr, `migrations/${R1}/up.sql:2`, "did you mean 'Transaction'");
    broken.write(`migrations/${R1}/up.sql`, '--! Parent: base\n\ncreate table a (id int);\n');
    const parse = await runCli(['sql', 'up', '--from', 'base'], { cwd: broken.dir });
    expectExit(parse, 2);
    assert.is(parse.stdout, '');
    expectText(parse.stderr, `migrations/${R2}/up.sql:3:8`, 'syntax error', `migrations/${R3}/up.sql:4:1`, '\\i');
    const target = await runCli(['sql', 'up', 'nope', '--from', 'base'], { cwd: broken.dir });
    expectExit(target, 2);
    assert.is(target.stdout, '');
    const direction = await runCli(['sql', 'sideways'], { cwd: broken.dir });
    expectExit(direction, 2);
    expectText(direction.stderr, "strata sql takes up or down, got 'sideways'");
  } finally {
    broken.remove();
  }
});

(ready ? test : test.skip)('checksums are checked against the database: an edited applied revision is refused', async () => {
  const edited = makeProject(HISTORY);
  try {
    expectExit(await runCli(['up', R2], { cwd: edited.dir, env: { DATABASE_URL: a!.url } }), 0);
    edited.write(`migrations/${R1}/up.sql`, `--! Parent: base\n\ncreate table customers (id int);\n`);
    const state = async () => ({ catalog: await catalogObjects(a!), tracking: await trackingRows(a!) });
    const before = await state();
    const result = await runCli(['sql', 'up'], { cwd: edited.dir, env: { DATABASE_URL: a!.url } });
    expectExit(result, 2);
    assert.is(result.stdout, '');
    expectText(result.stderr, `migrations/${R1}/up.sql`, 'edited after it was applied');
    assert.equal(await state(), before, 'reading for a script changes nothing');
  } finally {
    edited.remove();
  }
});

test('the API returns the script as data, the same text the CLI prints', async () => {
  const strata = createStrata({ cwd: project.dir, env: {} });
  const report = await strata.sql('up', 'head', { from: 'base' });
  assert.ok(report.ok);
  if (!report.ok) return;
  const printed = await run(['sql', 'up', '--from', 'base']);
  assert.is(report.script, printed.stdout);
  assert.equal(report.steps.map((s) => [s.id, s.transactional]), [[R1, true], [R2, true], [R3, false], [R4, true], [R5, true]]);
  // at base, down has nothing to revert: an empty plan, not an error
  const atBase = await strata.sql('down', '-1', { from: 'base' });
  assert.ok(atBase.ok && atBase.steps.length === 0);
  const refused = await strata.sql('down', '+1', { from: 'base' });
  assert.is(refused.ok, false);
  if (!refused.ok) assert.is(refused.problems[0]!.code, 'TARGET_INVALID');
});

test.run();
