import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.js';
import { connectPostgres } from '../../src/db/pg-database.js';
import { openPglite } from '../../src/db/pglite-database.js';
import { trackingUpgradeSql } from '../../src/db/tracking-schema.js';
import { executeSteps } from '../../src/executor/execute-steps.js';
import { planUp } from '../../src/plan/plan.js';
import { loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements } from '../../src/sql/split-statements.js';
import { events, expectExit, expectText, resetDatabase } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { generateHistory, revisionId, writeHistory } from '../helpers/history.js';
import { history } from '../helpers/memory-tree.js';

// What a revision does to its session must not break strata's own model of it (issue 8, items 2,
// 6 and 17): the transaction status comes from the server, the bookkeeping reads nothing the
// revision can reset, and each revision starts from a fresh session's state.
const db = await createTestDatabase('session');
const it = db ? test : test.skip;
const projects: Array<ReturnType<typeof makeProject>> = [];

test.after(async () => {
  for (const p of projects) p.remove();
  await db?.drop();
});
test.before.each(async () => {
  if (db) await resetDatabase(db);
});

function project(revisions: Array<{ up: string; down?: string; header?: string }>) {
  const p = makeProject();
  projects.push(p);
  writeHistory(p.dir, generateHistory(revisions.length, (i) => ({ up: revisions[i - 1]!.up, down: revisions[i - 1]!.down ?? '', header: revisions[i - 1]!.header })));
  return p;
}
const strata = (p: { dir: string }, ...args: string[]) => runCli(args, { cwd: p.dir, env: { DATABASE_URL: db!.url } });
const OFF = '--! Transaction: off';

async function relations(): Promise<string[]> {
  return (await db!.query<{ name: string }>("select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1")).map((r) => r.name);
}
async function recorded(): Promise<string[]> {
  return (await db!.query<{ id: string }>('select id from strata.revisions order by id')).map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------------------------
// item 2: the transaction status is the server's

/** Runs one Transaction: off revision through the executor alone (no check before it), on `database`. */
async function executeAlone(database: Database, body: string) {
  await loadSqlParser();
  const [revision] = history({ id: revisionId(1), parent: 'base', header: OFF, body, down: '' });
  const plan = planUp([revision!], [], 'head');
  if (!plan.ok) throw new Error('no plan');
  await database.runScript(trackingUpgradeSql('strata', 0, 'test'));
  return executeSteps(database, plan.steps, {
    schema: 'strata', actor: 'test', singleTransaction: false,
    statementsOf: (script) => {
      const split = splitStatements(script.body);
      if (!split.ok) throw new Error(split.problem.message);
      return split.statements;
    },
  });
}

/** Bodies that end inside a block of their own; `left` is what of them may stand. */
const LEFT_OPEN = [
  { body: 'create table kept (id int);\nbegin;\ncreate table lost (id int);\n', left: ['kept'], opener: 'BEGIN at line 5' },
  { body: 'begin;\ncreate table kept (id int);\ncommit and chain;\ncreate table lost (id int);\n', left: ['kept'], opener: 'COMMIT at line 6' },
  { body: 'start transaction;\ncreate table lost (id int);\nsavepoint s;\ncreate table lost2 (id int);\nrelease s;\n', left: [], opener: 'START TRANSACTION at line 4' },
  { body: 'begin;\ncreate table kept (id int);\ncommit;\nbegin;\ncreate table lost (id int);\nrollback to savepoint nothing_yet;\n', left: ['kept'], opener: undefined },
];

for (const [name, open] of [['PostgreSQL', async () => connectPostgres(db!.url)], ['PGlite', async () => openPglite(undefined)]] as const) {
  it(`${name}: a Transaction: off revision that ends inside a transaction block is never recorded inside it (the server's status says so)`, async () => {
    for (const c of LEFT_OPEN) {
      const database = await open();
      try {
        if (name === 'PostgreSQL') await resetDatabase(db!);
        const result = await executeAlone(database, c.body);
        assert.is(result.ok, false, c.body);
        if (result.ok || result.reason !== 'failed') continue;
        if (c.opener) {
          assert.is(result.failure.sqlstate, '25001', c.body);
          expectText(result.failure.message, `ends inside a transaction block (opened by the ${c.opener})`);
          expectText(result.failure.effects, 'strata rolled back the open block rather than record the revision inside it', 'is not recorded');
        }
        const rows = async (text: string) => (await database.query<{ name: string }>(text)).map((r) => r.name);
        assert.equal(await rows("select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by 1"), c.left, c.body);
        assert.equal(await rows('select id as name from strata.revisions'), [], 'not recorded');
        assert.equal(await rows('select revision_id as name from strata.events where not ok'), [revisionId(1)], 'the failure is logged, outside the block');
        if (name === 'PGlite') break; // one in-memory database per run
      } finally {
        await database.close();
      }
    }
  });
}

it('Transaction: off failures report what the server says took effect: blocks, savepoints, ROLLBACK TO, a failing COMMIT; the failure is logged', async () => {
  const cases = [
    {
      body: 'create table a (id int);\nbegin;\ncreate table b (id int);\nsavepoint s;\ncreate table c (id int);\nselect 1/0;\ncommit;\n',
      tables: ['a'],
      says: ['statement 1 of 7 (line 4) already took effect and was not undone', 'statements 2–5 of 7 (lines 5–8), in a transaction block, were rolled back'],
    },
    {
      body: 'begin;\ncreate table a (id int);\nsavepoint s;\ncreate table b (id int);\nrollback to savepoint s;\ncreate table c (id int);\ncommit;\nselect 1/0;\n',
      tables: ['a', 'c'],
      says: ['statements 1–3, 5–7 of 8 (lines 4–6, 8–10) already took effect and were not undone', 'statement 4 of 8 (line 7), in a transaction block, was rolled back'],
    },
    {
      body: 'begin;\ncreate table a (id int);\ncommit;\nbegin;\ncreate table b (id int);\nselect nocol from b;\ncommit;\n',
      tables: ['a'],
      says: ['statements 1–3 of 7 (lines 4–6) already took effect', 'statements 4–5 of 7 (lines 7–8), in a transaction block, were rolled back'],
    },
    {
      body: 'create table p (id int primary key);\ncreate table ch (p int references p deferrable initially deferred);\nbegin;\ninsert into ch values (1);\ncommit;\n',
      tables: ['ch', 'p'],
      says: ['statements 1–2 of 5 (lines 4–5) already took effect', 'statements 3–4 of 5 (lines 6–7), in a transaction block, were rolled back'],
    },
  ];
  for (const c of cases) {
    await resetDatabase(db!);
    const p = project([{ up: 'create table base_table (id int);\n' }, { up: c.body, header: OFF }]);
    const result = await strata(p, 'up');
    expectExit(result, 1, c.body);
    expectText(result.stderr, ...c.says, 'this Transaction: off revision is not recorded');
    assert.equal(await relations(), ['base_table', ...c.tables].sort(), c.body);
    assert.equal(await recorded(), [revisionId(1)]);
    const log = await events(db!);
    assert.equal(log.map((e) => [e.revision_id, e.ok]), [[revisionId(1), true], [revisionId(2), false]], `the failure is logged: ${c.body}`);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// item 6: the bookkeeping reads nothing the revision can reset

it('a Transaction: off revision that resets or changes its session is still recorded, and the next up has nothing to do', async () => {
  const resets = [
    'reset all;',
    'discard all;',
    "select set_config('strata.step_started_at', 'not a time', false);",
    'set role pg_monitor;',
    'set session authorization pg_monitor;',
    "set search_path = nowhere;",
    'set default_transaction_read_only = on;',
    "set statement_timeout = '1ms';",
    'select pg_advisory_unlock_all();',
  ];
  for (const reset of resets) {
    await resetDatabase(db!);
    const p = project([{ up: 'create table first (id int);\n' }, { up: `create table second (id int);\n${reset}\n`, header: OFF }, { up: 'create table third (id int);\n' }]);
    const result = await strata(p, 'up');
    expectExit(result, 0, reset);
    assert.equal(await recorded(), [revisionId(1), revisionId(2), revisionId(3)], reset);
    const again = await strata(p, 'up');
    expectExit(again, 0, `${reset}: the next up`);
    expectText(again.stdout, 'nothing to apply');
  }
});

// ---------------------------------------------------------------------------------------------------------------
// item 17: every revision runs as it would alone

/** What a revision sees of its session, written down by the revision itself. */
const observe = (name: string) => `insert into seen select '${name}', current_user::text, session_user::text, current_setting('search_path'),
  current_setting('TimeZone'), current_setting('statement_timeout'), current_setting('work_mem'), current_setting('default_transaction_read_only'),
  (select count(*) from pg_listening_channels()), (select count(*) from pg_prepared_statements), (select count(*) from pg_cursors),
  (select count(*) from pg_class where relnamespace = pg_my_temp_schema()), current_setting('standard_conforming_strings');\n`;
const SETTINGS = `set search_path = elsewhere, public;
set timezone = 'Pacific/Kiritimati';
set statement_timeout = '12s';
set work_mem = '7MB';
listen strata_test_channel;
prepare strata_test_statement as select 1;
declare strata_test_cursor cursor with hold for select 1;
create temp table scratch (id int);
set standard_conforming_strings = off;
`;

it('session state set by one revision does not reach the next ones: one run gives what one run per revision gives', async () => {
  const revisions = [
    { up: 'create schema elsewhere;\ncreate table seen (revision text, usr text, session_usr text, path text, tz text, timeout text, mem text, read_only text, listening int, prepared int, cursors int, temp int, scs text);\n' },
    { up: `${SETTINGS}set role pg_monitor;\n` },
    { up: observe('after a transactional revision') },
    { up: `${SETTINGS}set session authorization pg_monitor;\nset default_transaction_read_only = on;\n`, header: OFF },
    { up: observe('after a Transaction: off revision'), header: OFF },
    { up: observe('and the one after') },
    { up: 'create table lands_in_public (id int);\n' },
  ];
  const p = project(revisions);
  const seen = async () => ({
    rows: await db!.query('select * from seen order by revision'),
    where: await db!.query<{ schema: string }>("select relnamespace::regnamespace::text as schema from pg_class where relname = 'lands_in_public'"),
  });
  expectExit(await strata(p, 'up'), 0, 'one run');
  const together = await seen();
  await resetDatabase(db!);
  for (let i = 0; i < revisions.length; i++) expectExit(await strata(p, 'up', '+1'), 0, `revision ${i + 1} alone`);
  const alone = await seen();
  assert.equal(together, alone);
  // and that is what a new session sees
  const [fresh] = await db!.query<Record<string, unknown>>(`select current_user::text as usr, session_user::text as session_usr, current_setting('search_path') as path,
    current_setting('TimeZone') as tz, current_setting('statement_timeout') as timeout, current_setting('work_mem') as mem,
    current_setting('default_transaction_read_only') as read_only, 0 as listening, 0 as prepared, 0 as cursors, 0 as temp, 'on' as scs`);
  assert.is(together.rows.length, 3);
  for (const row of together.rows) assert.equal({ ...row, revision: undefined }, { ...fresh, revision: undefined }, JSON.stringify(row));
  assert.equal(together.where, [{ schema: 'public' }]);
});

it('PGlite: a revision sees a fresh session too', async () => {
  const database = await openPglite(undefined);
  try {
    await loadSqlParser();
    const revisions = history(
      { id: revisionId(1), parent: 'base', body: 'create schema elsewhere;\ncreate table seen (revision text, usr text, session_usr text, path text, tz text, timeout text, mem text, read_only text, listening int, prepared int, cursors int, temp int, scs text);\n' },
      { id: revisionId(2), parent: revisionId(1), body: `${SETTINGS}set role pg_monitor;\n` },
      { id: revisionId(3), parent: revisionId(2), body: observe('after a transactional revision') },
      { id: revisionId(4), parent: revisionId(3), header: OFF, body: `${SETTINGS}set default_transaction_read_only = on;\n` },
      { id: revisionId(5), parent: revisionId(4), header: OFF, body: observe('after a Transaction: off revision') },
    );
    const plan = planUp(revisions, [], 'head');
    if (!plan.ok) throw new Error('no plan');
    await database.runScript(trackingUpgradeSql('strata', 0, 'test'));
    const [fresh] = await database.query<{ path: string }>("select current_setting('search_path') as path");
    const result = await executeSteps(database, plan.steps, {
      schema: 'strata', actor: 'test', singleTransaction: false,
      statementsOf: (script) => {
        const split = splitStatements(script.body);
        return split.ok ? split.statements : [];
      },
    });
    assert.ok(result.ok, JSON.stringify(result));
    const rows = await database.query<Record<string, unknown>>('select usr, path, timeout, read_only, listening, prepared, cursors, temp, scs from seen order by revision');
    for (const row of rows) assert.equal(row, { usr: 'postgres', path: fresh!.path, timeout: '0', read_only: 'off', listening: 0, prepared: 0, cursors: 0, temp: 0, scs: 'on' });
    assert.is(rows.length, 2);
    assert.is((await database.query('select id from strata.revisions')).length, 5);
  } finally {
    await database.close();
  }
});

test.run();
