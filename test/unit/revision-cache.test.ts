import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StrataError } from '../../src/errors.js';
import { cachedRevision } from '../../src/revision/cached-revision.js';
import { bodyChecksum } from '../../src/revision/checksums.js';
import { openRevisionCache, type FileStamp, type FolderEntry } from '../../src/revision/revision-cache.js';

// The revision cache's rules, with the clock handed in: when an entry is trusted, and what a
// revision built from one does when the file it reads is not the file that was hashed.

const ID = '20261101090000_create_users';
const UP = '--! Parent: base\n\ncreate table users (id int);\n';
const DOWN = 'drop table users;\n';
const root = mkdtempSync(path.join(os.tmpdir(), 'strata-revision-cache-unit-'));
const cacheDir = path.join(root, 'cache');
const dir = path.join(root, 'migrations');
test.after(() => rmSync(root, { recursive: true, force: true }));

const stamp = (ms: number, ino = 1): FileStamp => ({ ino, size: 10, mtimeMs: ms, ctimeMs: ms });

function entry(up: FileStamp, down: FileStamp): FolderEntry {
  return {
    hashedAtMs: 0,
    up: { stamp: up, parent: 'base', message: undefined, tags: [], replaces: [], transactional: true, bodyOffset: UP.indexOf('create'), checksum: bodyChecksum(UP.slice(UP.indexOf('create'))), lintAllows: [] },
    down: { stamp: down, transactional: true, irreversible: undefined, bodyOffset: 0, checksum: bodyChecksum(DOWN), lintAllows: [] },
  };
}

test('an entry is trusted only for files last changed more than the slack before they were hashed', async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const hashedAt = 1_800_000_000_000;
  const first = openRevisionCache(cacheDir, dir, hashedAt);
  first.remember('old', entry(stamp(hashedAt - 10_000), stamp(hashedAt - 10_000)));
  first.remember('racy', entry(stamp(hashedAt - 1_000), stamp(hashedAt - 10_000)));
  first.save();
  const later = openRevisionCache(cacheDir, dir, hashedAt + 60_000);
  assert.ok(later.lookup('old', stamp(hashedAt - 10_000), stamp(hashedAt - 10_000)), 'old files, same stats: trusted');
  assert.is(later.lookup('racy', stamp(hashedAt - 1_000), stamp(hashedAt - 10_000)), undefined, 'changed within 2 s of the hashing: hashed again');
  assert.is(later.lookup('old', stamp(hashedAt - 10_000, 2), stamp(hashedAt - 10_000)), undefined, 'another inode');
  assert.is(later.lookup('old', stamp(hashedAt - 10_000), { ...stamp(hashedAt - 10_000), ctimeMs: hashedAt + 5 }), undefined, 'another ctime (an edit with the mtime put back)');
  assert.is(later.lookup('gone', stamp(0), stamp(0)), undefined);
});

test('a revision from the cache reads its texts only when asked, and refuses a file that is not the one hashed', () => {
  let reads = 0;
  const files: Record<string, string> = { 'up.sql': UP, 'down.sql': DOWN };
  const revision = cachedRevision(ID, `migrations/${ID}`, entry(stamp(0), stamp(0)), (name) => {
    reads++;
    return new TextEncoder().encode(files[name]!);
  });
  assert.is(revision.parent, 'base');
  assert.is(revision.up.checksum, bodyChecksum('create table users (id int);\n'));
  assert.is(reads, 0, 'header and checksums come from the entry');
  assert.is(revision.up.body, 'create table users (id int);\n');
  assert.is(revision.up.text, UP);
  assert.is(reads, 1, 'read once');
  files['down.sql'] = 'drop table users cascade;\n';
  try {
    void revision.down.body;
    assert.unreachable('an edited down.sql was read as the hashed one');
  } catch (error) {
    assert.instance(error, StrataError);
    assert.is((error as StrataError).code, 'FILE_CHANGED');
    assert.match((error as StrataError).message, `migrations/${ID}/down.sql`);
  }
});

test.run();
