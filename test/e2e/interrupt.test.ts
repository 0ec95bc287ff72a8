import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, runCli, spawnCli } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';

// Ctrl-C during `strata up`: the revision in progress finishes as a whole, the run stops at the
// boundary after it, exit 130, no lock left, and a plain `strata up` continues.
const REVISIONS = 5;
const db = await createTestDatabase('interrupt');
const project = makeProject();
writeHistory(project.dir, generateHistory(REVISIONS, (i) => ({
  up: `create table slow${i} (id int);\nselect pg_sleep(0.4);\n`,
  down: `drop table slow${i};\n`,
})));

test.after(async () => {
  project.remove();
  await db?.drop();
});

(db ? test : test.skip)('SIGINT during up stops at the next revision boundary, then up continues', async () => {
  const up = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db!.url } });
  let before = '';
  up.onStdout((stdout) => {
    // interrupt while the second revision runs
    if (!/^applied /m.test(before) && /^applied /m.test(stdout)) up.kill('SIGINT');
    before = stdout;
  });
  const { code, stdout, stderr } = await up.result;
  assert.is(code, 130, `${stdout}\n${stderr}`);
  assert.match(stderr, 'stopping after the revision in progress');
  const applied = stdout.match(/^applied /gm)?.length ?? 0;
  assert.ok(applied >= 1 && applied < REVISIONS, `stopped mid-run (${applied} applied)\n${stdout}`);
  assert.match(stderr, `stopped: ${applied} ${applied === 1 ? 'revision' : 'revisions'} applied before the stop, nothing half-done; run strata up to continue`);

  const recorded = await db!.query<{ n: number }>('select count(*)::int as n from strata.revisions');
  const tables = await db!.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname = 'public' and tablename like 'slow%'");
  assert.is(recorded[0]!.n, applied, 'the revisions reported are the ones recorded');
  assert.is(tables[0]!.n, applied, 'and the ones whose objects exist');
  const locks = await db!.query<{ n: number }>("select count(*)::int as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())");
  assert.is(locks[0]!.n, 0, 'no advisory lock left');

  const rest = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db!.url } });
  assert.is(rest.code, 0, rest.output);
  assert.match(rest.stdout, `${REVISIONS - applied} applied`);
});

test.run();
