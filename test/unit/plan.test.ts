import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Problem } from '../../src/errors.js';
import { planDown, planUp, type Plan, type Step } from '../../src/plan/plan.js';
import { planRedo } from '../../src/plan/planners.js';
import { computeStatus } from '../../src/plan/revision-status.js';
import { appliedRow, build, folder, history } from '../helpers/memory-tree.js';

const A = '20261101090000_create_users';
const B = '20261102090000_add_orders';
const C = '20261103090000_add_invoices';
const D = '20261104090000_add_refunds';
const E = '20261105090000_add_audit';

const revisions = history(
  { id: A, parent: 'base' },
  { id: B, parent: A, header: '--! Tags: v1.0' },
  { id: C, parent: B },
  { id: D, parent: C, header: '--! Tags: v2.0' },
  { id: E, parent: D },
);
const byId = (id: string) => revisions.find((r) => r.id === id)!;
const applied = (...list: string[]) => list.map((id) => appliedRow(byId(id)));

function steps<S extends Step>(plan: Plan<S>): string[] {
  if (!plan.ok) throw new Error(`expected a plan, got ${JSON.stringify(plan.problems, null, 1)}`);
  return plan.steps.map((s) => s.id);
}

function problems<S extends Step>(plan: Plan<S>): Problem[] {
  if (plan.ok) throw new Error(`expected problems, got steps ${plan.steps.map((s) => s.id).join(', ')}`);
  return plan.problems;
}

function single<S extends Step>(plan: Plan<S>, code: Problem['code']): Problem {
  const list = problems(plan);
  assert.equal(list.map((p) => p.code), [code], JSON.stringify(list));
  return list[0]!;
}

// ---------------------------------------------------------------------------------------------------------------
// up

test('up: head applies every pending revision in order, with the up.sql scripts', () => {
  const plan = planUp(revisions, applied(A, B));
  assert.equal(steps(plan), [C, D, E]);
  if (!plan.ok) return;
  const step = plan.steps[0]!;
  assert.is(step.direction, 'up');
  assert.is(step.script.path, `migrations/${C}/up.sql`);
  assert.is(step.script.body, byId(C).up.body);
  assert.is(step.script.bodyOffset, byId(C).up.bodyOffset);
  assert.is(step.script.transactional, true);
  assert.equal(steps(planUp(revisions, [])), [A, B, C, D, E], 'from an empty database');
  assert.equal(steps(planUp(revisions, applied(A, B, C, D, E))), [], 'nothing pending');
});

test('up targets: +N, id, unique prefix, tag, base', () => {
  assert.equal(steps(planUp(revisions, applied(A), '+1')), [B]);
  assert.equal(steps(planUp(revisions, applied(A), '+2')), [B, C]);
  assert.equal(steps(planUp(revisions, applied(A), C)), [B, C]);
  assert.equal(steps(planUp(revisions, applied(A), '20261104')), [B, C, D]);
  assert.equal(steps(planUp(revisions, [], 'v1.0')), [A, B]);
  assert.equal(steps(planUp(revisions, applied(A, B, C), 'v1.0')), [], 'target already applied');
  assert.equal(steps(planUp(revisions, applied(A), 'base')), []);
});

test('up +N with more than pending: refused, saying how many are pending', () => {
  const p = single(planUp(revisions, applied(A, B, C), '+3'), 'TARGET_INVALID');
  assert.is(p.message, "'+3' asks for 3 revisions but only 2 are pending");
  assert.is(single(planUp(revisions, applied(A, B, C, D), '+2'), 'TARGET_INVALID').message, "'+2' asks for 2 revisions but only 1 is pending");
  assert.is(single(planUp(revisions, applied(A, B, C, D, E), '+1'), 'TARGET_INVALID').message, "'+1' asks for 1 revision but only 0 are pending");
});

test('up -N goes backwards: refused, pointing at down', () => {
  const p = single(planUp(revisions, applied(A, B), '-1'), 'TARGET_INVALID');
  assert.is(p.message, "'-1' goes backwards");
  assert.is(p.hint, 'use strata down -1');
});

test('up to an ambiguous prefix or an unknown target (with a suggestion)', () => {
  const ambiguous = single(planUp(revisions, [], '2026110'), 'TARGET_AMBIGUOUS');
  assert.match(ambiguous.message, "'2026110' matches 5 revisions");
  const unknown = single(planUp(revisions, [], 'v2.1'), 'TARGET_UNKNOWN');
  assert.is(unknown.hint, 'did you mean v2.0?');
  assert.is(single(planUp(revisions, [], 'add_invoice'), 'TARGET_UNKNOWN').hint, `did you mean ${C}?`);
});

test('up while a revision is applied but missing on disk is refused, whatever the target', () => {
  const gone = '20261106090000_gone';
  const p = problems(planUp(revisions, [...applied(A, B, C, D, E), appliedRow({ ...byId(E), id: gone, parent: E })], gone));
  assert.ok(p.some((x) => x.code === 'APPLIED_MISSING'));
});

test('applied revision edited since: file, line of the body, date, and what to do', () => {
  const rows = applied(A, B, C);
  rows[1] = { ...rows[1]!, upChecksum: 'f'.repeat(64) };
  const p = single(planUp(revisions, rows, 'head', { restoreCommand: (file) => `git checkout -- ${file}` }), 'APPLIED_EDITED');
  assert.equal([p.file, p.line], [`migrations/${B}/up.sql`, 4], 'the first line of SQL after the header and the blank line');
  assert.is(p.message, `${B} was edited after it was applied (its SQL no longer matches the checksum recorded on 2026-11-20 10:00:00 UTC)`);
  assert.match(p.hint!, `git checkout -- migrations/${B}/up.sql`);
  assert.match(p.hint!, 'strata new');
  // no committed version to restore (git does not track the file): no git command is offered
  const untracked = single(planUp(revisions, rows, 'head', { restoreCommand: () => undefined }), 'APPLIED_EDITED');
  assert.not.match(untracked.hint!, 'git');
  assert.match(untracked.hint!, 'undo the edit to its SQL');

  const newest = applied(A, B, C, D, E);
  newest[4] = { ...newest[4]!, upChecksum: '0'.repeat(64) };
  assert.match(single(planUp(revisions, newest), 'APPLIED_EDITED').hint!, 'strata redo', 'the newest revision can be redone');
});

test('applied revision missing on disk: refused, with the way to revert it', () => {
  const rows = applied(A, B);
  const gone = { ...appliedRow(byId(C)), id: '20261102120000_spike', parent: B };
  const set = [...rows, gone].sort((x, y) => (x.id < y.id ? -1 : 1));
  const result = problems(planUp(revisions, set));
  const missing = result.find((p) => p.code === 'APPLIED_MISSING')!;
  assert.is(missing.message, '20261102120000_spike is applied but its folder is missing from the migrations folder');
  assert.match(missing.hint!, `strata down ${B}`);
});

test('pending revision older than an applied one: refused by default with the reason; allowed when asked', () => {
  const rows = applied(A, B, D);
  const p = single(planUp(revisions, rows), 'OUT_OF_ORDER');
  assert.is(p.file, `migrations/${C}/up.sql`);
  assert.is(p.message, `${C} is pending but a later revision, ${D}, is already applied; running it now would apply history out of order`);
  assert.match(p.hint!, `strata down ${B}`);
  assert.equal(steps(planUp(revisions, rows, 'head', { allowOutOfOrder: true })), [C, E]);
});

test('every plan problem at once: edited, missing and a bad target', () => {
  const rows = applied(A, B, C);
  rows[0] = { ...rows[0]!, upChecksum: 'x' };
  const list = problems(planUp(revisions.filter((r) => r.id !== C), rows, 'nonsense'));
  assert.equal(list.map((p) => p.code), ['APPLIED_EDITED', 'APPLIED_MISSING', 'TARGET_UNKNOWN']);
});

// ---------------------------------------------------------------------------------------------------------------
// down

test('down: -1 by default, -N, base, newest first, with the down.sql on disk', () => {
  const rows = applied(A, B, C, D);
  const plan = planDown(revisions, rows);
  assert.equal(steps(plan), [D]);
  if (!plan.ok) return;
  const step = plan.steps[0]!;
  assert.equal([step.source, step.note, step.script.path], ['disk', undefined, `migrations/${D}/down.sql`]);
  assert.equal(steps(planDown(revisions, rows, '-3')), [D, C, B]);
  assert.equal(steps(planDown(revisions, rows, 'base')), [D, C, B, A]);
  assert.equal(steps(planDown(revisions, [], 'base')), []);
});

test('down to an id, prefix or tag keeps the target', () => {
  const rows = applied(A, B, C, D, E);
  assert.equal(steps(planDown(revisions, rows, B)), [E, D, C]);
  assert.equal(steps(planDown(revisions, rows, '20261103')), [E, D]);
  assert.equal(steps(planDown(revisions, rows, 'v1.0')), [E, D, C]);
  assert.equal(steps(planDown(revisions, rows, 'head')), []);
});

test('down: too many steps, forwards, a target that is not applied, unknown and ambiguous targets', () => {
  const rows = applied(A, B);
  assert.is(single(planDown(revisions, rows, '-3'), 'TARGET_INVALID').message, "'-3' asks to revert 3 revisions but only 2 are applied");
  assert.is(single(planDown(revisions, applied(A), '-2'), 'TARGET_INVALID').message, "'-2' asks to revert 2 revisions but only 1 is applied");
  // at base, down (-1 by default) has nothing to do rather than failing
  const atBase = planDown(revisions, [], '-1');
  assert.ok(atBase.ok && atBase.steps.length === 0, 'down at base is a no-op');
  assert.is(single(planDown(revisions, rows, '+1'), 'TARGET_INVALID').hint, 'use strata up +1');
  assert.is(single(planDown(revisions, rows, D), 'TARGET_INVALID').message, `${D} is not applied, so there is nothing to revert down to`);
  assert.is(single(planDown(revisions, rows, 'v3'), 'TARGET_UNKNOWN').message, "no revision or tag matches 'v3'");
  assert.is(single(planDown(revisions, rows, '202611'), 'TARGET_AMBIGUOUS').code, 'TARGET_AMBIGUOUS');
});

test('down uses the stored down.sql when up.sql was edited since it was applied', () => {
  const rows = applied(A, B);
  rows[1] = { ...rows[1]!, upChecksum: 'edited', downText: '-- as applied\ndrop table t_add_orders_as_applied;\n' };
  const plan = planDown(revisions, rows);
  assert.ok(plan.ok);
  if (!plan.ok) return;
  const step = plan.steps[0]!;
  assert.is(step.source, 'stored');
  assert.match(step.note!, 'up.sql was edited after it was applied');
  assert.is(step.script.path, `migrations/${B}/down.sql (stored copy)`);
  assert.is(step.script.body, '-- as applied\ndrop table t_add_orders_as_applied;\n');
});

test('down uses the down.sql on disk when only down.sql changed (a fix to it)', () => {
  const rows = applied(A, B);
  rows[1] = { ...rows[1]!, downChecksum: 'older', downText: 'drop table old_version;\n' };
  const plan = planDown(revisions, rows);
  assert.ok(plan.ok && plan.steps[0]!.source === 'disk');
  assert.ok(plan.ok && plan.steps[0]!.script.body === byId(B).down.body);
});

test('down of a revision whose folder is gone: the stored copy, its header read', () => {
  const gone = '20261106090000_spike';
  const row = appliedRow(byId(E), { id: gone, parent: E, downText: '--! Transaction: off\n\ndrop index concurrently spike_idx;\n' });
  const plan = planDown(revisions, [...applied(A, B, C, D, E), row]);
  assert.ok(plan.ok);
  if (!plan.ok) return;
  const step = plan.steps[0]!;
  assert.equal([step.id, step.source, step.script.path, step.script.transactional], [gone, 'stored', `${gone}/down.sql (stored copy)`, false]);
  assert.match(step.note!, 'its folder is not on disk');
  assert.is(step.script.body, '\ndrop index concurrently spike_idx;\n');
});

test('Irreversible refuses down past it, naming the file, line and reason', () => {
  const ok = build(
    folder(A, '--! Parent: base\nselect 1;', 'select 1;'),
    folder(B, `--! Parent: ${A}\nselect 1;`, '--! Transaction: on\n--! Irreversible: drops the legacy table with its data\n'),
    folder(C, `--! Parent: ${B}\nselect 1;`, 'select 1;'),
  );
  assert.equal(ok.problems, []);
  const rows = ok.revisions.map((r) => appliedRow(r));
  assert.equal(steps(planDown(ok.revisions, rows, '-1')), [C], 'reverting only what is after it is fine');
  const p = single(planDown(ok.revisions, rows, 'base'), 'IRREVERSIBLE');
  assert.equal([p.file, p.line], [`migrations/${B}/down.sql`, 2]);
  assert.is(p.message, `${B} cannot be reverted: drops the legacy table with its data`);
  assert.is(p.hint, `revert only the revisions after it (strata down ${B}); then, to go past ${B}: to move the record only, undo its effects by hand and run strata stamp ${A}; or write a down.sql that undoes it and remove the '--! Irreversible' line`);
  const newest = single(planDown(ok.revisions, rows.slice(0, 2), '-1'), 'IRREVERSIBLE');
  assert.is(newest.hint, `strata cannot revert ${B}: to move the record only, undo its effects by hand and run strata stamp ${A}; or write a down.sql that undoes it and remove the '--! Irreversible' line`);
  assert.not.match(newest.hint!, `strata down ${B}`, 'reverting down to itself would do nothing');
});

test('Irreversible in the stored copy refuses too', () => {
  const rows = applied(A, B);
  rows[1] = { ...rows[1]!, upChecksum: 'edited', downText: '--! Irreversible: data migration\n' };
  const p = single(planDown(revisions, rows), 'IRREVERSIBLE');
  assert.is(p.file, `migrations/${B}/down.sql (stored copy)`);
  // a down.sql written on disk would not be what runs: the stamp is the one way named
  assert.is(p.hint, `strata cannot revert ${B}: to move the record only, undo its effects by hand and run strata stamp ${A} (the down.sql that reverts it is the copy stored when it was applied, so editing down.sql on disk does not change it)`);
});

// ---------------------------------------------------------------------------------------------------------------
// status

test('computeStatus: applied, pending, edited, missing, and a down.sql edited since', () => {
  const gone = appliedRow(byId(E), { id: '20261102120000_spike', parent: B, message: 'spike', tags: ['t1'] });
  const rows = [...applied(A, B, C), gone];
  rows[1] = { ...rows[1]!, upChecksum: 'edited' };
  rows[2] = { ...rows[2]!, downChecksum: 'older' };
  const statuses = computeStatus(revisions, rows);
  assert.equal(statuses.map((s) => [s.id, s.state, s.isDownEdited]), [
    [A, 'applied', false],
    [B, 'edited', false],
    ['20261102120000_spike', 'missing', false],
    [C, 'applied', true],
    [D, 'pending', false],
    [E, 'pending', false],
  ]);
  const spike = statuses[2]!;
  assert.equal([spike.message, spike.tags, spike.revision], ['spike', ['t1'], undefined]);
  assert.equal(statuses[0]!.appliedAt, new Date('2026-11-20T10:00:00Z'));
  assert.is(statuses[4]!.appliedAt, null);
  assert.equal(statuses[4]!.tags, ['v2.0']);
});

test('redo of a newest revision whose folder is gone: it is not on disk (not a target that matches nothing: none was given)', () => {
  const onDisk = revisions.filter((r) => r.id !== E);
  const p = single(planRedo(onDisk, applied(A, B, C, D, E)), 'APPLIED_MISSING');
  assert.is(p.message, `${E} is not on disk, so it cannot be applied again`);
  assert.match(p.hint!, 'strata down');
  assert.equal(steps(planRedo(revisions, applied(A, B, C, D, E))), [E, E]);
});

test.run();
