import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles, trackingState } from '../helpers/e2e.js';
import { makeProject, runCli } from '../helpers/harness.js';

// current, heads, show, history and log (issue 7): the words Alembic users type, in strata's terms.
const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_create_orders';
const R3 = '20261103090000_add_index';
const FORKED = '20261102120000_create_invoices';

const HISTORY = {
  ...revisionFiles(R1, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n', ['--! Message: Customers', '--! Tags: v1.0']),
  ...revisionFiles(R2, R1, 'create table orders (id int primary key, customer_id int references customers);\n', 'drop table orders;\n', ['--! Message: Create orders']),
  ...revisionFiles(R3, R2, 'create index orders_customer on orders (customer_id);\n', '--! Irreversible: keeps the index\n', ['--! Message: Add index']),
};
const FORK = { ...HISTORY, ...revisionFiles(FORKED, R1, 'create table invoices (id int);\n', 'drop table invoices;\n', ['--! Message: Create invoices']) };
const UNREACHABLE = { DATABASE_URL: 'postgres://nobody:s3cret@127.0.0.1:1/none' };

const { db, project, env, run } = await projectWithDatabase('inspect', HISTORY);
const it = db ? test : test.skip;

function withProject<T>(files: Record<string, string>, fn: (cli: (...args: string[]) => ReturnType<typeof runCli>, dir: string) => Promise<T>, extraEnv: Record<string, string> = {}): Promise<T> {
  const other = makeProject(files);
  return fn((...args) => runCli(args, { cwd: other.dir, env: { ...env, ...extraEnv } }), other.dir).finally(() => other.remove());
}

it('current: base before strata ever ran (nothing created), then the applied head and how far the files are ahead', async () => {
  const fresh = await run('current');
  expectExit(fresh, 0);
  assert.is(fresh.stdout, 'base (nothing applied)\n');
  expectText(fresh.stderr, `note: the head on disk, ${R3}, is ahead: 3 revisions are pending (strata up applies them)`);
  const json = JSON.parse((await run('current', '--json')).stdout) as Record<string, unknown>;
  assert.equal([json.current, json.message, json.appliedAt, json.head, json.pending], [null, null, null, R3, 3]);
  assert.equal(await trackingState(db!), { applied: null, events: null }, 'current creates nothing');

  expectExit(await run('up', '+2'), 0);
  const behind = await run('current');
  expectExit(behind, 0);
  assert.is(behind.stdout, `${R2}, Create orders\n`);
  expectText(behind.stderr, `is ahead: 1 revision is pending (strata up applies it)`);
  expectExit(await run('up'), 0);
  const atHead = await run('current');
  assert.is(atHead.stdout, `${R3} (head), Add index\n`);
  expectNoText(atHead.stderr, 'note:');
  const report = JSON.parse((await run('current', '--json')).stdout) as Record<string, unknown>;
  assert.equal([report.current, report.head, report.pending, report.notes], [R3, R3, 0, []]);
  assert.match(report.appliedAt as string, /^\d{4}-\d\d-\d\dT/);
});

test('heads: one head, from the files alone (no database needed)', async () => {
  const one = await runCli(['heads'], { cwd: project.dir, env: UNREACHABLE });
  expectExit(one, 0);
  assert.is(one.stdout, `${R3} (head), Add index\n`);
  assert.equal(JSON.parse((await runCli(['heads', '--json'], { cwd: project.dir, env: UNREACHABLE })).stdout), { ok: true, head: R3, message: 'Add index' });
});

test('heads: a fork lists each head with its branch and the edits that make one chain again; exit 1', async () => {
  await withProject(FORK, async (cli, dir) => {
    const forked = await cli('heads');
    expectExit(forked, 1);
    expectText(forked.stdout,
      '2 heads: revisions claim the same parent (two branches were merged)',
      `  ${R3} (head), Add index`,
      `its branch, from ${R1}: ${R2} -> ${R3}`,
      `  ${FORKED} (head), Create invoices`,
      `to make the history one chain again, keep ${R3} and move the other branch after it:`,
      `  1. rename migrations/${FORKED} to migrations/20261103090001_create_invoices (revisions run in id order)`,
      `  2. set '--! Parent: ${R3}' in migrations/20261103090001_create_invoices/up.sql`,
      'strata rebase makes these edits');
    const report = JSON.parse((await cli('heads', '--json')).stdout) as { reason: string; keep: string; heads: Array<{ id: string; branch: string[] }>; moves: Array<{ edits: unknown[] }> };
    assert.is(report.reason, 'forked');
    assert.equal(report.heads.map((h) => [h.id, h.branch]), [[R3, [R2, R3]], [FORKED, [FORKED]]]);

    // doing what it says leaves one head and files without problems
    renameSync(path.join(dir, 'migrations', FORKED), path.join(dir, 'migrations', '20261103090001_create_invoices'));
    writeFileSync(path.join(dir, 'migrations', '20261103090001_create_invoices', 'up.sql'), `--! Parent: ${R3}\n\ncreate table invoices (id int);\n`);
    const fixed = await cli('heads');
    expectExit(fixed, 0);
    assert.is(fixed.stdout, '20261103090001_create_invoices (head)\n');
  }, UNREACHABLE);
});

it('show: a pending revision by tag, an applied one by prefix with when, by whom and matching checksums', async () => {
  const pending = await run('show', 'v1.0');
  expectExit(pending, 0);
  expectText(pending.stdout, R1, '  parent        base', '  message       Customers', '  tags          v1.0', '  state         pending (not applied)',
    `  up.sql        migrations/${R1}/up.sql (in a transaction)`, `  down.sql      migrations/${R1}/down.sql (in a transaction)`);
  assert.match(pending.stdout, /\n {16}checksum v2:[0-9a-f]{64}\n/);
  assert.equal(await trackingState(db!), { applied: null, events: null }, 'show creates nothing');

  expectExit(await run('up', '+2'), 0);
  const applied = await run('show', R2.slice(0, 8 + 2));
  expectExit(applied, 0);
  assert.match(applied.stdout, new RegExp(`^${R2} \\(current\\)\n`));
  assert.match(applied.stdout, /  state {9}applied \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by \S+@\S+, took \d+ ms\n/);
  assert.match(applied.stdout, /checksum v2:[0-9a-f]{64} \(matches what was applied\)\n[^\n]*down\.sql[^\n]*\n\s+checksum v2:[0-9a-f]{64} \(matches what was applied\)/);

  const head = await run('show', 'head');
  expectText(head.stdout, `${R3} (head)`, '  irreversible  keeps the index', 'state         pending');
});

it('show: an edited revision, one whose folder is gone (from its tracking row), and targets that are not one revision', async () => {
  expectExit(await run('up', '+2'), 0);
  const [row] = await db!.query<{ up_checksum: string }>(`select up_checksum from strata.revisions where id = $1`, [R2]);
  await withProject({ ...HISTORY, ...revisionFiles(R2, R1, 'create table orders (id bigint primary key);\n', 'drop table orders;\n') }, async (cli) => {
    const edited = await cli('show', R2);
    expectExit(edited, 0);
    expectText(edited.stdout, 'state         edited: applied', 'but its up.sql has changed since', `(applied: ${row!.up_checksum})`);
  });
  const { [`migrations/${R2}/up.sql`]: _up, [`migrations/${R2}/down.sql`]: _down, ...withoutR2 } = HISTORY;
  await withProject(withoutR2, async (cli) => {
    const gone = await cli('show', R2);
    expectExit(gone, 0);
    expectText(gone.stdout, `${R2} (current)`, `  parent        ${R1}`, '  message       Create orders', 'its folder is missing on disk',
      `  up.sql        missing on disk; applied with checksum ${row!.up_checksum}`, `can still revert it: strata down ${R1}`);
    const json = JSON.parse((await cli('show', R2, '--json')).stdout) as Record<string, unknown>;
    assert.equal([json.state, json.files, (json.applied as Record<string, unknown>).isUpMatching], ['missing', null, null]);
  });

  const unknown = await run('show', 'add_indx');
  expectExit(unknown, 2);
  expectText(unknown.stderr, "no revision or tag matches 'add_indx'", `fix: did you mean ${R3}?`);
  const ambiguous = await run('show', '2026110');
  expectExit(ambiguous, 2);
  expectText(ambiguous.stderr, `'2026110' matches 3 revisions`, 'fix: give more of the id');
  const notOne = await run('show', 'base');
  expectExit(notOne, 2);
  expectText(notOne.stderr, 'base is the start of the history, not a revision', 'strata show takes one revision: head, a revision id or its prefix, or a tag');
  const missing = await run('show');
  expectExit(missing, 2);
  expectText(missing.stderr, 'strata show needs <rev>');
});

it('history: the chain newest first, parent -> id, with head, current and each state; works before strata ever ran', async () => {
  const fresh = await run('history');
  expectExit(fresh, 0);
  assert.is(fresh.stdout, [
    `pending  ${R2} -> ${R3} (head), Add index`,
    `pending  ${R1} -> ${R2}, Create orders`,
    `pending  <base> -> ${R1}, Customers [v1.0]`,
    '',
  ].join('\n'));
  assert.equal(await trackingState(db!), { applied: null, events: null }, 'history creates nothing');

  expectExit(await run('up', '+1'), 0);
  const after = await run('history');
  expectExit(after, 0);
  assert.is(after.stdout.split('\n')[2], `applied  <base> -> ${R1} (current), Customers [v1.0]`);
  const report = JSON.parse((await run('history', '--json')).stdout) as { current: string; isAppliedKnown: boolean; revisions: Array<Record<string, unknown>> };
  assert.equal([report.current, report.isAppliedKnown], [R1, true]);
  assert.equal(report.revisions.map((r) => [r.id, r.parent, r.state, r.isHead, r.isCurrent]), [[R3, R2, 'pending', true, false], [R2, R1, 'pending', false, false], [R1, 'base', 'applied', false, true]]);
});

test('history: a database that cannot be reached lists the chain from the files and says so', async () => {
  const result = await runCli(['history'], { cwd: project.dir, env: UNREACHABLE });
  expectExit(result, 0);
  assert.is(result.stdout.split('\n')[0], `${R2} -> ${R3} (head), Add index`);
  expectText(result.stderr, 'note: applied state unknown (', 'the chain is listed from the files alone');
  expectNoText(result.output, 's3cret');
  const json = JSON.parse((await runCli(['history', '--json'], { cwd: project.dir, env: UNREACHABLE })).stdout) as { isAppliedKnown: boolean; revisions: Array<{ state: unknown }> };
  assert.equal([json.isAppliedKnown, json.revisions.map((r) => r.state)], [false, [null, null, null]]);
});

it('history: a fork shows both heads and the branch point, with the problem; exit 2 as status', async () => {
  await withProject(FORK, async (cli) => {
    const result = await cli('history');
    expectExit(result, 2);
    expectText(result.stdout, `pending  ${R1} -> ${FORKED} (head), Create invoices`, `pending  ${R2} -> ${R3} (head), Add index`,
      `pending  <base> -> ${R1} (branchpoint), Customers [v1.0]`, `2 revisions claim parent ${R1}`);
  });
});

it('log is the events log; history --events prints the same with a deprecation note', async () => {
  expectExit(await run('up'), 0);
  expectExit(await run('stamp', '-1'), 0);
  const log = await run('log');
  expectExit(log, 0);
  assert.match(log.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\s+unstamp\\s+${R3}\\s+ok`));
  expectNoText(log.stderr, 'deprecated', 'strata log');
  const alias = await run('history', '--events');
  expectExit(alias, 0);
  assert.is(alias.stdout, log.stdout);
  assert.is(alias.stderr.split('\n').filter((l) => l.startsWith('note:')).join('\n'),
    'note: strata history --events is now strata log; the alias goes away in the next release');
  const limited = await run('history', '--events', '--limit', '1', '--json');
  expectExit(limited, 0);
  assert.equal(JSON.parse(limited.stdout), JSON.parse((await run('log', '--limit', '1', '--json')).stdout));
  const noEvents = await run('history', '--limit', '5');
  expectExit(noEvents, 2);
  expectText(noEvents.stderr, '--limit is an option of the events log', 'fix: strata log --limit 5');
});

test.run();
