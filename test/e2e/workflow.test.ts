import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, repoRoot, runCli } from '../helpers/harness.js';
import {
  appliedIds, EXAMPLE_IDS, events, exampleProject, expectExit, expectText, resetDatabase,
} from '../helpers/e2e.js';

// The example history, end to end on PostgreSQL: apply, inspect, move back and forth, apply again.
const db = await createTestDatabase('workflow');
const it = db ? test : test.skip;
const project = exampleProject();
const [, PRODUCTS, ORDERS, VIEW, INDEX] = EXAMPLE_IDS as [string, string, string, string, string];
const strata = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: db!.url } });

test.before(async () => {
  if (db) await resetDatabase(db);
});

test.after(async () => {
  project.remove();
  await db?.drop();
});

/** relkind of a relation in public ('r' table, 'v' view, 'i' index), or undefined. */
async function relkind(name: string): Promise<string | undefined> {
  const rows = await db!.query<{ relkind: string }>(`select relkind from pg_class where relnamespace = 'public'::regnamespace and relname = $1`, [name]);
  return rows[0]?.relkind;
}

async function expectObjectsAt(applied: number): Promise<void> {
  const has = async (name: string, kind: string, from: number) =>
    assert.is(await relkind(name), applied >= from ? kind : undefined, `${name} with ${applied} revisions applied`);
  await has('customers', 'r', 1);
  await has('customers_email_key', 'i', 1);
  await has('products', 'r', 2);
  await has('orders', 'r', 3);
  await has('order_items', 'r', 3);
  await has('order_items_product_id_idx', 'i', 3);
  await has('order_totals', 'v', 4);
  await has('orders_customer_id_created_at_idx', 'i', 5);
  const [fn] = await db!.query<{ n: number }>(`select count(*)::int as n from pg_proc where proname = 'set_updated_at' and pronamespace = 'public'::regnamespace`);
  assert.is(fn!.n, applied >= 1 ? 1 : 0, 'set_updated_at()');
  const [enumType] = await db!.query<{ labels: string | null }>(
    `select string_agg(e.enumlabel, ',' order by e.enumsortorder) as labels from pg_type t join pg_enum e on e.enumtypid = t.oid where t.typname = 'order_status'`);
  assert.is(enumType!.labels, applied >= 3 ? 'pending,paid,shipped,cancelled' : null, 'order_status enum');
  assert.equal(await appliedIds(db!), EXAMPLE_IDS.slice(0, applied));
}

it('up applies the example history: tracking rows, events, and the real objects', async () => {
  const result = await strata('up');
  expectExit(result, 0);
  for (const id of EXAMPLE_IDS) assert.match(result.stdout, new RegExp(`^applied\\s+${id} \\d+ ms$`, 'm'));
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  expectText(result.stderr, `strata: ${db!.url}`);
  await expectObjectsAt(5);

  const rows = await db!.query<{ id: string; parent: string; message: string; tags: string[]; down_sql: string; up_checksum: string }>(
    'select id, parent, message, tags, down_sql, up_checksum from strata.revisions order by id');
  assert.equal(rows.map((r) => r.parent), ['base', ...EXAMPLE_IDS.slice(0, 4)]);
  assert.equal(rows[2]!.tags, ['v1.0']);
  assert.is(rows[2]!.message, 'Create orders and order items');
  assert.is(rows[2]!.down_sql, readFileSync(path.join(project.dir, 'migrations', ORDERS, 'down.sql'), 'utf8'), 'the down.sql as applied is kept');
  assert.ok(rows.every((r) => /^v2:[0-9a-f]{64}$/.test(r.up_checksum)), 'new rows carry v2 checksums');
  assert.equal((await events(db!)).map((e) => [e.action, e.revision_id, e.ok]), EXAMPLE_IDS.map((id) => ['up', id, true]));

  // the index built concurrently is valid, and the trigger works
  const [index] = await db!.query<{ valid: boolean }>(`select indisvalid as valid from pg_index where indexrelid = 'orders_customer_id_created_at_idx'::regclass`);
  assert.is(index!.valid, true);
  await db!.query(`insert into customers (email, name, updated_at) values ('a@example.com', 'A', '2000-01-01')`);
  await db!.query(`update customers set name = 'B'`);
  const [row] = await db!.query<{ recent: boolean }>(`select updated_at > '2000-01-02' as recent from customers`);
  assert.is(row!.recent, true, 'set_updated_at trigger ran');
  await db!.query('delete from customers');
});

it('up again: nothing to apply, nothing logged', async () => {
  const result = await strata('up');
  expectExit(result, 0);
  expectText(result.stdout, 'nothing to apply: the database is up to date');
  assert.is((await events(db!)).length, 5);
});

it('status: every revision applied, with message, tag and time; --exit-code 0 when settled', async () => {
  const result = await strata('status');
  expectExit(result, 0);
  const lines = result.stdout.trimEnd().split('\n');
  assert.is(lines.length, 6);
  for (const [i, id] of EXAMPLE_IDS.entries()) assert.match(lines[i]!, new RegExp(`^applied\\s+${id}\\s+\\S.* \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`));
  expectText(lines[2]!, 'Create orders and order items [v1.0]');
  assert.is(lines[5], `5 applied, 0 pending; at ${INDEX} (head)`);
  expectExit(await strata('status', '--exit-code'), 0);
});

it('status --json: the report shape', async () => {
  const result = await strata('status', '--json');
  expectExit(result, 0);
  const report = JSON.parse(result.stdout) as Record<string, unknown> & { revisions: Array<Record<string, unknown>> };
  assert.equal(Object.keys(report).sort(), ['counts', 'current', 'database', 'head', 'ok', 'problems', 'revisions', 'schema']);
  assert.is(report.ok, true);
  assert.is(report.schema, 'strata');
  assert.is(report.database, db!.url);
  assert.is(report.current, INDEX);
  assert.is(report.head, INDEX);
  assert.equal(report.counts, { applied: 5, pending: 0, edited: 0, missing: 0 });
  assert.equal(report.problems, []);
  assert.is(report.revisions.length, 5);
  const orders = report.revisions[2]!;
  assert.equal(Object.keys(orders).sort(), ['appliedAt', 'id', 'isDownEdited', 'message', 'partial', 'replaces', 'state', 'tags']);
  assert.equal([orders.id, orders.state, orders.message, orders.tags, orders.isDownEdited], [ORDERS, 'applied', 'Create orders and order items', ['v1.0'], false]);
  assert.ok(!Number.isNaN(Date.parse(orders.appliedAt as string)));
  assert.is(result.stderr, '', '--json keeps stderr quiet');
});

it('down reverts the newest revision (-1 by default); status --exit-code is 1 while one is pending', async () => {
  const result = await strata('down');
  expectExit(result, 0);
  assert.match(result.stdout, new RegExp(`^reverted ${INDEX} \\d+ ms$`, 'm'));
  assert.match(result.stdout, /^1 reverted in \d+ ms$/m);
  await expectObjectsAt(4);
  const status = await strata('status', '--exit-code');
  expectExit(status, 1);
  assert.match(status.stdout, new RegExp(`^pending\\s+${INDEX}`, 'm'));
  expectText(status.stdout, `4 applied, 1 pending; at ${VIEW}`);
});

it('down -3 reverts three, newest first', async () => {
  const result = await strata('down', '-3');
  expectExit(result, 0);
  const reverted = [...result.stdout.matchAll(/^reverted (\S+)/gm)].map((m) => m[1]);
  assert.equal(reverted, [VIEW, ORDERS, PRODUCTS]);
  await expectObjectsAt(1);
});

it('down base reverts everything; the tracking schema stays', async () => {
  const result = await strata('down', 'base');
  expectExit(result, 0);
  await expectObjectsAt(0);
  const [schema] = await db!.query<{ n: number }>(`select count(*)::int as n from pg_namespace where nspname = 'strata'`);
  assert.is(schema!.n, 1);
  expectText((await strata('down', 'base')).stdout, 'nothing to revert');
});

it('up +1, up <id prefix>, up <tag>', async () => {
  const first = await strata('up', '+1');
  expectExit(first, 0);
  await expectObjectsAt(1);
  const prefix = await strata('up', PRODUCTS.slice(0, 10));
  expectExit(prefix, 0);
  await expectObjectsAt(2);
  const tag = await strata('up', 'v1.0');
  expectExit(tag, 0);
  assert.match(tag.stdout, new RegExp(`^applied\\s+${ORDERS}`, 'm'));
  await expectObjectsAt(3);
});

it('redo reverts the newest revision and applies it again', async () => {
  const [before] = await db!.query<{ at: Date }>('select applied_at as at from strata.revisions where id = $1', [ORDERS]);
  const result = await strata('redo');
  expectExit(result, 0);
  assert.match(result.stdout, new RegExp(`^reverted ${ORDERS} \\d+ ms\\napplied\\s+${ORDERS} \\d+ ms$`, 'm'));
  expectText(result.stdout, '1 reverted, 1 applied');
  await expectObjectsAt(3);
  const [after] = await db!.query<{ at: Date }>('select applied_at as at from strata.revisions where id = $1', [ORDERS]);
  assert.ok(after!.at > before!.at, 'applied again');
  const log = (await events(db!)).slice(-2).map((e) => [e.action, e.revision_id, e.ok]);
  assert.equal(log, [['down', ORDERS, true], ['up', ORDERS, true]]);
});

it('up --json and down --json: the run report shape', async () => {
  const up = await strata('up', '--json');
  expectExit(up, 0);
  const report = JSON.parse(up.stdout) as { ok: boolean; command: string; steps: Array<Record<string, unknown>>; notes: string[] };
  assert.equal([report.ok, report.command, report.notes], [true, 'up', []]);
  assert.equal(report.steps.map((s) => [s.id, s.direction, s.transactional]), [[VIEW, 'up', true], [INDEX, 'up', false]]);
  assert.ok(report.steps.every((s) => typeof s.durationMs === 'number'));
  await expectObjectsAt(5);

  const down = await strata('down', '--json');
  expectExit(down, 0);
  const reverted = JSON.parse(down.stdout) as { ok: boolean; command: string; steps: Array<Record<string, unknown>> };
  assert.equal([reverted.ok, reverted.command], [true, 'down']);
  assert.equal(reverted.steps.map((s) => [s.id, s.direction, s.source]), [[INDEX, 'down', 'disk']]);

  const refused = await strata('up', 'nonsense', '--json');
  expectExit(refused, 2);
  const problem = JSON.parse(refused.stdout) as { ok: boolean; reason: string; problems: Array<{ code: string }> };
  assert.equal([problem.ok, problem.reason, problem.problems.map((p) => p.code)], [false, 'invalid', ['TARGET_UNKNOWN']]);
});

it('the history applies again from base, and status settles', async () => {
  expectExit(await strata('down', 'base'), 0);
  await expectObjectsAt(0);
  const again = await strata('up');
  expectExit(again, 0);
  await expectObjectsAt(5);
  expectExit(await strata('status', '--exit-code'), 0);
  const counts = await db!.query<{ action: string; n: number }>(`select action, count(*)::int as n from strata.events where ok group by action order by action`);
  assert.ok(counts.every((c) => c.n > 0));
  const [failures] = await db!.query<{ n: number }>('select count(*)::int as n from strata.events where not ok');
  assert.is(failures!.n, 0);
});

// ---------------------------------------------------------------------------------------------------------------
// commands that need no database

test('new: the next folder after the newest revision, Parent filled in, a later timestamp', async () => {
  const p = exampleProject();
  try {
    const before = new Date();
    const result = await runCli(['new', 'Add refunds!'], { cwd: p.dir });
    expectExit(result, 0);
    const created = readdirSync(path.join(p.dir, 'migrations')).sort().at(-1)!;
    assert.match(created, /^\d{14}_add_refunds$/);
    assert.ok(created > INDEX, 'after the newest revision');
    const stamp = created.slice(0, 14);
    const now = (d: Date) => d.toISOString().replace(/\D/g, '').slice(0, 14);
    assert.ok(stamp >= now(new Date(before.getTime() - 1000)) && stamp <= now(new Date()), `${stamp} is the current UTC time`);
    expectText(result.stdout, `created ${created} (parent ${INDEX})`, `migrations/${created}/up.sql`, `migrations/${created}/down.sql`);
    assert.is(readFileSync(path.join(p.dir, 'migrations', created, 'up.sql'), 'utf8'), `--! Parent: ${INDEX}\n--! Message: Add refunds!\n\n`);
    assert.ok(existsSync(path.join(p.dir, 'migrations', created, 'down.sql')));

    // a newest revision dated in the future (a skewed clock): the new one still comes after it
    const future = '20991231235959_future';
    mkdirSync(path.join(p.dir, 'migrations', future));
    writeFileSync(path.join(p.dir, 'migrations', future, 'up.sql'), `--! Parent: ${created}\n\nselect 1;\n`);
    writeFileSync(path.join(p.dir, 'migrations', future, 'down.sql'), '');
    const next = await runCli(['new', 'after the future'], { cwd: p.dir });
    expectExit(next, 0);
    expectText(next.stdout, `created 21000101000000_after_the_future (parent ${future})`);

    // a new revision still as strata new wrote it is refused by up, with the file and line
    if (db) {
      await resetDatabase(db);
      const up = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db.url } });
      expectExit(up, 2);
      expectText(up.stderr, `migrations/${created}/up.sql:3: error: up.sql has no SQL yet: it is still as 'strata new' wrote it`);
      assert.equal(await appliedIds(db), []);
    }
  } finally {
    p.remove();
  }
});

test('new: the first revision has Parent base; an empty message is refused', async () => {
  const p = makeProject({ 'migrations/.keep': '' });
  try {
    const result = await runCli(['new', 'create users'], { cwd: p.dir });
    expectExit(result, 0);
    const [created] = readdirSync(path.join(p.dir, 'migrations')).filter((n) => !n.startsWith('.'));
    assert.match(readFileSync(path.join(p.dir, 'migrations', created!, 'up.sql'), 'utf8'), /^--! Parent: base\n/);
    const empty = await runCli(['new', '  '], { cwd: p.dir });
    expectExit(empty, 2);
    expectText(empty.stderr, 'the message must be one non-empty line');
    const noDir = makeProject();
    try {
      const missing = await runCli(['new', 'x'], { cwd: noDir.dir });
      expectExit(missing, 2);
      expectText(missing.stderr, 'migrations folder migrations does not exist', 'strata init');
    } finally {
      noDir.remove();
    }
  } finally {
    p.remove();
  }
});

test('init creates migrations/, schema.sql, .env.example and .gitignore entries; a second init keeps them', async () => {
  const p = makeProject();
  try {
    const result = await runCli(['init'], { cwd: p.dir });
    expectExit(result, 0);
    expectText(result.stdout, 'created migrations', 'created schema.sql', 'created .env.example');
    assert.ok(existsSync(path.join(p.dir, 'migrations')));
    assert.ok(existsSync(path.join(p.dir, 'schema.sql')));
    // schema.sql is what strata dump writes for no revisions yet; .env.example says what the shadow is for
    const schema = readFileSync(path.join(p.dir, 'schema.sql'), 'utf8');
    expectText(schema, 'written by strata dump', '-- head: base (no revisions)');
    expectText(readFileSync(path.join(p.dir, '.env.example'), 'utf8'), 'The scratch database strata dump and strata check migrate and revert', '# SHADOW_DATABASE_URL=');
    const envExample = readFileSync(path.join(p.dir, '.env.example'), 'utf8');
    for (const name of ['DATABASE_URL', 'STRATA_DIR', 'STRATA_SCHEMA']) expectText(envExample, name);
    assert.match(readFileSync(path.join(p.dir, '.gitignore'), 'utf8'), /^\.strata\/$/m);
    writeFileSync(path.join(p.dir, 'schema.sql'), '-- mine\n');
    const again = await runCli(['init'], { cwd: p.dir });
    expectExit(again, 0);
    assert.is(again.stdout.includes('created schema.sql'), false);
    expectText(again.stdout, 'kept migrations (already there)', 'kept schema.sql (already there)', 'kept .env.example (already there)');
    assert.is(readFileSync(path.join(p.dir, 'schema.sql'), 'utf8'), '-- mine\n', 'an existing file is kept');
    assert.is(readFileSync(path.join(p.dir, '.gitignore'), 'utf8').match(/\.strata\//g)?.length, 1, 'no duplicate .gitignore entry');
  } finally {
    p.remove();
  }
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const result = await runCli(['--version'], { cwd: project.dir });
  expectExit(result, 0);
  expectText(result.stdout, `strata/${version}`);
});

test('--help for strata and for each command', async () => {
  const top = await runCli(['--help'], { cwd: project.dir });
  expectExit(top, 0);
  for (const command of ['init', 'new [message]', 'up [target]', 'down [target]', 'redo', 'status']) expectText(top.stdout, command);
  const expected: Record<string, string[]> = {
    init: ['$ strata init'],
    new: ['$ strata new [message]', '-m, --message <message>'],
    up: ['$ strata up [target]', '--single-transaction', '--allow-out-of-order', '--lock-timeout', '--json'],
    down: ['$ strata down [target]', '--single-transaction', '--json'],
    redo: ['$ strata redo'],
    status: ['$ strata status', '--exit-code', '--json'],
  };
  for (const [command, parts] of Object.entries(expected)) {
    const result = await runCli([command, '--help'], { cwd: project.dir });
    expectExit(result, 0, `${command} --help`);
    expectText(result.stdout, ...parts, '--database-url', '--dir', '--schema');
  }
});

test('an unknown command or option exits 2 and says what to do', async () => {
  const unknown = await runCli(['upp'], { cwd: project.dir });
  expectExit(unknown, 2);
  expectText(unknown.stderr, "unknown command 'upp'; did you mean 'up'?", 'strata help lists the commands');
  const option = await runCli(['up', '--frobnicate'], { cwd: project.dir, env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
  expectExit(option, 2);
  expectText(option.stderr, "unknown option '--frobnicate' for strata up", 'strata up --help lists its options');
});

test.run();
