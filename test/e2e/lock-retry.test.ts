import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedIds, events, expectExit, expectText, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';
import { spawnCli, type TestDatabase } from '../helpers/harness.js';

/**
 * --lock-timeout-ddl with --retries: a revision whose DDL cannot get its lock gives up after the
 * timeout (so the queries queued behind its request go on), is rolled back and tried again.
 * Another connection holds a conflicting lock; a third one reads the table in a loop and records
 * its longest wait.
 */
const R1 = '20261101090000_create_accounts';
const R2 = '20261102090000_create_a';
const R3 = '20261103090000_create_b';
const R4 = '20261104090000_add_note';
const R5 = '20261105090000_create_c';
const OFF = '20261106090000_off_add_flag';

const HISTORY = {
  ...revisionFiles(R1, 'base', 'create table accounts (id int primary key);\ninsert into accounts select generate_series(1, 100);\n', 'drop table accounts;\n'),
  ...revisionFiles(R2, R1, 'create table a (id int);\n', 'drop table a;\n'),
  ...revisionFiles(R3, R2, 'create table b (id int);\n', 'drop table b;\n'),
  ...revisionFiles(R4, R3, 'create table note_log (n int);\ninsert into note_log values (1);\nalter table accounts add column note text;\n', 'alter table accounts drop column note;\ndrop table note_log;\n'),
  ...revisionFiles(R5, R4, 'create table c (id int);\n', 'drop table c;\n'),
};
const OFF_FILES = revisionFiles(OFF, R5, 'create table off_log (n int);\ninsert into off_log values (1);\nalter table accounts add column flag boolean;\ninsert into off_log values (3);\n',
  'alter table accounts drop column flag;\ndrop table off_log;\n', ['--! Transaction: off']);

const { db, project, env, run } = await projectWithDatabase('lock_retry', HISTORY);

async function connect(database: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  client.on('error', () => {});
  return client;
}

/** A session that holds ACCESS SHARE on accounts (an open transaction that read it) until released. */
async function holdAccounts(database: TestDatabase): Promise<{ release(): Promise<void> }> {
  const holder = await connect(database);
  await holder.query('begin');
  await holder.query('select count(*) from accounts');
  return {
    release: async () => {
      await holder.query('commit').catch(() => {});
      await holder.end();
    },
  };
}

/** A reader that selects from accounts in a loop until stopped; gives its longest wait in ms. */
async function readInLoop(database: TestDatabase): Promise<{ stop(): Promise<number> }> {
  const reader = await connect(database);
  let longest = 0;
  let isRunning = true;
  const loop = (async () => {
    while (isRunning) {
      const started = performance.now();
      await reader.query('select count(*) from accounts');
      longest = Math.max(longest, performance.now() - started);
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      isRunning = false;
      await loop;
      await reader.end();
      return longest;
    },
  };
}

/** Resolves once a session waits for a lock on accounts (the run's ALTER TABLE has reached it). */
async function someoneWaitsForAccounts(database: TestDatabase): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    const [waiting] = await database.query<{ n: number }>("select count(*)::int as n from pg_locks where relation = 'accounts'::regclass and not granted");
    if (waiting!.n > 0) return;
    await sleep(10);
  }
  throw new Error('nobody waited for a lock on accounts');
}

/**
 * `strata up <args>` while another session holds accounts: it is released `holdMs` after the
 * run's ALTER TABLE first waits for it; the reader runs all along.
 */
async function upWhileHeld(database: TestDatabase, args: string[], holdMs: number) {
  const held = await holdAccounts(database);
  const reader = await readInLoop(database);
  const up = spawnCli(['up', ...args], { cwd: project.dir, env, timeoutMs: 60_000 });
  try {
    await someoneWaitsForAccounts(database);
    await sleep(holdMs);
  } finally {
    await held.release();
  }
  const result = await up.result;
  const longestWaitMs = await reader.stop();
  return { result, longestWaitMs };
}

(db ? test : test.skip)('strata sql shows the timeouts; bad values are refused before anything runs', async () => {
  const script = await run('sql', 'up', '--from', 'base', '--lock-timeout-ddl', '300ms', '--statement-timeout', '1.5s');
  expectExit(script, 0);
  expectText(script.stdout, "begin;\nset local lock_timeout = '300ms';\nset local statement_timeout = '1500ms';\n\ncreate table accounts");
  const noUnit = await run('up', '--lock-timeout-ddl', '5');
  expectExit(noUnit, 2);
  expectText(noUnit.stderr, "--lock-timeout-ddl '5' is not a duration", 'ms, s or min');
  const retries = await run('up', '--retries', 'many');
  expectExit(retries, 2);
  expectText(retries.stderr, "--retries 'many'");
  assert.equal(await appliedIds(db!), [], 'nothing ran');
});

(db ? test : test.skip)('without --lock-timeout-ddl, the reader is queued behind the waiting ALTER TABLE (the measurement is real)', async () => {
  expectExit(await run('up', R3), 0);
  const { result, longestWaitMs } = await upWhileHeld(db!, [R4], 1500);
  expectExit(result, 0);
  assert.ok(longestWaitMs > 1300, `the reader waited ${Math.round(longestWaitMs)} ms: behind the ALTER TABLE that waited for the lock`);
});

(db ? test : test.skip)('a revision that cannot get its lock gives up after the timeout, is retried alone, and succeeds; readers are never blocked long', async () => {
  expectExit(await run('up', R1), 0);
  const { result, longestWaitMs } = await upWhileHeld(db!, ['--lock-timeout-ddl', '300ms', '--retries', '8'], 1500);
  expectExit(result, 0);
  expectText(result.stderr, `migrations/${R4}/up.sql:5: ALTER TABLE of ${R4} gave up waiting for a lock (lock_timeout 300ms); waiting `, 'before attempt 2 of 9');
  assert.ok(longestWaitMs < 1200, `the reader's longest wait was ${Math.round(longestWaitMs)} ms (lock_timeout 300 ms)`);
  assert.equal(await appliedIds(db!), [R1, R2, R3, R4, R5]);
  // R4 ran with R3 and R5 in messages of several revisions: each applied exactly once
  const log = await db!.query<{ n: number }>('select n from note_log');
  assert.equal(log.map((r) => r.n), [1]);
  const ups = (await events(db!)).filter((e) => e.action === 'up');
  assert.equal(ups.map((e) => [e.revision_id, e.ok]), [R1, R2, R3, R4, R5].map((id) => [id, true]));
});

(db ? test : test.skip)('with the lock held past every retry: exit 1, the revision and statement named, nothing of it applied, earlier ones kept', async () => {
  expectExit(await run('up', R1), 0);
  const held = await holdAccounts(db!);
  try {
    const result = await run('up', '--lock-timeout-ddl', '200ms', '--retries', '2', '--json');
    expectExit(result, 1);
    const report = JSON.parse(result.stdout) as { reason: string; failure: { id: string; file: string; line: number; sqlstate: string; attempts: number; effects: string; hint: string } };
    assert.is(report.reason, 'failed');
    assert.is(report.failure.id, R4);
    assert.is(report.failure.file, `migrations/${R4}/up.sql`);
    assert.is(report.failure.line, 5);
    assert.is(report.failure.sqlstate, '55P03');
    assert.is(report.failure.attempts, 3);
    expectText(report.failure.effects, `the database is as it was before ${R4}`, 'it was tried 3 times', 'lock_timeout 200ms');
    expectText(report.failure.hint, 'pg_blocking_pids', '--retries');
    const text = await run('up', '--lock-timeout-ddl', '200ms');
    expectExit(text, 1);
    expectText(text.stderr, `migrations/${R4}/up.sql:5`, '55P03', 'lock timeout');
  } finally {
    await held.release();
  }
  assert.equal(await appliedIds(db!), [R1, R2, R3]);
  const [table] = await db!.query<{ found: boolean }>("select to_regclass('note_log') is not null as found");
  assert.is(table!.found, false, 'nothing of R4 is left');
  const [column] = await db!.query<{ n: number }>("select count(*)::int as n from pg_attribute where attrelid = 'accounts'::regclass and attname = 'note'");
  assert.is(column!.n, 0);
});

(db ? test : test.skip)('Transaction: off: the statement that timed out is retried, the ones before it are not run again', async () => {
  project.write(`migrations/${OFF}/up.sql`, OFF_FILES[`migrations/${OFF}/up.sql`]!);
  project.write(`migrations/${OFF}/down.sql`, OFF_FILES[`migrations/${OFF}/down.sql`]!);
  try {
    expectExit(await run('up', R5), 0);
    const script = await run('sql', 'up', '--lock-timeout-ddl', '300ms');
    expectText(script.stdout, "set lock_timeout = '300ms';\n\ncreate table off_log");
    const { result, longestWaitMs } = await upWhileHeld(db!, ['--lock-timeout-ddl', '300ms', '--retries', '8'], 1500);
    expectExit(result, 0);
    expectText(result.stderr, `migrations/${OFF}/up.sql:6: ALTER TABLE of ${OFF} gave up waiting for a lock (lock_timeout 300ms)`);
    assert.ok(longestWaitMs < 1200, `the reader's longest wait was ${Math.round(longestWaitMs)} ms`);
    assert.equal((await db!.query<{ n: number }>('select n from off_log order by n')).map((r) => r.n), [1, 3]);
    assert.ok((await appliedIds(db!)).includes(OFF));
  } finally {
    rmSync(path.join(project.dir, 'migrations', OFF), { recursive: true, force: true });
  }
});

test.run();
