import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDev, until, type DevProcess } from '../helpers/dev-process.js';
import { events, expectExit, expectNoText, expectText } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli, type TestDatabase } from '../helpers/harness.js';

// `strata dev` as a user runs it: the built CLI on a temporary project against its own database,
// driven by writing files. Waits poll the database (or the output) against a deadline.

const A = '20200101000000_base';
const B = '20200102000000_app';
const upA = `--! Parent: base\n\ncreate table log (at timestamptz not null default clock_timestamp(), msg text not null);\n`;
const downA = 'drop table log;\n';
/** B creates schema app with one table, app.<table>; its down.sql logs that it ran, then drops the schema */
const upB = (table: string, extra = '') => `--! Parent: ${A}\n--! Message: the app schema\n\ncreate schema app;\ncreate table app.${table} (id int);\n${extra}`;
const downB = (label: string) => `insert into log (msg) values ('${label}');\ndrop schema app cascade;\n`;

/** A project with A and B (app.v1). */
const projectAB = () => makeProject({
  [`migrations/${A}/up.sql`]: upA,
  [`migrations/${A}/down.sql`]: downA,
  [`migrations/${B}/up.sql`]: upB('v1'),
  [`migrations/${B}/down.sql`]: downB('down 1'),
});

/** Stops dev on the embedded database: it exits 0, leaves no lock file, and the database has both revisions applied. */
async function stopEmbedded(dev: DevProcess, dir: string): Promise<{ code: number | null; ms: number }> {
  const stopped = await dev.stop();
  assert.is(stopped.code, 0, dev.output());
  assert.not.ok(existsSync(path.join(dir, '.strata', 'pglite.lock')), 'the embedded lock file is gone');
  const after = await runCli(['status', '--json'], { cwd: dir, timeoutMs: 60_000 });
  expectExit(after, 0);
  assert.equal((JSON.parse(after.stdout) as { counts: Record<string, number> }).counts, { applied: 2, pending: 0, edited: 0, missing: 0 });
  return stopped;
}

interface Setup {
  db: TestDatabase;
  project: ReturnType<typeof makeProject>;
  dev: DevProcess;
  upFile(id?: string): string;
  downFile(id?: string): string;
}

/** A project with A and B (app.v1), its own database, and `strata dev` started and at head. */
async function withDev(name: string, body: (s: Setup) => Promise<void>, args: string[] = []): Promise<void> {
  const db = await createTestDatabase(`dev_${name}`);
  if (!db) return; // no server here: createTestDatabase said why (and fails in CI)
  const project = projectAB();
  const dev = startDev(project.dir, { DATABASE_URL: db.url }, args);
  try {
    await dev.waitFor(/^\d\d:\d\d:\d\d applied 2 revisions \(20200101000000_base … 20200102000000_app\) in \d+ ms$/m, 0, 20_000);
    await body({
      db, project, dev,
      upFile: (id = B) => path.join(project.dir, 'migrations', id, 'up.sql'),
      downFile: (id = B) => path.join(project.dir, 'migrations', id, 'down.sql'),
    });
  } finally {
    dev.kill();
    project.remove();
    await db.drop();
  }
}

const exists = async (db: TestDatabase, relation: string) => ((await db.query<{ found: boolean }>('select to_regclass($1) is not null as found', [relation]))[0]!.found);
const logged = async (db: TestDatabase) => (await db.query<{ msg: string }>('select msg from log order by at')).map((r) => r.msg);
const appTables = async (db: TestDatabase) => (await db.query<{ relname: string }>(
  `select relname from pg_class where relnamespace = (select oid from pg_namespace where nspname = 'app') and relkind = 'r' order by relname`)).map((r) => r.relname);
const storedRow = async (db: TestDatabase, id = B) => (await db.query<{ up_checksum: string; down_sql: string }>('select up_checksum, down_sql from strata.revisions where id = $1', [id]))[0];
/** advisory locks in this test's database (other test files hold their own elsewhere) */
const advisoryLocks = async (db: TestDatabase) => (await db.query<{ n: number }>(
  `select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`))[0]!.n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Dev events ('dev' action) must come in (down, up) pairs: two runs that overlapped would interleave them. */
function assertPairs(rows: Awaited<ReturnType<typeof events>>): number {
  const dev = rows.filter((r) => r.action === 'dev');
  assert.is(dev.length % 2, 0, `dev events come in pairs: ${JSON.stringify(dev)}`);
  for (let i = 0; i < dev.length; i += 2) {
    assert.ok(dev[i]!.details !== null && dev[i]!.ok, `event ${i} reverts (${JSON.stringify(dev[i])})`);
    assert.ok(dev[i + 1]!.details === null && dev[i + 1]!.ok, `event ${i + 1} applies (${JSON.stringify(dev[i + 1])})`);
  }
  return dev.length / 2;
}

test('startup brings the database to head; three saves of up.sql each replace the previous version', () => withDev('edits', async ({ db, dev, project, upFile }) => {
  expectText(dev.stdout(), `watching migrations (native file events) on ${db.url}. Ctrl-C to stop.`);
  assert.ok(await exists(db, 'app.v1'));
  for (const n of [2, 3, 4]) {
    const mark = dev.mark();
    writeFileSync(upFile(), upB(`v${n}`));
    await until(() => exists(db, `app.v${n}`), `app.v${n}`);
    assert.equal(await appTables(db), [`v${n}`], `only version ${n}'s objects`);
    await dev.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d re-applied ${B} in \\d+ ms \\(up\\.sql changed; reverted with the down\\.sql stored when it was applied\\)$`, 'm'), mark);
  }
  assert.equal(await logged(db), ['down 1', 'down 1', 'down 1'], 'each revert ran the stored down.sql');
  assert.is(assertPairs(await events(db)), 3);
  // the lock is held only during a run: another terminal can use strata meanwhile, and what dev
  // applied is what up would have (nothing pending or edited)
  const status = await runCli(['status', '--exit-code', '--lock-timeout', '0'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
  expectExit(status, 0);
  const up = await runCli(['up', '--lock-timeout', '0'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
  expectExit(up, 0);
  expectText(up.stdout, 'nothing to apply');
  const stopped = await dev.stop();
  assert.is(stopped.code, 0, dev.output());
  assert.ok(stopped.ms < 1000, `stopped in ${stopped.ms} ms`);
  expectNoText(dev.stderr(), 'error');
}));

test('a comment-only save still runs; a save with the same content says unchanged', () => withDev('unchanged', async ({ db, dev, upFile }) => {
  let mark = dev.mark();
  writeFileSync(upFile(), upB('v1', '-- just a comment\n'));
  await dev.waitFor(/re-applied 20200102000000_app in \d+ ms \(up\.sql changed/, mark);
  mark = dev.mark();
  writeFileSync(upFile(), upB('v1', '-- just a comment\n'));
  await dev.waitFor(/^\d\d:\d\d:\d\d unchanged: 20200102000000_app matches what is applied$/m, mark);
  assert.is(assertPairs(await events(db)), 1);
}));

test('an editor\'s atomic save (write a temporary file, rename it over up.sql) is one save', () => withDev('atomic', async ({ db, dev, upFile }) => {
  const mark = dev.mark();
  // as vim (backupcopy=no) and VS Code do: the new content goes to a hidden file, renamed over the original
  const temporary = path.join(path.dirname(upFile()), '.up.sql.swp');
  writeFileSync(temporary, upB('v2'));
  renameSync(temporary, upFile());
  await until(() => exists(db, 'app.v2'), 'app.v2');
  await dev.waitFor(/re-applied 20200102000000_app in \d+ ms \(up\.sql changed/, mark);
  await sleep(700); // past the watcher's quiet re-check: no second run may follow
  assert.equal(await appTables(db), ['v2']);
  assert.is(assertPairs(await events(db)), 1, 'exactly one re-apply');
}));

test('a syntax error: database unchanged, file:line:col with a caret; the next good save applies', () => withDev('syntax', async ({ db, dev, upFile }) => {
  const before = await events(db);
  const mark = dev.mark();
  writeFileSync(upFile(), `--! Parent: ${A}\n\ncreate schema app;\ncreate table app.bad (id int,, x int);\n`);
  await dev.waitFor(/waiting for the next save/i, mark);
  const printed = dev.output().slice(mark);
  expectText(printed,
    `migrations/${B}/up.sql:4:30: error: syntax error`,
    'at or near ","',
    '> 4 | create table app.bad (id int,, x int);',
    '    |                              ^',
    'fix: ',
    '1 problem found; nothing ran and the database is unchanged. Waiting for the next save.');
  assert.ok(await exists(db, 'app.v1'));
  assert.not.ok(await exists(db, 'app.bad'));
  assert.equal(await events(db), before, 'nothing was recorded');
  writeFileSync(upFile(), upB('v2'));
  await until(() => exists(db, 'app.v2'), 'app.v2 after the fix');
  assert.equal(await appTables(db), ['v2']);
}));

test('a down.sql-only save reverts with the new down.sql and stores it', () => withDev('down', async ({ db, dev, upFile, downFile }) => {
  let mark = dev.mark();
  writeFileSync(downFile(), downB('down 2'));
  await dev.waitFor(new RegExp(`re-applied ${B} in \\d+ ms \\(down\\.sql changed; reverted with the down\\.sql on disk\\)`), mark);
  assert.equal(await logged(db), ['down 2'], 'the new down.sql ran');
  assert.is((await storedRow(db))!.down_sql, downB('down 2'));
  assert.ok(await exists(db, 'app.v1'));
  // the next up.sql save reverts with the down.sql stored by that run
  mark = dev.mark();
  writeFileSync(upFile(), upB('v2'));
  await until(() => exists(db, 'app.v2'), 'app.v2');
  assert.equal(await logged(db), ['down 2', 'down 2']);
}));

test('a down.sql that leaves something of up.sql behind is named at the save that applied it, tried and rolled back', () => withDev('leftover', async ({ db, dev, upFile }) => {
  // save 1: v2 also creates a sequence, a publication and a subscription, which the down.sql (drop schema app) leaves behind
  let mark = dev.mark();
  writeFileSync(upFile(), upB('v2', "create sequence public.leftover;\ncreate publication leftover_feed;\ncreate subscription leftover_in connection 'host=localhost dbname=postgres' publication leftover_feed with (connect = false, slot_name = none, enabled = false);\n"));
  await until(() => exists(db, 'app.v2'), 'app.v2');
  await dev.waitFor(/warning: 20200102000000_app: down\.sql did not undo up\.sql \(compared with the schema before it was applied\): publication leftover_feed: left behind; sequence public\.leftover: left behind; subscription leftover_in: left behind/, mark);
  await dev.waitFor(/re-applied 20200102000000_app/, mark);
  assert.ok(await exists(db, 'app.v2'), 'the try was rolled back: v2 is still applied');
  assert.ok(await exists(db, 'public.leftover'));
  assert.equal(await logged(db), ['down 1'], 'only the real revert of v1 is in the log: the try of v2\'s down.sql was rolled back');
  // save 2: the real revert of v2 leaves them, v3 is applied on that, and its down.sql gives that back
  mark = dev.mark();
  writeFileSync(upFile(), upB('v3'));
  await until(() => exists(db, 'app.v3'), 'app.v3');
  await dev.waitFor(/re-applied 20200102000000_app/, mark);
  expectNoText(dev.output().slice(mark), 'did not undo');
  assert.ok(await exists(db, 'public.leftover'), 'the revert of v2 left the sequence, as it was told');
}));

test('a down.sql that leaves a kept object changed (a column default, a comment, a function body) is named too', () => withDev('changed', async ({ db, dev, upFile }) => {
  const touches = "alter table public.log alter column msg set default 'm';\ncomment on table public.log is 'touched';\ncreate or replace function public.f() returns int language sql as 'select 2';\n";
  // save 1: the down.sql leaves function public.f() behind (it was not there before)
  let mark = dev.mark();
  writeFileSync(upFile(), upB('v2', "create or replace function public.f() returns int language sql as 'select 1';\n"));
  await until(() => exists(db, 'app.v2'), 'app.v2');
  await dev.waitFor(/function public\.f\(\): left behind/, mark);
  // save 2: v3's down.sql leaves the default, the comment and the body changed
  mark = dev.mark();
  writeFileSync(upFile(), upB('v3', touches));
  await until(() => exists(db, 'app.v3'), 'app.v3');
  await dev.waitFor(/table column public\.log\.msg: left changed/, mark);
  const said = dev.output().slice(mark);
  assert.match(said, 'table public.log: left changed (not as it was before up.sql)');
  assert.match(said, 'function public.f(): left changed');
  assert.not.match(said, 'left behind');
  // save 3: v4 is applied on what v3's revert left, and gives it back
  mark = dev.mark();
  writeFileSync(upFile(), upB('v4', touches));
  await until(() => exists(db, 'app.v4'), 'app.v4');
  await dev.waitFor(/re-applied 20200102000000_app/, mark);
  expectNoText(dev.output().slice(mark), 'did not undo');
}));

test('a down.sql that fails when tried is named with its line, and a fixed one is saved as usual', () => withDev('failing-down', async ({ db, dev, upFile, downFile }) => {
  // the down.sql names v1's table: right for v1 (a down.sql-only save reverts v1 with it)
  let mark = dev.mark();
  writeFileSync(downFile(), "insert into log (msg) values ('down 2');\ndrop table app.v1;\ndrop schema app;\n");
  await dev.waitFor(/re-applied 20200102000000_app/, mark);
  expectNoText(dev.output().slice(mark), 'warning');
  // up.sql now creates v2: the save reverts v1 with that down.sql, and then the try of it on v2 fails
  mark = dev.mark();
  writeFileSync(upFile(), upB('v2'));
  await dev.waitFor(/warning: 20200102000000_app: migrations\/20200102000000_app\/down\.sql: it fails when tried: table "v1" does not exist \(line 2\); the next save reverts with it \(the try was rolled back: nothing changed\)/, mark);
  await dev.waitFor(/re-applied 20200102000000_app/, mark);
  assert.ok(await exists(db, 'app.v2'), 'v2 is applied; the failed try changed nothing');
  assert.equal(await logged(db), ['down 2', 'down 2'], 'the real reverts only');
  mark = dev.mark();
  writeFileSync(downFile(), downB('down 3'));
  await dev.waitFor(/re-applied 20200102000000_app/, mark);
  expectNoText(dev.output().slice(mark), 'warning');
  assert.ok(await exists(db, 'app.v2'));
}));

test('a new folder whose down.sql would commit is refused before anything runs, its down.sql included', () => withDev('commit-down', async ({ db, dev, project }) => {
  const C = '20200103000000_more';
  const folder = path.join(project.dir, 'migrations', C);
  const mark = dev.mark();
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'down.sql'), 'drop table public.more;\ncommit;\n');
  writeFileSync(path.join(folder, 'up.sql'), `--! Parent: ${B}\n\ncreate table public.more (id int);\n`);
  await dev.waitFor(/migrations\/20200103000000_more\/down\.sql:2:1: error: COMMIT in a transactional revision/, mark);
  await dev.waitFor(/nothing ran and the database is unchanged/, mark);
  assert.not.ok(await exists(db, 'public.more'));
}));

test('after reverts proven clean without a listing, a down.sql that also changes an older object is still named', () => withDev('stamped', async ({ db, dev, upFile, downFile }) => {
  // saves 1 and 2: clean reverts (save 2's is proven by the catalog stamp, not by listing every object)
  for (const table of ['v2', 'v3']) {
    const mark = dev.mark();
    writeFileSync(upFile(), upB(table));
    await until(() => exists(db, `app.${table}`), `app.${table}`);
    await dev.waitFor(/re-applied 20200102000000_app/, mark);
    expectNoText(dev.output().slice(mark), 'did not undo');
  }
  // save 3: the new down.sql also comments on log, which B's up.sql never touched
  const mark = dev.mark();
  writeFileSync(downFile(), `${downB('down 3')}comment on table public.log is 'touched';\n`);
  await dev.waitFor(/table public\.log: left changed \(not as it was before up\.sql\)/, mark);
}));

test('a new revision: waited for while it has no SQL, applied once it has, then re-applied on save', () => withDev('new', async ({ db, dev, project, upFile, downFile }) => {
  const mark = dev.mark();
  const created = await runCli(['new', 'add things'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
  expectExit(created, 0);
  const id = /created (\S+)/.exec(created.stdout)![1]!;
  await dev.waitFor(new RegExp(`waiting for ${id}: up\\.sql has no SQL yet`), mark);
  // a draft of comments only (in any line endings) is still waited for, not recorded as a no-op
  // (said once: the same reason again is not repeated)
  const draftMark = dev.mark();
  writeFileSync(upFile(id), `--! Parent: ${B}\n\n-- things: id, then a name\n`);
  await dev.waitFor(new RegExp(`waiting for ${id}: up\\.sql has no SQL yet`), draftMark);
  for (const draft of ['/* things */\r\n-- to do\r\n', '-- things\r']) {
    writeFileSync(upFile(id), `--! Parent: ${B}\n\n${draft}`);
    await sleep(300);
  }
  assert.equal((await db.query('select id from strata.revisions where id = $1', [id])), [], 'the draft is not applied');
  writeFileSync(downFile(id), 'drop table things;\n');
  writeFileSync(upFile(id), `--! Parent: ${B}\n\ncreate table things (id int);\n`);
  await until(() => exists(db, 'things'), 'table things');
  await dev.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d applied ${id} in \\d+ ms \\(new revision: re-applied on every save from now on\\)$`, 'm'), mark);
  const up = (await events(db)).filter((e) => e.revision_id === id);
  assert.equal(up.map((e) => e.action), ['up'], 'applied as up does');
  // it is now the watched revision
  writeFileSync(upFile(id), `--! Parent: ${B}\n\ncreate table things (id int, name text);\n`);
  await until(async () => (await db.query(`select 1 from information_schema.columns where table_name = 'things' and column_name = 'name'`)).length === 1, 'things.name');
  // and B is now an older revision: an edit to it is not re-applied
  const markB = dev.mark();
  writeFileSync(upFile(), upB('v9'));
  await dev.waitFor(new RegExp(`not re-applied: migrations/${B}/up\\.sql changed, but only the newest revision \\(${id}\\) is re-applied on save`), markB);
  assert.not.ok(await exists(db, 'app.v9'));
}));

test('at startup dev applies a no-op revision (comments only) of the history, as up does', async () => {
  const db = await createTestDatabase('dev_noop');
  if (!db) return;
  const C = '20200103000000_moved_to_code';
  const project = makeProject({
    [`migrations/${A}/up.sql`]: upA,
    [`migrations/${A}/down.sql`]: downA,
    [`migrations/${C}/up.sql`]: `--! Parent: ${A}\r\n\r\n-- the backfill moved to application code\r\n`,
    [`migrations/${C}/down.sql`]: '',
  });
  const dev = startDev(project.dir, { DATABASE_URL: db.url });
  try {
    await dev.waitFor(new RegExp(`applied 2 revisions \\(${A} … ${C}\\) in \\d+ ms$`, 'm'), 0, 20_000);
    assert.equal((await db.query<{ id: string }>('select id from strata.revisions order by id')).map((r) => r.id), [A, C]);
  } finally {
    dev.kill();
    project.remove();
    await db.drop();
  }
});

test('a new revision saved twice before its down.sql is written: warned, then reverted with the down.sql once written', () => withDev('newtwice', async ({ db, dev, project, upFile, downFile }) => {
  const created = await runCli(['new', 'add things'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
  const id = /created (\S+)/.exec(created.stdout)![1]!;
  const upThings = (columns: string) => `--! Parent: ${B}\n\ncreate table things (${columns});\n`;
  writeFileSync(upFile(id), upThings('id int'));
  await until(() => exists(db, 'things'), 'table things');
  let mark = dev.mark();
  writeFileSync(upFile(id), upThings('id int, name text'));
  await dev.waitFor(/waiting for the next save/i, mark);
  expectText(dev.output().slice(mark),
    `warning: ${id}: the down.sql that reverts the applied version has no SQL`,
    'relation "things" already exists',
    'rolled back: the database still has the version');
  mark = dev.mark();
  writeFileSync(downFile(id), 'drop table things;\n');
  await dev.waitFor(new RegExp(`re-applied ${id} in \\d+ ms \\(up\\.sql and down\\.sql changed; reverted with the down\\.sql on disk, as the stored one has no SQL\\)`), mark);
  assert.is((await db.query(`select 1 from information_schema.columns where table_name = 'things' and column_name = 'name'`)).length, 1);
}));

test('deleting the newest revision folder reverts it with its stored down.sql', () => withDev('delete', async ({ db, dev, project }) => {
  const mark = dev.mark();
  rmSync(path.join(project.dir, 'migrations', B), { recursive: true });
  await dev.waitFor(new RegExp(`reverted ${B} in \\d+ ms \\(folder deleted; used the down\\.sql stored when it was applied\\); now at ${A}`), mark);
  assert.not.ok(await exists(db, 'app.v1'));
  assert.equal(await logged(db), ['down 1']);
  assert.equal((await db.query<{ id: string }>('select id from strata.revisions order by id')).map((r) => r.id), [A]);
  const last = (await events(db)).at(-1)!;
  assert.equal([last.action, last.revision_id, last.ok, last.details], ['down', B, true, { source: 'stored' }]);
  expectNoText(dev.output().slice(mark), 'error');
  // putting it back applies it again
  const markBack = dev.mark();
  project.write(`migrations/${B}/down.sql`, downB('down 1'));
  project.write(`migrations/${B}/up.sql`, upB('v1'));
  await until(() => exists(db, 'app.v1'), 'app.v1 again');
  await dev.waitFor(new RegExp(`applied ${B}`), markBack);
}));

test('an edit to an older revision is not re-applied: one line says why and what to do', () => withDev('older', async ({ db, dev, upFile }) => {
  const before = await events(db);
  let mark = dev.mark();
  writeFileSync(upFile(A), upA.replace('msg text not null', 'msg text not null, extra int'));
  const line = await dev.waitFor(/^.*not re-applied: .*$/m, mark);
  expectText(line[0],
    `not re-applied: migrations/${A}/up.sql changed, but only the newest revision (${B}) is re-applied on save, and nothing is applied until it is restored;`,
    `to change ${A}, put the change in a new revision (strata new "<message>"), or revert to before it (strata down base) and run strata up`);
  assert.equal(await events(db), before, 'nothing ran');
  assert.is((await db.query(`select 1 from information_schema.columns where table_name = 'log' and column_name = 'extra'`)).length, 0);
  // while it differs, a save of the newest revision is held back too (up would refuse as well)
  mark = dev.mark();
  writeFileSync(upFile(), upB('v2'));
  await dev.waitFor(/not re-applied/, mark);
  assert.not.ok(await exists(db, 'app.v2'));
  // restoring the older file lets the newest one through
  writeFileSync(upFile(A), upA);
  await until(() => exists(db, 'app.v2'), 'app.v2 after restoring the older revision');
}));

test('a burst of 20 saves: one run at a time, the final state is the last content', () => withDev('burst', async ({ db, dev, upFile }) => {
  const mark = dev.mark();
  for (let i = 1; i <= 20; i++) {
    writeFileSync(upFile(), upB(`burst_${i}`));
    await sleep(i % 4 === 0 ? 3 : 0); // some saves land during a run, some between runs
  }
  await until(() => exists(db, 'app.burst_20'), 'app.burst_20');
  // the run that read the last content has committed; once its line is out, nothing else is coming
  const lines = () => dev.output().slice(mark).split('\n').filter((l) => l.includes('re-applied'));
  await until(async () => lines().length === assertPairs(await events(db)), 'one line per run');
  assert.equal(await appTables(db), ['burst_20']);
  const runs = assertPairs(await events(db));
  assert.ok(runs >= 1 && runs < 20, `saves during a run were coalesced: ${runs} runs for 20 saves`);
  expectNoText(dev.stderr(), 'error');
  assert.equal(await logged(db), Array(runs).fill('down 1'));
}));

test('SIGINT during a run: exits within a second, the step rolled back, no lock left', () => withDev('sigint', async ({ db, dev, upFile }) => {
  const before = await storedRow(db);
  const eventsBefore = await events(db);
  writeFileSync(upFile(), upB('slow', 'select pg_sleep(30);\n'));
  await until(async () => (await db.query(`select 1 from pg_stat_activity where state = 'active' and query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`)).length > 0, 'the slow run to be going');
  const stopped = await dev.stop('SIGINT');
  assert.is(stopped.code, 0, dev.output());
  assert.ok(stopped.ms < 1000, `exited in ${Math.round(stopped.ms)} ms`);
  assert.is(await advisoryLocks(db), 0, 'no advisory lock left');
  assert.is((await db.query(`select 1 from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`)).length, 0, 'the statement is not running any more');
  assert.not.ok(await exists(db, 'app.slow'), 'the new version was rolled back');
  assert.ok(await exists(db, 'app.v1'), 'the previous version is intact');
  assert.equal(await storedRow(db), before, 'the record is as before');
  assert.equal(await logged(db), [], 'the revert was rolled back with it');
  const after = await events(db);
  assert.equal(after.slice(0, eventsBefore.length), eventsBefore);
  assert.ok(after.slice(eventsBefore.length).every((e) => !e.ok), 'only the failure was recorded');
  expectText(dev.output(), 'interrupted: rolled back', 'stopped after');
}));

test('the server ends dev\'s session (pg_terminate_backend): the next save says the connection was lost, the one after reconnects and applies', () => withDev('terminated', async ({ db, dev, upFile }) => {
  await db.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
  let mark = dev.mark();
  writeFileSync(upFile(), upB('v2'));
  await dev.waitFor(/trying again at the next save/, mark);
  expectText(dev.output().slice(mark), 'cannot read strata.revisions: the connection to the database was lost', '(the server ended the session, or the database was dropped?)');
  mark = dev.mark();
  writeFileSync(upFile(), upB('v3'));
  await dev.waitFor(new RegExp(`re-applied ${B}`), mark);
}));

test('SIGTERM while idle exits at once', () => withDev('sigterm', async ({ db, dev }) => {
  const stopped = await dev.stop('SIGTERM');
  assert.is(stopped.code, 0, dev.output());
  assert.ok(stopped.ms < 1000, `exited in ${Math.round(stopped.ms)} ms`);
  assert.is(await advisoryLocks(db), 0);
}));

test('Transaction: off: re-applied statement by statement, with a warning; a failure says what took effect', () => withDev('txoff', async ({ db, dev, project, upFile }) => {
  const id = '20200103000000_index';
  const upC = (index: string, target = 'log') => `--! Parent: ${B}\n--! Transaction: off\n\ncreate index concurrently ${index} on ${target} (msg);\n`;
  let mark = dev.mark();
  project.write(`migrations/${id}/down.sql`, '--! Transaction: off\n\ndrop index concurrently if exists log_a;\ndrop index concurrently if exists log_b;\n');
  project.write(`migrations/${id}/up.sql`, upC('log_a'));
  await until(() => exists(db, 'log_a'), 'index log_a');
  mark = dev.mark();
  writeFileSync(upFile(id), upC('log_b'));
  await until(() => exists(db, 'log_b'), 'index log_b');
  await dev.waitFor(new RegExp(`re-applied ${id}`), mark);
  assert.not.ok(await exists(db, 'log_a'));
  expectText(dev.output().slice(mark), `warning: ${id} has 'Transaction: off': it is reverted and applied again statement by statement, so a failure can leave partial effects`);
  mark = dev.mark();
  writeFileSync(upFile(id), upC('log_c', 'no_such_table'));
  await dev.waitFor(/waiting for the next save/i, mark);
  expectText(dev.output().slice(mark), `migrations/${id}/up.sql:4:`, 'relation "no_such_table" does not exist', 'this Transaction: off revision is not recorded');
}));

test('--json: one JSON object per line and event', () => withDev('json', async ({ db, project, dev, upFile }) => {
  assert.is((await dev.stop()).code, 0);
  const json = startDev(project.dir, { DATABASE_URL: db.url }, ['--json']);
  try {
    await json.waitFor(/"status":"unchanged"/);
    writeFileSync(upFile(), upB('v2'));
    await json.waitFor(/"status":"re-applied"/);
    assert.is((await json.stop()).code, 0);
    const lines = json.stdout().trim().split('\n').map((l) => JSON.parse(l) as { type: string; run?: { status: string; id?: string; changed?: string; sequence: number } });
    assert.equal(lines.map((l) => l.type), ['dev-watching', 'dev-run', 'dev-run', 'dev-stopped']);
    assert.equal([lines[1]!.run!.status, lines[1]!.run!.sequence], ['unchanged', 1]);
    assert.equal([lines[2]!.run!.status, lines[2]!.run!.id, lines[2]!.run!.changed, lines[2]!.run!.sequence], ['re-applied', B, 'up', 2]);
    assert.is(json.stderr(), '');
  } finally {
    json.kill();
  }
}));

test('--poll: polls the files, and a save is re-applied the same way', () => withDev('poll', async ({ db, dev, upFile }) => {
  expectText(dev.stdout(), 'watching migrations (polling every 100 ms) on');
  writeFileSync(upFile(), upB('v2'));
  await until(() => exists(db, 'app.v2'), 'app.v2');
  await dev.waitFor(/re-applied 20200102000000_app/);
  assert.equal(await appTables(db), ['v2']);
}, ['--poll']));

test('no migrations folder: exit 2 with the fix, before connecting', async () => {
  const project = makeProject();
  try {
    const result = await runCli(['dev'], { cwd: project.dir, env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, timeoutMs: 10_000 });
    expectExit(result, 2);
    expectText(result.stderr, 'migrations folder migrations does not exist', "fix: run 'strata init'");
  } finally {
    project.remove();
  }
});

test('embedded PGlite: the startup line says so, another strata command is refused at once, Ctrl-C releases it', async () => {
  const project = projectAB();
  const dev = startDev(project.dir, {});
  try {
    await dev.waitFor(/applied 2 revisions/, 0, 60_000);
    expectText(dev.stdout(), 'watching migrations (native file events) on embedded PGlite database in .strata/pglite (set DATABASE_URL to use a server); no other strata command can open this database until dev stops. Ctrl-C to stop.');
    // dev keeps the database until it stops: waiting out the lock timeout would only end in failure
    const status = await runCli(['status', '--lock-timeout', '600'], { cwd: project.dir, timeoutMs: 30_000 });
    expectExit(status, 1);
    expectText(status.stderr, `strata dev (pid ${dev.child.pid}) holds the embedded database`, 'stop strata dev (Ctrl-C in its terminal)');
    expectNoText(status.stderr, 'waiting up to');
    const json = await runCli(['up', '--json'], { cwd: project.dir, timeoutMs: 30_000 });
    expectExit(json, 1);
    assert.is((JSON.parse(json.stdout) as { reason: string; problems: { code: string }[] }).problems[0]!.code, 'EMBEDDED_IN_USE');
    // history lists the chain from the files, as when the database cannot be reached
    const history = await runCli(['history'], { cwd: project.dir, timeoutMs: 30_000 });
    expectExit(history, 0, 'history while dev holds the embedded database');
    assert.is(history.stdout.split('\n')[0], `${A} -> ${B} (head), the app schema`);
    expectText(history.stderr, `note: applied state unknown (strata dev (pid ${dev.child.pid}) holds the embedded database`, 'the chain is listed from the files alone');
    const mark = dev.mark();
    writeFileSync(path.join(project.dir, 'migrations', B, 'up.sql'), upB('v2'));
    await dev.waitFor(new RegExp(`re-applied ${B}`), mark, 30_000);
    const stopped = await stopEmbedded(dev, project.dir);
    assert.ok(stopped.ms < 1000, `exited in ${Math.round(stopped.ms)} ms`);
  } finally {
    dev.kill();
    project.remove();
  }
});

test('embedded PGlite: .strata/ deleted while dev runs (to start afresh): the next save says so, makes a new database and applies the revisions to it', async () => {
  const project = projectAB();
  const dev = startDev(project.dir, {});
  try {
    await dev.waitFor(/applied 2 revisions/, 0, 60_000);
    rmSync(path.join(project.dir, '.strata'), { recursive: true, force: true });
    const mark = dev.mark();
    writeFileSync(path.join(project.dir, 'migrations', B, 'up.sql'), upB('v2'));
    await dev.waitFor(new RegExp(`applied (2 revisions|${B})`), mark, 60_000);
    expectText(dev.output(), 'the embedded database folder .strata/pglite was deleted while dev ran: a new database is made, and the revisions applied to it');
    expectNoText(dev.output(), 'could not open file');
    await stopEmbedded(dev, project.dir);
  } finally {
    dev.kill();
    project.remove();
  }
});

test.run();
