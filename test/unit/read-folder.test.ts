import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../../src/config.js';
import { changedFiles, readFolder } from '../../src/watch/read-folder.js';
import { makeProject } from '../helpers/harness.js';

const A = '20200101000000_a';
const B = '20200102000000_b';
const up = (parent: string, table: string) => `--! Parent: ${parent}\n\ncreate table ${table} (id int);\n`;

function project() {
  const p = makeProject({
    [`migrations/${A}/up.sql`]: up('base', 'a'),
    [`migrations/${A}/down.sql`]: 'drop table a;\n',
    [`migrations/${B}/up.sql`]: up(A, 'b'),
    [`migrations/${B}/down.sql`]: 'drop table b;\n',
  });
  return { ...p, config: resolveConfig({ cwd: p.dir, env: {} }), file: (id: string, name: string) => path.join(p.dir, 'migrations', id, name) };
}

const body = (reading: ReturnType<typeof readFolder>, id: string) => reading.set.revisions.find((r) => r.id === id)?.up.body;

test('a first read reads everything; an identical second read changes nothing and reuses the bytes', () => {
  const p = project();
  try {
    const first = readFolder(p.config, undefined, new Set(), 'verify');
    assert.equal(first.set.problems, []);
    assert.equal(first.set.revisions.map((r) => r.id), [A, B]);
    assert.equal([...first.folderIds].sort(), [A, B]);
    for (const mode of ['verify', 'trust-events'] as const) {
      const again = readFolder(p.config, first, new Set(), mode);
      assert.equal(changedFiles(first, again), [], mode);
      assert.ok(again.files.get(p.file(A, 'up.sql'))!.bytes === first.files.get(p.file(A, 'up.sql'))!.bytes, `${mode}: not read again`);
    }
    // trusting the events, a folder no event named is handed back whole, not looked at file by file
    const trusted = readFolder(p.config, first, new Set([B]), 'trust-events');
    assert.ok(trusted.entries.get(A)!.entry === first.entries.get(A)!.entry, 'the untouched folder is the one read before');
    assert.not.ok(trusted.entries.get(B)!.entry === first.entries.get(B)!.entry, 'the named folder is read again');
    assert.equal(trusted.files.size, first.files.size, 'with the stamps of all its files');
  } finally {
    p.remove();
  }
});

test('a save in a folder the watcher named is read; a save it did not report is found by verify', () => {
  const p = project();
  try {
    const first = readFolder(p.config, undefined, new Set(), 'verify');
    writeFileSync(p.file(B, 'up.sql'), up(A, 'b2'));
    const named = readFolder(p.config, first, new Set([B]), 'trust-events');
    assert.equal(changedFiles(first, named), [p.file(B, 'up.sql')]);
    assert.match(body(named, B)!, /b2/);
    // the watcher missed this one: trusting the events keeps the old text, verifying finds it
    writeFileSync(p.file(A, 'up.sql'), up('base', 'a2'));
    const trusted = readFolder(p.config, named, new Set(), 'trust-events');
    assert.match(body(trusted, A)!, /table a \(/);
    const verified = readFolder(p.config, named, new Set(), 'verify');
    assert.equal(changedFiles(named, verified), [p.file(A, 'up.sql')]);
    // ... also after readings that handed the folder back untouched
    const trustedAgain = readFolder(p.config, trusted, new Set([B]), 'trust-events');
    assert.equal(changedFiles(trustedAgain, readFolder(p.config, trustedAgain, new Set(), 'verify')), [p.file(A, 'up.sql')]);
    assert.match(body(verified, A)!, /a2/);
  } finally {
    p.remove();
  }
});

test('the same bytes saved again count as a change (a save is a save); a new and a deleted folder are seen', () => {
  const p = project();
  try {
    const first = readFolder(p.config, undefined, new Set(), 'verify');
    const later = new Date(Date.now() + 5000);
    writeFileSync(p.file(B, 'down.sql'), 'drop table b;\n');
    utimesSync(p.file(B, 'down.sql'), later, later);
    const resaved = readFolder(p.config, first, new Set([B]), 'trust-events');
    assert.equal(changedFiles(first, resaved), [p.file(B, 'down.sql')]);
    p.write(`migrations/20200103000000_c/up.sql`, up(B, 'c'));
    p.write(`migrations/20200103000000_c/down.sql`, 'drop table c;\n');
    // a new folder is read even when no event named it: the listing of migrations/ is always read
    const withC = readFolder(p.config, resaved, new Set(), 'trust-events');
    assert.equal(withC.set.revisions.map((r) => r.id), [A, B, '20200103000000_c']);
    rmSync(path.join(p.dir, 'migrations', '20200103000000_c'), { recursive: true });
    const gone = readFolder(p.config, withC, new Set(), 'trust-events');
    assert.equal(changedFiles(withC, gone), [p.file('20200103000000_c', 'down.sql'), p.file('20200103000000_c', 'up.sql')]);
    assert.equal([...gone.folderIds].sort(), [A, B]);
  } finally {
    p.remove();
  }
});

test('a folder deleted after its files (rm -r) is still a change: files first, then the empty folder', () => {
  const p = project();
  try {
    const first = readFolder(p.config, undefined, new Set(), 'verify');
    rmSync(p.file(B, 'up.sql'));
    rmSync(p.file(B, 'down.sql'));
    const filesGone = readFolder(p.config, first, new Set([B]), 'trust-events');
    assert.equal(changedFiles(first, filesGone), [p.file(B, 'down.sql'), p.file(B, 'up.sql')]);
    assert.ok(filesGone.folderIds.has(B), 'the empty folder is still listed');
    rmSync(path.join(p.dir, 'migrations', B), { recursive: true });
    const folderGone = readFolder(p.config, filesGone, new Set([B]), 'trust-events');
    assert.equal(changedFiles(filesGone, folderGone), [p.file(B, 'up.sql')]);
    assert.not.ok(folderGone.folderIds.has(B));
  } finally {
    p.remove();
  }
});

test.run();
