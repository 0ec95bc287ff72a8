import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Problem } from '../../src/errors.js';
import { readMigrationTree } from '../../src/revision/read-migration-tree.js';
import { buildRevisions } from '../../src/revision/build-revisions.js';
import { build, bytes, folder, MISSING } from '../helpers/memory-tree.js';

const A = '20261101090000_create_users';
const B = '20261102090000_add_orders';
const C = '20261103090000_add_invoices';

const up = (parent: string, body = 'select 1;\n') => `--! Parent: ${parent}\n\n${body}`;

function only(problems: Problem[], code: Problem['code']): Problem {
  const matching = problems.filter((p) => p.code === code);
  assert.is(matching.length, 1, `one ${code} in ${JSON.stringify(problems, null, 1)}`);
  return matching[0]!;
}

test('a whole chain: revisions in id order with parent, message, tags, paths and checksums', () => {
  const set = build(
    folder(B, `--! Parent: ${A}\n--! Message: Add orders\n--! Tags: v1.0\n\ncreate table orders ();\n`, 'drop table orders;\n'),
    folder(A, up('base', 'create table users ();\n'), 'drop table users;\n'),
  );
  assert.equal(set.problems, []);
  assert.equal(set.revisions.map((r) => [r.id, r.parent]), [[A, 'base'], [B, A]]);
  const orders = set.revisions[1]!;
  assert.is(orders.message, 'Add orders');
  assert.equal(orders.tags, ['v1.0']);
  assert.is(orders.transactional, true);
  assert.is(orders.up.path, `migrations/${B}/up.sql`);
  assert.is(orders.down.path, `migrations/${B}/down.sql`);
  assert.is(orders.down.body, 'drop table orders;\n');
});

test('an empty folder is an empty history', () => {
  assert.equal(buildRevisions({ entries: [] }, 'migrations'), { revisions: [], problems: [] });
});

test('bad folder names: each reported with a suggested name when one can be guessed', () => {
  const set = build(
    folder('2026-11-25_Add-Orders', up('base')),
    folder('20261125_add_orders', up('base')),
    folder('create_users', up('base')),
    folder('20261301000000_bad_month', up('base')),
    folder('20261125123456_Add_Orders', up('base')),
  );
  assert.is(set.revisions.length, 0);
  const byFile = new Map(set.problems.map((p) => [p.file, p]));
  assert.ok(set.problems.every((p) => p.code === 'FOLDER_NAME_INVALID'), JSON.stringify(set.problems));
  assert.is(set.problems.length, 5);
  assert.match(byFile.get('migrations/2026-11-25_Add-Orders')!.message, "folder name '2026-11-25_Add-Orders' is not a revision id (YYYYMMDDHHMMSS_slug");
  assert.is(byFile.get('migrations/2026-11-25_Add-Orders')!.hint, 'rename it to 20261125000000_add_orders');
  assert.is(byFile.get('migrations/20261125_add_orders')!.hint, 'rename it to 20261125000000_add_orders');
  assert.match(byFile.get('migrations/create_users')!.hint!, 'strata new');
  assert.ok(byFile.has('migrations/20261301000000_bad_month'), 'month 13 is not a timestamp');
  assert.is(byFile.get('migrations/20261125123456_Add_Orders')!.hint, 'rename it to 20261125123456_add_orders');
});

test('missing up.sql and missing down.sql: the file path and what to write', () => {
  const set = build(folder(A, MISSING, 'drop table users;'), folder(B, up(A), MISSING));
  const missing = set.problems.filter((p) => p.code === 'FILE_MISSING');
  assert.equal(missing.map((p) => p.file), [`migrations/${A}/up.sql`, `migrations/${B}/down.sql`]);
  assert.match(missing[0]!.message, 'up.sql is missing');
  assert.match(missing[0]!.hint!, '--! Parent:');
  assert.match(missing[1]!.message, 'down.sql is missing');
  assert.match(missing[1]!.hint!, '--! Irreversible: <why>');
  assert.is(set.revisions.length, 0, 'a revision without both files is not part of the history');
});

test('duplicate timestamps: both ids named, the later folder reported', () => {
  const twin = '20261101090000_create_accounts';
  const set = build(folder(A, up('base')), folder(twin, up(A)));
  const p = only(set.problems, 'DUPLICATE_TIMESTAMP');
  assert.is(p.file, `migrations/${A}`, 'ids sort create_accounts < create_users');
  assert.match(p.message, A);
  assert.match(p.message, twin);
  assert.match(p.message, 'share the timestamp 20261101090000');
  assert.match(p.hint!, 'later timestamp');
});

test('fork: "2 revisions claim parent X" names both and says how to re-parent', () => {
  const set = build(folder(A, up('base')), folder(B, up(A)), folder(C, up(A)));
  const fork = only(set.problems, 'CHAIN_FORK');
  assert.is(set.problems.length, 1, JSON.stringify(set.problems));
  assert.equal([fork.file, fork.line], [`migrations/${C}/up.sql`, 1]);
  assert.is(fork.message, `2 revisions claim parent ${A}: ${B} and ${C} (two branches were merged)`);
  assert.is(fork.hint, `join the branches with strata rebase (it moves the revisions the database has not applied after the others; strata rebase --from base decides from the files alone), or set '--! Parent: ${B}' in migrations/${C}/up.sql by hand (strata heads lists every step of each branch)`);
});

test('fork fixed as the hint says: the chain is whole', () => {
  const set = build(folder(A, up('base')), folder(B, up(A)), folder(C, up(B)));
  assert.equal(set.problems, []);
});

test('fork at base: two first revisions', () => {
  const set = build(folder(A, up('base')), folder(B, up('base')));
  const fork = only(set.problems, 'CHAIN_FORK');
  assert.is(fork.message, `2 revisions claim parent base: ${A} and ${B} (two branches were merged)`);
  assert.match(fork.hint!, `'--! Parent: ${A}'`);
});

test('Parent line is found when it is not the first header line', () => {
  const set = build(folder(A, up('base')), folder(B, up(A)), folder(C, `--! Message: x\n--! Parent: ${A}\n\nselect 1;`));
  assert.is(only(set.problems, 'CHAIN_FORK').line, 2);
});

test('unknown parent: file, line and the revision it should name', () => {
  const set = build(folder(A, up('base')), folder(B, up('20261101090000_create_user')));
  const p = only(set.problems, 'CHAIN_PARENT_UNKNOWN');
  assert.equal([p.file, p.line], [`migrations/${B}/up.sql`, 1]);
  assert.is(p.message, 'Parent 20261101090000_create_user is not a revision in this folder');
  assert.is(p.hint, `set '--! Parent: ${A}'`);
});

test('mismatch: Parent is a real revision but not the one before', () => {
  // A <- C <- B by Parent, but id order is A, B, C
  const set = build(folder(A, up('base')), folder(B, up(C)), folder(C, up(A)));
  const problems = set.problems.filter((p) => p.code === 'CHAIN_PARENT_MISMATCH');
  assert.equal(problems.map((p) => p.file), [`migrations/${B}/up.sql`, `migrations/${C}/up.sql`]);
  assert.is(problems[0]!.message, `Parent is ${C} but the revision before this one is ${A}`);
  assert.match(problems[0]!.hint!, `set '--! Parent: ${A}' (revisions run in the order of their folder names)`);
});

test('the first revision must have Parent base', () => {
  const set = build(folder(A, up(B)), folder(B, up('base')));
  const problems = set.problems.filter((p) => p.code === 'CHAIN_PARENT_MISMATCH');
  assert.is(problems[0]!.file, `migrations/${A}/up.sql`);
  assert.is(problems[0]!.message, `the first revision must have Parent base, not ${B}`);
  assert.match(problems[0]!.hint!, "'--! Parent: base'");
});

test('a stray .sql file next to the revision folders is reported; other files are ignored', () => {
  const set = build(folder(A, up('base')), { name: 'notes.sql', kind: 'file' }, { name: 'README.md', kind: 'file' });
  const p = only(set.problems, 'STRAY_SQL_FILE');
  assert.is(p.file, 'migrations/notes.sql');
  assert.match(p.message, 'notes.sql is not inside a revision folder and will not run');
  assert.is(set.problems.length, 1);
  assert.is(set.revisions.length, 1);
});

test('invalid UTF-8: line and column of the first bad byte', () => {
  const text = new TextEncoder().encode("--! Parent: base\n\nselect 'é', '");
  const bad = new Uint8Array([...text, 0xff, ...new TextEncoder().encode("';\n")]);
  const set = build(folder(A, bytes(bad)));
  const p = only(set.problems, 'FILE_ENCODING');
  assert.equal([p.file, p.line, p.column], [`migrations/${A}/up.sql`, 3, 14]);
  assert.match(p.message, 'not valid UTF-8');
  assert.match(p.hint!, 'UTF-8');
});

test('invalid UTF-8: a truncated multi-byte sequence', () => {
  const bad = new Uint8Array([...new TextEncoder().encode('--! Parent: base\nselect '), 0xe2, 0x82, 0x0a]);
  const p = only(build(folder(A, bytes(bad))).problems, 'FILE_ENCODING');
  assert.equal([p.line, p.column], [2, 8]);
});

test('symlink outside the folder, too large, unreadable: file named with the reason', () => {
  const set = build(
    folder(A, { kind: 'outside', target: '/etc/passwd' }),
    folder(B, { kind: 'too-large', bytes: 20 * 1024 * 1024 }),
    folder(C, up(B), { kind: 'unreadable', reason: 'EACCES' }),
  );
  const outside = only(set.problems, 'FILE_OUTSIDE_DIR');
  assert.is(outside.file, `migrations/${A}/up.sql`);
  assert.match(outside.message, 'points outside the migrations folder (to /etc/passwd)');
  const large = only(set.problems, 'FILE_TOO_LARGE');
  assert.is(large.file, `migrations/${B}/up.sql`);
  assert.match(large.message, '20.0 MiB, over the 16 MiB limit');
  const unreadable = only(set.problems, 'FILE_UNREADABLE');
  assert.is(unreadable.file, `migrations/${C}/down.sql`);
  assert.match(unreadable.message, 'EACCES');
});

test('every problem in every file at once, in file order', () => {
  const set = build(
    folder(A, '--! Parent: base\n--! Transacton: off\nselect 1;'),
    folder(B, up(A), MISSING),
    folder('bad-name', up('base')),
    folder(C, `--! Parent: ${A}\n--! Parent: ${A}\nselect 1;`, '--! Irreversible:\n'),
  );
  assert.equal(set.problems.map((p) => [p.code, p.file]), [
    ['HEADER_UNKNOWN_KEY', `migrations/${A}/up.sql`],
    ['FILE_MISSING', `migrations/${B}/down.sql`],
    ['HEADER_REPEATED_KEY', `migrations/${C}/up.sql`],
    ['HEADER_BAD_VALUE', `migrations/${C}/down.sql`],
    ['FOLDER_NAME_INVALID', 'migrations/bad-name'],
  ]);
});

test('a tag on two revisions', () => {
  const set = build(folder(A, '--! Parent: base\n--! Tags: v1\nselect 1;'), folder(B, `--! Parent: ${A}\n--! Message: m\n--! Tags: v2, v1\nselect 1;`));
  const p = only(set.problems, 'DUPLICATE_TAG');
  assert.equal([p.file, p.line], [`migrations/${B}/up.sql`, 3]);
  assert.is(p.message, `tag 'v1' is already on ${A}`);
});

test('readMigrationTree on disk: hidden entries skipped, symlink outside refused, stray files listed', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-tree-'));
  try {
    const dir = path.join(root, 'migrations');
    mkdirSync(path.join(dir, A), { recursive: true });
    mkdirSync(path.join(dir, '.git'));
    writeFileSync(path.join(dir, A, 'up.sql'), up('base'));
    writeFileSync(path.join(root, 'elsewhere.sql'), 'select 1;');
    symlinkSync(path.join(root, 'elsewhere.sql'), path.join(dir, A, 'down.sql'));
    writeFileSync(path.join(dir, 'loose.sql'), 'select 1;');
    const read = readMigrationTree(dir);
    assert.ok(read.ok);
    if (!read.ok) return;
    assert.equal(read.tree.entries.map((e) => [e.name, e.kind]), [[A, 'directory'], ['loose.sql', 'file']]);
    const set = buildRevisions(read.tree, 'migrations');
    assert.equal(set.problems.map((p) => [p.code, p.file]), [
      ['FILE_OUTSIDE_DIR', `migrations/${A}/down.sql`],
      ['STRAY_SQL_FILE', 'migrations/loose.sql'],
    ]);
    const missing = readMigrationTree(path.join(root, 'nope'));
    assert.is(missing.ok, false);
    assert.is(!missing.ok && missing.reason, 'missing');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
