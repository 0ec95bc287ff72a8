import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assumeApplied } from '../../src/plan/assume-applied.js';
import { planStamp, type StampPlan } from '../../src/plan/plan-stamp.js';
import { planUp } from '../../src/plan/plan.js';
import { appliedRow, history } from '../helpers/memory-tree.js';

const revisions = history(
  { id: '20261101090000_one', parent: 'base', header: '--! Tags: v1' },
  { id: '20261102090000_two', parent: '20261101090000_one' },
  { id: '20261103090000_three', parent: '20261102090000_two', header: '--! Tags: v3' },
  { id: '20261104090000_four', parent: '20261103090000_three' },
);
const ids = revisions.map((r) => r.id);
const appliedUpTo = (n: number) => revisions.slice(0, n).map((r) => appliedRow(r));

function summary(plan: StampPlan): { stamp: string[]; unstamp: string[] } | string[] {
  return plan.ok ? { stamp: plan.stamp.map((s) => s.id), unstamp: plan.unstamp.map((r) => r.id) } : plan.problems.map((p) => p.code);
}

test('forwards: head, +N, a pending id or tag records the pending revisions up to it', () => {
  assert.equal(summary(planStamp(revisions, [], 'head')), { stamp: ids, unstamp: [] });
  assert.equal(summary(planStamp(revisions, appliedUpTo(1), '+2')), { stamp: ids.slice(1, 3), unstamp: [] });
  assert.equal(summary(planStamp(revisions, appliedUpTo(1), 'v3')), { stamp: ids.slice(1, 3), unstamp: [] });
  assert.equal(summary(planStamp(revisions, appliedUpTo(1), '20261102')), { stamp: [ids[1]], unstamp: [] });
});

test('backwards: base, -N, an applied id or tag removes the records after it, newest first', () => {
  assert.equal(summary(planStamp(revisions, appliedUpTo(4), 'base')), { stamp: [], unstamp: [...ids].reverse() });
  assert.equal(summary(planStamp(revisions, appliedUpTo(4), '-2')), { stamp: [], unstamp: [ids[3], ids[2]] });
  assert.equal(summary(planStamp(revisions, appliedUpTo(4), 'v1')), { stamp: [], unstamp: [ids[3], ids[2], ids[1]] });
  assert.equal(summary(planStamp(revisions, appliedUpTo(2), ids[1]!)), { stamp: [], unstamp: [] }, 'the current revision: nothing to do');
  // a record whose folder is gone can be forgotten
  const gone = [...appliedUpTo(2), appliedRow(revisions[2]!, { id: '20261103100000_gone' })];
  assert.equal(summary(planStamp(revisions, gone, ids[1]!)), { stamp: [], unstamp: ['20261103100000_gone'] });
});

test('the same refusals as up when recording, and clear ones for impossible targets', () => {
  assert.equal(summary(planStamp(revisions, appliedUpTo(2), '-3')), ['TARGET_INVALID']);
  assert.equal(summary(planStamp(revisions, [], 'nope')), ['TARGET_UNKNOWN']);
  assert.equal(summary(planStamp(revisions, appliedUpTo(1), '+9')), ['TARGET_INVALID']);
  const edited = [appliedRow(revisions[0]!, { upChecksum: 'changed' })];
  assert.equal(summary(planStamp(revisions, edited, 'head')), ['APPLIED_EDITED']);
  const outOfOrder = [appliedRow(revisions[1]!)];
  assert.equal(summary(planStamp(revisions, outOfOrder, 'head')), ['OUT_OF_ORDER']);
});

test('assumeApplied: the rows up would have written, up to a target, without a database', () => {
  const assumed = assumeApplied(revisions, 'v3');
  assert.ok(assumed.ok);
  if (!assumed.ok) return;
  assert.equal(assumed.applied.map((a) => a.id), ids.slice(0, 3));
  const rest = planUp(revisions, assumed.applied, 'head');
  assert.equal(rest.ok && rest.steps.map((s) => s.id), [ids[3]]);
  const base = assumeApplied(revisions, 'base');
  assert.equal(base.ok && base.applied, []);
  const head = assumeApplied(revisions, 'HEAD');
  assert.equal(head.ok && head.applied.length, 4);
  const relative = assumeApplied(revisions, '-1');
  assert.is(relative.ok, false);
  const unknown = assumeApplied(revisions, 'nope');
  assert.ok(!unknown.ok && unknown.problem.message.startsWith('--from: '));
});

test.run();
