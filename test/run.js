#!/usr/bin/env node
// Runs every compiled uvu test file (dist/test/**/*.test.js) in its own process, two at a time,
// and ends with one plain line for the whole suite: "N passed, N failed".
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'dist', 'test');
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
const files = walk(root).filter((f) => f.endsWith('.test.js') && (!filter || filter.test(f))).sort();
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);

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

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const skip = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      let fileFailed = total - ok - skip;
      // a crash before uvu could count (or a non-zero exit with no failures counted) is a failure
      if (code !== 0 && fileFailed === 0) fileFailed = 1;
      passed += ok;
      failed += fileFailed;
      skipped += skip;
      const name = path.relative(root, file);
      process.stdout.write(`\n── ${name} ${fileFailed > 0 ? 'FAILED' : 'ok'} (${ok} passed${fileFailed ? `, ${fileFailed} failed` : ''}${skip ? `, ${skip} skipped` : ''})\n`);
      if (fileFailed > 0 || process.env.VERBOSE) process.stdout.write(output);
      if (fileFailed > 0) failedFiles.push(name);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
  while (queue.length > 0) await runFile(queue.shift());
}));

if (files.length === 0) {
  console.log('no test files found under dist/test');
  failed = 1;
}
if (failedFiles.length > 0) console.log(`\nfailed files: ${failedFiles.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
