import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHECKED_MAJORS, loadedSqlParser, loadOlderGrammar, loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements } from '../../src/sql/split-statements.js';

// parser.ts is the one part of sql/ that loads anything; the rest takes the loaded parser

test('before loadSqlParser, using the parser is a programmer error that says what to await', () => {
  // first in this file: nothing has loaded the parser in this process yet
  assert.throws(() => loadedSqlParser('splitStatements'), /await loadSqlParser\(\) before splitStatements\(\)/);
  assert.throws(() => splitStatements('select 1'), /SQL parser not loaded/);
});

test('after loadSqlParser, the parser is there synchronously', async () => {
  await loadSqlParser();
  const parser = loadedSqlParser('a test');
  assert.is(parser.parseSync('select 1').stmts?.length, 1);
  assert.is(loadedSqlParser('a test'), parser);
});

test('older grammars: one per major strata can check besides its own 18', () => {
  assert.equal(CHECKED_MAJORS, [15, 16, 17]);
  assert.is(loadOlderGrammar(14), undefined);
  assert.is(loadOlderGrammar(18), undefined);
});

test("an older grammar is loaded once and knows only its version's syntax", async () => {
  const first = loadOlderGrammar(15);
  assert.is(loadOlderGrammar(15), first);
  const grammar = await first!;
  assert.not.throws(() => grammar.parseSync('select 1'));
  // JSON_OBJECT's key: value form came with PostgreSQL 16
  assert.throws(() => grammar.parseSync("select json_object('a': 1)"), (error: unknown) => grammar.hasSqlDetails(error));
});

test.run();
