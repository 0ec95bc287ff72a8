import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { generateHistory, revisionId, writeHistory } from '../helpers/history.js';

// Quick revisions after the first go to the server several per message. A failure deep inside such a
// batch must still name its own revision, line and column, and leave exactly the revisions before it
// applied; SQL the server's older grammar cannot parse is refused before anything runs.
const db = await createTestDatabase('batch');

test.after(async () => {
  await db?.drop();
});

async function reset(): Promise<void> {
  await db!.query('drop schema if exists strata cascade; drop schema public cascade; create schema public');
}

async function recorded(): Promise<string[]> {
  return (await db!.query<{ id: string }>('select id from strata.revisions order by id')).map((r) => r.id);
}

function project(failAt: number, failing: string) {
  const p = makeProject();
  writeHistory(p.dir, generateHistory(12, (i) => ({
    up: i === failAt ? failing : `create table quick${i} (id int);\n`,
    down: i === failAt ? '' : `drop table quick${i};\n`,
  })));
  return p;
}

(db ? test : test.skip)('a failure in the middle of a batch names its revision and column; the revisions before it stay applied', async () => {
  await reset();
  const p = project(9, "create table quick9 (id int);\n-- prix en €, naïve 😀\nselect 'é😀', nocol from quick9;\n");
  try {
    const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
    assert.is(result.code, 1, result.output);
    // header: Parent, Message, blank line; the select is line 6; "select 'é😀', " is 13 code points
    assert.match(result.stderr, `migrations/${revisionId(9)}/up.sql:6:14: error 42703: column "nocol" does not exist`);
    assert.match(result.stderr, `the database is as it was before ${revisionId(9)}`);
    assert.equal(await recorded(), Array.from({ length: 8 }, (_, i) => revisionId(i + 1)));
    const tables = await db!.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname = 'public'");
    assert.is(tables[0]!.n, 8, 'quick9 was rolled back with its revision');
  } finally {
    p.remove();
  }
});

(db ? test : test.skip)('SQL only a newer server parses is refused before any revision of the batch runs', async () => {
  const version = await db!.query<{ v: number }>("select current_setting('server_version_num')::int as v");
  if (version[0]!.v >= 180000) {
    console.warn('SKIP: the server parses PostgreSQL 18 syntax; this case needs an older server');
    return;
  }
  await reset();
  // NOT ENFORCED is PostgreSQL 18 grammar: libpg-query (18) accepts it, a 15 server does not, and the
  // check with the server's own grammar says so before anything runs (once, the message the server
  // refused as a whole was split and retried one revision at a time, after six had been applied)
  const p = project(7, 'create table quick7 (id int, constraint positive check (id > 0) not enforced);\n');
  try {
    const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
    assert.is(result.code, 2, result.output);
    assert.match(result.stderr, `migrations/${revisionId(7)}/up.sql:4:69: error: syntax error at or near "enforced": PostgreSQL 15, the server's version, does not have this syntax`);
    assert.equal((await db!.query("select 1 from pg_namespace where nspname = 'strata'")).length, 0, 'nothing ran');
  } finally {
    p.remove();
  }
});

async function recordedDurations(): Promise<Map<string, number>> {
  const rows = await db!.query<{ id: string; ms: number }>('select id, duration_ms as ms from strata.revisions');
  return new Map(rows.map((r) => [r.id, r.ms]));
}

// now() is when the server began the message (or the transaction): revisions after the first of a batch
// or of --single-transaction must not count the time of the ones before them as theirs
for (const flags of [[], ['--single-transaction']]) {
  (db ? test : test.skip)(`each revision records and prints its own duration, not the time since its message began (${flags.join(' ') || 'batched'})`, async () => {
    await reset();
    const p = makeProject();
    writeHistory(p.dir, generateHistory(12, (i) => ({
      up: i === 10 ? 'select pg_sleep(0.8);\n' : `create table quick${i} (id int);\n`,
      down: i === 10 ? '' : `drop table quick${i};\n`,
    })));
    try {
      const result = await runCli(['up', ...flags], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
      assert.is(result.code, 0, result.output);
      const durations = await recordedDurations();
      assert.ok(durations.get(revisionId(10))! >= 800, `the sleep is recorded: ${durations.get(revisionId(10))}`);
      for (const i of [11, 12]) {
        assert.ok(durations.get(revisionId(i))! < 400, `${revisionId(i)} recorded ${durations.get(revisionId(i))} ms`);
        const printed = new RegExp(`applied  ${revisionId(i)} (\\d+) ms`).exec(result.stdout);
        assert.ok(printed && Number(printed[1]) < 400, `${revisionId(i)} printed: ${result.stdout}`);
      }
      const events = await db!.query<{ ms: number }>(`select duration_ms as ms from strata.events where revision_id = '${revisionId(12)}'`);
      assert.ok(events[0]!.ms < 400, `its event: ${events[0]!.ms} ms`);
    } finally {
      p.remove();
    }
  });
}

test.run();
