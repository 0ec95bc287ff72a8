import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planDown, planUp } from '../../src/plan/plan.js';
import { computeStatus } from '../../src/plan/revision-status.js';
import { bodyChecksum, matchesRecorded } from '../../src/revision/checksums.js';
import type { Revision } from '../../src/revision/revision.js';
import { decideDevStep } from '../../src/watch/dev-step.js';
import { appliedRow, build, folder } from '../helpers/memory-tree.js';

const A = '20261101090000_create_users';
const B = '20261102090000_add_orders';

const UP_A = '--! Parent: base\n--! Message: users\n\ncreate table users (id int);\ninsert into users values (1);\n';
const DOWN_A = 'drop table users;\n';
const UP_B = `--! Parent: ${A}\n\ncreate table orders (id int);\n`;
const DOWN_B = 'drop table orders;\n';

function revisionsOf(upA: string, downA = DOWN_A, upB = UP_B, downB = DOWN_B): Revision[] {
  const set = build(folder(A, upA, downA), folder(B, upB, downB));
  assert.equal(set.problems, [], 'no problems');
  return set.revisions;
}

/**
 * What the previous release recorded: the whole file with its BOM removed and CRLF/CR made LF,
 * split at the header, the body hashed as it was (an independent copy of that code).
 */
function previousReleaseChecksum(file: string): string {
  const text = (file.charCodeAt(0) === 0xfeff ? file.slice(1) : file).replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  let offset = 0;
  for (const line of lines) {
    if (!line.startsWith('--!')) break;
    offset += line.length + 1;
  }
  return createHash('sha256').update(text.slice(Math.min(offset, text.length))).digest('hex');
}

/** The rows the previous release wrote when it applied these files. */
function legacyRows(revisions: Revision[], files: Record<string, { up: string; down: string }>) {
  return revisions.map((r) => appliedRow(r, {
    upChecksum: previousReleaseChecksum(files[r.id]!.up),
    downChecksum: previousReleaseChecksum(files[r.id]!.down),
    downText: files[r.id]!.down.replace(/\r\n?/g, '\n'),
  }));
}

/** The same file with each kind of change that must not count as an edit. */
const SAME_SQL: Array<[string, (text: string) => string]> = [
  ['CRLF', (t) => t.replace(/\n/g, '\r\n')],
  ['lone CR', (t) => t.replace(/\n/g, '\r')],
  ['mixed CRLF, CR and LF', (t) => t.replace('\n', '\r\n').replace(/;\n/, ';\r')],
  ['trailing blank lines', (t) => `${t}\n\n\n`],
  ['trailing spaces and tabs', (t) => `${t}  \t \n\t\n`],
  ['no final newline', (t) => t.replace(/\n$/, '')],
  ['CRLF and trailing blank lines', (t) => `${t.replace(/\n/g, '\r\n')}\r\n\r\n`],
  ['a BOM', (t) => `\uFEFF${t}`],
  ['a header edit', (t) => t.replace('--! Message: users', '--! Message: the users\n--! Tags: v1')],
];

/** Changes of the SQL that must count as an edit. */
const REAL_EDITS: Array<[string, (text: string) => string]> = [
  ['a changed statement', (t) => t.replace('id int', 'id bigint')],
  ['a statement added at the end', (t) => `${t}create index on users (id);\n`],
  ['a changed literal', (t) => t.replace('values (1)', 'values (2)')],
  ['a space inside a line', (t) => t.replace('id int', 'id  int')],
];

test('v2 checksum: a prefix names the algorithm', () => {
  assert.match(bodyChecksum('select 1;\n'), /^v2:[0-9a-f]{64}$/);
});

test('v2 checksum: line endings, end-of-file whitespace, BOM and header edits leave it; SQL edits change it', () => {
  const original = revisionsOf(UP_A)[0]!.up.checksum;
  for (const [name, change] of SAME_SQL) assert.is(revisionsOf(change(UP_A))[0]!.up.checksum, original, name);
  for (const [name, change] of REAL_EDITS) assert.is.not(revisionsOf(change(UP_A))[0]!.up.checksum, original, name);
});

test('a v2 row: status applied after each harmless change, edited after each SQL change (up and down)', () => {
  const applied = revisionsOf(UP_A).map((r) => appliedRow(r));
  for (const [name, change] of SAME_SQL) {
    const status = computeStatus(revisionsOf(change(UP_A), change(DOWN_A)), applied);
    assert.equal(status.map((s) => [s.state, s.isDownEdited]), [['applied', false], ['applied', false]], name);
  }
  for (const [name, change] of REAL_EDITS) {
    const status = computeStatus(revisionsOf(change(UP_A)), applied);
    assert.equal(status.map((s) => s.state), ['edited', 'applied'], name);
  }
  const downEdited = computeStatus(revisionsOf(UP_A, 'drop table if exists users;\n'), applied);
  assert.equal(downEdited.map((s) => s.isDownEdited), [true, false]);
});

test('a legacy row (bare hex, written by the previous release) is compared with the legacy algorithm', () => {
  const files = { [A]: { up: UP_A, down: DOWN_A }, [B]: { up: UP_B, down: DOWN_B } };
  const rows = legacyRows(revisionsOf(UP_A), files);
  assert.match(rows[0]!.upChecksum, /^[0-9a-f]{64}$/);
  // unchanged files are applied: status, up has nothing to do, dev has nothing to do
  assert.equal(computeStatus(revisionsOf(UP_A), rows).map((s) => [s.state, s.isDownEdited]), [['applied', false], ['applied', false]]);
  assert.equal(planUp(revisionsOf(UP_A), rows), { ok: true, steps: [] });
  assert.equal(decideDevStep(revisionsOf(UP_A), rows, { previousIds: new Set() }), { kind: 'none' });
  for (const [name, change] of SAME_SQL) {
    const revisions = revisionsOf(change(UP_A), change(DOWN_A));
    assert.equal(computeStatus(revisions, rows).map((s) => [s.state, s.isDownEdited]), [['applied', false], ['applied', false]], name);
  }
  for (const [name, change] of REAL_EDITS) {
    const plan = planUp(revisionsOf(change(UP_A)), rows);
    assert.equal(plan.ok ? [] : plan.problems.map((p) => p.code), ['APPLIED_EDITED'], name);
  }
});

test('legacy rows written from CRLF files match the files as they are, and as LF files', () => {
  const crlf = { up: UP_A.replace(/\n/g, '\r\n'), down: DOWN_A.replace(/\n/g, '\r\n') };
  const rows = legacyRows(revisionsOf(crlf.up, crlf.down), { [A]: crlf, [B]: { up: UP_B, down: DOWN_B } });
  for (const files of [[crlf.up, crlf.down], [UP_A, DOWN_A]] as const) {
    assert.equal(computeStatus(revisionsOf(files[0], files[1]), rows).map((s) => [s.state, s.isDownEdited]), [['applied', false], ['applied', false]]);
  }
});

test('down: the disk down.sql while up.sql matches its row (v2 or legacy), the stored copy once it is really edited', () => {
  const files = { [A]: { up: UP_A, down: DOWN_A }, [B]: { up: UP_B, down: DOWN_B } };
  const legacy = legacyRows(revisionsOf(UP_A), files);
  const v2 = revisionsOf(UP_A).map((r) => appliedRow(r));
  const newDown = 'drop table if exists orders;\n';
  for (const [label, rows] of [['legacy', legacy], ['v2', v2]] as const) {
    for (const upB of [UP_B, UP_B.replace(/\n/g, '\r\n'), `${UP_B}\n\n`]) {
      const plan = planDown(revisionsOf(UP_A, DOWN_A, upB, newDown), rows);
      assert.ok(plan.ok && plan.steps[0]!.source === 'disk' && plan.steps[0]!.script.body === newDown, `${label} ${JSON.stringify(upB)}`);
    }
    const edited = planDown(revisionsOf(UP_A, DOWN_A, `${UP_B}create index on orders (id);\n`, newDown), rows);
    assert.ok(edited.ok && edited.steps[0]!.source === 'stored', label);
  }
});

test('dev: the newest revision converted to CRLF is not re-applied; a real change is, for either kind of row', () => {
  const files = { [A]: { up: UP_A, down: DOWN_A }, [B]: { up: UP_B, down: DOWN_B } };
  for (const rows of [legacyRows(revisionsOf(UP_A), files), revisionsOf(UP_A).map((r) => appliedRow(r))]) {
    const context = { previousIds: new Set([A, B]) };
    assert.equal(decideDevStep(revisionsOf(UP_A, DOWN_A, UP_B.replace(/\n/g, '\r\n'), `${DOWN_B}\n`), rows, context), { kind: 'none' });
    const changed = decideDevStep(revisionsOf(UP_A, DOWN_A, `${UP_B}select 1;\n`), rows, context);
    assert.equal(changed, { kind: 'reapply', id: B, changed: 'up', isTransactional: true });
  }
});

test('matchesRecorded: a v2 value is compared as v2 only; an unknown value matches nothing', () => {
  const file = revisionsOf(UP_A)[0]!.up;
  assert.ok(matchesRecorded(file, file.checksum));
  assert.not.ok(matchesRecorded(file, `v2:${'0'.repeat(64)}`));
  assert.not.ok(matchesRecorded(file, 'v3:abc'));
  assert.not.ok(matchesRecorded(file, ''));
});

test.run();
