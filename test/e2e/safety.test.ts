import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, runCli, type CliResult } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';
import { runPsqlScript } from '../helpers/psql.js';

const db = await createTestDatabase('safety');
const project = makeProject();
const history = generateHistory(2, (i) => ({ up: `create table safe${i} (id int);\n`, down: `drop table safe${i};\n` }));
writeHistory(project.dir, history);

test.after(async () => {
  project.remove();
  await db?.drop();
});

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

// Tracking-schema names that break any SQL built by pasting them in: quotes, a statement
// separator, a comment, and in the second a newline, a backslash and a single quote too.
const HOSTILE_SCHEMAS = [
  'we"ird; drop table x; --',
  "it's\\ \"odd\"\n); drop table x; -- ",
];

for (const schema of HOSTILE_SCHEMAS) {
  (db ? test : test.skip)(`tracking schema ${JSON.stringify(schema)}: up, status, log, history, down, sql, stamp`, async () => {
    const database = db!;
    const env = { DATABASE_URL: database.url };
    const cli = (...args: string[]) => runCli([...args, '--schema', schema], { cwd: project.dir, env });
    const ok = (r: CliResult, what: string) => assert.is(r.code, 0, `${what}:\n${r.output}`);
    const canaryStands = async () => {
      const rows = await database.query<{ t: string | null }>("select to_regclass('public.x')::text as t");
      assert.is(rows[0]!.t, 'x', 'table x is still there');
    };
    const applied = async () => (await database.query<{ id: string }>(`select id from ${quoteIdent(schema)}.revisions order by id`)).map((r) => r.id);
    await database.query('create table if not exists x (id int)');

    ok(await cli('up'), 'up');
    assert.equal(await applied(), history.map((h) => h.id));
    const namespaces = await database.query<{ nspname: string }>('select nspname from pg_namespace where nspname = $1', [schema]);
    assert.is(namespaces.length, 1, 'the schema has exactly that name');
    await canaryStands();

    const status = await cli('status');
    ok(status, 'status');
    assert.match(status.stdout, '2 applied, 0 pending');
    const statusJson = await cli('status', '--json');
    ok(statusJson, 'status --json');
    const report = JSON.parse(statusJson.stdout) as { schema: string; counts: { applied: number } };
    assert.is(report.schema, schema);
    assert.is(report.counts.applied, 2);

    const events = await cli('log');
    ok(events, 'log');
    assert.match(events.stdout, history[1]!.id);
    const chain = await cli('history');
    ok(chain, 'history');
    assert.match(chain.stdout, `applied  ${history[0]!.id} -> ${history[1]!.id} (head) (current)`);

    const down = await cli('down');
    ok(down, 'down');
    assert.match(down.stdout, `reverted ${history[1]!.id}`);
    assert.equal(await applied(), [history[0]!.id]);

    // the script a DBA runs by hand carries the name too (in SQL and in comments)
    const script = await cli('sql', 'down', 'base');
    ok(script, 'sql down base');
    const psql = await runPsqlScript(database.url, script.stdout);
    assert.is(psql.code, 0, psql.stderr);
    assert.equal(await applied(), []);

    ok(await cli('stamp', 'head'), 'stamp head');
    assert.equal(await applied(), history.map((h) => h.id));
    ok(await cli('stamp', 'base'), 'stamp base');
    assert.equal(await applied(), []);

    const actions = await database.query<{ action: string; n: number }>(
      `select action, count(*)::int as n from ${quoteIdent(schema)}.events where ok group by action order by action`);
    assert.equal(actions, [{ action: 'down', n: 2 }, { action: 'stamp', n: 2 }, { action: 'unstamp', n: 2 }, { action: 'up', n: 2 }]);
    await canaryStands();
  });
}

/** A password must not show, neither whole nor in pieces (an '@' or '/' in it must not cut it short). */
function assertHidden(r: CliResult, password: string, context: string): void {
  for (const piece of [password, ...password.split(/[@/]/).filter((p) => p.length >= 3)]) {
    assert.not.ok(r.output.includes(piece), `${context}: '${piece}' printed:\n${r.output}`);
  }
}

const UNREACHABLE = [
  { url: 'postgres://u:s3cret@127.0.0.1:1/db', password: 's3cret', exit: 1, says: 'postgres://u:***@127.0.0.1:1/db' },
  { url: 'postgres://u:s3@cr3t@127.0.0.1:1/db', password: 's3@cr3t', exit: 1, says: 'postgres://u:***@127.0.0.1:1/db' },
  { url: 'postgresql://u:pa/ss@127.0.0.1:1/db', password: 'pa/ss', exit: 2, says: 'postgresql://u:***@127.0.0.1:1/db' },
  { url: 'postgres://u:s3cret@127.0.0.1:99999/db', password: 's3cret', exit: 2, says: 'postgres://u:***@127.0.0.1:99999/db' },
  { url: 'postgres://127.0.0.1:1/db?user=u&password=s3cret', password: 's3cret', exit: 1, says: 'password=***' },
  { url: 'mysql://u:s3cret@127.0.0.1/db', password: 's3cret', exit: 2, says: 'mysql://u:***@127.0.0.1/db' },
];

test('a connection string with a password never prints it: failures, in text and --json', async () => {
  const runs = UNREACHABLE.flatMap((c) => [
    { c, args: ['up'], env: { DATABASE_URL: c.url } },
    { c, args: ['status', '--json'], env: { DATABASE_URL: c.url } },
    { c, args: ['up', '--json', '--database-url', c.url], env: {} },
    { c, args: ['log'], env: { DATABASE_URL: c.url } },
  ]);
  const results = await Promise.all(runs.map((run) => runCli(run.args, { cwd: project.dir, env: run.env })));
  for (const [i, r] of results.entries()) {
    const { c, args } = runs[i]!;
    const context = `${c.url} ${args.join(' ')}`;
    assert.is(r.code, c.exit, `${context}: exit code\n${r.output}`);
    assertHidden(r, c.password, context);
    assert.ok(r.output.includes(c.says), `${context}: names the server with the password hidden (${c.says}):\n${r.output}`);
    assert.not.match(r.output, /\n\s+at .*\.js:\d+/, `${context}: no stack trace`);
    if (args.includes('--json')) {
      const report = JSON.parse(r.stdout) as { ok: boolean; problems: { code: string }[] };
      assert.is(report.ok, false, context);
      assert.ok(report.problems.some((p) => p.code === (c.exit === 1 ? 'CONNECTION_FAILED' : 'CONFIG_INVALID')), `${context}: ${r.stdout}`);
    }
  }
});

(db ? test : test.skip)('a connection string with a password never prints it: successful runs, in text and --json', async () => {
  const url = new URL(db!.url);
  url.password = 's3cret';
  const env = { DATABASE_URL: url.toString() };
  const runs = [['up'], ['status'], ['status', '--json'], ['log', '--json'], ['history', '--json'], ['current', '--json'], ['sql', 'down', 'base'], ['down', 'base', '--json']];
  for (const args of runs) {
    const r = await runCli(args, { cwd: project.dir, env });
    assert.is(r.code, 0, `${args.join(' ')}:\n${r.output}`);
    assertHidden(r, 's3cret', args.join(' '));
  }
  const status = await runCli(['status', '--json'], { cwd: project.dir, env });
  assert.match((JSON.parse(status.stdout) as { database: string }).database, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
});

test.run();
