import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { connectPostgres } from '../../src/db/pg-database.js';
import { runPipeline } from '../../src/executor/run.js';
import { planners } from '../../src/plan/planners.js';
import { loadRevisions } from '../../src/revision/load-revisions.js';
import { LOCK_CLASS } from '../../src/executor/advisory-lock.js';
import { createTestDatabase, makeProject, runCli, type CliResult } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';

const REVISIONS = 30;
const RUNNERS = 8;

const db = await createTestDatabase('concurrency');
const project = makeProject();
// Each revision sleeps a little so that the runs certainly overlap: the first runner holds the
// lock for at least 30 × 50 ms while the other seven start.
writeHistory(project.dir, generateHistory(REVISIONS, (i) => ({
  up: `create table t${i} (id int primary key, note text);\ncreate index t${i}_note on t${i} (note);\nselect pg_sleep(0.05);\n`,
  down: `drop table t${i};\n`,
})));

test.after(async () => {
  project.remove();
  await db?.drop();
});

(db ? test : test.skip)(`${RUNNERS} simultaneous 'strata up' apply every revision exactly once`, async () => {
  const env = { DATABASE_URL: db!.url };
  const results: CliResult[] = await Promise.all(Array.from({ length: RUNNERS }, () => runCli(['up'], { cwd: project.dir, env })));

  for (const [i, r] of results.entries()) assert.is(r.code, 0, `runner ${i + 1} exited ${r.code}:\n${r.output}`);

  const revisions = await db!.query<{ id: string }>('select id from strata.revisions order by id');
  assert.is(revisions.length, REVISIONS);
  const events = await db!.query<{ action: string; ok: boolean; n: number }>(
    'select action, ok, count(*)::int as n from strata.events group by action, ok order by action, ok');
  assert.equal(events, [{ action: 'up', ok: true, n: REVISIONS }], 'one successful up event per revision and nothing else');
  const tables = await db!.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname = 'public' and tablename ~ '^t[0-9]+$'");
  assert.is(tables[0]!.n, REVISIONS);

  // The revisions were applied by the runners' own lines "applied <id>": each id exactly once overall.
  const appliedLines = results.flatMap((r) => [...r.stdout.matchAll(/^applied\s+(\S+)/gm)].map((m) => m[1]!));
  assert.is(appliedLines.length, REVISIONS, 'each revision reported as applied by exactly one runner');
  assert.is(new Set(appliedLines).size, REVISIONS);

  // Those that found the lock taken say by whom; the pid they name is a runner that did apply something.
  const waiters = results.filter((r) => /waiting .* for the migration lock held by pid \d+/.test(r.stderr));
  assert.ok(waiters.length >= 1, `at least one runner waited:\n${results.map((r) => r.stderr).join('\n---\n')}`);
  for (const w of waiters) {
    assert.match(w.stderr, /held by pid \d+ \(strata\)/, 'names the holder and its application');
    assert.match(w.stderr, /got the lock after \d+ ms/);
  }
  const idle = results.filter((r) => r.stdout.includes('nothing to apply'));
  assert.is(idle.length + results.filter((r) => /^applied/m.test(r.stdout)).length, RUNNERS, 'every runner either applied something or found nothing to do');
});

(db ? test : test.skip)('a runner whose plan went stale before it got the lock plans again under the lock', async () => {
  // The window between reading the applied revisions and taking the lock: another runner
  // finishes everything inside it. Without re-planning under the lock this run would apply
  // the same revisions a second time (and fail on duplicate keys).
  const other = makeProject();
  writeHistory(other.dir, generateHistory(5, (i) => ({ up: `create table race${i} (id int);\n`, down: `drop table race${i};\n` })));
  const inner = await connectPostgres(db!.url);
  let raced: CliResult | undefined;
  // the lock is taken on the database's lock session: race in the moment it is asked for
  const racing: Database = {
    ...inner,
    async lockSession() {
      const session = await inner.lockSession!();
      return {
        ...session,
        async query(text, values) {
          if (raced === undefined && text.includes('pg_try_advisory_lock')) {
            raced = await runCli(['up', '--schema', 'race'], { cwd: other.dir, env: { DATABASE_URL: db!.url } });
          }
          return session.query(text, values);
        },
      };
    },
  };
  try {
    const config = resolveConfig({ cwd: other.dir, databaseUrl: db!.url, schema: 'race', env: {} });
    const report = await runPipeline(racing, config, { command: 'up', planner: planners.up('head', {}), revisions: loadRevisions(config) }, () => {});
    assert.is(raced?.code, 0, raced?.output);
    assert.match(raced!.stdout, /5 applied/);
    assert.ok(report.ok, JSON.stringify(report, null, 2));
    assert.equal(report.ok && report.steps, [], 'nothing left to apply');
    const rows = await db!.query<{ n: number }>("select count(*)::int as n from race.events where action = 'up'");
    assert.is(rows[0]!.n, 5);
  } finally {
    await inner.close();
    other.remove();
  }
});


// A revision's SQL can release every advisory lock of its session (pg_advisory_unlock_all(), DISCARD ALL):
// strata's run lock lives on a session of its own, so a second runner still waits for the first.
const RELEASES = ['select pg_advisory_unlock_all();', 'discard all;', `select pg_advisory_unlock(${LOCK_CLASS}, hashtext('strata'));`];
const ROUNDS = 4;

(db ? test : test.skip)(`a revision that releases its session's advisory locks does not let a second runner in (${RELEASES.length} ways × ${ROUNDS} rounds)`, async () => {
  for (const release of RELEASES) {
    const p = makeProject();
    writeHistory(p.dir, generateHistory(4, (i) => ({
      up: i === 1 ? 'create table applied_log (revision int);\n'
        : i === 2 ? `${release}\nselect pg_sleep(0.3);\ninsert into applied_log values (2);\n`
          : `insert into applied_log values (${i});\n`,
      down: '',
      header: i === 2 ? '--! Transaction: off' : '',
    })));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await db!.query('drop schema if exists strata cascade; drop table if exists applied_log');
        const env = { DATABASE_URL: db!.url };
        const first = runCli(['up'], { cwd: p.dir, env });
        // the second starts while the first runs revision 2 (or waits for it)
        await sleep(100 + round * 40);
        const second = await runCli(['up'], { cwd: p.dir, env });
        const one = await first;
        const context = `${release}, round ${round + 1}`;
        assert.is(one.code, 0, `${context}: first runner\n${one.output}`);
        assert.is(second.code, 0, `${context}: second runner\n${second.output}`);
        const log = await db!.query<{ revision: number; n: number }>('select revision, count(*)::int as n from applied_log group by revision order by revision');
        assert.equal(log, [{ revision: 2, n: 1 }, { revision: 3, n: 1 }, { revision: 4, n: 1 }], `${context}: each revision ran once`);
        const recorded = await db!.query<{ n: number }>("select count(*)::int as n from strata.events where action = 'up' and ok");
        assert.is(recorded[0]!.n, 4, context);
      }
    } finally {
      p.remove();
    }
  }
});

(db ? test : test.skip)('the run lock lost while a revision runs (its session ended): the revision is not recorded and the run stops, loudly', async () => {
  // the revision's own SQL ends strata's other session, the one holding the lock
  // (waiting until it has ended: the lock is released on the way out)
  const killLock = "select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = current_database() and application_name = 'strata' and pid <> pg_backend_pid();\n";
  for (const header of ['', '--! Transaction: off']) {
    const p = makeProject();
    writeHistory(p.dir, generateHistory(3, (i) => ({
      up: i === 2 ? `create table lock_victim (id int);\n${killLock}` : `create table plain${i} (id int);\n`,
      down: '',
      header: i === 2 ? header : '',
    })));
    try {
      await db!.query('drop schema if exists strata cascade; drop table if exists lock_victim, plain1, plain3');
      const result = await runCli(['up'], { cwd: p.dir, env: { DATABASE_URL: db!.url } });
      assert.is(result.code, 1, result.output);
      assert.match(result.stderr, "strata's migration lock on schema strata is no longer held");
      assert.match(result.stderr, header ? 'not recorded' : 'rolled back and not recorded');
      const recorded = await db!.query<{ id: string }>('select id from strata.revisions order by id');
      assert.is(recorded.length, 1, `${header || 'transactional'}: only the revision before is recorded`);
      const victim = await db!.query<{ t: string | null }>("select to_regclass('lock_victim')::text as t");
      assert.is(victim[0]!.t !== null, header !== '', header ? 'a Transaction: off revision took effect as it went' : 'the transactional one was rolled back');
      const plain3 = await db!.query<{ t: string | null }>("select to_regclass('plain3')::text as t");
      assert.is(plain3[0]!.t, null, 'the run stopped there');
    } finally {
      p.remove();
    }
  }
});

test.run();
