import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { expectExit, expectText, revisionFiles } from '../helpers/e2e.js';

// A run refused for what the user got wrong leaves everything as it was: on the embedded default
// no .strata/ folder is created for it (a new database would have nothing applied, so that is what
// the checks assume), and a command that only reads creates none either; on a server, nothing is
// written, not even the tracking schema.
const ID = '20261125123456_first';
const LATER = '20261125123457_second';
const TIMEOUT_MS = 60_000;

function embeddedProject(body: string) {
  const project = makeProject(revisionFiles(ID, 'base', body, 'drop table t;', ['--! Message: first']));
  const strata = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: undefined }, timeoutMs: TIMEOUT_MS });
  const hasDatabase = () => existsSync(path.join(project.dir, '.strata'));
  return { project, strata, hasDatabase };
}

test('refused on the embedded default (syntax error, bad target, --resume-at, redo at base): exit 2, and no .strata/ is created', async () => {
  const broken = embeddedProject('create tabl t (id int);');
  try {
    for (const args of [['up'], ['up', '--single-transaction'], ['stamp', 'head'], ['sql', 'up']]) {
      const result = await broken.strata(...args);
      expectExit(result, 2, `strata ${args.join(' ')}`);
      expectText(result.stderr, `migrations/${ID}/up.sql:4:8`, 'syntax error at or near "tabl"');
      assert.not.ok(broken.hasDatabase(), `strata ${args.join(' ')} created .strata/`);
    }
  } finally {
    broken.project.remove();
  }
  const good = embeddedProject('create table t (id int);');
  try {
    for (const [args, words] of [[['up', 'nosuch'], "no revision or tag matches 'nosuch'"], [['up', '--resume-at', '2'], 'no recorded progress to resume'], [['redo'], 'nothing is applied']] as const) {
      const result = await good.strata(...args);
      expectExit(result, 2, `strata ${args.join(' ')}`);
      expectText(result.stderr, words);
      assert.not.ok(good.hasDatabase(), `strata ${args.join(' ')} created .strata/`);
    }
  } finally {
    good.project.remove();
  }
});

test('commands that only read, or have nothing to do, create no embedded database either', async () => {
  const { project, strata, hasDatabase } = embeddedProject('create table t (id int);');
  try {
    for (const args of [['status'], ['status', '--json'], ['tags'], ['log'], ['rebase'], ['down'], ['down', 'base'], ['stamp', 'base'], ['sql', 'up'], ['current'], ['history'], ['show', 'head']]) {
      const result = await strata(...args);
      expectExit(result, 0, `strata ${args.join(' ')}`);
      assert.not.ok(hasDatabase(), `strata ${args.join(' ')} created .strata/`);
    }
    // check --live: a database not made yet has drifted from nothing
    const live = await strata('check', '--live');
    expectText(live.stdout, 'live database: as its revisions make it');
    assert.not.ok(hasDatabase(), 'strata check --live created .strata/');
    const status = JSON.parse((await strata('status', '--json')).stdout) as { counts: Record<string, number>; database: string };
    assert.equal(status.counts, { applied: 0, pending: 1, edited: 0, missing: 0 });
    expectText(status.database, 'embedded PGlite database in .strata/pglite');
    const up = await strata('up');
    expectExit(up, 0, 'strata up');
    assert.ok(hasDatabase(), 'the first run that writes creates it');
  } finally {
    project.remove();
  }
});

test('a file where init makes a folder (or a folder where it writes a file): init refuses before writing anything, and up names it', async () => {
  for (const [name, isFolder] of [['migrations', false], ['schema.sql', true], ['.env.example', true]] as const) {
    const project = makeProject();
    try {
      if (isFolder) mkdirSync(path.join(project.dir, name));
      else writeFileSync(path.join(project.dir, name), '');
      const init = await runCli(['init'], { cwd: project.dir });
      expectExit(init, 2, `init with ${name} in the way`);
      expectText(init.stderr, `${name}: error: cannot write ${name}: a ${isFolder ? 'folder is where a file' : 'file is where a folder'} should be`, 'fix: move it away, or rename it, and run it again');
      assert.equal(readdirSync(project.dir), [name], 'nothing else written');
    } finally {
      project.remove();
    }
  }
  const project = makeProject({ migrations: '' });
  try {
    const up = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: undefined } });
    expectExit(up, 2);
    expectText(up.stderr, 'migrations folder migrations is not a folder: a file is in its place', "fix: move that file away and run 'strata init'");
  } finally {
    project.remove();
  }
});

const db = await createTestDatabase('refused_untouched');
test.after(async () => db?.drop());

test('up --resume-at refused on a server that strata never ran on: no tracking schema is created', async () => {
  if (!db) return;
  const project = makeProject({
    ...revisionFiles(ID, 'base', 'create table t (id int);', 'drop table t;'),
    ...revisionFiles(LATER, ID, 'create table u (id int);', 'drop table u;'),
  });
  try {
    const result = await runCli(['up', '--resume-at', '2'], { cwd: project.dir, env: { DATABASE_URL: db.url } });
    expectExit(result, 2);
    expectText(result.stderr, `--resume-at 2: ${ID} has no recorded progress to resume`);
    assert.equal(await db.query("select nspname from pg_namespace where nspname = 'strata'"), [], 'the tracking schema was created');
    assert.equal(await db.query("select relname from pg_class where relname in ('t', 'u')"), []);
  } finally {
    project.remove();
  }
});

test.run();
