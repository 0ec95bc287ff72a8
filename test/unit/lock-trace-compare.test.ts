import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LockMode, StatementLocks } from '../../src/lint/lock-levels.js';
import { compareLocks, type Files, type Held, type Relation } from '../../src/proof/lock-trace.js';

/** The lock trace's verdicts: what pg_locks and the relfilenodes showed against lint's prediction. */
const users: Relation = { oid: 10, schema: 'public', name: 'users', kind: 'r', filenode: 100, table: null };
const before = new Map([[10, users]]);
const files = (filenode: number): Files => new Map([[10, { filenode, schema: 'public', name: 'users' }]]);
const held = (...modes: LockMode[]): Held => new Map(modes.length > 0 ? [[10, new Set(modes)]] : []);
const at = { statement: 0, line: 3, label: 'ALTER TABLE' };
const predicts = (mode: LockMode, rewrites: 'yes' | 'no' | 'maybe' = 'no', isComplete = true): StatementLocks =>
  ({ kind: 'known', isComplete, locks: [{ relation: { name: 'users' }, target: 'relation', mode, rewrites, isNew: false }] });
const none = (isComplete: boolean): StatementLocks => ({ kind: 'known', isComplete, locks: [] });
const verdicts = (prediction: StatementLocks, after: Held, filenode = 100, seen = true) =>
  compareLocks(before, held(), after, files(100), files(filenode), prediction, at, seen).map((l) => [l.mode, l.isRewritten, l.verdict]);

test('as predicted: the mode taken, the rewrite as said', () => {
  assert.equal(verdicts(predicts('AccessExclusiveLock'), held('AccessExclusiveLock')), [['AccessExclusiveLock', false, 'as-predicted']]);
  assert.equal(verdicts(predicts('AccessExclusiveLock', 'yes'), held('AccessExclusiveLock'), 101), [['AccessExclusiveLock', true, 'as-predicted']]);
  assert.equal(verdicts(predicts('AccessExclusiveLock', 'maybe'), held('AccessExclusiveLock'), 100), [['AccessExclusiveLock', false, 'as-predicted']]);
  // a weaker mode besides the predicted one (a lookup before the real lock) is fine
  assert.equal(verdicts(predicts('ShareLock'), held('AccessShareLock', 'ShareLock')), [['ShareLock', false, 'as-predicted']]);
});

test('wrong: another mode, a stronger one, or a rewrite otherwise than predicted', () => {
  assert.equal(verdicts(predicts('ShareLock'), held('AccessExclusiveLock')).map((v) => v[2]), ['wrong']);
  assert.equal(verdicts(predicts('ShareUpdateExclusiveLock'), held('ShareUpdateExclusiveLock', 'AccessExclusiveLock')).map((v) => v[2]), ['wrong']);
  assert.equal(verdicts(predicts('AccessExclusiveLock', 'no'), held('AccessExclusiveLock'), 101).map((v) => v[2]), ['wrong']);
  assert.equal(verdicts(predicts('AccessExclusiveLock', 'yes'), held('AccessExclusiveLock'), 100).map((v) => v[2]), ['wrong']);
});

test('unpredicted when lint says its prediction is complete; not exact when it says it is not', () => {
  assert.equal(verdicts(none(true), held('RowShareLock')).map((v) => v[2]), ['unpredicted']);
  assert.equal(verdicts(none(false), held('RowShareLock')).map((v) => v[2]), ['not-exact']);
  assert.equal(verdicts({ kind: 'unknown', reason: 'x' }, held('AccessExclusiveLock')).map((v) => v[2]), ['not-exact']);
  assert.equal(verdicts(none(true), held()), [], 'nothing taken, nothing predicted: nothing to say');
});

test('a statement whose locks end with it: only its rewrite is judged', () => {
  assert.equal(verdicts(none(true), held(), 101, false), [[null, true, 'unpredicted']]);
  assert.equal(verdicts(predicts('AccessExclusiveLock', 'yes'), held(), 101, false), [[null, true, 'as-predicted']]);
  assert.equal(verdicts(predicts('ShareUpdateExclusiveLock'), held(), 100, false), []);
});

test.run();
