import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SqlErrorInfo } from '../../src/db/database.js';
import { locateError, type SentText } from '../../src/executor/locate-error.js';
import { BEGIN_PREFIX, transactionalScript } from '../../src/executor/step-script.js';
import { planUp, type UpStep } from '../../src/plan/plan.js';
import { loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements, type SqlStatement } from '../../src/sql/split-statements.js';
import { build, folder } from '../helpers/memory-tree.js';

const ID = '20261125123456_add_orders';

test.before(async () => {
  await loadSqlParser();
});

interface Case {
  step: UpStep;
  statements: SqlStatement[];
  sent: SentText;
}

/** The up step of a one-revision history, its statements, and the script the executor sends for it. */
function prepare(upText: string, ownTransaction = true): Case {
  const set = build(folder(ID, upText, ''));
  assert.equal(set.problems, []);
  const plan = planUp(set.revisions, []);
  if (!plan.ok) throw new Error('no plan');
  const step = plan.steps[0]!;
  const split = splitStatements(step.script.body);
  if (!split.ok) throw new Error(split.problem.message);
  const script = transactionalScript(step, 'strata', 'me@host', { ownTransaction, deferFlush: false });
  return { step, statements: split.statements, sent: { text: script.text, userStart: script.userStart, userLength: script.userLength, bodyIndex: 0 } };
}

/** PostgreSQL's error position (1-based, in code points) of the n-th occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, occurrence = 1): number {
  let index = -1;
  for (let i = 0; i < occurrence; i++) index = text.indexOf(needle, index + 1);
  assert.ok(index >= 0, `${needle} in the sent text`);
  return [...text.slice(0, index)].length + 1;
}

function sqlError(fields: Partial<SqlErrorInfo>): SqlErrorInfo {
  return {
    code: '42703', message: 'boom', severity: 'ERROR', detail: undefined, hint: undefined,
    position: undefined, internalPosition: undefined, internalQuery: undefined, where: undefined, ...fields,
  };
}

test('the sent script is BEGIN_PREFIX + body + bookkeeping, with the body where userStart says', () => {
  const { step, sent } = prepare('--! Parent: base\n\nselect 1;\n');
  assert.ok(sent.text.startsWith(BEGIN_PREFIX));
  assert.is(sent.userStart, BEGIN_PREFIX.length);
  assert.is(sent.text.slice(sent.userStart, sent.userStart + sent.userLength), step.script.body);
  assert.match(sent.text.slice(sent.userStart + sent.userLength), /insert into "strata"\.revisions/);
});

test('an intermediate step defers its WAL flush: set local after the session reset (which would undo it), before the bookkeeping', () => {
  const { step } = prepare('--! Parent: base\n\nselect 1;\n');
  const deferred = transactionalScript(step, 'strata', 'me@host', { ownTransaction: true, deferFlush: true });
  assert.ok(deferred.text.startsWith(BEGIN_PREFIX));
  assert.is(deferred.text.slice(deferred.userStart, deferred.userStart + deferred.userLength), step.script.body);
  const after = deferred.text.slice(deferred.userStart + deferred.userLength);
  assert.ok(after.indexOf('reset all;') < after.indexOf('set local synchronous_commit = off;'), after);
  assert.ok(after.indexOf('set local synchronous_commit = off;') < after.indexOf('insert into "strata".revisions'), after);
  assert.is(deferred.leadingStatements, 1);
  const last = transactionalScript(step, 'strata', 'me@host', { ownTransaction: true, deferFlush: false });
  assert.not.match(last.text, /synchronous_commit/);
  assert.is(last.trailingStatements, deferred.trailingStatements - 1);
});

test('the statements after the body are counted: the session reset, the lock guard, the bookkeeping, the commit', async () => {
  const { step } = prepare('--! Parent: base\n\nselect 1;\n');
  await loadSqlParser();
  for (const lock of [undefined, { kind: 'session' as const, pid: 42 }, { kind: 'this-session' as const }]) {
    const script = transactionalScript(step, 'strata', 'me@host', { ownTransaction: true, deferFlush: true, lock });
    const split = splitStatements(script.text);
    if (!split.ok) throw new Error(split.problem.message);
    assert.is(split.statements.length, script.leadingStatements + 1 + script.trailingStatements, JSON.stringify(lock));
  }
});

test('a position after the begin prefix and multi-byte text: line, and column in code points', () => {
  const text = "--! Parent: base\n\n-- é 😀 ü\nselect 'é😀', nocol from t;\n";
  const c = prepare(text);
  const error = sqlError({ position: positionOf(c.sent.text, 'nocol') });
  const location = locateError(c.step.script, c.statements, error, c.sent, 0);
  assert.equal(location, { line: 4, column: 14, via: 'position', statementIndex: 0 });
  // the same text in UTF-16 units would be column 15: the emoji is two units, one character
  assert.is("select 'é😀', ".length + 1, 15);
});

test('a position in the second statement names that statement', () => {
  const c = prepare('--! Parent: base\ncreate table t (id int);\n\ninsert into t (id, nope)\n  values (1, 2);\n');
  const location = locateError(c.step.script, c.statements, sqlError({ position: positionOf(c.sent.text, 'nope') }), c.sent, 1);
  assert.equal(location, { line: 4, column: 20, via: 'position', statementIndex: 1 });
});

test('a position on whitespace or a comment moves to the next token', () => {
  const c = prepare('--! Parent: base\nselect 1;\n   -- note\n   select 2;\n');
  // position of the whitespace right after the first ';'
  const at = positionOf(c.sent.text, ';', 2) + 1; // the first ';' is the begin prefix's
  const location = locateError(c.step.script, c.statements, sqlError({ position: at }), c.sent, 1);
  assert.equal(location, { line: 4, column: 4, via: 'position', statementIndex: 1 });
});

test('a position inside the bookkeeping part (or the begin prefix) is ignored: falls back to the statement', () => {
  const c = prepare('--! Parent: base\n\n-- first\n\n   create table t (id int);\n');
  const inBookkeeping = sqlError({ position: positionOf(c.sent.text, 'revisions') });
  assert.equal(locateError(c.step.script, c.statements, inBookkeeping, c.sent, 0), { line: 5, column: 4, via: 'statement', statementIndex: 0 });
  assert.is(locateError(c.step.script, c.statements, inBookkeeping, c.sent, undefined), undefined, 'nothing to point at');
  const inPrefix = sqlError({ position: 1 });
  assert.equal(locateError(c.step.script, c.statements, inPrefix, c.sent, 0)?.via, 'statement');
});

test('no position: the first token of the failing statement, not the whitespace or comment before it', () => {
  const c = prepare('--! Parent: base\n\ncreate table t (id int);\n\n-- again, so it fails\n  create table t (id int);\n');
  const location = locateError(c.step.script, c.statements, sqlError({ code: '42P07', message: 'relation "t" already exists' }), c.sent, 1);
  assert.equal(location, { line: 6, column: 3, via: 'statement', statementIndex: 1 });
});

test('PL/pgSQL: `where ... line N` points into the DO block, at the word of internalPosition', () => {
  const body = [
    '--! Parent: base',
    '',
    'create table t (id int);',
    'do $$',
    'begin',
    '  perform 1;',
    '  insert into t (nocol) values (1);',
    'end $$;',
    '',
  ].join('\n');
  const c = prepare(body);
  const error = sqlError({
    message: 'column "nocol" of relation "t" does not exist',
    internalQuery: 'insert into t (nocol) values (1)',
    internalPosition: 16,
    where: 'PL/pgSQL function inline_code_block line 4 at SQL statement',
  });
  assert.equal(locateError(c.step.script, c.statements, error, c.sent, 1), { line: 7, column: 18, via: 'plpgsql', statementIndex: 1 });
  // without internalPosition: the start of the line's text
  const lineOnly = sqlError({ message: 'division by zero', code: '22012', where: 'PL/pgSQL function inline_code_block line 3 at PERFORM' });
  assert.equal(locateError(c.step.script, c.statements, lineOnly, c.sent, 1), { line: 6, column: 3, via: 'plpgsql', statementIndex: 1 });
});

test('an error raised in a function called from a DO block: the DO block\'s own frame, not the innermost one', () => {
  const body = ['--! Parent: base', '', 'do $$', 'begin', '  perform 1;', '  perform outer_fn();', 'end $$;', ''].join('\n');
  const c = prepare(body);
  const stacks = [
    // called directly: the innermost frame is the function's line 3; the DO block's is its line 4
    'PL/pgSQL function outer_fn() line 3 at RAISE\nSQL statement "SELECT outer_fn()"\nPL/pgSQL function inline_code_block line 4 at PERFORM',
    // two functions deep
    'PL/pgSQL function inner_fn(integer) line 9 at RAISE\nSQL statement "SELECT inner_fn(1)"\nPL/pgSQL function outer_fn() line 2 at PERFORM\nSQL statement "SELECT outer_fn()"\nPL/pgSQL function inline_code_block line 4 at PERFORM',
    // a trigger fired by a statement in the DO block
    'PL/pgSQL function t_trigger() line 1 at RAISE\nSQL statement "insert into t values (1)"\nPL/pgSQL function inline_code_block line 4 at SQL statement',
  ];
  for (const where of stacks) {
    const location = locateError(c.step.script, c.statements, sqlError({ message: 'boom', code: 'P0001', where }), c.sent, 0);
    assert.equal(location, { line: 6, column: 3, via: 'plpgsql', statementIndex: 0 }, where);
  }
});

test('a CREATE FUNCTION whose body does not compile: the line the compiler names', () => {
  const body = ['--! Parent: base', '', 'create function f() returns int language plpgsql as $$', 'begin', '  retrun 1;', 'end $$;', ''].join('\n');
  const c = prepare(body);
  const error = sqlError({ message: 'syntax error at or near "retrun"', code: '42601', where: 'compilation of PL/pgSQL function "f" near line 3' });
  assert.equal(locateError(c.step.script, c.statements, error, c.sent, 0), { line: 5, column: 3, via: 'plpgsql', statementIndex: 0 });
});

test('PL/pgSQL line in a statement that is not DO or CREATE FUNCTION: the statement itself', () => {
  const c = prepare('--! Parent: base\nselect f();\n');
  const error = sqlError({ where: 'PL/pgSQL function f() line 3 at RAISE' });
  assert.equal(locateError(c.step.script, c.statements, error, c.sent, 0), { line: 2, column: 1, via: 'statement', statementIndex: 0 });
});

test('--single-transaction: no begin prefix, positions still map', () => {
  const c = prepare("--! Parent: base\nselect 'ü', nocol;\n", false);
  assert.is(c.sent.userStart, 0);
  const location = locateError(c.step.script, c.statements, sqlError({ position: positionOf(c.sent.text, 'nocol') }), c.sent, 0);
  assert.equal(location, { line: 2, column: 13, via: 'position', statementIndex: 0 });
});

test('Transaction: off sends one statement at a time: positions are relative to that statement', () => {
  const c = prepare('--! Parent: base\n--! Transaction: off\n\ncreate table t (id int);\n-- ü😀\nselect \'😀\', nope from t;\n');
  const statement = c.statements[1]!;
  const sent: SentText = { text: statement.text, userStart: 0, userLength: statement.text.length, bodyIndex: statement.start };
  const error = sqlError({ position: positionOf(statement.text, 'nope') });
  assert.equal(locateError(c.step.script, c.statements, error, sent, 1), { line: 6, column: 13, via: 'position', statementIndex: 1 });
});

test.run();
