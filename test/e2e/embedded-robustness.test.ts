import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText } from '../helpers/e2e.js';
import { fixturesDir, makeProject, runCli, spawnCli } from '../helpers/harness.js';

/** The embedded database with several processes at once, and on a full disk. */
const exampleIds = readdirSync(path.join(fixturesDir, 'example-history')).sort();

test('several strata up at once on one embedded database, several rounds: each revision applied exactly once', async () => {
  for (let round = 0; round < 3; round++) {
    const project = makeProject();
    try {
      cpSync(path.join(fixturesDir, 'example-history'), path.join(project.dir, 'migrations'), { recursive: true });
      const results = await Promise.all(Array.from({ length: 8 }, () => runCli(['up'], { cwd: project.dir, timeoutMs: 120_000 })));
      for (const r of results) expectExit(r, 0, `round ${round}`);
      const applied = results.flatMap((r) => [...r.stdout.matchAll(/^applied\s+(\S+)/gm)].map((m) => m[1]));
      assert.equal(applied.sort(), exampleIds, `round ${round}: every revision reported applied once, by one of the runners`);
      const log = JSON.parse((await runCli(['log', '--json', '--limit', '100'], { cwd: project.dir })).stdout) as { events: Array<{ action: string; revision: string; ok: boolean }> };
      assert.equal(log.events.map((e) => `${e.action} ${e.revision} ${e.ok}`).sort(), exampleIds.map((id) => `up ${id} true`), `round ${round}: one up event per revision`);
      const status = await runCli(['status', '--exit-code'], { cwd: project.dir });
      expectExit(status, 0, `round ${round}: all applied`);
      assert.equal(readdirSync(path.join(project.dir, '.strata')).filter((f) => f.includes('.lock')), [], 'no lock left behind');
    } finally {
      project.remove();
    }
  }
});

test('Ctrl-C twice during a long statement on the embedded database exits at once, and the database opens afterwards', async () => {
  const project = makeProject({
    'migrations/20261101090000_slow/up.sql': '--! Parent: base\n\nselect count(*) from generate_series(1, 400000000);\n',
    'migrations/20261101090000_slow/down.sql': '',
  });
  try {
    expectExit(await runCli(['status'], { cwd: project.dir }), 0, 'the database is made first');
    const up = spawnCli(['up'], { cwd: project.dir, env: { DATABASE_URL: '' } });
    const exited = up.exited.then(({ code }) => code);
    for (let i = 0; i < 200 && !up.output().includes('strata: embedded'); i++) await sleep(50);
    await sleep(1500); // inside the statement, which runs for well over a minute
    up.kill('SIGINT');
    await sleep(200);
    const signalled = Date.now();
    up.kill('SIGINT');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
    if (code === 'still running') up.kill();
    assert.is(code, 130, `the second Ctrl-C exits (130) at once, not after the statement\n${up.output()}`);
    assert.ok(Date.now() - signalled < 10_000);
    const status = await runCli(['status'], { cwd: project.dir });
    expectExit(status, 0, 'the embedded database opens after the exit');
    assert.match(status.stdout, /^pending\s+20261101090000_slow/m);
  } finally {
    project.remove();
  }
});

/** A tiny tmpfs as the project folder (root only: mount). Never skipped silently in CI. */
function tinyDisk(kilobytes: number): { dir: string; remove(): void } | string {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const holder = makeProject();
  const dir = path.join(holder.dir, 'disk');
  mkdirSync(dir);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kilobytes}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    holder.remove();
    return `mount -t tmpfs failed: ${mounted.stderr.trim()}`;
  }
  return { dir, remove: () => { spawnSync('umount', [dir]); holder.remove(); } };
}

function diskOrSkip(kilobytes: number): { dir: string; remove(): void } | undefined {
  const disk = tinyDisk(kilobytes);
  if (typeof disk !== 'string') return disk;
  if (process.env.CI) throw new Error(`cannot test a full disk: ${disk}`);
  console.warn(`SKIP full-disk case: ${disk}`);
  return undefined;
}

test('a full disk while creating the embedded database, or while taking its lock: a problem naming the folder, nothing left', async () => {
  const disk = diskOrSkip(200);
  if (!disk) return;
  try {
    cpSync(path.join(fixturesDir, 'example-history'), path.join(disk.dir, 'migrations'), { recursive: true });
    const creating = await runCli(['up'], { cwd: disk.dir, timeoutMs: 60_000 });
    expectExit(creating, 1, 'creating on a full disk');
    expectText(creating.stderr, '.strata: error: cannot open the embedded database in .strata: the disk is full (ENOSPC)', 'free some disk space');
    expectNoText(creating.output, '    at ');
    assert.equal(readdirSync(path.join(disk.dir, '.strata')), [], 'no half-made database and no lock left');

    writeFileSync(path.join(disk.dir, 'fill'), Buffer.alloc(0));
    spawnSync('sh', ['-c', `cat /dev/zero > ${JSON.stringify(path.join(disk.dir, 'fill'))}`]);
    const locking = await runCli(['up', '--json'], { cwd: disk.dir, timeoutMs: 60_000 });
    expectExit(locking, 1, 'the lock on a full disk');
    const report = JSON.parse(locking.stdout) as { reason: string; problems: Array<{ code: string; message: string }> };
    assert.equal([report.reason, report.problems[0]!.code], ['unavailable', 'EMBEDDED_STORAGE']);
    assert.match(report.problems[0]!.message, "cannot take the embedded database's lock");
    assert.not.ok(existsSync(path.join(disk.dir, '.strata', 'pglite.lock')), 'no empty lock left behind');
    rmSync(path.join(disk.dir, 'fill'));
  } finally {
    disk.remove();
  }
});

test('the disk filling up during a revision on the embedded database: the SQL error with the file, exit 1, and the database opens once there is room', async () => {
  const disk = diskOrSkip(120 * 1024);
  if (!disk) return;
  try {
    cpSync(path.join(fixturesDir, 'example-history'), path.join(disk.dir, 'migrations'), { recursive: true });
    expectExit(await runCli(['up'], { cwd: disk.dir, timeoutMs: 60_000 }), 0, 'the history applies while there is room');
    const big = path.join(disk.dir, 'migrations', '20261201000000_big');
    mkdirSync(big);
    writeFileSync(path.join(big, 'up.sql'), `--! Parent: ${exampleIds.at(-1)}\n\ncreate table big as select g, repeat(md5(g::text), 20) as pad from generate_series(1, 400000) g;\n`);
    writeFileSync(path.join(big, 'down.sql'), 'drop table big;\n');
    // fill the disk but for a few blocks (the lock file still fits)
    const fill = path.join(disk.dir, 'fill');
    spawnSync('sh', ['-c', `cat /dev/zero > ${JSON.stringify(fill)}; truncate -s -16K ${JSON.stringify(fill)}`]);
    const full = await runCli(['up'], { cwd: disk.dir, timeoutMs: 60_000 });
    expectExit(full, 1, 'a full disk mid-revision');
    expectText(full.stderr, 'migrations/20261201000000_big/up.sql:3:1: error 53100', 'No space left on device', 'the revision was rolled back');
    expectNoText(full.output, '    at ');
    rmSync(fill);
    const status = await runCli(['status'], { cwd: disk.dir, timeoutMs: 60_000 });
    expectExit(status, 0, 'the database opens once there is room');
    assert.match(status.stdout, /^pending\s+20261201000000_big/m);
  } finally {
    disk.remove();
  }
});

test('an embedded database whose folder cannot be written: a problem naming the folder, exit 1, no stack trace; it opens once writable again', async () => {
  const project = makeProject();
  try {
    cpSync(path.join(fixturesDir, 'example-history'), path.join(project.dir, 'migrations'), { recursive: true });
    expectExit(await runCli(['up', exampleIds[0]!], { cwd: project.dir, timeoutMs: 60_000 }), 0, 'the first revision applies');
    const data = path.join(project.dir, '.strata', 'pglite');
    chmodSync(data, 0o500); // PGlite checks the bits itself, so this holds for root too
    const status = await runCli(['status'], { cwd: project.dir, timeoutMs: 60_000 });
    expectExit(status, 1, 'status on a read-only data folder');
    expectText(status.stderr, '.strata: error: cannot open the embedded database in .strata: permission denied (EACCES) on .strata/pglite', 'give this user write access to the folder');
    expectNoText(status.output, '    at ');
    const up = await runCli(['up', '--json'], { cwd: project.dir, timeoutMs: 60_000 });
    expectExit(up, 1, 'up on a read-only data folder');
    const report = JSON.parse(up.stdout) as { reason: string; problems: Array<{ code: string }> };
    assert.equal([report.reason, report.problems[0]!.code], ['unavailable', 'EMBEDDED_STORAGE']);
    chmodSync(data, 0o700);
    const again = await runCli(['status'], { cwd: project.dir, timeoutMs: 60_000 });
    expectExit(again, 0, 'writable again');
    assert.match(again.stdout, new RegExp(`^applied\\s+${exampleIds[0]!}`, 'm'));
  } finally {
    chmodSync(path.join(project.dir, '.strata', 'pglite'), 0o700);
    project.remove();
  }
});

test.run();
