import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeRevision } from '../../src/plan/describe-revision.js';
import { findHeads, type HeadsReport } from '../../src/plan/find-heads.js';
import { listHistory } from '../../src/plan/list-history.js';
import type { TreeEntry } from '../../src/revision/read-migration-tree.js';
import { appliedRow, build, folder, history } from '../helpers/memory-tree.js';

const A = '20261101090000_one';
const B = '20261102090000_two';
const C = '20261103090000_three';
const D = '20261104090000_four';
const E = '20261105090000_five';

const up = (parent: string, header = '') => `--! Parent: ${parent}\n${header}\nselect 1;\n`;

function heads(...entries: TreeEntry[]): HeadsReport {
  const set = build(...entries);
  return findHeads(set.revisions, set.problems, 'migrations');
}

/** Carries out a fork's edits on the folders: renames, then Parent headers. */
function applyEdits(entries: TreeEntry[], report: Extract<HeadsReport, { reason: 'forked' }>): TreeEntry[] {
  let result = entries.map((e) => ({ ...e }));
  for (const edit of report.moves.flatMap((m) => m.edits)) {
    if (edit.kind === 'rename') {
      result = result.map((e) => (`migrations/${e.name}` === edit.from ? { ...e, name: edit.to.slice('migrations/'.length) } : e));
    } else {
      const name = edit.file.split('/')[1]!;
      result = result.map((e) => (e.name === name ? folder(name, up(edit.parent), '') : e));
    }
  }
  return result;
}

test('heads: one head, or none yet', () => {
  assert.equal(heads(folder(A, up('base')), folder(B, up(A, '--! Message: Two'))), { ok: true, head: B, message: 'Two' });
  assert.equal(heads(), { ok: true, head: null, message: null });
});

test('heads: a fork of one revision each is re-parented, no rename needed', () => {
  const entries = [folder(A, up('base')), folder(B, up(A)), folder(C, up(A))];
  const report = heads(...entries);
  if (report.ok || report.reason !== 'forked') return assert.unreachable(JSON.stringify(report));
  assert.equal(report.heads.map((h) => [h.id, h.forkedFrom, h.branch]), [[B, A, [B]], [C, A, [C]]]);
  assert.is(report.keep, B);
  assert.equal(report.moves, [{ branch: [C], onto: B, edits: [{ kind: 'set-parent', file: `migrations/${C}/up.sql`, parent: B }] }]);
  assert.equal(build(...applyEdits(entries, report)).problems, [], 'the edits make the history one chain');
});

test('heads: branches of several revisions; renames only where an id would sort before its new parent', () => {
  // A <- B <- D (one branch) and A <- C <- E (the other): interleaved ids
  const entries = [folder(A, up('base')), folder(B, up(A)), folder(C, up(A)), folder(D, up(B)), folder(E, up(C))];
  const report = heads(...entries);
  if (report.ok || report.reason !== 'forked') return assert.unreachable(JSON.stringify(report));
  assert.equal(report.heads.map((h) => [h.id, h.branch]), [[D, [B, D]], [E, [C, E]]]);
  assert.is(report.keep, D);
  const renamed = `20261104090001_three`;
  assert.equal(report.moves[0]!.edits, [
    { kind: 'rename', from: `migrations/${C}`, to: `migrations/${renamed}` },
    { kind: 'set-parent', file: `migrations/${renamed}/up.sql`, parent: D },
    { kind: 'set-parent', file: `migrations/${E}/up.sql`, parent: renamed },
  ]);
  assert.equal(build(...applyEdits(entries, report)).problems, [], 'the edits make the history one chain');
});

test('heads: keeps the branch that needs fewer renames, not always the oldest', () => {
  // A <- B <- E and A <- C <- D: moving C, D after E renames both; moving B, E after D renames only B
  const entries = [folder(A, up('base')), folder(B, up(A)), folder(C, up(A)), folder(D, up(C)), folder(E, up(B))];
  const report = heads(...entries);
  if (report.ok || report.reason !== 'forked') return assert.unreachable(JSON.stringify(report));
  assert.is(report.keep, D);
  const renamed = '20261104090001_two';
  assert.equal(report.moves[0]!.edits, [
    { kind: 'rename', from: `migrations/${B}`, to: `migrations/${renamed}` },
    { kind: 'set-parent', file: `migrations/${renamed}/up.sql`, parent: D },
    { kind: 'set-parent', file: `migrations/${E}/up.sql`, parent: renamed },
  ]);
  assert.equal(build(...applyEdits(entries, report)).problems, []);
});

test('heads: other problems in the files are reported as they are', () => {
  const report = heads(folder(A, up('base')), folder(B, up('nowhere')));
  assert.is(report.ok, false);
  assert.equal(!report.ok && report.reason === 'invalid' && report.problems.map((p) => p.code), ['CHAIN_PARENT_UNKNOWN']);
});

const revisions = history({ id: A, parent: 'base', header: '--! Tags: v1' }, { id: B, parent: A }, { id: C, parent: B });

test('show: by prefix, tag and head; applied, edited, missing on disk', () => {
  const rows = [appliedRow(revisions[0]!), appliedRow(revisions[1]!, { upChecksum: 'old' })];
  const one = describeRevision(revisions, rows, 'v1');
  assert.ok(one.ok && one.revision.id === A && one.revision.state === 'applied' && one.revision.applied?.isUpMatching === true);
  const two = describeRevision(revisions, rows, '20261102');
  assert.ok(two.ok && two.revision.state === 'edited' && two.revision.applied?.isUpMatching === false && two.revision.isCurrent);
  const head = describeRevision(revisions, rows, 'head');
  assert.ok(head.ok && head.revision.id === C && head.revision.state === 'pending' && head.revision.applied === null && head.revision.isHead);
  const gone = describeRevision(revisions.slice(0, 1), rows, B);
  assert.ok(gone.ok && gone.revision.state === 'missing' && gone.revision.files === null && gone.revision.parent === A);
});

test('show: a target that is not one revision', () => {
  for (const [text, code] of [['base', 'TARGET_INVALID'], ['-1', 'TARGET_INVALID'], ['2026', 'TARGET_AMBIGUOUS'], ['nope', 'TARGET_UNKNOWN']] as const) {
    const result = describeRevision(revisions, [], text);
    assert.ok(!result.ok && result.problem.code === code, `${text}: ${JSON.stringify(result)}`);
  }
  const typo = describeRevision(revisions, [], 'thre');
  assert.ok(!typo.ok && typo.problem.hint === `did you mean ${C}?`, JSON.stringify(typo));
});

test('history: newest first, parent -> id, with head, current and state; unknown state when no database', () => {
  const entries = listHistory(revisions, [appliedRow(revisions[0]!)]);
  assert.equal(entries.map((e) => [e.parent, e.id, e.state, e.isHead, e.isCurrent]), [[B, C, 'pending', true, false], [A, B, 'pending', false, false], ['base', A, 'applied', false, true]]);
  assert.equal(listHistory(revisions, undefined).map((e) => e.state), [null, null, null]);
});

test.run();
