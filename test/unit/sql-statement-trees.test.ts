import { parseSync } from 'libpg-query';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements, type SqlStatement } from '../../src/sql/split-statements.js';
import { byteOffsetMapper, lineColumnAt } from '../../src/text/source-position.js';

/**
 * Each statement keeps the syntax tree the one parse of its body produced, and its source range
 * as UTF-16 indexes into the body: what lint and the declarative generator read.
 */

test.before(async () => {
  await loadSqlParser();
});

function statements(body: string): SqlStatement[] {
  const result = splitStatements(body);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problem)}`);
  return result.statements;
}

// non-ASCII text (2-, 3- and 4-byte characters) before every statement, so UTF-8 byte offsets and
// UTF-16 indexes differ; comments before, between and after; dollar quotes with semicolons inside
const BODY = [
  '-- café, Müller, €, 😀',
  '/* a block comment: ü /* nested 🎉 */ still a comment */',
  'create table "tü😀" (name text default $$a; b$$);',
  '-- between: 𝒳',
  'create function touch() returns trigger language plpgsql as $body$',
  'begin',
  "  raise notice 'é; 😀';",
  '  return new;',
  'end;',
  '$body$;',
  "insert into \"tü😀\" values ('🎉') -- no semicolon, a comment after",
  '',
].join('\n');

test('every statement keeps its syntax tree: the stmt node of the body parse', () => {
  const list = statements(BODY);
  assert.equal(list.map((s) => Object.keys(s.ast)), [['CreateStmt'], ['CreateFunctionStmt'], ['InsertStmt']]);
  assert.equal(list.map((s) => s.nodeType), ['CreateStmt', 'CreateFunctionStmt', 'InsertStmt']);
  // the very trees libpg-query returns for the whole body, location fields and all
  assert.equal(list.map((s) => s.ast), parseSync(BODY).stmts!.map((raw) => raw.stmt));
});

test('the tree holds what the text says, dollar-quoted bodies included', () => {
  const [table, fn] = statements(BODY);
  assert.ok(table && 'CreateStmt' in table.ast);
  assert.is(table.ast.CreateStmt.relation?.relname, 'tü😀');
  assert.ok(fn && 'CreateFunctionStmt' in fn.ast);
  const as = fn.ast.CreateFunctionStmt.options?.find((o) => 'DefElem' in o && o.DefElem.defname === 'as');
  assert.ok(as && 'DefElem' in as);
  assert.equal(as.DefElem.arg, { List: { items: [{ String: { sval: "\nbegin\n  raise notice 'é; 😀';\n  return new;\nend;\n" } }] } });
});

test('the source range is UTF-16 indexes into the body, from the first token to the semicolon or the last token', () => {
  const list = statements(BODY);
  assert.equal(list.map((s) => [s.start, s.end]), [
    [BODY.indexOf('create table'), BODY.indexOf('$$);') + 4],
    [BODY.indexOf('create function'), BODY.indexOf('$body$;') + 7],
    [BODY.indexOf('insert into'), BODY.indexOf("('🎉')") + 6],
  ]);
  for (const s of list) assert.is(s.text, BODY.slice(s.start, s.end));
  // the characters before the first statement are more bytes than UTF-16 units: the units differ here
  const first = list[0]!;
  assert.ok(Buffer.byteLength(BODY.slice(0, first.start)) > first.start);
  assert.equal(lineColumnAt(BODY, first.start), { line: 3, column: 1 });
  assert.equal(lineColumnAt(BODY, list[2]!.start), { line: 11, column: 1 });
});

test("a tree's own locations are the parser's UTF-8 byte offsets into the body, mapped with byteOffsetMapper", () => {
  const [table, , insert] = statements(BODY);
  assert.ok(table && 'CreateStmt' in table.ast && insert && 'InsertStmt' in insert.ast);
  const toUtf16 = byteOffsetMapper(BODY);
  const tableAt = table.ast.CreateStmt.relation!.location!;
  const insertAt = insert.ast.InsertStmt.relation!.location!;
  assert.is.not(tableAt, BODY.indexOf('"tü😀"')); // bytes, not UTF-16 units
  assert.is(toUtf16(tableAt), BODY.indexOf('"tü😀"'));
  assert.is(toUtf16(insertAt), BODY.indexOf('"tü😀" values'));
});

test('a body without statements gives none, and a one-statement body its tree', () => {
  assert.equal(statements('-- only a comment 😀\n/* and this */\n'), []);
  const [only] = statements('  vacuum');
  assert.equal(only!.ast, { VacuumStmt: { is_vacuumcmd: true } });
  assert.equal([only!.start, only!.end], [2, 8]);
});

test.run();
