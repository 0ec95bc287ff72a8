import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withEmbeddedLock } from '../../src/db/embedded-lock.js';
import { repoRoot } from '../helpers/harness.js';

/** The embedded database's lock file: one holder at a time, whatever the timing; stale locks taken over, live ones never. */
const lockModule = pathToFileURL(path.join(repoRoot, 'dist', 'src', 'db', 'embedded-lock.js')).href;
const root = mkdtempSync(path.join(os.tmpdir(), 'strata-lock-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = path.join(root, `case-${n++}`);
  mkdirSync(dir);
  return path.join(dir, 'pglite');
};

const TAKES = 15;
/** A process that takes the lock TAKES times, logging enter/exit around a short hold each time. */
function holder(dataDir: string, log: string, holdMs: number): Promise<number | null> {
  const script = `
    import { appendFileSync } from 'node:fs';
    const { withEmbeddedLock } = await import(${JSON.stringify(lockModule)});
    for (let i = 0; i < ${TAKES}; i++) {
      const release = await withEmbeddedLock(${JSON.stringify(dataDir)}, 60000, 'up');
      appendFileSync(${JSON.stringify(log)}, 'enter ' + process.pid + '\\n');
      await new Promise((r) => setTimeout(r, ${holdMs}));
      appendFileSync(${JSON.stringify(log)}, 'exit ' + process.pid + '\\n');
      release();
    }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', resolve);
  });
}

test('many processes at once, many rounds: never two holders', async () => {
  for (let round = 0; round < 6; round++) {
    const dataDir = fresh();
    const log = `${dataDir}.log`;
    writeFileSync(log, '');
    const codes = await Promise.all(Array.from({ length: 12 }, () => holder(dataDir, log, round % 3)));
    assert.equal(codes, Array(12).fill(0), `round ${round}: every process got the lock`);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.is(lines.length, 24 * TAKES, `round ${round}`);
    for (let i = 0; i < lines.length; i += 2) {
      const [enter, exit] = [lines[i]!.split(' '), lines[i + 1]!.split(' ')];
      assert.equal([enter[0], exit[0], exit[1]], ['enter', 'exit', enter[1]], `round ${round}: line ${i}: one holder at a time\n${lines.join('\n')}`);
    }
    assert.equal(readdirSync(path.dirname(dataDir)).filter((f) => f.includes('.lock')), [], `round ${round}: nothing left behind`);
  }
});

test('a lock whose holder is gone is taken over; a live holder is waited for, then the lock times out naming it', async () => {
  const dataDir = fresh();
  const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
  writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: dead, command: 'up' }));
  const release = await withEmbeddedLock(dataDir, 1000, 'up');
  assert.equal(JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')), { pid: process.pid, command: 'up' });
  release();
  assert.not.ok(existsSync(`${dataDir}.lock`));

  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
  try {
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: live.pid, command: 'up' }));
    let waitedFor: unknown;
    const started = Date.now();
    const error = await withEmbeddedLock(dataDir, 300, 'status', (h) => (waitedFor = h)).then(() => undefined, (e: unknown) => e as { code: string; message: string });
    assert.is(error?.code, 'LOCK_TIMEOUT');
    assert.match(error!.message, `strata up, pid ${live.pid}`);
    assert.equal(waitedFor, { pid: live.pid, command: 'up' });
    assert.ok(Date.now() - started >= 300);
    assert.ok(existsSync(`${dataDir}.lock`), 'a live holder\'s lock is never removed');
  } finally {
    live.kill();
  }
});

test('a lock naming this very pid is stale (a pid reused after a restart) unless this process holds it', async () => {
  const dataDir = fresh();
  writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: process.pid, command: 'up' }));
  const release = await withEmbeddedLock(dataDir, 1000, 'up');
  const again = await withEmbeddedLock(dataDir, 1000, 'up').then(() => undefined, (e: unknown) => e as { code: string });
  assert.is(again?.code, 'EMBEDDED_IN_USE', 'a second open in the same process is refused, not taken over');
  release();
});

test('a lock file that cannot be read (being written by an older strata) is waited for while young, taken over once old', async () => {
  const dataDir = fresh();
  writeFileSync(`${dataDir}.lock`, '');
  const started = Date.now();
  const release = await withEmbeddedLock(dataDir, 10_000, 'up');
  assert.ok(Date.now() - started >= 1500, `waited ${Date.now() - started} ms before taking over an unreadable lock`);
  release();
  writeFileSync(`${dataDir}.lock`, 'garbage');
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${dataDir}.lock`, old, old);
  const quick = Date.now();
  (await withEmbeddedLock(dataDir, 10_000, 'up'))();
  assert.ok(Date.now() - quick < 1000, 'an old unreadable lock is stale at once');
});

test('strata dev as the holder is refused at once, not waited for', async () => {
  const dataDir = fresh();
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
  try {
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: live.pid, command: 'dev' }));
    const started = Date.now();
    const error = await withEmbeddedLock(dataDir, 30_000, 'up').then(() => undefined, (e: unknown) => e as { code: string; message: string });
    assert.is(error?.code, 'EMBEDDED_IN_USE');
    assert.match(error!.message, `strata dev (pid ${live.pid})`);
    assert.ok(Date.now() - started < 1000);
  } finally {
    live.kill();
  }
});

test.run();
