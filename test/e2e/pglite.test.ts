import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeProject, runCli } from '../helpers/harness.js';
import { EXAMPLE_IDS, exampleProject, expectExit, expectText, revisionFiles } from '../helpers/e2e.js';

// What only the embedded default has: no DATABASE_URL, PGlite persisted under .strata/, its lock.
// Every run must exit by itself (PGlite closed): a hung process is killed at the timeout and fails.
// The workflow's scenarios (down, redo, stamp, a failing revision...) run on both PGlite and
// PostgreSQL in adapters.test.ts.
const project = exampleProject();
const TIMEOUT_MS = 60_000;
const strata = (...args: string[]) => runCli(args, { cwd: project.dir, env: { DATABASE_URL: undefined }, timeoutMs: TIMEOUT_MS });
const INDEX = EXAMPLE_IDS.at(-1)!;

test.after(() => project.remove());

test('up on the embedded database: announced in one line (and its creation in one), .strata/ created, the process exits', async () => {
  assert.ok(!existsSync(path.join(project.dir, '.strata')));
  const result = await strata('up');
  expectExit(result, 0);
  const [creating, ...rest] = result.stderr.trim().split('\n');
  assert.match(creating!, /^note: creating the embedded database in \.strata\/pglite\b/);
  assert.equal(rest, ['strata: embedded PGlite database in .strata/pglite (set DATABASE_URL to use a server)']);
  for (const id of EXAMPLE_IDS) assert.match(result.stdout, new RegExp(`^applied\\s+${id} \\d+ ms$`, 'm'));
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  assert.ok(existsSync(path.join(project.dir, '.strata', 'pglite')));
  assert.ok(readdirSync(path.join(project.dir, '.strata', 'pglite')).length > 0, 'the database files are there');
  assert.ok(!existsSync(path.join(project.dir, '.strata', 'pglite.lock')), 'the embedded lock was released');
});

test('status reads what the previous process wrote', async () => {
  const result = await strata('status', '--json');
  expectExit(result, 0);
  const report = JSON.parse(result.stdout) as { counts: Record<string, number>; current: string; database: string };
  assert.equal(report.counts, { applied: 5, pending: 0, edited: 0, missing: 0 });
  assert.is(report.current, INDEX);
  expectText(report.database, 'embedded PGlite database in .strata/pglite');
});

test('an extension the embedded database lacks: the fix named is a server, not installing it where PostgreSQL runs', async () => {
  const other = makeProject(revisionFiles('20240301090000_ext', 'base', 'create extension if not exists citext;\n', 'drop extension citext;\n'));
  try {
    const result = await runCli(['up'], { cwd: other.dir, env: { DATABASE_URL: undefined }, timeoutMs: TIMEOUT_MS });
    expectExit(result, 1);
    expectText(result.stderr, 'error 0A000: extension "citext" is not available',
      'hint: the embedded PGlite database has no extension but plpgsql; set DATABASE_URL to a PostgreSQL server that has citext');
    assert.not.match(result.stderr, /must first be installed on the system/);
  } finally {
    other.remove();
  }
});

test('another command holding the embedded database (not dev) is waited for, as long as --lock-timeout allows', async () => {
  // a live process (this one) named as the holder, as a running `strata up` writes it
  const lockFile = path.join(project.dir, '.strata', 'pglite.lock');
  writeFileSync(lockFile, JSON.stringify({ pid: process.pid, command: 'up' }));
  try {
    const timedOut = await strata('status', '--lock-timeout', '1');
    expectExit(timedOut, 1);
    expectText(timedOut.stderr,
      `waiting up to 1 s for another strata process (strata up, pid ${process.pid}) to release the embedded database`,
      `the embedded database is in use by another strata process (strata up, pid ${process.pid})`);
    const waiting = strata('status', '--lock-timeout', '30');
    setTimeout(() => rmSync(lockFile, { force: true }), 1000);
    const result = await waiting;
    expectExit(result, 0);
    expectText(result.stderr, 'waiting up to 30 s for another strata process (strata up');
    expectText(result.stdout, `5 applied, 0 pending; at ${INDEX}`);
  } finally {
    rmSync(lockFile, { force: true });
  }
});

test.run();
