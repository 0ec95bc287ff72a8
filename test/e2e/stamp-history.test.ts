import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { events, expectExit, expectText, publicRelations, revisionFiles, trackingState, projectWithDatabase } from '../helpers/e2e.js';
import { makeProject, runCli } from '../helpers/harness.js';

const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_create_orders';
const R3 = '20261103090000_add_index';

const HISTORY = {
  ...revisionFiles(R1, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n', ['--! Tags: v1.0']),
  ...revisionFiles(R2, R1, 'create table orders (id int primary key, customer_id int references customers);\n', 'drop table orders;\n'),
  ...revisionFiles(R3, R2, 'create index orders_customer on orders (customer_id);\n', 'drop index orders_customer;\n'),
};

const { db, env, run } = await projectWithDatabase('stamp_history', HISTORY);

(db ? test : test.skip)('stamp head adopts an existing schema: recorded as applied, no SQL run, then status and up agree', async () => {
  // the schema exists already (made by hand), strata has never run here
  await db!.query('create table customers (id int primary key); create table orders (id int primary key, customer_id int references customers)');
  const stamped = await run('stamp', R2.slice(0, 14));
  expectExit(stamped, 0, 'stamp');
  expectText(stamped.stdout, `stamped   ${R1}`, `stamped   ${R2}`, '2 stamped');
  assert.equal((await trackingState(db!)).applied, [R1, R2]);
  assert.equal((await events(db!)).map((e) => [e.action, e.revision_id, e.ok]), [['stamp', R1, true], ['stamp', R2, true]]);
  const rows = await db!.query<{ parent: string; tags: string[]; up_checksum: string }>('select parent, tags, up_checksum from strata.revisions order by id');
  assert.equal(rows.map((r) => [r.parent, r.tags]), [['base', ['v1.0']], [R1, []]], 'the same row as up writes');

  const status = await run('status', '--json');
  const report = JSON.parse(status.stdout) as { current: string; revisions: Array<{ id: string; state: string }> };
  assert.is(report.current, R2);
  assert.equal(report.revisions.map((r) => r.state), ['applied', 'applied', 'pending']);

  // up runs only what was not stamped: creating the tables again would fail
  const up = await run('up');
  expectExit(up, 0, 'up after stamp');
  expectText(up.stdout, `applied  ${R3}`);
  assert.equal(await publicRelations(db!), ['customers', 'customers_pkey', 'orders', 'orders_customer', 'orders_pkey']);
});

(db ? test : test.skip)('stamp on an empty database records without creating anything but the tracking schema', async () => {
  expectExit(await run('stamp', 'head'), 0);
  assert.equal(await publicRelations(db!), [], 'no revision SQL ran');
  assert.equal((await trackingState(db!)).applied, [R1, R2, R3]);
  const again = await run('stamp', 'head');
  expectExit(again, 0);
  expectText(again.stdout, 'nothing to record');
  assert.is((await events(db!)).length, 3, 'nothing logged for a no-op');
});

(db ? test : test.skip)('stamp below the current revision removes records without running down.sql; stamp base removes all', async () => {
  expectExit(await run('up'), 0);
  const back = await run('stamp', '-1');
  expectExit(back, 0);
  expectText(back.stdout, `unstamped ${R3}`, '1 unstamped');
  assert.equal((await trackingState(db!)).applied, [R1, R2]);
  assert.ok((await publicRelations(db!)).includes('orders_customer'), 'the index is still there: its down.sql did not run');

  const toTag = await run('stamp', 'v1.0');
  expectExit(toTag, 0);
  assert.equal((await trackingState(db!)).applied, [R1], 'an applied target keeps itself and forgets what follows');

  expectExit(await run('stamp', 'base'), 0);
  assert.equal((await trackingState(db!)).applied, []);
  assert.equal((await events(db!)).filter((e) => e.action === 'unstamp').map((e) => e.revision_id), [R3, R2, R1]);
  assert.equal((await events(db!)).filter((e) => e.action === 'unstamp').map((e) => e.details), [null, null, null]);
  assert.is((await publicRelations(db!)).length, 5, 'every table and index is still there');

  const status = JSON.parse((await run('status', '--json')).stdout) as { current: string | null; counts: { pending: number } };
  assert.is(status.current, null);
  assert.is(status.counts.pending, 3);
});

(db ? test : test.skip)('stamp checks everything first and leaves the database untouched on a problem', async () => {
  const unknown = await run('stamp', 'nope');
  expectExit(unknown, 2);
  expectText(unknown.stderr, "no revision or tag matches 'nope'");
  assert.equal(await trackingState(db!), { applied: null, events: null }, 'the tracking schema was not even created');

  const broken = makeProject({ ...HISTORY, ...revisionFiles(R3, R2, 'create indx oops;\n', '') });
  try {
    const refused = await runCli(['stamp', 'head'], { cwd: broken.dir, env });
    expectExit(refused, 2);
    expectText(refused.stderr, `migrations/${R3}/up.sql:3:8`, 'syntax error');
    assert.equal(await trackingState(db!), { applied: null, events: null });
  } finally {
    broken.remove();
  }

  expectExit(await run('up', R1), 0);
  const edited = makeProject({ ...HISTORY, ...revisionFiles(R1, 'base', 'create table customers (id bigint primary key);\n', 'drop table customers;\n', ['--! Tags: v1.0']) });
  try {
    const refused = await runCli(['stamp', 'head'], { cwd: edited.dir, env });
    expectExit(refused, 2);
    expectText(refused.stderr, 'edited after it was applied');
    assert.equal((await trackingState(db!)).applied, [R1]);
  } finally {
    edited.remove();
  }
  const tooFar = await run('stamp', '-2');
  expectExit(tooFar, 2);
  expectText(tooFar.stderr, 'only 1 is applied');
});

(db ? test : test.skip)('log on a database strata never touched is empty, not an error', async () => {
  const text = await run('log');
  expectExit(text, 0);
  expectText(text.stdout, 'no events yet');
  const json = await run('log', '--json');
  expectExit(json, 0);
  assert.equal(JSON.parse(json.stdout).events, []);
  assert.equal(await trackingState(db!), { applied: null, events: null }, 'log creates nothing');
});

(db ? test : test.skip)('log: newest first, with who, what, how long, and a failure with its file:line', async () => {
  expectExit(await run('up', R2), 0);
  const failing = makeProject({ ...HISTORY, ...revisionFiles(R3, R2, 'create index orders_customer on orders (custmer_id);\n', '') });
  try {
    expectExit(await runCli(['up'], { cwd: failing.dir, env }), 1, 'the failing up');
  } finally {
    failing.remove();
  }
  expectExit(await run('stamp', '-1'), 0);

  const text = await run('log');
  expectExit(text, 0);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\s+unstamp\\s+${R2}\\s+ok\\s+\\d+ ms\\s+\\S+@\\S+ as postgres$`));
  assert.match(lines[1]!, new RegExp(`up\\s+${R3}\\s+failed`));
  assert.match(lines[2]!, new RegExp(`^\\s+migrations/${R3}/up\\.sql:3:\\d+: error 42703: column "custmer_id" does not exist$`));
  assert.match(lines[3]!, new RegExp(`up\\s+${R2}\\s+ok`));
  assert.match(lines[4]!, new RegExp(`up\\s+${R1}\\s+ok`));

  const limited = await run('log', '--limit', '2', '--json');
  expectExit(limited, 0);
  const report = JSON.parse(limited.stdout) as { events: Array<Record<string, unknown>> };
  assert.is(report.events.length, 2);
  const [unstamp, failure] = report.events as [Record<string, unknown>, Record<string, unknown>];
  assert.is(unstamp.action, 'unstamp');
  assert.is(failure.action, 'up');
  assert.is(failure.ok, false);
  assert.is(failure.revision, R3);
  assert.is(failure.dbUser, 'postgres');
  assert.type(failure.durationMs, 'number');
  assert.equal(failure.error, { sqlstate: '42703', message: 'column "custmer_id" does not exist', file: `migrations/${R3}/up.sql`, line: 3, column: (failure.error as { column: number }).column });
  assert.ok((unstamp.id as number) > (failure.id as number));

  const bad = await run('log', '--limit', '0');
  expectExit(bad, 2);
  expectText(bad.stderr, '--limit must be a whole number of at least 1');
});

test.run();
