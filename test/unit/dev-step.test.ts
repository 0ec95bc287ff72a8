import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planners } from '../../src/plan/planners.js';
import type { Revision } from '../../src/revision/revision.js';
import { decideDevStep, hasNoSql, isStillBeingWritten, olderDownEdits } from '../../src/watch/dev-step.js';
import { appliedRow, build, folder, history, MISSING } from '../helpers/memory-tree.js';

const A = '20261101090000_create_users';
const B = '20261102090000_add_orders';
const C = '20261103090000_add_invoices';

const base = history({ id: A, parent: 'base' }, { id: B, parent: A });
const rows = (revisions: Revision[], ...ids: string[]) => ids.map((id) => appliedRow(revisions.find((r) => r.id === id)!));
const none = { previousIds: new Set<string>() };
const watched = (...ids: string[]) => ({ previousIds: new Set(ids) });

/** `base` with B's files replaced */
function withB(up: string, down = 'drop table t_add_orders;\n', header = ''): Revision[] {
  return history({ id: A, parent: 'base' }, { id: B, parent: A, body: up, down, header });
}

test('nothing applied: apply every revision', () => {
  assert.equal(decideDevStep(base, [], none), { kind: 'apply-pending', ids: [A, B] });
});

test('the files match what is applied: nothing to do', () => {
  assert.equal(decideDevStep(base, rows(base, A, B), none), { kind: 'none' });
});

test('newest up.sql changed: re-apply, reverting with the stored down.sql', () => {
  const edited = withB('create table t_add_orders (id int, total numeric);\n');
  const step = decideDevStep(edited, rows(base, A, B), none);
  assert.equal(step, { kind: 'reapply', id: B, changed: 'up', isTransactional: true });
  // the redo planner dev uses reverts with the stored copy, then applies the new up.sql
  const plan = planners.redo()({ revisions: edited, problems: [] }, rows(base, A, B));
  assert.ok(plan.ok);
  if (!plan.ok) return;
  const [down, up] = plan.steps;
  assert.is(down!.direction, 'down');
  assert.is(down!.direction === 'down' && down!.source, 'stored');
  assert.is(down!.script.text, base[1]!.down.text);
  assert.is(up!.direction, 'up');
  assert.is(up!.script.body, edited[1]!.up.body);
});

test('newest down.sql changed only: re-apply, reverting with the new down.sql', () => {
  const edited = withB('create table t_add_orders (id int);\n', 'drop table if exists t_add_orders;\n');
  assert.equal(decideDevStep(edited, rows(base, A, B), none), { kind: 'reapply', id: B, changed: 'down', isTransactional: true });
  const plan = planners.redo()({ revisions: edited, problems: [] }, rows(base, A, B));
  assert.ok(plan.ok);
  if (!plan.ok) return;
  assert.is(plan.steps[0]!.direction === 'down' && plan.steps[0]!.source, 'disk');
  assert.is(plan.steps[0]!.script.body, edited[1]!.down.body);
});

test('both changed: re-apply with the stored down.sql', () => {
  const edited = withB('create table t_add_orders (id bigint);\n', 'drop table if exists t_add_orders;\n');
  assert.equal(decideDevStep(edited, rows(base, A, B), none), { kind: 'reapply', id: B, changed: 'up and down', isTransactional: true });
});

test('a comment-only change is a change (the body is hashed with its comments)', () => {
  const edited = withB('-- a note\ncreate table t_add_orders (id int);\n');
  assert.is(decideDevStep(edited, rows(base, A, B), none).kind, 'reapply');
});

test('a header-only change (the message) is not a change of SQL', () => {
  const edited = withB('create table t_add_orders (id int);\n', 'drop table t_add_orders;\n', '--! Message: orders');
  assert.equal(decideDevStep(edited, rows(base, A, B), none), { kind: 'none' });
});

test('Transaction: off is re-applied, marked as not transactional', () => {
  const edited = withB('create index concurrently i on t (x);\n', 'drop table t_add_orders;\n', '--! Transaction: off');
  const step = decideDevStep(edited, rows(base, A, B), none);
  assert.equal(step, { kind: 'reapply', id: B, changed: 'up', isTransactional: false });
});

test('a new folder after the applied head: apply it', () => {
  const three = history({ id: A, parent: 'base' }, { id: B, parent: A }, { id: C, parent: B });
  assert.equal(decideDevStep(three, rows(three, A, B), none), { kind: 'apply-pending', ids: [C] });
});

test('the newest folder deleted while watched: revert it with its stored down.sql', () => {
  const onlyA = history({ id: A, parent: 'base' });
  assert.equal(decideDevStep(onlyA, rows(base, A, B), watched(A, B)), { kind: 'revert-deleted', ids: [B], target: A });
  const nothing: Revision[] = [];
  assert.equal(decideDevStep(nothing, rows(base, A, B), watched(A, B)), { kind: 'revert-deleted', ids: [A, B], target: 'base' });
});

test('a missing folder dev did not see deleted (startup, wrong --dir) is never reverted by itself', () => {
  const onlyA = history({ id: A, parent: 'base' });
  const step = decideDevStep(onlyA, rows(base, A, B), none);
  assert.is(step.kind, 'invalid');
  if (step.kind === 'invalid') assert.equal(step.problems.map((p) => p.code), ['APPLIED_MISSING']);
  assert.is(decideDevStep([], rows(base, A, B), none).kind, 'invalid');
});

test('a folder missing in the middle of the history is not reverted', () => {
  const three = history({ id: A, parent: 'base' }, { id: B, parent: A }, { id: C, parent: B });
  const withoutB = three.filter((r) => r.id !== B);
  const step = decideDevStep(withoutB, rows(three, A, B, C), watched(A, B, C));
  assert.is(step.kind, 'invalid');
});

test('an older applied revision edited: not re-applied, and it blocks until restored', () => {
  const editedA = history({ id: A, parent: 'base', body: 'create table t_create_users (id bigint);\n' }, { id: B, parent: A });
  const step = decideDevStep(editedA, rows(base, A, B), none);
  assert.equal(step, { kind: 'older-edited', revisions: [{ id: A, file: `migrations/${A}/up.sql`, parent: 'base', isBlocking: true }] });
  // even when the newest changed too
  const both = history({ id: A, parent: 'base', body: 'create table t_create_users (id bigint);\n' }, { id: B, parent: A, body: 'create table x (id int);\n' });
  assert.is(decideDevStep(both, rows(base, A, B), none).kind, 'older-edited');
});

test('the revision being edited stops being the newest once a new folder appears', () => {
  const three = history({ id: A, parent: 'base' }, { id: B, parent: A, body: 'create table changed (id int);\n' }, { id: C, parent: B });
  const step = decideDevStep(three, rows(base, A, B), none);
  assert.is(step.kind, 'older-edited');
});

test('an older down.sql changed: said once (in the save that changed it), blocks nothing', () => {
  const editedDown = history({ id: A, parent: 'base', down: 'drop table if exists t_create_users;\n' }, { id: B, parent: A });
  assert.equal(olderDownEdits(editedDown, rows(base, A, B), new Set([A])), [{ id: A, file: `migrations/${A}/down.sql`, parent: 'base', isBlocking: false }]);
  assert.equal(olderDownEdits(editedDown, rows(base, A, B), new Set([B])), []);
  assert.equal(decideDevStep(editedDown, rows(base, A, B), none), { kind: 'none' });
});

test('a new revision still being written (files missing, no SQL yet) is waited for; other problems are not', () => {
  const unfinished = build(folder(A, '--! Parent: base\n\ncreate table a (id int);\n', 'drop table a;\n'), folder(B, `--! Parent: ${A}\n\n`, MISSING));
  assert.equal(unfinished.problems.map((p) => p.code), ['FILE_MISSING']);
  assert.ok(isStillBeingWritten(unfinished.problems, rows(base, A)));
  assert.not.ok(isStillBeingWritten(unfinished.problems, rows(base, A, B)), 'an applied revision losing a file is a problem');
  const empty = [{ code: 'SQL_EMPTY' as const, message: 'up.sql has no SQL statements', file: `migrations/${B}/up.sql`, line: 3, revision: B }];
  assert.ok(isStillBeingWritten(empty, rows(base, A)));
  const syntax = [{ code: 'SQL_SYNTAX' as const, message: 'syntax error', file: `migrations/${B}/up.sql`, line: 3, column: 1, revision: B }];
  assert.not.ok(isStillBeingWritten(syntax, rows(base, A)));
  assert.not.ok(isStillBeingWritten([], []));
});

test('redo (as dev runs it): a stored down.sql with no SQL (applied right after strata new) gives way to the down.sql on disk', () => {
  const template = '-- Undo everything up.sql does, in reverse order.\n\n';
  const appliedEmpty = withB('create table t_add_orders (id int);\n', template);
  const rowsEmpty = rows(appliedEmpty, A, B);
  // up.sql changed, down.sql now written: the disk copy reverts it
  const written = withB('create table t_add_orders (id int, total int);\n', 'drop table t_add_orders;\n');
  const plan = planners.redo()({ revisions: written, problems: [] }, rowsEmpty);
  assert.ok(plan.ok);
  if (!plan.ok) return;
  const [down, up] = plan.steps;
  assert.is(down!.direction === 'down' && down!.source, 'disk');
  assert.is(down!.script.body, written[1]!.down.body);
  assert.is(up!.script.body, written[1]!.up.body);
  // down.sql still empty: the stored copy (nothing to revert); the plain redo planner agrees
  const stillEmpty = withB('create table t_add_orders (id int, total int);\n', template);
  const same = planners.redo()({ revisions: stillEmpty, problems: [] }, rowsEmpty);
  assert.ok(same.ok && same.steps[0]!.direction === 'down' && same.steps[0]!.source === 'stored');
  // a stored down.sql with SQL is always the one used when up.sql changed
  const stored = planners.redo()({ revisions: written, problems: [] }, rows(base, A, B));
  assert.ok(stored.ok && stored.steps[0]!.direction === 'down' && stored.steps[0]!.source === 'stored');
  assert.ok(hasNoSql(template) && hasNoSql('') && hasNoSql('/* x */ -- y\n') && !hasNoSql('select 1;'));
});

test.run();
