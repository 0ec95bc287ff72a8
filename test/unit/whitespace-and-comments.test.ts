import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blockCommentEnd, isBlockCommentAt, isLineCommentAt, isSpaceAt, lineEnd } from '../../src/text/whitespace-and-comments.js';

// the one scanner of whitespace and comments, shared by the SQL lexer and skipWhitespaceAndComments

test("isSpaceAt: PostgreSQL's whitespace, and nothing else", () => {
  for (const ch of [' ', '\t', '\n', '\v', '\f', '\r']) assert.ok(isSpaceAt(ch, 0), JSON.stringify(ch));
  for (const ch of ['a', '\u00a0', '\u2028', '\0', '']) assert.not.ok(isSpaceAt(ch, 0), JSON.stringify(ch));
});

test('lineEnd: the next LF or CR, or the end of the text', () => {
  assert.is(lineEnd('-- a\nb', 0), 4);
  assert.is(lineEnd('-- a\r\nb', 0), 4);
  assert.is(lineEnd('-- a\rb', 0), 4);
  assert.is(lineEnd('-- 😀 no break', 0), 14);
});

test('blockCommentEnd: nested comments, end just past the closing */, -1 when unterminated', () => {
  const text = '/* a /* b */ c */ select';
  assert.is(blockCommentEnd(text, 0), text.indexOf(' select'));
  assert.is(blockCommentEnd('/**/x', 0), 4);
  assert.is(blockCommentEnd('/*/ x */', 0), 8); // the / of /* does not close it
  assert.is(blockCommentEnd('/* a /* b */ never closed', 0), -1);
});

test('comment openers: -- and /*, not a lone - or /', () => {
  assert.ok(isLineCommentAt('a -- c', 2));
  assert.not.ok(isLineCommentAt('a - b', 2));
  assert.ok(isBlockCommentAt('a /* c */', 2));
  assert.not.ok(isBlockCommentAt('a / b', 2));
  assert.not.ok(isBlockCommentAt('a */', 2));
});

test.run();
