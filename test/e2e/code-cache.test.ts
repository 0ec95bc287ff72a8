import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectText, revisionFiles } from '../helpers/e2e.js';
import { makeProject, runCli } from '../helpers/harness.js';

// The compiled-code cache (src/cli/start.ts, issue 14): a command's second run starts from the code
// V8 compiled in its first; code read from the cache still loads the external packages (libpg-query
// here, through import()); a damaged cache file is rejected and written again; a cache folder that
// cannot be written changes nothing but speed.

const A = '20261101090000_create_users';
// lint reads files only (no database) and loads the WASM parser with import()
const project = makeProject(revisionFiles(A, 'base', 'create table users (id int primary key);', 'drop table users;'));
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'strata-code-cache-'));
test.after(() => {
  project.remove();
  rmSync(cacheDir, { recursive: true, force: true });
});

const lint = (cache: string) => runCli(['lint'], { cwd: project.dir, env: { STRATA_CACHE_DIR: cache } });
const codeFiles = () => readdirSync(path.join(cacheDir, 'code')).map((name) => path.join(cacheDir, 'code', name));

test('the first run writes the command\'s code; the second runs from it, and still imports the parser', async () => {
  const first = await lint(cacheDir);
  expectExit(first, 0);
  const files = codeFiles();
  assert.is(files.length, 1, `one file for the lint command: ${files.join(', ')}`);
  assert.match(path.basename(files[0]!), /-lint\.bin$/);
  const written = statSync(files[0]!).mtimeMs;
  const second = await lint(cacheDir);
  expectExit(second, 0);
  assert.is(second.stdout, first.stdout, 'the same report from cached code');
  assert.is(statSync(files[0]!).mtimeMs, written, 'accepted code is not written again');
});

test('a damaged cache file is rejected by V8, the command runs as without it, and the file is written again', async () => {
  const [file] = codeFiles();
  writeFileSync(file!, Buffer.alloc(4096, 7));
  const result = await lint(cacheDir);
  expectExit(result, 0);
  expectText(result.stdout, A.slice(0, 14));
  const rewritten = readFileSync(file!);
  assert.ok(!rewritten.equals(Buffer.alloc(4096, 7)), 'the damaged file was replaced');
  expectExit(await lint(cacheDir), 0);
});

test('a word that is not a command (a typo) writes no file of its own', async () => {
  const before = codeFiles().length;
  const typo = await runCli(['lnit'], { cwd: project.dir, env: { STRATA_CACHE_DIR: cacheDir } });
  expectExit(typo, 2);
  expectText(typo.stderr, "unknown command 'lnit'");
  assert.is(codeFiles().length, before, codeFiles().join(', '));
});

test('a cache folder that cannot be written (a file stands where it would be) only means no cache', async () => {
  const blocked = path.join(cacheDir, 'blocked');
  writeFileSync(blocked, 'not a folder');
  const result = await lint(blocked);
  expectExit(result, 0);
  assert.is(readFileSync(blocked, 'utf8'), 'not a folder');
});

test.run();
