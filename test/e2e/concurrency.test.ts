import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { connectPostgres } from '../../src/db/pg-database.js';
import { planners, runPlanned } from '../../src/migrate.js';
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
    const report = await runPlanned(racing, config, 'up', planners.up('head', {}), {}, () => {});
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

test.run();
