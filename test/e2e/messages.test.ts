import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedIds, expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';
import { runCli } from '../helpers/harness.js';

/** Messages that say what is true: after a failed down, and for an edited revision (git or not). */
const A = '20261101090000_create_customers';
const B = '20261102090000_create_orders';
const C = '20261103090000_create_invoices';
const files = {
  ...revisionFiles(A, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n'),
  ...revisionFiles(B, A, 'create table orders (id int primary key);\n', 'drop table orders;\n'),
  ...revisionFiles(C, B, 'create table invoices (id int primary key);\n', 'drop table invoices;\n'),
};
const { db, project, run } = await projectWithDatabase('messages', files);
const it = db ? test : test.skip;

function git(...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: project.dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

test.after.each(() => {
  for (const [rel, text] of Object.entries(files)) project.write(rel, text);
  spawnSync('rm', ['-rf', `${project.dir}/.git`]);
});

it('a failed down says nothing was reverted and which revision is still applied', async () => {
  expectExit(await run('up'), 0);
  project.write(`migrations/${C}/down.sql`, 'drop table invoices;\nselect 1/0;\n');
  const result = await run('down');
  expectExit(result, 1);
  expectText(result.stderr, `migrations/${C}/down.sql`, `nothing was reverted; still at ${C}`);
  expectNoText(result.stderr, 'as it was before', 'strata stamp');
  assert.equal(await appliedIds(db!), [A, B, C]);
});

it('a failed down of several: the ones before it were reverted, the failing one is still applied', async () => {
  expectExit(await run('up'), 0);
  project.write(`migrations/${B}/down.sql`, 'select 1/0;\n');
  const result = await run('down', '-3');
  expectExit(result, 1);
  expectText(result.stdout, `reverted ${C}`);
  expectText(result.stderr, `nothing was reverted; still at ${B}`);
  assert.equal(await appliedIds(db!), [A, B]);
});

it('a down.sql that fails on an object already gone suggests strata stamp -1, which then records the revert', async () => {
  for (const [what, drop] of [['table', 'drop table invoices'], ['function', 'drop function gone_function()'], ['schema', 'drop schema gone_schema']] as const) {
    expectExit(await run('up'), 0);
    if (what === 'table') await db!.query('drop table invoices');
    else project.write(`migrations/${C}/down.sql`, `${drop};\ndrop table invoices;\n`);
    const result = await run('down');
    expectExit(result, 1, what);
    expectText(result.stderr, `nothing was reverted; still at ${C}`, 'record the revert without running its down.sql: strata stamp -1');
    const stamped = await run('stamp', '-1');
    expectExit(stamped, 0, `${what}: stamp -1`);
    assert.equal(await appliedIds(db!), [A, B], what);
    await db!.query('drop table if exists invoices');
    project.write(`migrations/${C}/down.sql`, files[`migrations/${C}/down.sql`]!);
  }
});

it('a Transaction: off down.sql that fails part-way says the revision is still recorded as applied', async () => {
  expectExit(await run('up'), 0);
  project.write(`migrations/${C}/down.sql`, '--! Transaction: off\n\ndrop table invoices;\nselect 1/0;\n');
  const result = await run('down');
  expectExit(result, 1);
  expectText(result.stderr, 'already took effect', 'the revision is still recorded as applied', 'strata down resumes it at statement 2 once the cause is fixed');
  expectNoText(result.stderr, 'is not recorded');
});

it('--single-transaction down that fails: nothing was reverted', async () => {
  expectExit(await run('up'), 0);
  project.write(`migrations/${B}/down.sql`, 'select 1/0;\n');
  const result = await run('down', 'base', '--single-transaction');
  expectExit(result, 1);
  expectText(result.stderr, 'nothing was reverted');
  expectNoText(result.stderr, 'nothing was applied');
  assert.equal(await appliedIds(db!), [A, B, C]);
});

it('an edited revision: git checkout is offered only for a file git can restore', async () => {
  expectExit(await run('up'), 0);
  const file = `migrations/${A}/up.sql`;
  const edit = () => project.write(file, '--! Parent: base\n\ncreate table customers (id bigint primary key);\n');

  // not a repository
  edit();
  let result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr, 'undo the edit to its SQL');
  expectNoText(result.stderr, 'git checkout');

  // committed, then edited in the working tree
  project.write(file, files[file]!);
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'history');
  edit();
  result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr, `restore the file (git checkout -- ${file})`);

  // the edit staged: checking out from the index would bring the edit back, so from HEAD
  git('add', file);
  result = await run('up');
  expectText(result.stderr, `restore the file (git checkout HEAD -- ${file})`);

  // the edit committed: there is nothing to check out
  git('commit', '-qm', 'edit');
  result = await run('up');
  expectExit(result, 2);
  expectNoText(result.stderr, 'git checkout');

  // a revision git does not track at all
  spawnSync('rm', ['-rf', `${project.dir}/.git`]);
  git('init', '-q');
  result = await run('up');
  expectNoText(result.stderr, 'git checkout');
});

it('up shows a syntax error and a header error with the code frame dev shows, in text and in --json', async () => {
  project.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n\ncreate table invoices (\n  id int,\n);\n`);
  let result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr,
    `migrations/${C}/up.sql:5:1: error: syntax error at or near ")"`,
    '     3 | create table invoices (\n     4 |   id int,\n   > 5 | );\n       | ^\n',
    'fix: fix the SQL at this position');
  const json = JSON.parse((await run('up', '--json')).stdout) as { problems: Array<{ codeFrame: string | null }> };
  assert.match(json.problems[0]!.codeFrame!, '> 5 | );');

  project.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n--! Mesage: invoices\n\ncreate table invoices (id int);\n`);
  result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr, `up.sql:2:5: error: unknown header 'Mesage'; did you mean 'Message'?`, '   > 2 | --! Mesage: invoices\n       |     ^');
});

it('several applied revisions missing on disk (a branch switch): one problem, both ways out, and the stamp way works', async () => {
  expectExit(await run('up'), 0);
  spawnSync('rm', ['-rf', `${project.dir}/migrations/${B}`, `${project.dir}/migrations/${C}`]);
  const result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr,
    `error: 2 revisions (${B}, ${C}) are applied but their folders are missing from the migrations folder`,
    'check the folders out again (a branch switch?)',
    `remove their records without running any SQL: strata stamp ${A}`,
    `undo them with the down.sql stored when applied: strata down ${A}`,
    '1 problem found');
  const stamped = await run('stamp', A);
  expectExit(stamped, 0);
  assert.equal(await appliedIds(db!), [A]);
  expectExit(await run('up'), 0);
});

it('a hand squash: the squashed revisions missing, the squash pending; stamp away the old, stamp the new', async () => {
  expectExit(await run('up'), 0);
  const squash = '20261104090000_orders_and_invoices';
  spawnSync('rm', ['-rf', `${project.dir}/migrations/${B}`, `${project.dir}/migrations/${C}`]);
  Object.entries(revisionFiles(squash, A, 'create table orders (id int primary key);\ncreate table invoices (id int primary key);\n', 'drop table invoices;\ndrop table orders;\n'))
    .forEach(([rel, text]) => project.write(rel, text));
  const result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr, `remove their records without running any SQL: strata stamp ${A}`);
  expectExit(await run('stamp', A), 0);
  expectExit(await run('stamp', squash), 0);
  assert.equal(await appliedIds(db!), [A, squash]);
  spawnSync('rm', ['-rf', `${project.dir}/migrations/${squash}`]);
});

it('a gap in the middle of the history: stamp before it, then stamp the revisions after it again', async () => {
  expectExit(await run('up'), 0);
  spawnSync('rm', ['-rf', `${project.dir}/migrations/${B}`]);
  // C's parent is gone from disk, so the chain check speaks first: re-parent C onto A, as a merge would
  project.write(`migrations/${C}/up.sql`, `--! Parent: ${A}\n\ncreate table invoices (id int primary key);\n`);
  const result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr, `${B} is applied but its folder is missing`, `strata stamp ${A}, then strata stamp ${C} to record the revisions after the gap again`);
  expectExit(await run('stamp', A), 0);
  expectExit(await run('stamp', C), 0);
  assert.equal(await appliedIds(db!), [A, C]);
});

it('an error raised two functions deep, called from a DO block: the line of the DO block that called them', async () => {
  const body = [
    'create function inner_fn(n int) returns void language plpgsql as $$',
    'begin',
    "  raise exception 'inner failed for %', n;",
    'end $$;',
    'create function outer_fn() returns void language plpgsql as $$',
    'begin',
    '  perform inner_fn(7);',
    'end $$;',
    'do $$',
    'begin',
    '  perform 1;',
    '  perform outer_fn();',
    'end $$;',
  ].join('\n');
  project.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n\n${body}\n`);
  const result = await run('up');
  expectExit(result, 1);
  // the header and its blank line, then the body: "perform outer_fn()" is its line 12, the file's line 14
  expectText(result.stderr, `migrations/${C}/up.sql:14:3: error P0001: inner failed for 7`, '   > 14 |   perform outer_fn();');
});

it('a deferred constraint that fails at COMMIT names the constraint and the statement that wrote the row, not the bookkeeping', async () => {
  const cases: Array<[string, string, string, number]> = [
    ['foreign key', 'create table parents (id int primary key);\ncreate table kids (id int, parent_id int references parents (id) deferrable initially deferred);\ninsert into parents values (1);\ninsert into kids values (1, 1);\ninsert into kids values (2, 9);\nselect 1;\n', 'kids_parent_id_fkey on kids', 7],
    ['unique, deferred by SET CONSTRAINTS', 'create table codes (code text, constraint codes_code_key unique (code) deferrable);\nset constraints all deferred;\ninsert into codes values (\'a\');\nupdate codes set code = code;\ninsert into codes values (\'a\');\n', 'codes_code_key on codes', 7],
    ['foreign key broken by a later delete', 'create table owners (id int primary key);\ncreate table pets (id int, owner_id int references owners (id) deferrable initially deferred);\ninsert into owners values (1);\ninsert into pets values (1, 1);\ndelete from owners;\n', 'pets_owner_id_fkey on pets', 6],
  ];
  for (const [what, body, constraint, line] of cases) {
    project.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n\n${body}`);
    for (const env of [{ DATABASE_URL: db!.url }, {}]) {
      const where = `${what} on ${'DATABASE_URL' in env ? 'the server' : 'the embedded database'}`;
      const result = await runCli(['up'], { cwd: project.dir, env, timeoutMs: 60_000 });
      expectExit(result, 1, where);
      expectText(result.stderr, `a deferred constraint (${constraint}) was checked at COMMIT and failed`, `the database is as it was before ${C}`);
      expectNoText(result.stderr, 'recording it failed');
      // the server names the referencing table: the row it checks was written by the insert into it
      expectText(result.stderr, `migrations/${C}/up.sql:${line}:1: error 23`, `(line ${line})`);
    }
  }
});

it('a failing statement that left effects says so: the INVALID index of a failed CREATE INDEX CONCURRENTLY, a DO block that committed', async () => {
  const header = ['--! Transaction: off'];
  // each attempt after the first starts the partly applied revision again from its first statement (the test dropped what it made)
  let from: string[] = [];
  for (const [name, index] of [['t_id', 't_id'], ['if not exists t_id', 't_id'], ['"T Id"', '"T Id"']] as const) {
    Object.entries(revisionFiles(C, B, `create table t (id int);\ninsert into t values (1), (1);\ncreate unique index concurrently ${name} on t (id);\n`, 'drop table t;\n', header))
      .forEach(([rel, text]) => project.write(rel, text));
    const result = await run('up', ...from);
    expectExit(result, 1, name);
    expectText(result.stderr, `left the INVALID index ${index}: strata up drops it (DROP INDEX CONCURRENTLY) and builds it again when it resumes the revision`);
    await db!.query('drop table t');
    from = ['--resume-at', '1'];
  }
  Object.entries(revisionFiles(C, B, 'create table log (x int);\ndo $$ begin insert into log values (1); commit; insert into log values (1 / 0); end $$;\n', 'drop table log;\n', header))
    .forEach(([rel, text]) => project.write(rel, text));
  const result = await run('up', ...from);
  expectExit(result, 1);
  expectText(result.stderr, 'a DO block can COMMIT inside it: what it committed before the error took effect');
  assert.equal(await db!.query('select x from log'), [{ x: 1 }], 'what the DO block committed is there');
});

test.run();
