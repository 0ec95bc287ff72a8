#!/usr/bin/env node
// Runs every compiled uvu test file (dist/test/**/*.test.js) in its own process, two at a time,
// and ends with one plain line for the whole suite: "N passed, N failed[, N skipped]".
// Each file runs with a temporary folder of its own (TMPDIR); a file that leaves anything in it
// fails, so no test litters the machine's temporary folder.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = process.env.STRATA_TEST_ROOT ?? path.resolve(import.meta.dirname, '..', 'dist', 'test');
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
const files = walk(root).filter((f) => f.endsWith('.test.js') && (!filter || filter.test(f))).sort();
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
// one embedded-database template cache for the whole run (made once, shared by the files), removed at the end
const cacheDir = process.env.STRATA_CACHE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'strata-test-cache-'));

let passed = 0;
let failed = 0;
let skipped = 0;
const failedFiles = [];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/**
 * uvu's summary: `Total` counts the tests that ran (skipped ones excluded), `Passed` those that
 * passed, so the failures are Total - Passed; each failure also prints a `FAIL` line. A file that
 * exits non-zero, or never prints a summary (a crash), has failed whatever it counted.
 */
function countResults(output, exitCode) {
  const count = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(output)?.[1] ?? 0);
  const hasSummary = /^\s*Total:\s+\d+/m.test(output);
  const ok = count('Passed');
  const skip = count('Skipped');
  const failLines = (output.match(/^\s*FAIL\s/gm) ?? []).length;
  let fileFailed = Math.max(0, count('Total') - ok, failLines);
  if ((exitCode !== 0 || !hasSummary) && fileFailed === 0) fileFailed = 1;
  return { passed: ok, failed: fileFailed, skipped: skip };
}

function runFile(file) {
  return new Promise((resolve) => {
    // world-enterable like /tmp: some tests run the CLI as an unprivileged user on projects in it
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-run-'));
    chmodSync(tmp, 0o1777);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', TMPDIR: tmp, STRATA_CACHE_DIR: cacheDir } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const counts = countResults(output, code);
      const leftovers = readdirSync(tmp);
      rmSync(tmp, { recursive: true, force: true });
      if (leftovers.length > 0) {
        counts.failed++;
        output += `\n   FAIL  the test file left files in its temporary folder: ${leftovers.join(', ')}\n`;
      }
      passed += counts.passed;
      failed += counts.failed;
      skipped += counts.skipped;
      const name = path.relative(root, file);
      const failures = counts.failed ? `, ${counts.failed} failed` : '';
      process.stdout.write(`\n── ${name} ${counts.failed > 0 ? 'FAILED' : 'ok'} (${counts.passed} passed${failures}${counts.skipped ? `, ${counts.skipped} skipped` : ''})\n`);
      if (counts.failed > 0 || process.env.VERBOSE) process.stdout.write(output);
      if (counts.failed > 0) failedFiles.push(name);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
  while (queue.length > 0) await runFile(queue.shift());
}));

if (!process.env.STRATA_CACHE_DIR) rmSync(cacheDir, { recursive: true, force: true });
if (files.length === 0) {
  console.log(`no test files found under ${root}`);
  failed = 1;
}
if (failedFiles.length > 0) console.log(`\nfailed files: ${failedFiles.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
