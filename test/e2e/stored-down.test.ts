import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startDev } from '../helpers/dev-process.js';
import { expectExit, expectText } from '../helpers/e2e.js';
import { createTestDatabase, makeProject, runCli, type TestDatabase } from '../helpers/harness.js';

// A revert that runs the down.sql stored when the revision was applied (its up.sql was edited
// since) and fails: editing down.sql on disk changes nothing, which `strata down` and `strata dev`
// must say, with the way out, since the developer has usually just fixed that very file.

const A = '20200101000000_users';
const up = (extra = '') => `--! Parent: base\n\ncreate table users (id int primary key${extra});\n`;
// the down.sql applied with A: it re-creates a table that, by then, exists
const brokenDown = 'drop table users;\ncreate table leftover (x int);\n';

async function appliedWithBrokenDown(name: string): Promise<{ db: TestDatabase; project: ReturnType<typeof makeProject> } | undefined> {
  const db = await createTestDatabase(name);
  if (!db) return undefined;
  const project = makeProject({ [`migrations/${A}/up.sql`]: up(), [`migrations/${A}/down.sql`]: brokenDown });
  expectExit(await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db.url } }), 0);
  await db.query('create table leftover (x int)');
  // up.sql edited (so the stored copy reverts it), down.sql fixed on disk
  writeFileSync(path.join(project.dir, 'migrations', A, 'up.sql'), up(', email text'));
  writeFileSync(path.join(project.dir, 'migrations', A, 'down.sql'), 'drop table users;\n');
  return { db, project };
}

test('strata down: the stored copy that fails is named as such, with what to do; nothing changes', async () => {
  const setup = await appliedWithBrokenDown('stored_down');
  if (!setup) return;
  const { db, project } = setup;
  try {
    const down = await runCli(['down'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expectExit(down, 1);
    expectText(down.stderr, `migrations/${A}/down.sql (stored copy):2:1: error 42P07: relation "leftover" already exists`);
    expectText(down.stderr, `nothing was reverted; still at ${A}. The down.sql that ran is the copy stored when ${A} was applied (its up.sql was edited since, or its folder is gone), so editing down.sql on disk does not change it: make the database accept it, or undo ${A} by hand and remove its record with strata stamp -1`);
    assert.equal((await db.query<{ id: string }>('select id from strata.revisions')).map((r) => r.id), [A]);
    assert.ok((await db.query<{ found: boolean }>("select to_regclass('users') is not null as found"))[0]!.found, 'users is still there');
  } finally {
    project.remove();
    await db.drop();
  }
});

test('strata down: the stored copy failing on an object already gone gives one way on, strata stamp -1, once', async () => {
  const setup = await appliedWithBrokenDown('stored_down_gone');
  if (!setup) return;
  const { db, project } = setup;
  try {
    await db.query('drop table users');
    const down = await runCli(['down'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expectExit(down, 1);
    expectText(down.stderr, `migrations/${A}/down.sql (stored copy):1:1: error 42P01: table "users" does not exist`);
    expectText(down.stderr, `nothing was reverted; still at ${A}. The down.sql that ran is the copy stored when ${A} was applied (its up.sql was edited since, or its folder is gone), so editing down.sql on disk does not change it. If what ${A} created is already gone (dropped by hand?), record the revert without running its down.sql: strata stamp -1\n`);
    assert.is(down.stderr.split('strata stamp').length - 1, 1, down.stderr);
    assert.equal((await db.query<{ id: string }>('select id from strata.revisions')).map((r) => r.id), [A]);
  } finally {
    project.remove();
    await db.drop();
  }
});

test('strata dev: the same note after a save whose revert fails on the stored copy', async () => {
  const setup = await appliedWithBrokenDown('stored_down_dev');
  if (!setup) return;
  const { db, project } = setup;
  const dev = startDev(project.dir, { DATABASE_URL: db.url });
  try {
    await dev.waitFor(/error 42P07: relation "leftover" already exists/, 0, 20_000);
    await dev.waitFor(/rolled back: the database still has the version of 20200101000000_users that was applied before this save\. The down\.sql that ran is the copy stored when 20200101000000_users was applied .*strata stamp -1/, 0);
  } finally {
    dev.kill();
    project.remove();
    await db.drop();
  }
});

test.run();
