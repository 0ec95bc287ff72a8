import { spawn, spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit } from '../helpers/e2e.js';
import { cliEnvironment, cliPath, createTestDatabase, makeProject, runCli } from '../helpers/harness.js';
import { generateHistory, writeHistory } from '../helpers/history.js';

const STEPS = 6;
const db = await createTestDatabase('progress');
const project = makeProject();
writeHistory(project.dir, generateHistory(STEPS, (i) => ({ up: `create table t${i} (id int);\nselect pg_sleep(0.05);\n`, down: `drop table t${i};\n` })));

/** util-linux `script` gives the command a pseudo-terminal, as an interactive shell would. */
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasScript) {
  if (process.env.CI) throw new Error('script (util-linux) is not installed');
  console.warn('SKIP: script (util-linux) is not installed');
}

test.after(async () => {
  project.remove();
  await db?.drop();
});

function runOnTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, cliPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: project.dir, env: cliEnvironment({ DATABASE_URL: db!.url }), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

(db && hasScript ? test : test.skip)('on a terminal a long run shows revision n of N and the elapsed time on one rewritten line', async () => {
  const up = await runOnTerminal(['up']);
  assert.is(up.code, 0, up.output);
  for (let n = 1; n <= STEPS; n++) assert.match(up.output, new RegExp(`\\rrevision ${n} of ${STEPS}: \\S+ \\(\\d+\\.\\d s\\)`));
  // the progress line is erased before each result line, so the results read cleanly
  const lines = up.output.split('\n').map((l) => l.split('\r').filter((part) => part.trim() !== '').at(-1) ?? '');
  assert.is(lines.filter((l) => /^applied\s+\S+ \d+ ms/.test(l.trim())).length, STEPS);
  assert.ok(!lines.some((l) => l.includes('revision ') && l.includes(' of ')), 'no progress text left on any line');

  const quiet = await runOnTerminal(['down', 'base', '--quiet']);
  assert.is(quiet.code, 0, quiet.output);
  assert.is(quiet.output, '', '--quiet: no progress either');
});

(db ? test : test.skip)('piped: no progress at all', async () => {
  const up = await runCli(['up'], { cwd: project.dir, env: { DATABASE_URL: db!.url } });
  expectExit(up, 0);
  assert.not.match(up.output, /revision \d+ of/);
  assert.not.match(up.output, /\r/);
  const down = await runCli(['down', 'base'], { cwd: project.dir, env: { DATABASE_URL: db!.url } });
  expectExit(down, 0);
  assert.not.match(down.output, /\r/);
});

test.run();
