import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { expectExit, expectNoText, expectText, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';
import { adminUrl, runCli, type CliResult } from '../helpers/harness.js';

/**
 * What the database or the command line can throw at strata outside any revision's SQL: each is a
 * problem with a code and a fix (and the documented --json shape), never a stack trace.
 */
const A = '20261101090000_create_customers';
const B = '20261102090000_create_orders';
const files = {
  ...revisionFiles(A, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n'),
  ...revisionFiles(B, A, 'create table orders (id int primary key);\n', 'drop table orders;\n'),
};
const { db, project, run } = await projectWithDatabase('operational', files);
const it = db ? test : test.skip;
const LOCK_CLASS = 1398035009;

function noStack(result: CliResult): void {
  expectNoText(result.output, '    at ', '[object Object]', 'Error:');
}

function jsonProblem(result: CliResult): { reason: string; code: string; message: string; hint: string } {
  const report = JSON.parse(result.stdout) as { ok: boolean; reason: string; problems: Array<{ code: string; message: string; hint: string }> };
  assert.is(report.ok, false);
  return { reason: report.reason, ...report.problems[0]! };
}

/** Another session holding strata's run lock for `ms`. */
async function holdRunLock(ms: number, schema = 'strata'): Promise<{ done: Promise<void> }> {
  const client = new pg.Client({ connectionString: db!.url });
  await client.connect();
  await client.query('set statement_timeout = 0');
  await client.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
  const done = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(() => client.end());
  return { done };
}

test('flag values that look like numbers are text: --schema 123, --dir 2026, --database-url 5', async () => {
  const dir = await runCli(['status', '--dir', '2026'], { cwd: project.dir, env: db ? { DATABASE_URL: db.url } : {} });
  expectExit(dir, 2);
  expectText(dir.output, 'migrations folder 2026 does not exist');
  noStack(dir);
  const url = await runCli(['status', '--database-url', '5', '--json'], { cwd: project.dir });
  expectExit(url, 2);
  assert.equal([jsonProblem(url).reason, jsonProblem(url).code], ['invalid', 'CONFIG_INVALID']);
  noStack(url);
});

it('an empty flag value (--schema "$UNSET") is no value, as an empty variable is: not the number 0 read as the text "0"', async () => {
  const status = await run('status', '--schema', '', '--dir', '', '--json');
  expectExit(status, 0);
  assert.is((JSON.parse(status.stdout) as { schema: string }).schema, 'strata');
  const up = await run('up', '--schema', '');
  expectExit(up, 0);
  const schemas = await db!.query<{ name: string }>("select nspname as name from pg_namespace where nspname in ('0', 'strata') order by 1");
  assert.equal(schemas.map((r) => r.name), ['strata'], 'no schema named 0');
  const url = await run('status', '--database-url', '');
  expectNoText(url.output, "got '0'");
  const timeout = await run('status', '--lock-timeout', '');
  expectExit(timeout, 2);
  expectText(timeout.stderr, "lock timeout '' is not a number of seconds");
});

it('a URL without a user connects as psql does, as the operating system user, also with USER unset (cron, systemd, containers)', async () => {
  const url = new URL(db!.url);
  url.username = '';
  url.password = '';
  const osUser = os.userInfo().username;
  const result = await runCli(['status'], { cwd: project.dir, env: { DATABASE_URL: url.toString(), USER: undefined, LOGNAME: undefined, PGUSER: undefined } });
  expectNoText(result.output, 'no PostgreSQL user name');
  // the server knows that role (a trust login), or says it does not: either way it was asked for it
  if (result.code !== 0) expectText(result.output, `role "${osUser}" does not exist`);
  noStack(result);
});

it('a Transaction: off revision with CREATE INDEX CONCURRENTLY inside its own BEGIN ... COMMIT is refused before its first statement runs', async () => {
  const C = '20261103090000_index_orders';
  const body = 'create table notes (id int);\nbegin;\ncreate index concurrently notes_id on notes (id);\ncommit;\n';
  for (const [rel, text] of Object.entries(revisionFiles(C, B, body, 'drop table notes;\n', ['--! Transaction: off']))) project.write(rel, text);
  try {
    const result = await run('up', '--no-lint');
    expectExit(result, 2);
    expectText(result.stderr, `migrations/${C}/up.sql:6:1: error: CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and the block opened at line 5 (BEGIN) is still open here`);
    const found = await db!.query<{ n: number }>("select count(*)::int as n from pg_class where relname in ('customers', 'orders', 'notes')");
    assert.is(found[0]!.n, 0, 'nothing ran, not even the revisions before it');
  } finally {
    rmSync(path.join(project.dir, 'migrations', C), { recursive: true, force: true });
  }
});

it('a Transaction: off revision failing at statement 2 says statement 1 (not "statements 1–1"), failing and resuming', async () => {
  const C = '20261103090000_notes';
  const write = (body: string) => {
    for (const [rel, text] of Object.entries(revisionFiles(C, B, body, 'drop table notes;\n', ['--! Transaction: off']))) project.write(rel, text);
  };
  write('create table notes (id int);\nselect 1/0;\n');
  try {
    const failed = await run('up');
    expectExit(failed, 1);
    expectText(failed.stderr, 'strata up resumes it at statement 2 once the cause is fixed, after checking that statement 1 is unchanged (it is not run again)');
    write('create table notes (id int);\nselect 1;\n');
    const resumed = await run('up');
    expectExit(resumed, 0);
    expectText(resumed.stderr, `resuming ${C} at statement 2 of 2 (line 5): statement 1 took effect in an earlier run`);
    expectNoText(resumed.output + failed.output, '1–1');
  } finally {
    rmSync(path.join(project.dir, 'migrations', C), { recursive: true, force: true });
  }
});

it('stamp of a revision whose Transaction: off down.sql stopped part way removes its record and forgets that progress', async () => {
  const C = '20261103090000_notes';
  for (const [rel, text] of Object.entries(revisionFiles(C, B, 'create table notes (id int);\ncreate table notes2 (id int);\n', '--! Transaction: off\n\ndrop table notes2;\nselect 1/0;\ndrop table notes;\n'))) project.write(rel, text);
  try {
    expectExit(await run('up'), 0);
    expectExit(await run('down'), 1);
    const stamped = await run('stamp', '-1');
    expectExit(stamped, 0);
    expectText(stamped.stderr, `${C}: 1 of 3 statements of its down.sql took effect in an earlier run`, 'stamp removes its record without running the rest, and forgets that progress');
    expectNoText(stamped.output, 'it is a transactional revision now', 'Transaction: off');
    const status = await run('status');
    expectNoText(status.stdout, 'partial');
    assert.equal(await db!.query('select 1 from strata.progress'), []);
  } finally {
    rmSync(path.join(project.dir, 'migrations', C), { recursive: true, force: true });
  }
});

it('--schema 123 is a schema named 123', async () => {
  const result = await run('up', '--schema', '123');
  expectExit(result, 0);
  assert.equal((await db!.query<{ id: string }>('select id from "123".revisions order by id')).map((r) => r.id), [A, B]);
});

test('a tracking schema name is limited to 63 bytes, not characters', async () => {
  for (const [name, isAllowed] of [['é'.repeat(31), true], ['é'.repeat(32), false], ['日'.repeat(21), true], ['日'.repeat(22), false], ['a'.repeat(64), false]] as const) {
    const result = await runCli(['sql', 'up', '--from', 'base', '--schema', name], { cwd: project.dir });
    if (isAllowed) {
      expectExit(result, 0, `${name.length} x ${name[0]}`);
    } else {
      expectExit(result, 2, `${name.length} x ${name[0]}`);
      expectText(result.stderr, `bytes in UTF-8 (${[...name].length} characters); PostgreSQL's limit is 63 bytes`);
    }
  }
});

it('a tracking schema of PostgreSQL\'s own (pg_catalog, pg_temp, information_schema) is refused before anything opens', async () => {
  for (const name of ['pg_catalog', 'pg_temp', 'pg_mine', 'information_schema']) {
    const result = await run('up', '--schema', name);
    expectExit(result, 2, name);
    expectText(result.stderr, `tracking schema '${name}' is `, "strata's tables cannot go there", 'choose another --schema / STRATA_SCHEMA');
    expectNoText(result.stderr, 'strata: postgres://');
  }
  assert.equal(await db!.query("select table_schema from information_schema.tables where table_name = 'revisions'"), []);
});

it('a role without rights on the tracking schema: DATABASE_ERROR with the grants to give, exit 1', async () => {
  expectExit(await run('up'), 0);
  const role = `strata_weak_${process.pid}`;
  await db!.query(`drop role if exists ${role}`);
  await db!.query(`create role ${role} login`);
  try {
    const url = new URL(db!.url);
    url.username = role;
    for (const args of [['status'], ['up'], ['log']]) {
      const result = await runCli([...args, '--json'], { cwd: project.dir, env: { DATABASE_URL: url.toString() } });
      expectExit(result, 1, args[0]);
      const p = jsonProblem(result);
      assert.equal([p.reason, p.code], ['unavailable', 'DATABASE_ERROR'], args[0]);
      assert.match(p.message, 'permission denied');
      assert.match(p.hint, 'grant all on schema strata to <role>');
      noStack(result);
    }
  } finally {
    await db!.query(`drop owned by ${role}`);
    await db!.query(`drop role ${role}`);
  }
});

it('a statement_timeout set on the database does not cut the wait for the run lock short: --lock-timeout does', async () => {
  await db!.query(`alter database ${db!.name} set statement_timeout = '200ms'`);
  try {
    const lock = await holdRunLock(1200);
    const result = await run('up');
    await lock.done;
    expectExit(result, 0);
    expectText(result.stderr, 'waiting up to 60 s for the migration lock', 'got the lock after');
    // the session's own statement_timeout is back for the revisions
    const timed = await holdRunLock(1500);
    const bounded = await run('down', 'base', '--lock-timeout', '0.5');
    await timed.done;
    expectExit(bounded, 1);
    expectText(bounded.stderr, 'migration lock');
    noStack(bounded);
  } finally {
    await db!.query(`alter database ${db!.name} reset statement_timeout`);
  }
});

it('the waiting session terminated by an administrator: a problem that says so, exit 1', async () => {
  const lock = await holdRunLock(3000);
  const running = run('up', '--json');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const [row] = await admin.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'strata' and wait_event_type = 'Lock'`, [db!.name]).then((r) => r.rows);
      if (row!.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'strata'`, [db!.name]);
  } finally {
    await admin.end();
  }
  const result = await running;
  await lock.done;
  expectExit(result, 1);
  const p = jsonProblem(result);
  assert.equal(p.reason, 'unavailable');
  assert.match(p.hint, 'pg_terminate_backend');
  noStack(result);
});

test('SQL nested too deeply for the parser: SQL_TOO_DEEP at file:line, exit 2', async () => {
  const deep = { ...files, ...revisionFiles('20261103090000_deep', B, `select 1${' + 1'.repeat(100_000)};\n`, '') };
  const p = await import('../helpers/harness.js').then((h) => h.makeProject(deep));
  try {
    const result = await runCli(['sql', 'up', '--from', 'base'], { cwd: p.dir });
    expectExit(result, 2);
    expectText(result.stderr, 'migrations/20261103090000_deep/up.sql:3:1: error: this SQL nests too deeply', 'write it flatter');
    noStack(result);
  } finally {
    p.remove();
  }
});

test('COPY ... FROM STDIN is refused before anything runs, on a server and on the embedded database; other COPYs are not', async () => {
  const shapes: Array<[string, string, boolean]> = [
    ['plain', 'copy customers from stdin;\n', true],
    ['with options', 'COPY public.customers (id) FROM STDIN WITH (FORMAT csv, HEADER true);\n', true],
    ['pg_dump style, rows inline', 'COPY public.customers (id) FROM stdin;\n1\n2\n\\.\n', true],
    ['Transaction: off', 'copy customers from stdin;\n', true],
    ['to stdout', 'copy (select 1) to stdout;\n', false],
  ];
  for (const [what, sql, isRefused] of shapes) {
    const header = what === 'Transaction: off' ? ['--! Transaction: off'] : [];
    const p = (await import('../helpers/harness.js')).makeProject({ ...files, ...revisionFiles('20261103090000_load', B, sql, '', header) });
    try {
      for (const env of [db ? { DATABASE_URL: db.url } : undefined, {}]) {
        if (!env) continue;
        const result = await runCli(['up'], { cwd: p.dir, env, timeoutMs: 60_000 });
        const where = `${what} on ${'DATABASE_URL' in env ? 'the server' : 'the embedded database'}`;
        if (isRefused) {
          expectExit(result, 2, where);
          expectText(result.stderr, 'migrations/20261103090000_load/up.sql:', 'FROM STDIN', 'INSERT ... VALUES');
          expectNoText(result.stdout, 'applied');
        } else {
          expectExit(result, 0, where);
        }
        noStack(result);
      }
    } finally {
      p.remove();
      if (db) await db.query('drop schema if exists strata cascade; drop table if exists customers, orders');
    }
  }
});

it('syntax newer than the server (PostgreSQL 15 here) is refused before anything runs; the embedded PostgreSQL 18 takes it', async () => {
  const [server] = await db!.query<{ num: string }>(`select current_setting('server_version_num') as num`);
  const major = Math.floor(Number(server!.num) / 10000);
  assert.is(major, 15, 'these cases are written for a PostgreSQL 15 server');
  const newer: Array<[string, string]> = [
    ['JSON_OBJECT with key: value (16)', "select json_object('a': 1);\n"],
    ['MERGE ... RETURNING (17)', 'create table m (id int);\nmerge into m using (select 1 as id) s on m.id = s.id when matched then delete returning *;\n'],
    ['WITHOUT OVERLAPS (18)', 'create extension if not exists btree_gist;\ncreate table w (id int, during tstzrange, primary key (id, during without overlaps));\n'],
  ];
  for (const [what, sql] of newer) {
    const p = (await import('../helpers/harness.js')).makeProject({ ...files, ...revisionFiles('20261103090000_newer', B, sql, '') });
    try {
      const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
      expectExit(result, 2, what);
      expectText(result.stderr, 'migrations/20261103090000_newer/up.sql:', "PostgreSQL 15, the server's version, does not have this syntax", '   > ');
      assert.equal((await db!.query('select 1 from pg_namespace where nspname = $1', ['strata'])).length, 0, `${what}: nothing ran, not even the revisions before it`);
      // strata sql planned against the server checks the same
      expectExit(await runCli(['sql', 'up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } }), 2, `${what}: sql up`);
      // without a server to ask (--from base) the grammar is 18's
      expectExit(await runCli(['sql', 'up', '--from', 'base'], { cwd: p.dir }), 0, `${what}: sql up --from base`);
      if (what.startsWith('JSON')) expectExit(await runCli(['up'], { cwd: p.dir, timeoutMs: 60_000 }), 0, `${what}: on the embedded PostgreSQL 18`);
    } finally {
      p.remove();
    }
  }
});

test.run();
