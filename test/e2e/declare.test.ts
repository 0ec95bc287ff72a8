import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXAMPLE_IDS, exampleProject } from '../helpers/e2e.js';
import { createTestDatabase, runCli, type TestDatabase } from '../helpers/harness.js';

// The declarative workflow on the example history (test/fixtures/example-history): schema.sql as
// strata dump writes it, edited, then strata diff, strata new --from-schema, strata check, strata up,
// with temporary shadow databases on the test server (and once on the embedded PGlite).
const HEAD = EXAMPLE_IDS.at(-1)!;

let target: TestDatabase | undefined;
test.before(async () => {
  target = await createTestDatabase('declare');
});
test.after(async () => {
  await target?.drop();
});

const serverEnv = () => ({ DATABASE_URL: target!.url, SHADOW_DATABASE_URL: undefined });
type Project = ReturnType<typeof exampleProject>;

/** A project holding the example history and the schema.sql strata dump writes for it. */
async function dumpedProject(env: Record<string, string | undefined> = serverEnv()): Promise<Project & { schema(): string; edit(change: (text: string) => string): void; revisions(): string[] }> {
  const project = exampleProject();
  const dumped = await runCli(['dump'], { cwd: project.dir, env, timeoutMs: 120_000 });
  assert.is(dumped.code, 0, dumped.output);
  const file = path.join(project.dir, 'schema.sql');
  return {
    ...project,
    schema: () => readFileSync(file, 'utf8'),
    edit: (change) => project.write('schema.sql', change(readFileSync(file, 'utf8'))),
    revisions: () => readdirSync(path.join(project.dir, 'migrations')).sort(),
  };
}

/** `definition` as the last column of `table` in schema.sql's CREATE TABLE. */
const addColumn = (table: string, definition: string) => (text: string) => {
  const start = text.indexOf(`create table ${table} (`);
  const end = text.indexOf('\n);', start);
  return `${text.slice(0, end)},\n    ${definition}${text.slice(end)}`;
};

/** diff and new --from-schema use two temporary shadows at once: said in one line, each named (both are dropped after) */
const oneLine = /^strata: shadow databases: strata_shadow_[0-9a-f]+ and strata_shadow_[0-9a-f]+, temporary databases on \S+ \(dropped after; set SHADOW_DATABASE_URL to choose one\)$/;

const created = (output: string) => /^created (\d{14}_\w+)/m.exec(output)?.[1];

test('nothing to do: schema.sql as dump wrote it; diff prints no SQL, new writes nothing, exit 0', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    const diff = await runCli(['diff'], { cwd: project.dir, env: serverEnv() });
    assert.is(diff.code, 0, diff.output);
    assert.is(diff.stdout, '');
    assert.match(diff.stderr, 'nothing to do: schema.sql declares what the migrations make');
    const before = project.schema();
    const made = await runCli(['new', 'nothing', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(made.code, 0, made.output);
    assert.match(made.stdout, 'nothing to do: schema.sql declares what the migrations make; nothing was written');
    assert.equal(project.revisions(), EXAMPLE_IDS);
    assert.is(project.schema(), before);
  } finally {
    project.remove();
  }
});

test('a column added in schema.sql: diff prints it, new writes it proven, schema.sql is current again, up applies it', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit(addColumn('public.orders', 'note text'));
    const diff = await runCli(['diff'], { cwd: project.dir, env: serverEnv() });
    assert.is(diff.code, 0, diff.output);
    assert.match(diff.stdout, /alter table public\.orders add column note text;/);
    assert.equal(diff.stderr.split('\n').filter((l) => l.includes('shadow database')).length, 1, diff.stderr);
    assert.match(diff.stderr, new RegExp(oneLine.source, 'm'));
    const down = await runCli(['diff', '--down'], { cwd: project.dir, env: serverEnv() });
    assert.match(down.stdout, /alter table public\.orders drop column note;/);
    const json = JSON.parse((await runCli(['diff', '--json'], { cwd: project.dir, env: serverEnv() })).stdout) as { ok: boolean; changes: { change: string; identity: string }[]; up: { sql: string; identity: string }[]; upSql: string; transaction: string };
    assert.is(json.ok, true);
    assert.equal(json.changes.map((c) => [c.change, c.identity]), [['added', 'column public.orders.note']]);
    assert.ok(json.up.some((s) => s.identity === 'column public.orders.note' && /add column note text/.test(s.sql)), JSON.stringify(json.up));
    assert.is(json.upSql, diff.stdout);
    assert.is(json.transaction, 'on');

    const made = await runCli(['new', '-m', 'add order notes', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(made.code, 0, made.output);
    assert.equal(made.stderr.split('\n').filter((l) => l.includes('shadow database')).length, 1, made.stderr);
    assert.match(made.stderr, new RegExp(oneLine.source, 'm'));
    const id = created(made.stdout)!;
    assert.match(id, /_add_order_notes$/);
    assert.match(made.stdout, `(parent ${HEAD})`);
    assert.match(made.stdout, "proven on the shadow: up.sql gives schema.sql's schema, down.sql the migrations' again; 3 rows seeded in public.orders (and public.customers, for its foreign keys) were kept both ways");
    assert.match(made.stdout, `wrote schema.sql as strata dump writes it, at head ${id}`);
    const up = readFileSync(path.join(project.dir, 'migrations', id, 'up.sql'), 'utf8');
    assert.ok(up.startsWith(`--! Parent: ${HEAD}\n--! Message: add order notes\n\n`), up);
    assert.match(up, `\n${diff.stdout}`);
    assert.match(readFileSync(path.join(project.dir, 'migrations', id, 'down.sql'), 'utf8'), down.stdout);
    assert.match(project.schema(), `-- head: ${id}\n`);

    const check = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(check.code, 0, check.output);
    assert.match(check.stdout, `round trip ${id}: ok`);
    assert.match(check.stdout, 'schema.sql: current');
    const applied = await runCli(['up'], { cwd: project.dir, env: serverEnv() });
    assert.is(applied.code, 0, applied.output);
    assert.equal(await target.query("select column_name from information_schema.columns where table_name = 'orders' and column_name = 'note'"), [{ column_name: 'note' }]);
  } finally {
    await target.query('drop schema if exists strata cascade; drop schema public cascade; create schema public;');
    project.remove();
  }
});

test('an index added in schema.sql: up.sql creates it, down.sql drops it; the lint errors a reviewer will meet in it are named', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit((text) => `${text}\nCREATE INDEX orders_status_idx ON public.orders USING btree (status);\n`);
    const made = await runCli(['new', 'index orders by status', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(made.code, 0, made.output);
    assert.equal(made.stderr.split('\n').filter((l) => l.includes('shadow database')).length, 1, made.stderr);
    assert.match(made.stderr, new RegExp(oneLine.source, 'm'));
    const id = created(made.stdout)!;
    assert.match(readFileSync(path.join(project.dir, 'migrations', id, 'up.sql'), 'utf8'), /CREATE INDEX orders_status_idx ON public\.orders USING btree \(status\)/i);
    assert.match(readFileSync(path.join(project.dir, 'migrations', id, 'down.sql'), 'utf8'), /drop index (if exists )?public\.orders_status_idx/i);
    // an index built on a table that exists, inside a transaction: strata check would fail on it, so new says so now
    assert.match(made.stdout, new RegExp(`migrations/${id}/up\\.sql:\\d+:\\d+ create-index-not-concurrently: `));
    assert.match(made.stdout, /warning: lint found 2 errors, .* in the new revision; strata check fails until each error is rewritten by hand or accepted with --! Lint-allow/);
  } finally {
    project.remove();
  }
});

test('check: schema.sql edited ahead of the migrations is named change by change, with the hint to run strata new --from-schema', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit(addColumn('public.orders', 'note text'));
    const result = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stdout, 'schema.sql: ahead of the migrations');
    assert.match(result.stderr, 'schema.sql: error: schema.sql declares column public.orders.note, which no revision makes');
    assert.match(result.stderr, 'strata new "<message>" --from-schema');
    const json = JSON.parse((await runCli(['check', '--json'], { cwd: project.dir, env: serverEnv() })).stdout) as { schemaSql: string; problems: { code: string }[]; changes: { schemaSql: { identity: string }[] } };
    assert.is(json.schemaSql, 'ahead');
    assert.equal(json.problems.map((p) => p.code), ['SCHEMA_SQL_AHEAD']);
    assert.equal(json.changes.schemaSql.map((c) => c.identity), ['column public.orders.note']);
    // a column declared between two others is a change too: PostgreSQL would add it at the end
    project.edit((text) => text.replace(',\n    note text\n);', '\n);').replace('    customer_id bigint not null,\n', '    customer_id bigint not null,\n    note text,\n'));
    const between = await runCli(['check'], { cwd: project.dir, env: serverEnv() });
    assert.match(between.stderr, 'schema.sql declares column public.orders.note, which no revision makes');
  } finally {
    project.remove();
  }
});

test('a destructive change is named; --no-destructive refuses it and writes nothing', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    // a table of its own first, so that the column dropped is its last (PostgreSQL puts a column back last)
    project.edit((text) => `${text}\ncreate table public.notes (\n    id integer not null,\n    body text\n);\n`);
    assert.is((await runCli(['new', 'add notes', '--from-schema'], { cwd: project.dir, env: serverEnv() })).code, 0);
    const before = project.revisions();
    project.edit((text) => text.replace('    id integer not null,\n    body text\n', '    id integer not null\n'));
    const refused = await runCli(['new', 'drop note body', '--from-schema', '--no-destructive'], { cwd: project.dir, env: serverEnv() });
    assert.is(refused.code, 1, refused.output);
    // (refused by the generator, which is asked not to make it, or after it, by the statement it marks destructive)
    assert.match(refused.stderr, /error: .*(public\.notes\.body|body of public\.notes)/);
    assert.match(refused.stderr, 'nothing was written.');
    assert.equal(project.revisions(), before);
    const made = await runCli(['new', 'drop note body', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(made.code, 0, made.output);
    assert.match(made.stderr, /warning: destructive \(up\.sql\): .*body/);
    const up = readFileSync(path.join(project.dir, 'migrations', created(made.stdout)!, 'up.sql'), 'utf8');
    assert.match(up, /-- strata: destructive: .*\nalter table public\.notes drop column body;/);
  } finally {
    project.remove();
  }
});

test('a change the rows that exist do not fit: a NOT NULL column without a default is refused at its line; a check the seeded rows fail says so, not "the generator got it wrong"', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit(addColumn('public.customers', 'tier integer not null'));
    const line = project.schema().split('\n').findIndex((l) => l.includes('tier integer not null')) + 1;
    const refused = await runCli(['new', 'tier', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(refused.code, 1, refused.output);
    assert.match(refused.stderr, `schema.sql:${line}: error: strata cannot write a revision for column public.customers.tier: it is declared NOT NULL without a default, and public.customers exists already`);
    assert.match(refused.stderr, 'Declare a default (tier integer not null default ...)');
    assert.equal(project.revisions(), EXAMPLE_IDS);

    project.edit((text) => text.replace(',\n    tier integer not null', '').replace(/(alter table public\.customers add constraint customers_pkey [^\n]*\n)/, "$1alter table public.customers add constraint customers_email_at check (email like '%@%');\n"));
    const failed = await runCli(['new', 'email check', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(failed.code, 1, failed.output);
    assert.match(failed.stderr, /up\.sql:\d+:\d+: error: up\.sql of \d{14}_email_check failed on the shadow database: check constraint "customers_email_at" .* is violated by some row \(23514\)/);
    assert.match(failed.stderr, 'fix: nothing was written: up.sql fails on the rows strata put into public.customers to prove it, as it would on a database that has such rows');
    assert.not.match(failed.stderr, 'the generator got this change wrong');
    assert.equal(project.revisions(), EXAMPLE_IDS);
  } finally {
    project.remove();
  }
});

test('an object of a kind strata does not model is refused by name; nothing written', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit((text) => `${text}\ncreate text search configuration public.shop_search (copy = pg_catalog.english);\n`);
    const before = project.schema();
    const result = await runCli(['new', 'search', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 1, result.output);
    assert.match(result.stderr, /strata cannot write a revision for text search configuration public\.shop_search: strata does not model text search configurations/);
    assert.equal(project.revisions(), EXAMPLE_IDS);
    assert.is(project.schema(), before);
    const json = JSON.parse((await runCli(['diff', '--json'], { cwd: project.dir, env: serverEnv() })).stdout) as { ok: boolean; reason: string; refused: { identity: string }[] };
    assert.equal([json.ok, json.reason, json.refused.map((r) => r.identity)], [false, 'refused', ['text search configuration public.shop_search']]);
  } finally {
    project.remove();
  }
});

test('renames: a -- strata:renamed-from hint and --rename keep the column and its data; a hint naming nothing is an error at its line', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit((text) => text.replace('    sku text not null,\n    name text not null,', '    sku text not null,\n    -- strata:renamed-from name\n    title text not null,'));
    const hinted = await runCli(['diff'], { cwd: project.dir, env: serverEnv() });
    assert.is(hinted.code, 0, hinted.output);
    assert.match(hinted.stdout, /alter table public\.products rename column name to title;/);
    assert.not.match(hinted.stdout, /add column|drop column/);
    project.edit((text) => text.replace(/(create table public\.customers \(\n(?:.*\n)*?) {4}name text not null,/, '$1    full_name text not null,'));
    // without --rename, customers.name -> full_name is a drop and an add (which a generator may refuse: the column is not the last)
    const withoutFlag = await runCli(['diff'], { cwd: project.dir, env: serverEnv() });
    assert.not.match(withoutFlag.stdout, /rename column name to full_name/);
    const made = await runCli(['new', 'rename columns', '--from-schema', '--rename', 'customers.name=full_name'], { cwd: project.dir, env: serverEnv() });
    assert.is(made.code, 0, made.output);
    const up = readFileSync(path.join(project.dir, 'migrations', created(made.stdout)!, 'up.sql'), 'utf8');
    assert.match(up, /alter table public\.customers rename column name to full_name;/);
    assert.match(up, /alter table public\.products rename column name to title;/);
    assert.not.match(up, /drop column/);
    assert.not.match(project.schema(), 'strata:renamed-from', 'schema.sql is written again without the hints they were for');

    project.edit((text) => text.replace('    sku text not null,', '    -- strata:renamed-from stock_code\n    sku text not null,'));
    const wrong = await runCli(['diff'], { cwd: project.dir, env: serverEnv() });
    assert.is(wrong.code, 2, wrong.output);
    const line = project.schema().split('\n').findIndex((l) => l.includes('renamed-from stock_code')) + 1;
    assert.match(wrong.stderr, `schema.sql:${line}:5: error: -- strata:renamed-from stock_code: the migrations make no column public.products.stock_code`);
    const flag = await runCli(['diff', '--rename', 'orders.nothing=other'], { cwd: project.dir, env: serverEnv() });
    assert.is(flag.code, 2, flag.output);
  } finally {
    project.remove();
  }
});

test('schema.sql that does not load names its line, also for an error the server gives no position (a foreign key to a table that is not there)', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit((text) => `${text}\ncreate table public.notes (id int, order_id bigint references public.nope (id));\n`);
    const line = project.schema().split('\n').findIndex((l) => l.startsWith('create table public.notes')) + 1;
    for (const args of [['diff'], ['new', 'notes', '--from-schema']]) {
      const result = await runCli(args, { cwd: project.dir, env: serverEnv() });
      assert.is(result.code, 2, result.output);
      assert.match(result.stderr, `schema.sql:${line}:1: error: schema.sql does not load on an empty database: relation "public.nope" does not exist (42P01)`);
      assert.match(result.stderr, `> ${line} | create table public.notes`);
    }
    assert.equal(project.revisions(), EXAMPLE_IDS);
  } finally {
    project.remove();
  }
});

test('rows in schema.sql (INSERT, UPDATE) are refused at their line, not dropped as "nothing to do"', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit((text) => `${text}\ninsert into public.customers (email, name) values ('a@example.com', 'A');\nupdate public.customers set name = 'B';\n`);
    const lines = project.schema().split('\n');
    const insertLine = lines.findIndex((l) => l.startsWith('insert into public.customers')) + 1;
    for (const args of [['diff'], ['new', 'seed', '--from-schema']]) {
      const result = await runCli(args, { cwd: project.dir, env: serverEnv() });
      assert.is(result.code, 2, result.output);
      assert.match(result.stderr, `schema.sql:${insertLine}:1: error: schema.sql holds an INSERT: it declares the schema only, and rows are neither compared nor written into a revision`);
      assert.match(result.stderr, `schema.sql:${insertLine + 1}:1: error: schema.sql holds an UPDATE`);
      assert.match(result.stderr, 'write the change of rows in a revision by hand');
      assert.not.match(result.output, 'nothing to do');
    }
    assert.equal(project.revisions(), EXAMPLE_IDS);
  } finally {
    project.remove();
  }
});

test('schema.sql written at an older head is refused: a revision from it would undo the newer ones', async () => {
  if (!target) return;
  const project = await dumpedProject();
  try {
    project.edit((text) => text.replace(`-- head: ${HEAD}`, `-- head: ${EXAMPLE_IDS.at(-2)}`));
    const result = await runCli(['new', 'x', '--from-schema'], { cwd: project.dir, env: serverEnv() });
    assert.is(result.code, 2, result.output);
    assert.match(result.stderr, `schema.sql was written at ${EXAMPLE_IDS.at(-2)}, but the migrations' head is ${HEAD}`);
    assert.equal(project.revisions(), EXAMPLE_IDS);
  } finally {
    project.remove();
  }
});

test('without DATABASE_URL: the same workflow on temporary embedded PGlite shadows', async () => {
  const env = { DATABASE_URL: undefined, SHADOW_DATABASE_URL: undefined };
  const project = await dumpedProject(env);
  try {
    project.edit(addColumn('public.customers', 'phone text'));
    const made = await runCli(['new', 'add customer phone', '--from-schema'], { cwd: project.dir, env, timeoutMs: 120_000 });
    assert.is(made.code, 0, made.output);
    assert.match(made.stderr, 'shadow database: a temporary embedded PGlite database');
    assert.match(readFileSync(path.join(project.dir, 'migrations', created(made.stdout)!, 'up.sql'), 'utf8'), /alter table public\.customers add column phone text;/);
    const check = await runCli(['check'], { cwd: project.dir, env, timeoutMs: 120_000 });
    assert.is(check.code, 0, check.output);
    assert.ok(!existsSync(path.join(project.dir, '.strata')), 'only shadows were used');
  } finally {
    project.remove();
  }
});

test.run();
