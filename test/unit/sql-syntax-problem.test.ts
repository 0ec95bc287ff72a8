import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { syntaxProblemAt } from '../../src/sql/syntax-problem.js';

// syntaxProblemAt places an error of any of the parsers (ours or an older grammar's) in the text

test('the cursor is a 0-based code point position, turned into a UTF-16 index', () => {
  const body = "select '😀é' frm t";
  // PostgreSQL counts characters: the emoji is one, but two UTF-16 units
  const cursor = [...body.slice(0, body.indexOf('frm'))].length;
  assert.equal(syntaxProblemAt(body, 'syntax error at or near "t"', cursor), { kind: 'syntax', message: 'syntax error at or near "t"', offset: body.indexOf('frm') });
});

test('"at end of input" points just past the last token, not past trailing comments', () => {
  const body = 'select (1 + \n-- a comment\n';
  assert.is(syntaxProblemAt(body, 'syntax error at end of input', body.length).offset, body.indexOf('+') + 1);
});

test('an unknown position (0) with leading whitespace and comments points at the first token', () => {
  const body = '  /* c */ -- c\n  selec 1';
  assert.is(syntaxProblemAt(body, 'some error', 0).offset, body.indexOf('selec'));
});

test('a backslash outside literals is a psql meta-command wherever the parser tripped', () => {
  const body = "select '\\not one';\n\\i other.sql\nselect 1;";
  assert.equal(syntaxProblemAt(body, 'syntax error at or near "\\"', 0), { kind: 'meta-command', message: 'psql meta-command \\i is not SQL', offset: body.indexOf('\\i') });
  const copy = 'copy t from stdin;\n1\tx\n\\.\n';
  assert.is(syntaxProblemAt(copy, 'syntax error', 0).kind, 'copy-data');
});

test.run();
