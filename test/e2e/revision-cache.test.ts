import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectText, projectWithDatabase } from '../helpers/e2e.js';
import { runCli } from '../helpers/harness.js';

// The revision cache (src/revision/revision-cache.ts, issue 14): a folder unchanged since a run
// hashed it is not read again; an edit is never missed, even one made within the same second with
// the same size and the old mtime put back; a damaged, foreign or unwritable cache is never trusted.

const A = '20261101090000_create_users';
const B = '20261102090000_create_orders';
const FILES: Record<string, string> = {
  [`migrations/${A}/up.sql`]: '--! Parent: base\n--! Message: users\n\ncreate table users (id int primary key, name text);\n',
  [`migrations/${A}/down.sql`]: 'drop table users;\n',
  [`migrations/${B}/up.sql`]: `--! Parent: ${A}\n\ncreate table orders (id int primary key, user_id int references users);\n`,
  [`migrations/${B}/down.sql`]: 'drop table orders;\n',
};

// a cache folder of this file's own, so what is in it is this file's doing
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'strata-revision-cache-'));
const { db, project, env } = await projectWithDatabase('revision_cache', FILES);
const it = db ? test : test.skip;
test.after(() => rmSync(cacheDir, { recursive: true, force: true }));

const run = (args: string[], cache = cacheDir) => runCli(args, { cwd: project.dir, env: { ...env, STRATA_CACHE_DIR: cache } });
const upFile = path.join(project.dir, 'migrations', A, 'up.sql');
const cacheFiles = () => {
  try {
    return readdirSync(path.join(cacheDir, 'revisions')).map((name) => path.join(cacheDir, 'revisions', name));
  } catch {
    return [];
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The files as written, then old enough (by their ctime, which nothing can set back) for the cache to trust them. */
async function freshProjectThenWait(): Promise<void> {
  for (const [rel, text] of Object.entries(FILES)) project.write(rel, text);
  rmSync(path.join(cacheDir, 'revisions'), { recursive: true, force: true });
  await sleep(2200);
}

/** Sets the file's mtime to `mtimeNs` exactly (utimes in node takes seconds as a double, which loses the nanoseconds). */
function putBackMtime(file: string, mtimeNs: bigint): void {
  const stamp = `@${mtimeNs / 1_000_000_000n}.${String(mtimeNs % 1_000_000_000n).padStart(9, '0')}`;
  const touched = spawnSync('touch', ['-m', '-d', stamp, file], { encoding: 'utf8' });
  assert.is(touched.status, 0, touched.stderr);
}

/** An independent copy of the cache's digest (32-bit FNV-1a over UTF-16 units). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** The cache file: a header line (version, folder, digest of the next line) and the entries. */
function readCache(): { header: { version: string; digest: number }; entries: Record<string, { up: { checksum: string } }> } {
  const [file] = cacheFiles();
  assert.ok(file, 'a cache file was written');
  const [header, entries] = readFileSync(file!, 'utf8').split('\n');
  return { header: JSON.parse(header!), entries: JSON.parse(entries!) };
}

/** Rewrites the cache file with `change` applied to it, its digest made right again unless `keepDigest`. */
function tamper(change: (document: ReturnType<typeof readCache>) => void, keepDigest = false): void {
  const document = readCache();
  const digest = document.header.digest;
  change(document);
  const entries = JSON.stringify(document.entries);
  document.header.digest = keepDigest ? digest : fnv1a(entries);
  writeFileSync(cacheFiles()[0]!, `${JSON.stringify(document.header)}\n${entries}\n`);
}

it('a folder hashed by an earlier run is not read again, and the cache is written only when something changed', async () => {
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  const [file] = cacheFiles();
  assert.ok(file, 'up wrote the cache');
  assert.equal(Object.keys(readCache().entries).sort(), [A, B]);
  const written = statSync(file!).mtimeMs;
  const status = await run(['status']);
  expectExit(status, 0);
  expectText(status.stdout, `applied  ${A}`, `applied  ${B}`);
  assert.is(statSync(file!).mtimeMs, written, 'every folder came from the cache: nothing to write');
});

it('the cache is what status reads: a checksum changed in it (digest made right) shows as edited', async () => {
  // the control for the tests below: it proves the entries are used when they are trusted
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  tamper((d) => (d.entries[A]!.up.checksum = `v2:${'0'.repeat(64)}`));
  const status = await run(['status']);
  expectText(status.stdout, `edited   ${A}`);
});

it('an edit within the same second, with the same size and the old mtime put back, is caught (status, up)', async () => {
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  expectExit(await run(['status']), 0);
  const before = statSync(upFile, { bigint: true });
  const text = readFileSync(upFile, 'utf8');
  const edited = text.replace('name text', 'nick text');
  assert.is(edited.length, text.length);
  writeFileSync(upFile, edited);
  putBackMtime(upFile, before.mtimeNs);
  assert.is(statSync(upFile).size, Number(before.size));
  assert.is(statSync(upFile, { bigint: true }).mtimeNs, before.mtimeNs, 'the mtime is the one the cache recorded, to the nanosecond');
  const status = await run(['status']);
  expectText(status.stdout, `edited   ${A}`);
  const up = await run(['up']);
  expectExit(up, 2);
  expectText(up.output, A);
  assert.match(up.output, /edited/i);
});

it('a file hashed within the timestamp slack is hashed again: an edit right after it is caught', async () => {
  for (const [rel, text] of Object.entries(FILES)) project.write(rel, text);
  rmSync(path.join(cacheDir, 'revisions'), { recursive: true, force: true });
  expectExit(await run(['up']), 0);
  const before = statSync(upFile, { bigint: true });
  writeFileSync(upFile, readFileSync(upFile, 'utf8').replace('name text', 'nick text'));
  putBackMtime(upFile, before.mtimeNs);
  expectText((await run(['status'])).stdout, `edited   ${A}`);
});

it('a cache file that is garbage is ignored and written again', async () => {
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  const [file] = cacheFiles();
  writeFileSync(file!, '{"version": "strata-revision-cache-1\n{"2026', 'utf8');
  const status = await run(['status']);
  expectExit(status, 0);
  expectText(status.stdout, `applied  ${A}`, `applied  ${B}`);
  assert.equal(Object.keys(readCache().entries).sort(), [A, B], 'rewritten whole');
});

it('a cache whose digest does not match its entries is not trusted', async () => {
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  tamper((d) => (d.entries[A]!.up.checksum = `v2:${'0'.repeat(64)}`), true);
  const status = await run(['status']);
  expectText(status.stdout, `applied  ${A}`);
});

it('a cache of another version (another normalisation or header format) is not trusted', async () => {
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  tamper((d) => {
    d.header.version = d.header.version.replace('checksum=v2', 'checksum=v3');
    d.entries[A]!.up.checksum = `v2:${'0'.repeat(64)}`;
  });
  const status = await run(['status']);
  expectText(status.stdout, `applied  ${A}`);
});

it('a cache folder that cannot be written: no cache, the commands work', async () => {
  const blocker = path.join(cacheDir, 'not-a-folder');
  writeFileSync(blocker, 'a file where the cache folder would be\n');
  await freshProjectThenWait();
  const unwritable = path.join(blocker, 'cache');
  const up = await run(['up'], unwritable);
  expectExit(up, 0);
  const status = await run(['status'], unwritable);
  expectExit(status, 0);
  expectText(status.stdout, `applied  ${A}`, `applied  ${B}`);
  assert.equal(status.stderr.trim().split('\n'), [status.stderr.trim().split('\n')[0]!], 'nothing said but the database line');
  rmSync(blocker);
});

/** The parse cache beside the revision cache: `{ version, entries: { sha-256 of a body: { statements, olderGrammars } } }`. */
function tamperParsed(change: (document: { version: string; entries: Record<string, { statements: Array<Record<string, unknown>> }> }) => void): void {
  const file = cacheFiles().find((f) => f.endsWith('.parsed.json'));
  assert.ok(file, 'a parse cache was written');
  const document = JSON.parse(readFileSync(file!, 'utf8'));
  change(document);
  writeFileSync(file!, JSON.stringify(document));
}

it('scripts parsed once come from the parse cache (shown by a tampered entry); one of another version is not used', async () => {
  await freshProjectThenWait();
  expectExit(await run(['up']), 0);
  expectExit(await run(['down', 'base']), 0);
  // every statement of every cached script now claims to be BEGIN: a run that uses the cache refuses
  const claimBegin = (d: Parameters<Parameters<typeof tamperParsed>[0]>[0]) => {
    for (const entry of Object.values(d.entries)) for (const statement of entry.statements) Object.assign(statement, { isTransactionControl: true, label: 'BEGIN' });
  };
  tamperParsed(claimBegin);
  const refused = await run(['up']);
  expectExit(refused, 2);
  expectText(refused.output, 'BEGIN in a transactional revision');
  tamperParsed((d) => {
    d.version = `${d.version};another`;
  });
  const up = await run(['up']);
  expectExit(up, 0);
  expectText((await run(['status'])).stdout, `applied  ${A}`, `applied  ${B}`);
  writeFileSync(cacheFiles().find((f) => f.endsWith('.parsed.json'))!, 'garbage');
  expectExit(await run(['down', 'base']), 0);
  expectExit(await run(['up']), 0);
});

it('a header read from the cache keeps its Lint-allow lines: an accepted finding stays accepted on the next run', async () => {
  await freshProjectThenWait();
  const C = '20261103090000_index_users';
  project.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n--! Lint-allow: create-index-not-concurrently users is small here\n\ncreate index users_name on users (name);\n`);
  project.write(`migrations/${C}/down.sql`, '--! Lint-allow: drop-index-not-concurrently users is small here\ndrop index users_name;\n');
  rmSync(path.join(cacheDir, 'revisions'), { recursive: true, force: true });
  await sleep(2200);
  try {
    const first = await run(['lint']);
    expectExit(first, 0, 'lint reading the files');
    const second = await run(['lint']);
    expectExit(second, 0, 'lint from the cache');
    assert.is(second.stdout, first.stdout);
    const cached = readFileSync(cacheFiles().find((f) => !f.endsWith('.parsed.json'))!, 'utf8');
    assert.match(cached, '"lintAllows":[{"rule":"create-index-not-concurrently"');
    assert.match(cached, '"lintAllows":[{"rule":"drop-index-not-concurrently"');
  } finally {
    rmSync(path.join(project.dir, 'migrations', C), { recursive: true, force: true });
  }
});

test.run();
