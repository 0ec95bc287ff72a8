import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareEmbeddedPath, runCli, type CliResult } from '../helpers/harness.js';
import { EXAMPLE_IDS, exampleProject, expectExit, expectText } from '../helpers/e2e.js';

// A new project's embedded database is a copy of a template made once per PGlite version in the
// cache (STRATA_CACHE_DIR here): said in one line, safe when two processes make it at once, never
// taken from a damaged entry, and done without the cache when the cache cannot be written.
const TIMEOUT_MS = 90_000;
const cacheDirs: string[] = [];
const projects: ReturnType<typeof exampleProject>[] = [];

function newCache(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-cache-'));
  cacheDirs.push(dir);
  return dir;
}

function newProject(): ReturnType<typeof exampleProject> {
  const project = exampleProject();
  projects.push(project);
  return project;
}

function strata(project: { dir: string }, cacheDir: string, ...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: project.dir, env: { DATABASE_URL: undefined, STRATA_CACHE_DIR: cacheDir }, timeoutMs: TIMEOUT_MS });
}

function creatingLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((line) => line.includes('creating the embedded database'));
}

/** the cache's one template entry (its name carries the PGlite version) */
function templateEntry(cacheDir: string): string {
  const entries = readdirSync(cacheDir).filter((name) => /^pglite-.+-template-\d+$/.test(name));
  assert.is(entries.length, 1, `one template in ${cacheDir}: ${readdirSync(cacheDir).join(', ')}`);
  return path.join(cacheDir, entries[0]!);
}

/** where a file of the data directory is in the entry's files.bin (the manifest lists them in order, with their sizes) */
function offsetOf(entry: string, file: string): number {
  const manifest = JSON.parse(readFileSync(path.join(entry, 'manifest.json'), 'utf8')) as { files: [string, number, string][] };
  let offset = 0;
  for (const [name, size] of manifest.files) {
    if (name === file) return offset;
    offset += size;
  }
  throw new Error(`${file} is not in the manifest`);
}

function appliedCount(result: CliResult): number {
  return (JSON.parse(result.stdout) as { counts: { applied: number } }).counts.applied;
}

test.after(() => {
  for (const project of projects) project.remove();
  for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
});

const cache = newCache();
const first = newProject();
const second = newProject();

test('first up of a fresh project: one line while the database is created, then it works', async () => {
  const result = await strata(first, cache, 'up');
  expectExit(result, 0);
  assert.equal(creatingLines(result), [
    `note: creating the embedded database in .strata/pglite: PostgreSQL's initdb runs once for this PGlite version (a few seconds), later projects copy it from ${templateEntry(cache)}`,
  ]);
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  const again = await strata(first, cache, 'status');
  expectExit(again, 0);
  assert.equal(creatingLines(again), [], 'said only while creating');
  assert.equal(readdirSync(templateEntry(cache)).sort(), ['files.bin', 'manifest.json']);
});

test('a second project copies the template and has a database of its own', async () => {
  const manifest = statSync(path.join(templateEntry(cache), 'manifest.json'));
  const result = await strata(second, cache, 'status', '--json');
  expectExit(result, 0);
  // not on stdout with --json (nor anywhere: --json prints no notes)
  assert.is(appliedCount(result), 0, 'the first project\'s revisions are not in this database');
  assert.equal(creatingLines(result), []);
  // status only reads: before a run that writes, nothing is made
  assert.not.ok(existsSync(path.join(second.dir, '.strata')), 'status made the embedded database');
  const up = await strata(second, cache, 'up');
  expectExit(up, 0);
  assert.equal(creatingLines(up), [`note: creating the embedded database in .strata/pglite from the template in ${templateEntry(cache)}`]);
  assert.match(up.stdout, /^5 applied in \d+ ms$/m);
  const after = statSync(path.join(templateEntry(cache), 'manifest.json'));
  assert.equal([after.ino, after.mtimeMs], [manifest.ino, manifest.mtimeMs], 'the template was reused, not made again');

  // each database changes alone: the first one goes back to base, the second one keeps its five
  expectExit(await strata(first, cache, 'down', 'base'), 0);
  const firstStatus = await strata(first, cache, 'status', '--json');
  const secondStatus = await strata(second, cache, 'status', '--json');
  assert.is(appliedCount(firstStatus), 0);
  assert.is(appliedCount(secondStatus), EXAMPLE_IDS.length);
});

test('a damaged template is not used: it is made again', async () => {
  const entry = templateEntry(cache);
  const pgVersionAt = offsetOf(entry, 'PG_VERSION');
  // same size, other content: a copy of it would be a database of another PostgreSQL version
  const fd = openSync(path.join(entry, 'files.bin'), 'r+');
  writeSync(fd, '99\n', pgVersionAt);
  closeSync(fd);
  const before = statSync(path.join(entry, 'manifest.json'));
  // a file system may give the new manifest the inode the old one freed: its inode and its time together tell them apart
  const damaged = `${before.ino} ${before.mtimeMs}`;
  const project = newProject();
  const result = await strata(project, cache, 'up');
  expectExit(result, 0);
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  assert.is(creatingLines(result).length, 1);
  expectText(result.stderr, `note: the template in ${entry} is damaged or incomplete: making it again (a few seconds)`);
  const now = statSync(path.join(templateEntry(cache), 'manifest.json'));
  assert.is.not(`${now.ino} ${now.mtimeMs}`, damaged, 'a new template is in place');
  const pack = readFileSync(path.join(templateEntry(cache), 'files.bin'));
  const at = offsetOf(templateEntry(cache), 'PG_VERSION');
  assert.is(pack.subarray(at, at + 3).toString(), readFileSync(path.join(project.dir, '.strata', 'pglite', 'PG_VERSION'), 'utf8'));
});

test('a partial template (files.bin cut short) is not used: it is made again', async () => {
  const entry = templateEntry(cache);
  const pack = path.join(entry, 'files.bin');
  truncateSync(pack, Math.floor(statSync(pack).size / 2));
  const project = newProject();
  const result = await strata(project, cache, 'up');
  expectExit(result, 0);
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  const manifest = JSON.parse(readFileSync(path.join(templateEntry(cache), 'manifest.json'), 'utf8')) as { files: [string, number, string][] };
  assert.is(statSync(path.join(templateEntry(cache), 'files.bin')).size, manifest.files.reduce((sum, [, size]) => sum + size, 0), 'a whole template is in place again');
});

test('two first ups at once, on two projects and an empty cache: both succeed, one template', async () => {
  const shared = newCache();
  const [a, b] = [newProject(), newProject()];
  const [resultA, resultB] = await Promise.all([strata(a, shared, 'up'), strata(b, shared, 'up')]);
  for (const result of [resultA, resultB]) {
    expectExit(result, 0);
    assert.match(result.stdout, /^5 applied in \d+ ms$/m);
    assert.is(creatingLines(result).length, 1);
  }
  templateEntry(shared);
  assert.equal(readdirSync(shared).filter((name) => name.startsWith('.tmp-')), [], 'no temporary folders left');
  for (const project of [a, b]) {
    assert.equal(readdirSync(path.join(project.dir, '.strata')).sort(), ['pglite']);
    assert.is(appliedCount(await strata(project, shared, 'status', '--json')), EXAMPLE_IDS.length);
  }
});

test('a cache that cannot be written: the database is made in place, and said so', async () => {
  const blocker = path.join(newCache(), 'a-file');
  writeFileSync(blocker, '');
  const project = newProject();
  const result = await strata(project, path.join(blocker, 'strata'), 'up');
  expectExit(result, 0);
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  const lines = creatingLines(result);
  assert.is(lines.length, 1);
  expectText(lines[0]!, 'cannot be written, so it is not kept for other projects');
});

test("npm install's prepare step makes the template: a new project's first up then copies it, and a second install leaves it", async () => {
  const installCache = newCache();
  const install = () => runCli([], { cwd: installCache, env: { STRATA_CACHE_DIR: installCache }, timeoutMs: TIMEOUT_MS, script: prepareEmbeddedPath });
  const made = await install();
  expectExit(made, 0);
  const entry = templateEntry(installCache);
  assert.is(made.stdout, `strata: prepared the embedded database's template in ${entry} (once per PGlite version)\n`);
  const packed = statSync(path.join(entry, 'files.bin')).mtimeMs;
  const again = await install();
  expectExit(again, 0);
  assert.is(again.output, '', 'a template already there is left as it is, silently');
  assert.is(statSync(path.join(entry, 'files.bin')).mtimeMs, packed);

  const project = newProject();
  const result = await strata(project, installCache, 'up');
  expectExit(result, 0);
  assert.match(result.stdout, /^5 applied in \d+ ms$/m);
  assert.equal(creatingLines(result), [`note: creating the embedded database in .strata/pglite from the template in ${entry}`]);
});

test("the prepare step never fails an install: a cache that cannot be written is said, exit 0", async () => {
  const blocker = path.join(newCache(), 'a-file');
  writeFileSync(blocker, '');
  const result = await runCli([], { cwd: path.dirname(blocker), env: { STRATA_CACHE_DIR: path.join(blocker, 'strata') }, timeoutMs: TIMEOUT_MS, script: prepareEmbeddedPath });
  expectExit(result, 0);
  assert.is(result.stdout, `strata: ${path.join('a-file', 'strata')} cannot be written: the first embedded command creates its database itself\n`);
});

test.run();
