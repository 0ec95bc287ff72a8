import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Script } from '../../src/plan/plan.js';
import { checkScripts } from '../../src/revision/check-scripts.js';
import { parseUpFile } from '../../src/revision/parse-header.js';
import { DOWN_TEMPLATE, isUntouchedTemplate, upTemplate } from '../../src/revision/templates.js';

const UP = 'migrations/20261125123456_add_orders/up.sql';

function script(text: string, path = UP): Script {
  const parsed = parseUpFile(text, path);
  return { path, text, body: parsed.body, bodyOffset: parsed.bodyOffset, transactional: parsed.header.transactional };
}

async function codes(text: string, options: { role?: 'up' | 'down'; requiresStatements?: boolean } = {}): Promise<string[]> {
  const result = await checkScripts([{ script: script(text), role: options.role ?? 'up', requiresStatements: options.requiresStatements }]);
  return result.problems.map((p) => p.code);
}

/** What `strata new` wrote, and the same after things that write nothing: CRLF conversion, blank lines added or removed at the end. */
const TEMPLATES = [
  upTemplate('base', 'add orders'),
  upTemplate('20261120093000_create_users', 'add orders').replace(/\n/g, '\r\n'),
  `${upTemplate('base', 'add orders')}\n\n \t\n`,
  upTemplate('base', 'add orders').replace(/\n$/, ''),
];

/** Bodies of comments only: deliberate no-ops. */
const NO_OPS = [
  '-- the work moved to the application\n',
  '-- moved\r\n-- to code\r\n',
  '/* moved to code */',
  '/* moved /* nested */ */\n\n',
  '-- moved\r',
  '--! breaking-change\n-- moved\n',
];

test('the template strata new writes is what isUntouchedTemplate recognises', () => {
  const parsed = parseUpFile(upTemplate('base', 'x'), UP);
  assert.equal(parsed.problems, []);
  assert.ok(isUntouchedTemplate(parsed.body));
  assert.not.ok(isUntouchedTemplate('-- a comment\n'));
  assert.not.ok(isUntouchedTemplate('select 1;\n'));
});

test('up.sql still as strata new wrote it is refused with SQL_EMPTY, on the line after the header', async () => {
  for (const text of TEMPLATES) {
    const result = await checkScripts([{ script: script(text), role: 'up' }]);
    assert.equal(result.problems.map((p) => [p.code, p.line]), [['SQL_EMPTY', 3]], JSON.stringify(text));
    assert.match(result.problems[0]!.message, "still as 'strata new' wrote it");
  }
});

test('an up.sql of comments only is a no-op: no problem, no statements', async () => {
  for (const body of NO_OPS) {
    const text = `--! Parent: base\n--! Message: moved\n\n${body}`;
    const result = await checkScripts([{ script: script(text), role: 'up' }]);
    assert.equal(result.problems, [], JSON.stringify(body));
    assert.equal([...result.statements.values()], [[]]);
  }
});

test('requiresStatements (strata dev, the revision being written): comments only are refused too', async () => {
  for (const body of NO_OPS) {
    assert.equal(await codes(`--! Parent: base\n\n${body}`, { requiresStatements: true }), ['SQL_EMPTY'], JSON.stringify(body));
  }
  assert.equal(await codes('--! Parent: base\n\nselect 1;\n', { requiresStatements: true }), []);
});

test('a down.sql without statements is allowed, the template included', async () => {
  for (const text of [DOWN_TEMPLATE, '', '\n', '-- nothing to undo\n']) {
    assert.equal(await codes(text, { role: 'down' }), [], JSON.stringify(text));
  }
});


test('a Transaction: off revision that leaves a transaction block open at its end is refused, at the statement that opened it', async () => {
  const off = (body: string) => `--! Parent: base\n--! Transaction: off\n\n${body}`;
  const open = [
    ['begin;\ncreate table a (id int);\n', 4],
    ['create index concurrently i on t (c);\nstart transaction;\ninsert into t values (1);\n', 5],
    ['begin;\ncreate table a (id int);\ncommit and chain;\n', 6],
    ['begin;\ninsert into t values (1);\nrollback and chain;\n', 6],
    ['begin;\ncommit;\nbegin;\nsavepoint s;\nrelease s;\n', 6],
    ['begin;\nbegin;\ninsert into t values (1);\nsavepoint s;\nrollback to savepoint s;\n', 4],
  ] as const;
  for (const [body, line] of open) {
    const result = await checkScripts([{ script: script(off(body)), role: 'up' }]);
    assert.equal(result.problems.map((p) => [p.code, p.line]), [['SQL_TRANSACTION_LEFT_OPEN', line]], body);
  }
  const closed = [
    'begin;\ncreate table a (id int);\ncommit;\n',
    'start transaction;\ninsert into t values (1);\nend;\n',
    'begin;\ninsert into t values (1);\nabort;\n',
    'begin;\ncommit and chain;\ncommit and no chain;\n',
    'begin;\nsavepoint s;\nrollback to s;\ncommit;\ncreate index concurrently i on t (c);\n',
    "do $$ begin perform 1; end $$;\ncreate function f() returns int language sql begin atomic select 1; end;\n",
    "select 'begin;';\n-- begin;\n",
  ];
  for (const body of closed) assert.equal(await codes(off(body)), [], body);
  // the same on a Transaction: off down.sql
  const down = await checkScripts([{ script: script(off('begin;\ndrop table a;\n'), UP.replace('up.sql', 'down.sql')), role: 'down' }]);
  assert.equal(down.problems.map((p) => p.code), ['SQL_TRANSACTION_LEFT_OPEN']);
  assert.match(down.problems[0]!.message, 'down.sql never closes');
});

test('a Transaction: off revision: what the server refuses where it stands is refused before anything runs, at its line', async () => {
  const off = (body: string) => `--! Parent: base\n--! Transaction: off\n\n${body}`;
  const misplaced = [
    // inside a block of its own: the statements before it would have taken effect first
    ['create table t (c int);\nbegin;\ncreate index concurrently i on t (c);\ncommit;\n', 'SQL_NEEDS_NO_TRANSACTION', 6, 'the block opened at line 5 (BEGIN) is still open here'],
    ['begin;\ncommit and chain;\nvacuum t;\ncommit;\n', 'SQL_NEEDS_NO_TRANSACTION', 6, 'the block opened at line 5'],
    // a savepoint outside any block
    ['create table t (c int);\nsavepoint s;\n', 'SQL_TRANSACTION_CONTROL', 5, 'SAVEPOINT outside a transaction block'],
    ['begin;\ncommit;\nrelease s;\n', 'SQL_TRANSACTION_CONTROL', 6, 'RELEASE'],
  ] as const;
  for (const [body, code, line, message] of misplaced) {
    const result = await checkScripts([{ script: script(off(body)), role: 'up' }]);
    assert.equal(result.problems.map((p) => [p.code, p.line]), [[code, line]], body);
    assert.match(result.problems[0]!.message, message);
  }
  // outside the block, or inside one: as the server takes them
  for (const body of ['begin;\ninsert into t values (1);\ncommit;\ncreate index concurrently i on t (c);\nvacuum t;\n', 'begin;\nsavepoint s;\nrollback to s;\nrelease s;\ncommit;\n']) {
    assert.equal(await codes(off(body)), [], body);
  }
});

test.run();
