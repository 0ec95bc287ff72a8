import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TransactionStatus } from '../../src/db/database.js';
import { describeStatements, StatementEffects, type Fate } from '../../src/executor/statement-effects.js';
import { loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements } from '../../src/sql/split-statements.js';

/**
 * The fate of each statement of a Transaction: off body, from the replies a server gives: the
 * CommandComplete tag and the ReadyForQuery status after each statement, as PostgreSQL answers
 * them. `replies` lists, per statement, [tag, status after] or 'error' with the status after it.
 */
type Reply = [tag: string, after: TransactionStatus] | ['error', TransactionStatus];

async function fates(body: string, replies: Reply[]): Promise<Record<Fate | 'not run', number[]>> {
  await loadSqlParser();
  const split = splitStatements(body);
  if (!split.ok) throw new Error(split.problem.message);
  const effects = new StatementEffects(split.statements);
  let status: TransactionStatus = 'idle';
  for (const [i, [tag, after]] of replies.entries()) {
    if (tag === 'error') {
      effects.failed(i, status, after);
      break;
    }
    effects.completed(i, tag, status, after);
    status = after;
  }
  if (effects.isInBlock) effects.rollBackOpenBlock();
  const all = split.statements.map((_, i) => i);
  return {
    'took-effect': effects.indexesWith('took-effect'),
    'rolled-back': effects.indexesWith('rolled-back'),
    prepared: effects.indexesWith('prepared'),
    failed: effects.indexesWith('failed'),
    'not run': all.filter((i) => !effects.fates.has(i)),
  };
}

const none = { 'took-effect': [], 'rolled-back': [], prepared: [], failed: [], 'not run': [] };

test('outside a block each statement takes effect when it completes; a failure stops the rest', async () => {
  assert.equal(await fates('create table a (id int); create table b (id int); select 1/0; create table c (id int);',
    [['CREATE TABLE', 'idle'], ['CREATE TABLE', 'idle'], ['error', 'idle']]),
  { ...none, 'took-effect': [0, 1], failed: [2], 'not run': [3] });
});

test('a block takes effect at its COMMIT, and is undone by ROLLBACK, by an error in it, or by a COMMIT that fails', async () => {
  assert.equal(await fates('begin; create table a (id int); commit; create table b (id int);',
    [['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['COMMIT', 'idle'], ['CREATE TABLE', 'idle']]),
  { ...none, 'took-effect': [0, 1, 2, 3] });
  assert.equal(await fates('begin; create table a (id int); rollback; create table b (id int);',
    [['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['ROLLBACK', 'idle'], ['CREATE TABLE', 'idle']]),
  { ...none, 'took-effect': [3], 'rolled-back': [0, 1, 2] });
  assert.equal(await fates('create table a (id int); begin; create table b (id int); select 1/0; commit;',
    [['CREATE TABLE', 'idle'], ['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['error', 'failed']]),
  { ...none, 'took-effect': [0], 'rolled-back': [1, 2], failed: [3], 'not run': [4] });
  // a deferred constraint fails at COMMIT: the server rolls the block back and answers with an error
  assert.equal(await fates('begin; insert into t values (1); commit;',
    [['BEGIN', 'in-transaction'], ['INSERT 0 1', 'in-transaction'], ['error', 'idle']]),
  { ...none, 'rolled-back': [0, 1], failed: [2] });
  // END is COMMIT; a COMMIT of a failed block answers ROLLBACK
  assert.equal(await fates('begin; insert into t values (1); end;',
    [['BEGIN', 'in-transaction'], ['INSERT 0 1', 'in-transaction'], ['ROLLBACK', 'idle']]),
  { ...none, 'rolled-back': [0, 1, 2] });
});

test('a SAVEPOINT keeps the block open; ROLLBACK TO undoes only what came after it; RELEASE keeps it all', async () => {
  const body = 'begin; create table a (id int); savepoint s; create table b (id int); rollback to savepoint s; create table c (id int); commit; select 1/0;';
  assert.equal(await fates(body, [
    ['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['SAVEPOINT', 'in-transaction'], ['CREATE TABLE', 'in-transaction'],
    ['ROLLBACK', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['COMMIT', 'idle'], ['error', 'idle'],
  ]), { ...none, 'took-effect': [0, 1, 2, 4, 5, 6], 'rolled-back': [3], failed: [7] });
  // the failure the issue found: after a SAVEPOINT, an error must still roll back the whole block
  assert.equal(await fates('create table a (id int); begin; create table b (id int); savepoint s; create table c (id int); select 1/0;', [
    ['CREATE TABLE', 'idle'], ['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['SAVEPOINT', 'in-transaction'],
    ['CREATE TABLE', 'in-transaction'], ['error', 'failed'],
  ]), { ...none, 'took-effect': [0], 'rolled-back': [1, 2, 3, 4], failed: [5] });
  // nested savepoints of the same name: ROLLBACK TO goes to the newest; RELEASE of the outer one drops the inner too
  assert.equal(await fates('begin; savepoint s; insert into t values (1); savepoint s; insert into t values (2); rollback to s; release s; rollback to s; commit;', [
    ['BEGIN', 'in-transaction'], ['SAVEPOINT', 'in-transaction'], ['INSERT 0 1', 'in-transaction'], ['SAVEPOINT', 'in-transaction'],
    ['INSERT 0 1', 'in-transaction'], ['ROLLBACK', 'in-transaction'], ['RELEASE', 'in-transaction'], ['ROLLBACK', 'in-transaction'], ['COMMIT', 'idle'],
  ]), { ...none, 'took-effect': [0, 1, 7, 8], 'rolled-back': [2, 3, 4, 5, 6] });
});

test('COMMIT AND CHAIN commits and opens the next block at once; a block still open at the end is rolled back', async () => {
  assert.equal(await fates('begin; create table a (id int); commit and chain; create table b (id int);', [
    ['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['COMMIT', 'in-transaction'], ['CREATE TABLE', 'in-transaction'],
  ]), { ...none, 'took-effect': [0, 1, 2], 'rolled-back': [3] });
  assert.equal(await fates('begin; create table a (id int); rollback and chain; create table b (id int); commit;', [
    ['BEGIN', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['ROLLBACK', 'in-transaction'], ['CREATE TABLE', 'in-transaction'], ['COMMIT', 'idle'],
  ]), { ...none, 'took-effect': [3, 4], 'rolled-back': [0, 1, 2] });
  assert.equal(await fates("begin; insert into t values (1); prepare transaction 'x';", [
    ['BEGIN', 'in-transaction'], ['INSERT 0 1', 'in-transaction'], ['PREPARE TRANSACTION', 'idle'],
  ]), { ...none, prepared: [0, 1, 2] });
});

test('statements and their lines are described as ranges', () => {
  const line = (i: number) => [4, 5, 5, 9, 10, 12][i]!;
  assert.is(describeStatements([0, 1], 6, line), 'statements 1–2 of 6 (lines 4–5)');
  assert.is(describeStatements([1, 2], 6, line), 'statements 2–3 of 6 (line 5)');
  assert.is(describeStatements([0, 1, 4], 6, line), 'statements 1–2, 5 of 6 (lines 4–5, 10)');
  assert.is(describeStatements([3], 6, line), 'statement 4 of 6 (line 9)');
});

test.run();
