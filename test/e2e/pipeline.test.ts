import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStrata, type StrataEvent } from '../../src/index.js';
import { createTestDatabase, runCli, type TestDatabase } from '../helpers/harness.js';
import { EXAMPLE_IDS, exampleProject, expectExit, expectText, snapshot } from '../helpers/e2e.js';

// The one run pipeline seen from the API: what a user can cause comes back as data (never
// thrown), stamp runs as record-only steps through it, and the between-steps hook sees each
// revision committed before the next starts.
let db: TestDatabase | undefined;
const project = exampleProject();
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/nowhere';

test.before(async () => {
  db = await createTestDatabase('pipeline');
});
test.after(async () => {
  await db?.drop();
  project.remove();
});

const strataOn = (databaseUrl: string, onEvent?: (event: StrataEvent) => void) =>
  createStrata({ cwd: project.dir, env: {}, databaseUrl, ...(onEvent ? { onEvent } : {}) });

test('a server that cannot be reached: every command returns unavailable, none throws', async () => {
  const strata = strataOn(UNREACHABLE);
  const reports = {
    status: await strata.status(),
    up: await strata.up(),
    down: await strata.down(),
    redo: await strata.redo(),
    stamp: await strata.stamp('head'),
    sql: await strata.sql('up'),
    current: await strata.current(),
    show: await strata.show('head'),
    log: await strata.log(),
  };
  for (const [name, report] of Object.entries(reports)) {
    assert.is(report.ok, false, name);
    assert.is((report as { reason?: string }).reason, 'unavailable', name);
    assert.is((report as { problems: { code: string }[] }).problems[0]?.code, 'CONNECTION_FAILED', name);
  }
  // history lists the chain from the files alone, and says why the states are unknown
  const history = await strata.history();
  assert.ok(!('reason' in history) && history.isAppliedKnown === false);
});

test('new and init return their mistakes instead of throwing', () => {
  const strata = strataOn(UNREACHABLE);
  const empty = strata.newRevision('   ');
  assert.is(empty.ok, false);
  if (!empty.ok) assert.is(empty.problems[0]?.code, 'CONFIG_INVALID');
  // a folder where init writes a file: the file system refuses, named in the problem
  const blocked = exampleProject();
  try {
    mkdirSync(path.join(blocked.dir, '.gitignore'));
    const init = createStrata({ cwd: blocked.dir, env: {}, databaseUrl: UNREACHABLE }).init();
    assert.is(init.ok, false);
    if (!init.ok) {
      assert.is(init.problems[0]?.code, 'FILE_WRITE_FAILED');
      assert.is(init.problems[0]?.file, '.gitignore');
    }
  } finally {
    blocked.remove();
  }
});

test('new after a revision whose header has a problem (still being written): it follows that folder, at a later timestamp', () => {
  const drafting = exampleProject();
  try {
    const api = createStrata({ cwd: drafting.dir, env: {}, databaseUrl: UNREACHABLE });
    const at = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));
    const first = api.newRevision('first', at);
    assert.ok(first.ok);
    if (!first.ok) return;
    drafting.write(`migrations/${first.id}/up.sql`, `--! Parnt: ${EXAMPLE_IDS.at(-1)}\n\ncreate table t (id int);\n`);
    // the same second: a timestamp of its own all the same, and the broken folder as its parent
    const second = api.newRevision('second', at);
    assert.ok(second.ok);
    if (second.ok) {
      assert.is(second.parent, first.id);
      assert.ok(second.id.slice(0, 14) > first.id.slice(0, 14), `${second.id} after ${first.id}`);
    }
  } finally {
    drafting.remove();
  }
});

test('the hook between steps sees each revision committed, and the next not yet started', async () => {
  if (!db) return;
  const seen: string[] = [];
  const report = await strataOn(db.url).up('head', {
    afterStep: async (done, next) => {
      const rows = await db!.query<{ id: string }>('select id from strata.revisions order by id');
      seen.push(`${done.id} -> ${next.id}: ${rows.map((r) => r.id).join(',')}`);
    },
  });
  assert.is(report.ok, true);
  assert.equal(seen, EXAMPLE_IDS.slice(0, -1).map((id, k) => `${id} -> ${EXAMPLE_IDS[k + 1]}: ${EXAMPLE_IDS.slice(0, k + 1).join(',')}`));
});

test('stamp runs through the pipeline as record-only steps: a failing record is a Failure, nothing recorded', async () => {
  if (!db) return;
  const strata = strataOn(db.url);
  assert.is((await strata.stamp('base')).ok, true);
  await db.query(`create function strata_refuse() returns trigger language plpgsql as $$ begin raise exception 'no records today'; end $$`);
  await db.query('create trigger refuse before insert on strata.revisions for each row execute function strata_refuse()');
  try {
    const before = await snapshot(db);
    const cli = await runCli(['stamp', 'head'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expectExit(cli, 1);
    expectText(cli.stderr, 'P0001: no records today', 'nothing was recorded');
    const report = await strata.stamp('head');
    assert.is(report.ok, false);
    if (!report.ok && report.reason === 'failed') {
      assert.is(report.failure.sqlstate, 'P0001');
      expectText(report.failure.effects, 'nothing was recorded');
    } else assert.unreachable(`expected a failure, got ${JSON.stringify(report)}`);
    const after = await snapshot(db);
    assert.equal({ ...after, events: undefined }, { ...before, events: undefined }, 'no record kept');
  } finally {
    await db.query('drop trigger refuse on strata.revisions');
  }
  const stamped = await strata.stamp('head');
  assert.equal(stamped.ok && stamped.stamped, EXAMPLE_IDS);
});

test.run();
