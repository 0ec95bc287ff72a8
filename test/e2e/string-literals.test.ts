import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../../src/config.js';
import { openPglite } from '../../src/db/pglite-database.js';
import { runPipeline } from '../../src/executor/run.js';
import { planners } from '../../src/plan/planners.js';
import { loadRevisions } from '../../src/revision/load-revisions.js';
import { expectExit, expectText, quoteIdent, resetDatabase } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { generateHistory, revisionId, writeHistory } from '../helpers/history.js';

// strata splits every revision with standard_conforming_strings on (issue 8, item 3). A session that
// has it off reads `'a\'` as the start of a longer literal, and the text after it differently: here
// it sees a COMMIT the checker saw inside a string, and half the revision would commit while strata
// said it was rolled back. However the session came to have it off, the server must read what
// strata read.
const db = await createTestDatabase('literals');
const it = db ? test : test.skip;
const projects: Array<ReturnType<typeof makeProject>> = [];

test.after(async () => {
  for (const p of projects) p.remove();
  await db?.drop();
});

/** With it on: a select of two strings. With it off: a select, then COMMIT, then a comment. */
const HIDDEN_COMMIT = "create table before_commit (id int);\nselect ('a\\', '); commit; --');\ncreate table after_commit (id int);\nselect 1/0;\n";
/** With it on, a backslash in a plain literal is a character. */
const LITERALS = "create table lit (v text);\ninsert into lit values ('C:\\temp\\'), (E'tab\\there');\n";

function project(setter: { up: string; header?: string } | undefined, last: string) {
  const revisions = [
    { up: 'create table first (id int);\n' },
    ...(setter ? [setter, { up: 'select 1;\n', header: '--! Transaction: off' }] : []),
    { up: last },
  ];
  const p = makeProject();
  projects.push(p);
  writeHistory(p.dir, generateHistory(revisions.length, (i) => ({ up: revisions[i - 1]!.up, down: '', header: revisions[i - 1]!.header })));
  return { p, count: revisions.length };
}

/** Both ends of the class: literals mean what strata read, and a failing revision commits nothing. */
async function expectReadAsStrataReadIt(setter: { up: string; header?: string } | undefined, url: string, context: string): Promise<void> {
  await resetDatabase(db!);
  const { p, count } = project(setter, HIDDEN_COMMIT);
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: url } });
  expectExit(result, 1, context);
  expectText(result.stderr, `migrations/${revisionId(count)}/up.sql:7:1: error 22012: division by zero`, `the revision was rolled back; the database is as it was before ${revisionId(count)}`);
  const tables = await db!.query<{ t: string | null }>("select to_regclass('before_commit')::text as t");
  assert.is(tables[0]!.t, null, `${context}: nothing of the failed revision committed`);
  const recorded = await db!.query<{ n: number }>('select count(*)::int as n from strata.revisions');
  assert.is(recorded[0]!.n, count - 1, context);
  await resetDatabase(db!);
  const literals = project(setter, LITERALS);
  expectExit(await runCli(['up'], { cwd: literals.p.dir, env: { DATABASE_URL: url } }), 0, `${context}: literals`);
  const values = await db!.query<{ v: string }>('select v from lit order by v');
  assert.equal(values.map((r) => r.v), ['C:\\temp\\', 'tab\there'], `${context}: literals read with standard_conforming_strings on`);
}

it('a session that starts with standard_conforming_strings off (the database, the role, the connection options)', async () => {
  const name = quoteIdent(db!.name);
  const ways = [
    { what: 'ALTER DATABASE ... SET', set: `alter database ${name} set standard_conforming_strings = off`, reset: `alter database ${name} reset standard_conforming_strings`, url: db!.url },
    { what: 'ALTER ROLE ... IN DATABASE ... SET', set: `alter role current_user in database ${name} set standard_conforming_strings = off`, reset: `alter role current_user in database ${name} reset standard_conforming_strings`, url: db!.url },
    { what: 'options in the URL', set: 'select 1', reset: 'select 1', url: `${db!.url}?options=${encodeURIComponent('-c standard_conforming_strings=off')}` },
  ];
  for (const way of ways) {
    await db!.query(way.set);
    try {
      await expectReadAsStrataReadIt(undefined, way.url, way.what);
    } finally {
      await db!.query(way.reset);
    }
  }
});

it('an earlier revision of the same run turns it off (SET in a Transaction: off or a transactional revision, set_config)', async () => {
  const setters = [
    { up: 'set standard_conforming_strings = off;\n', header: '--! Transaction: off' },
    { up: 'set standard_conforming_strings = off;\n' },
    { up: "select set_config('standard_conforming_strings', 'off', false);\n" },
    { up: "select set_config('standard_conforming_strings', 'off', false);\n", header: '--! Transaction: off' },
  ];
  for (const setter of setters) await expectReadAsStrataReadIt(setter, db!.url, `${setter.header ?? 'transactional'}: ${setter.up.trim()}`);
});

it("a Transaction: off revision's own SET does not change how its later statements are read", async () => {
  await resetDatabase(db!);
  const p = makeProject();
  projects.push(p);
  writeHistory(p.dir, generateHistory(1, () => ({
    up: "create table lit (v text);\nset standard_conforming_strings = off;\ninsert into lit values ('x\\y'), ('a\\');\nselect ('a\\', '); commit; --');\n",
    down: '', header: '--! Transaction: off',
  })));
  const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
  expectExit(result, 0);
  const values = await db!.query<{ v: string }>('select v from lit order by v');
  assert.equal(values.map((r) => r.v), ['a\\', 'x\\y']);
});

test('PGlite: an earlier revision turns it off; the next one is still read as strata read it', async () => {
  for (const last of [HIDDEN_COMMIT, LITERALS]) {
    const p = makeProject();
    projects.push(p);
    writeHistory(p.dir, generateHistory(2, (i) => ({
      up: ['set standard_conforming_strings = off;\n', last][i - 1]!, down: '', header: i === 1 ? '--! Transaction: off' : '',
    })));
    const database = await openPglite(undefined);
    try {
      const report = await runUp(database, resolveConfig({ cwd: p.dir, env: {} }));
      if (last === LITERALS) {
        assert.ok(report.ok, JSON.stringify(report));
        const values = await database.query<{ v: string }>('select v from lit order by v');
        assert.equal(values.map((r) => r.v), ['C:\\temp\\', 'tab\there']);
        continue;
      }
      assert.ok(!report.ok && report.reason === 'failed' && report.failure.sqlstate === '22012' && report.failure.line === 7, JSON.stringify(report));
      const tables = await database.query<{ t: string | null }>("select to_regclass('before_commit')::text as t");
      assert.is(tables[0]!.t, null, 'nothing of the failed revision committed');
    } finally {
      await database.close();
    }
  }
});

/** strata up through the run pipeline, on a database the test opened itself */
function runUp(database: Parameters<typeof runPipeline>[0], config: ReturnType<typeof resolveConfig>) {
  return runPipeline(database, config, { command: 'up', planner: planners.up('head', {}), revisions: loadRevisions(config) }, () => {});
}

test.run();
