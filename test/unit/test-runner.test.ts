import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/harness.js';

/** test/run.js over a folder of made-up test files: its closing line and exit code must tell the truth. */
const uvu = pathToFileURL(path.join(repoRoot, 'node_modules', 'uvu', 'dist', 'index.mjs')).href;

function suite(files: Record<string, string>): { code: number | null; output: string; last: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-runner-'));
  try {
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), `import { test } from ${JSON.stringify(uvu)};\n${body}\ntest.run();\n`);
    }
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'test', 'run.js')], { env: { ...process.env, STRATA_TEST_ROOT: root }, encoding: 'utf8' });
    const output = r.stdout + r.stderr;
    return { code: r.status, output, last: output.trim().split('\n').at(-1)! };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const pass = (name: string) => `test(${JSON.stringify(name)}, () => {});`;
const fail = (name: string) => `test(${JSON.stringify(name)}, () => { throw new Error('boom'); });`;
const skip = (name: string) => `test.skip(${JSON.stringify(name)}, () => {});`;

test('passes and skips: no negative count, exit 0', () => {
  const r = suite({ 'a.test.js': [pass('one'), skip('two'), skip('three')].join('\n') });
  assert.is(r.last, '1 passed, 0 failed, 2 skipped', r.output);
  assert.is(r.code, 0);
});

test('everything skipped (no server): 0 failed, not a negative number', () => {
  const r = suite({ 'a.test.js': [skip('one'), skip('two')].join('\n'), 'b.test.js': pass('three') });
  assert.is(r.last, '1 passed, 0 failed, 2 skipped', r.output);
  assert.is(r.code, 0);
});

test('a FAIL next to skipped tests fails the run', () => {
  const r = suite({ 'a.test.js': [pass('one'), fail('two'), skip('three')].join('\n') });
  assert.is(r.last, '1 passed, 1 failed, 1 skipped', r.output);
  assert.is(r.code, 1);
  assert.match(r.output, /a\.test\.js FAILED/);
});

test('a file that crashes before uvu counts is a failure', () => {
  const r = suite({ 'a.test.js': "throw new Error('crash at import');", 'b.test.js': pass('fine') });
  assert.is(r.last, '1 passed, 1 failed', r.output);
  assert.is(r.code, 1);
});

test('a file that leaves files in the temporary folder fails, naming them', () => {
  const r = suite({ 'a.test.js': `import { writeFileSync } from 'node:fs'; import os from 'node:os';\nwriteFileSync(os.tmpdir() + '/strata-script-left.sql', 'x');\n${pass('one')}` });
  assert.is(r.last, '1 passed, 1 failed', r.output);
  assert.match(r.output, /left files in its temporary folder: strata-script-left\.sql/);
  assert.is(r.code, 1);
});

test('no test files at all is a failure', () => {
  const r = suite({});
  assert.is(r.last, '0 passed, 1 failed', r.output);
  assert.is(r.code, 1);
});

test.run();
