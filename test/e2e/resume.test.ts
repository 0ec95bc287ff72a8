import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedIds, expectExit, expectText, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';
import { spawnCli, type TestDatabase } from '../helpers/harness.js';

/**
 * Resume: a Transaction: off revision that failed at statement k records which statements took
 * effect; the next up continues at k (each statement runs exactly once), refuses when an applied
 * statement changed, drops and rebuilds the INVALID index a failed CREATE INDEX CONCURRENTLY left.
 * The revision's statement 5 reads `gate`, which the test holds locked, so the run waits there for
 * as long as the test wants: its connection is terminated, or the CLI killed, at statement 5.
 */
const R1 = '20261101090000_create_log';
const R2 = '20261102090000_fill_log';
const R3 = '20261103090000_unique_dup';

/** log's primary key makes any statement that runs twice fail */
const TEN = [
  'insert into log values (1);',
  'insert into log values (2);',
  'create table made_by_3 (id int);',
  'insert into log values (4);',
  'insert into log select 5 from gate;',
  'insert into log values (6);',
  'create table made_by_7 (id int);',
  'insert into log values (8);',
  'insert into log values (9);',
  'insert into log values (10);',
];
const HISTORY = {
  ...revisionFiles(R1, 'base', 'create table log (n int primary key);\ncreate table gate (id int);\ninsert into gate values (1);\ncreate table dup (x int);\n',
    'drop table dup;\ndrop table gate;\ndrop table log;\n'),
  ...revisionFiles(R2, R1, `${TEN.join('\n')}\n`, 'drop table made_by_7;\ndrop table made_by_3;\ndelete from log;\n', ['--! Transaction: off']),
};
const R3_FILES = revisionFiles(R3, R2, 'create unique index concurrently dup_x on dup (x);\ninsert into log values (11);\n', 'drop index dup_x;\n', ['--! Transaction: off']);
/** the line of statement k (1-based) of R2: after the Parent and Transaction lines and a blank one */
const lineOf = (k: number) => 3 + k;

const { db, project, env, run } = await projectWithDatabase('resume', HISTORY);

async function connect(database: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  client.on('error', () => {});
  return client;
}

/** Holds gate locked until released, so that statement 5 waits. */
async function lockGate(database: TestDatabase): Promise<{ release(): Promise<void> }> {
  const holder = await connect(database);
  await holder.query('begin');
  await holder.query('lock table gate in access exclusive mode');
  return { release: async () => { await holder.query('commit').catch(() => {}); await holder.end(); } };
}

/** The server process waiting for gate: strata's run connection at statement 5. */
async function waiterOnGate(database: TestDatabase): Promise<number> {
  for (let i = 0; i < 3000; i++) {
    const rows = await database.query<{ pid: number }>("select pid from pg_locks where relation = 'gate'::regclass and not granted");
    if (rows[0]) return rows[0].pid;
    await sleep(10);
  }
  throw new Error('nobody waited for gate');
}

async function logged(database: TestDatabase): Promise<number[]> {
  return (await database.query<{ n: number }>('select n from log order by n')).map((r) => r.n);
}

/** Starts up, waits until it is at statement 5, then does `stop` to it; gives its result. */
async function upStoppedAtFive(database: TestDatabase, stop: (pid: number, cli: ReturnType<typeof spawnCli>) => Promise<void>, args: string[] = []) {
  expectExit(await run('up', R1), 0);
  const gate = await lockGate(database);
  const up = spawnCli(['up', ...args], { cwd: project.dir, env, timeoutMs: 60_000 });
  try {
    const pid = await waiterOnGate(database);
    await stop(pid, up);
    return await up.result;
  } finally {
    await gate.release();
  }
}

const terminate = async (pid: number) => {
  await db!.query('select pg_terminate_backend($1)', [pid]);
};

(db ? test : test.skip)('the connection ended at statement 5 of 10: status shows it partial, the next up runs 5 to 10, each statement once', async () => {
  const failed = await upStoppedAtFive(db!, terminate);
  expectExit(failed, 1);
  expectText(failed.stderr, `migrations/${R2}/up.sql:${lineOf(5)}`, 'statements 1–4 of 10', `strata up resumes it at statement 5`);
  assert.equal(await logged(db!), [1, 2, 4]);
  assert.equal(await appliedIds(db!), [R1]);

  const status = await run('status');
  expectText(status.stdout, `${R2}`, 'partial: 4 of 10 statements applied; strata up resumes at statement 5');
  const json = JSON.parse((await run('status', '--json')).stdout) as { revisions: Array<{ id: string; state: string; partial: unknown }> };
  const partial = json.revisions.find((r) => r.id === R2)!;
  assert.is(partial.state, 'pending');
  assert.equal({ ...(partial.partial as object), updatedAt: 'x' }, { direction: 'up', done: 4, statementCount: 10, failedAt: 5, updatedAt: 'x' });

  // the revisions before it cannot be reverted under it
  const down = await run('down');
  expectExit(down, 2);
  expectText(down.stderr, `${R2} is partly applied (4 of 10 statements took effect)`, 'finish it first with strata up');

  const resumed = await run('up');
  expectExit(resumed, 0);
  expectText(resumed.stderr, `resuming ${R2} at statement 5 of 10 (line ${lineOf(5)}): statements 1–4 took effect in an earlier run`);
  assert.equal(await logged(db!), [1, 2, 4, 5, 6, 8, 9, 10]);
  assert.equal(await appliedIds(db!), [R1, R2]);
  const [made] = await db!.query<{ n: number }>("select count(*)::int as n from pg_class where relname in ('made_by_3', 'made_by_7')");
  assert.is(made!.n, 2);
  const [rows] = await db!.query<{ n: number }>('select count(*)::int as n from strata.progress');
  assert.is(rows!.n, 0, 'the progress went with the record');
  expectText((await run('status')).stdout, `applied  ${R2}`);
});

(db ? test : test.skip)('an applied statement edited since: refused, naming it and how to go on; restored: it resumes', async () => {
  expectExit(await upStoppedAtFive(db!, terminate), 1);
  const original = HISTORY[`migrations/${R2}/up.sql`]!;
  project.write(`migrations/${R2}/up.sql`, original.replace('insert into log values (2);', 'insert into log values (20);'));
  try {
    const refused = await run('up');
    expectExit(refused, 2);
    expectText(refused.stderr, `migrations/${R2}/up.sql:${lineOf(2)}`, 'statement 2 (line 5) is not the text that ran then', '--resume-at 1');
    assert.equal(await logged(db!), [1, 2, 4], 'nothing ran');
  } finally {
    project.write(`migrations/${R2}/up.sql`, original);
  }
  expectExit(await run('up'), 0);
  assert.equal(await logged(db!), [1, 2, 4, 5, 6, 8, 9, 10]);
});

(db ? test : test.skip)('the CLI killed at statement 5: refused while its statement may still run, then asked what became of it; --resume-at goes on', async () => {
  expectExit(await run('up', R1), 0);
  const gate = await lockGate(db!);
  let serverPid: number;
  try {
    const up = spawnCli(['up'], { cwd: project.dir, env, timeoutMs: 60_000 });
    serverPid = await waiterOnGate(db!);
    up.kill('SIGKILL');
    await up.exited;
    // the server still runs statement 5 for the dead client: it waits for gate
    const running = await run('up');
    expectExit(running, 1);
    expectText(running.stderr, `migrations/${R2}/up.sql:${lineOf(5)}`, `pid ${serverPid}`, 'may still be running it', 'pg_cancel_backend');
  } finally {
    await gate.release();
  }
  // gate free, the dead client's statement 5 finishes (and commits) on the server, which then notices the client is gone
  const isThere = async () => (await db!.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where pid = $1', [serverPid]))[0]!.n > 0;
  for (let i = 0; i < 1000 && await isThere(); i++) await sleep(10);
  const unknown = await run('up');
  expectExit(unknown, 2);
  expectText(unknown.stderr, `migrations/${R2}/up.sql:${lineOf(5)}`, 'what became of statement 5', 'strata up --resume-at 6', 'strata up --resume-at 5');
  assert.equal(await logged(db!), [1, 2, 4, 5], 'statement 5 took effect after all: the user finds it and goes on at 6');
  const resumed = await run('up', '--resume-at', '6');
  expectExit(resumed, 0);
  expectText(resumed.stderr, `resuming ${R2} at statement 6 of 10`);
  assert.equal(await logged(db!), [1, 2, 4, 5, 6, 8, 9, 10]);
  assert.equal(await appliedIds(db!), [R1, R2]);
});

(db ? test : test.skip)('a failed CREATE INDEX CONCURRENTLY leaves an INVALID index: said so; the resume drops it and builds it again', async () => {
  project.write(`migrations/${R3}/up.sql`, R3_FILES[`migrations/${R3}/up.sql`]!);
  project.write(`migrations/${R3}/down.sql`, R3_FILES[`migrations/${R3}/down.sql`]!);
  try {
    expectExit(await run('up', R2), 0);
    await db!.query('insert into dup values (1), (1)');
    const failed = await run('up');
    expectExit(failed, 1);
    expectText(failed.stderr, 'INVALID index dup_x', 'strata up drops it');
    const [invalid] = await db!.query<{ valid: boolean }>("select indisvalid as valid from pg_index where indexrelid = 'dup_x'::regclass");
    assert.is(invalid!.valid, false);
    await db!.query('delete from dup');
    const resumed = await run('up');
    expectExit(resumed, 0);
    expectText(resumed.stderr, 'an INVALID index left by its CREATE INDEX CONCURRENTLY is dropped and built again');
    const indexes = await db!.query<{ valid: boolean }>("select i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'dup_x'");
    assert.equal(indexes.map((r) => r.valid), [true]);
    assert.ok((await logged(db!)).includes(11));
  } finally {
    project.write(`migrations/${R3}/up.sql`, '');
    (await import('node:fs')).rmSync(`${project.dir}/migrations/${R3}`, { recursive: true, force: true });
  }
});

test.run();
