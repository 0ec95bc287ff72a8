import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveTarget, type TargetUniverse } from '../../src/plan/targets.js';

const ids = [
  '20261101090000_create_users',
  '20261102090000_add_orders',
  '20261102150000_add_invoices',
  '20261103090000_add_refunds',
];
const universe: TargetUniverse = { ids, tags: new Map([['v1.0', ids[1]!], ['release-2', ids[3]!]]) };

function ok(text: string) {
  const result = resolveTarget(text, universe);
  if (!result.ok) throw new Error(`expected ${text} to resolve, got ${JSON.stringify(result.problem)}`);
  return result.target;
}

function problem(text: string, u: TargetUniverse = universe) {
  const result = resolveTarget(text, u);
  if (result.ok) throw new Error(`expected ${text} to be refused, got ${JSON.stringify(result.target)}`);
  return result.problem;
}

test('a revision replaced by a squash is no target: the message names the squashed revision as its end and the one before it as its start', () => {
  const squashed = { ids: [ids[0]!, '20261102150000_release_1', ids[3]!], tags: new Map(), replacedBy: new Map([[ids[1]!, '20261102150000_release_1'], [ids[2]!, '20261102150000_release_1']]) };
  const p = problem('20261102090000', squashed);
  assert.is(p.code, 'TARGET_UNKNOWN');
  assert.is(p.message, `${ids[1]} was squashed into 20261102150000_release_1: here the revisions it replaces are one step, 20261102150000_release_1, and none of them can be a target`);
  assert.is(p.hint, `target 20261102150000_release_1 for the end of that step (strata up 20261102150000_release_1 applies it; strata down 20261102150000_release_1 keeps it), or ${ids[0]} for its start (strata down ${ids[0]} reverts it as a whole)`);
  const first = problem(ids[1]!, { ...squashed, ids: squashed.ids.slice(1) });
  assert.match(first.hint!, 'or base for its start (strata down base reverts it as a whole)');
});

test('head and base, in any case and with surrounding spaces', () => {
  assert.equal(ok('head'), { kind: 'head' });
  assert.equal(ok('HEAD'), { kind: 'head' });
  assert.equal(ok('base'), { kind: 'base' });
  assert.equal(ok(' Base '), { kind: 'base' });
});

test('+N and -N', () => {
  assert.equal(ok('+1'), { kind: 'relative', steps: 1 });
  assert.equal(ok('+12'), { kind: 'relative', steps: 12 });
  assert.equal(ok('-3'), { kind: 'relative', steps: -3 });
  assert.equal(ok(' -1'), { kind: 'relative', steps: -1 });
});

test('+0 and -0 move nowhere; an empty target is refused', () => {
  for (const text of ['+0', '-0', '', '   ']) {
    const p = problem(text);
    assert.is(p.code, 'TARGET_INVALID', text);
    assert.match(p.hint!, 'head, base, +N, -N');
  }
  assert.match(problem('+0').message, "'+0' moves nowhere");
});

test('full id, unique prefix (down to the timestamp and shorter)', () => {
  assert.equal(ok(ids[2]!), { kind: 'revision', id: ids[2] });
  assert.equal(ok('20261103'), { kind: 'revision', id: ids[3] });
  assert.equal(ok('20261102150000'), { kind: 'revision', id: ids[2] });
  assert.equal(ok('2026110109'), { kind: 'revision', id: ids[0] });
});

test('tag', () => {
  assert.equal(ok('v1.0'), { kind: 'revision', id: ids[1] });
  assert.equal(ok('release-2'), { kind: 'revision', id: ids[3] });
});

test('ambiguous prefix lists the candidates', () => {
  const p = problem('20261102');
  assert.is(p.code, 'TARGET_AMBIGUOUS');
  assert.is(p.message, `'20261102' matches 2 revisions: ${ids[1]}, ${ids[2]}`);
  assert.is(p.hint, 'give more of the id');
  const many = problem('2026');
  assert.is(many.message, `'2026' matches 4 revisions: ${ids.join(', ')}`);
});

test('more than five candidates are cut short with the count', () => {
  const lots = Array.from({ length: 7 }, (_, i) => `2026110${i + 1}090000_r${i}`);
  const p = problem('20261', { ids: lots, tags: new Map() });
  assert.match(p.message, "'20261' matches 7 revisions: ");
  assert.match(p.message, ', … (7 in all)');
});

test('a tag that is also the prefix of another id is ambiguous', () => {
  const u: TargetUniverse = { ids: ['20261101090000_a', '20261102090000_b'], tags: new Map([['2026110', '20261101090000_a']]) };
  const p = problem('2026110', u);
  assert.is(p.code, 'TARGET_AMBIGUOUS');
  assert.match(p.message, "'2026110' is both the tag of 20261101090000_a and the start of");
  // but a tag that is a prefix of only the revision it names resolves
  const single: TargetUniverse = { ids: ['20261101090000_a'], tags: new Map([['20261101', '20261101090000_a']]) };
  assert.equal(resolveTarget('20261101', single), { ok: true, target: { kind: 'revision', id: '20261101090000_a' } });
});

test('unknown target: suggests a close tag or the id of a close slug', () => {
  const tag = problem('v1.1');
  assert.is(tag.code, 'TARGET_UNKNOWN');
  assert.is(tag.message, "no revision or tag matches 'v1.1'");
  assert.is(tag.hint, 'did you mean v1.0?');
  assert.is(problem('add_order').hint, `did you mean ${ids[1]}?`);
  assert.is(problem('add_refund').hint, `did you mean ${ids[3]}?`);
});

test('unknown target far from everything: lists the kinds of target', () => {
  const p = problem('yesterday-evening');
  assert.is(p.code, 'TARGET_UNKNOWN');
  assert.match(p.hint!, "targets are head, base, +N, -N, a revision id or its prefix, or a tag; 'strata status' lists them");
  assert.is(problem('2027').code, 'TARGET_UNKNOWN', 'a prefix of nothing');
});

test.run();
