import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { byteOffsetMapper, lineColumnAt, renderCodeFrame, splitLines, utf16IndexFromByteOffset, utf16IndexFromCodePointPosition } from '../../src/text/source-position.js';
import { skipWhitespaceAndComments } from '../../src/text/whitespace-and-comments.js';

// ---------------------------------------------------------------------------------------------------------------
// lineColumnAt

test('lineColumnAt: first line, ASCII', () => {
  assert.equal(lineColumnAt('select 1', 0), { line: 1, column: 1 });
  assert.equal(lineColumnAt('select 1', 7), { line: 1, column: 8 });
  assert.equal(lineColumnAt('select 1', 8), { line: 1, column: 9 }); // just past the end
});

test('lineColumnAt: later lines start at column 1; the newline itself ends its line', () => {
  const text = 'a\nbc\n\nd';
  assert.equal(lineColumnAt(text, 1), { line: 1, column: 2 }); // the \n
  assert.equal(lineColumnAt(text, 2), { line: 2, column: 1 });
  assert.equal(lineColumnAt(text, 3), { line: 2, column: 2 });
  assert.equal(lineColumnAt(text, 5), { line: 3, column: 1 }); // empty line
  assert.equal(lineColumnAt(text, 6), { line: 4, column: 1 });
});

test('lineColumnAt: CRLF, lone CR and mixed line endings give the lines an editor shows', () => {
  // the same three lines, 'a', 'bc', 'd', with every kind of line break and a mix of them
  for (const [name, text] of [['LF', 'a\nbc\nd'], ['CRLF', 'a\r\nbc\r\nd'], ['CR', 'a\rbc\rd'], ['mixed', 'a\r\nbc\rd'], ['mixed 2', 'a\rbc\nd']] as const) {
    const at = (s: string) => lineColumnAt(text, text.indexOf(s));
    assert.equal(at('a'), { line: 1, column: 1 }, name);
    assert.equal(at('bc'), { line: 2, column: 1 }, name);
    assert.equal(at('c'), { line: 2, column: 2 }, name);
    assert.equal(at('d'), { line: 3, column: 1 }, name);
  }
  // the CR and the LF of one CRLF both end line 1; an empty line between two CRLFs is a line
  assert.equal(lineColumnAt('ab\r\nc', 2), { line: 1, column: 3 });
  assert.equal(lineColumnAt('ab\r\nc', 3), { line: 1, column: 4 });
  assert.equal(lineColumnAt('a\r\n\r\nb', 5), { line: 3, column: 1 });
  assert.equal(lineColumnAt('a\r\rb', 3), { line: 3, column: 1 }, 'two lone CRs are two breaks');
});

test('splitLines: LF, CRLF and lone CR, the breaks dropped; a limit', () => {
  assert.equal(splitLines('a\nb\r\nc\rd\r\n'), ['a', 'b', 'c', 'd', '']);
  assert.equal(splitLines('a\r\r\nb'), ['a', '', 'b']);
  assert.equal(splitLines('a\rb\rc', 2), ['a', 'b']);
});

test('lineColumnAt: astral characters count as one column (code points, like PostgreSQL)', () => {
  const text = '😀x';
  assert.is(text.length, 3);
  assert.equal(lineColumnAt(text, 2), { line: 1, column: 2 });
  const text2 = 'ok\n-- 😀😀 é\nselect 𝒳 frm';
  const frm = text2.indexOf('frm');
  assert.equal(lineColumnAt(text2, frm), { line: 3, column: 10 });
  assert.equal(lineColumnAt(text2, text2.indexOf('é')), { line: 2, column: 7 }); // '-', '-', ' ', '😀', '😀', ' ', 'é'
});

test('lineColumnAt: an index inside a surrogate pair designates that character', () => {
  const text = 'a😀b';
  assert.equal(lineColumnAt(text, 2), lineColumnAt(text, 1));
  assert.equal(lineColumnAt(text, 2), { line: 1, column: 2 });
});

test('lineColumnAt: out-of-range indexes are clamped', () => {
  assert.equal(lineColumnAt('ab\nc', -5), { line: 1, column: 1 });
  assert.equal(lineColumnAt('ab\nc', 99), { line: 2, column: 2 });
  assert.equal(lineColumnAt('', 0), { line: 1, column: 1 });
});

// ---------------------------------------------------------------------------------------------------------------
// utf16IndexFromCodePointPosition

test('utf16IndexFromCodePointPosition: 1-based code point positions', () => {
  const text = 'a😀b€c';
  assert.is(utf16IndexFromCodePointPosition(text, 1), 0); // a
  assert.is(utf16IndexFromCodePointPosition(text, 2), 1); // 😀
  assert.is(utf16IndexFromCodePointPosition(text, 3), 3); // b
  assert.is(utf16IndexFromCodePointPosition(text, 4), 4); // €
  assert.is(utf16IndexFromCodePointPosition(text, 5), 5); // c
  assert.is(utf16IndexFromCodePointPosition(text, 6), 6); // end
  assert.is(utf16IndexFromCodePointPosition(text, 60), text.length);
  assert.is(utf16IndexFromCodePointPosition(text, 0), 0);
});

test('utf16IndexFromCodePointPosition: agrees with iterating code points', () => {
  const text = 'x😀é\n𝒳 -- 🎉🎉 ü';
  const codePoints = [...text];
  let index = 0;
  codePoints.forEach((ch, k) => {
    assert.is(utf16IndexFromCodePointPosition(text, k + 1), index, `position ${k + 1}`);
    index += ch.length;
  });
});

// ---------------------------------------------------------------------------------------------------------------
// utf16IndexFromByteOffset

test('utf16IndexFromByteOffset: 1-, 2-, 3- and 4-byte characters', () => {
  const text = 'aé€😀b'; // bytes: 1 + 2 + 3 + 4 + 1
  assert.is(utf16IndexFromByteOffset(text, 0), 0);
  assert.is(utf16IndexFromByteOffset(text, 1), 1); // é
  assert.is(utf16IndexFromByteOffset(text, 3), 2); // €
  assert.is(utf16IndexFromByteOffset(text, 6), 3); // 😀
  assert.is(utf16IndexFromByteOffset(text, 10), 5); // b
  assert.is(utf16IndexFromByteOffset(text, 11), 6); // end
  assert.is(utf16IndexFromByteOffset(text, 500), 6);
});

test('utf16IndexFromByteOffset: an offset inside a character designates that character', () => {
  const text = 'é😀';
  assert.is(utf16IndexFromByteOffset(text, 1), 0);
  assert.is(utf16IndexFromByteOffset(text, 3), 1);
  assert.is(utf16IndexFromByteOffset(text, 5), 1);
});

test('utf16IndexFromByteOffset: agrees with TextEncoder at every character boundary', () => {
  const text = 'select \'😀é\', "ü" -- 🎉\n/* € */ 𝒳;';
  const encoder = new TextEncoder();
  let index = 0;
  for (const ch of text) {
    const bytes = encoder.encode(text.slice(0, index)).length;
    assert.is(utf16IndexFromByteOffset(text, bytes), index);
    index += ch.length;
  }
});

test('byteOffsetMapper: increasing offsets, a smaller one restarts, and the same answers as utf16IndexFromByteOffset', () => {
  const text = 'a€😀b\ud800c'; // 1-, 3-, 4-byte characters, then a lone surrogate (3 bytes)
  const toUtf16 = byteOffsetMapper(text);
  assert.equal([0, 1, 4, 8, 9, 12, 13, 99].map(toUtf16), [0, 1, 2, 4, 5, 6, 7, 7]);
  assert.is(toUtf16(4), 2); // back to an earlier offset
  assert.is(toUtf16(-1), 0);
  for (let bytes = 0; bytes <= 14; bytes += 1) assert.is(byteOffsetMapper(text)(bytes), utf16IndexFromByteOffset(text, bytes));
  const ascii = byteOffsetMapper('select 1');
  assert.equal([0, 3, 8, 20, -5].map(ascii), [0, 3, 8, 8, 0]);
});

// ---------------------------------------------------------------------------------------------------------------
// skipWhitespaceAndComments

test('skipWhitespaceAndComments: whitespace, line comments and nested block comments', () => {
  const text = ' \t\n-- one\r\n  /* a /* nested */ still comment */\n-- two\nselect';
  assert.is(skipWhitespaceAndComments(text, 0), text.indexOf('select'));
});

test('skipWhitespaceAndComments: stays put on a real character', () => {
  assert.is(skipWhitespaceAndComments('select 1', 0), 0);
  assert.is(skipWhitespaceAndComments('a - b', 2), 2); // a lone minus is not a comment
  assert.is(skipWhitespaceAndComments('a / b', 2), 2);
  assert.is(skipWhitespaceAndComments('x;  y', 1), 1);
  assert.is(skipWhitespaceAndComments('x;  y', 2), 4);
});

test('skipWhitespaceAndComments: returns text.length when nothing follows (or the comment is unterminated)', () => {
  assert.is(skipWhitespaceAndComments('  -- only a comment', 0), 19);
  assert.is(skipWhitespaceAndComments('x /* never /* closed */', 1), 23);
  assert.is(skipWhitespaceAndComments('', 0), 0);
  assert.is(skipWhitespaceAndComments('abc', 10), 3);
});

test('skipWhitespaceAndComments: non-ASCII inside comments', () => {
  const text = '/* 😀 é */ -- ü 🎉\n  ok';
  assert.is(skipWhitespaceAndComments(text, 0), text.indexOf('ok'));
});

// ---------------------------------------------------------------------------------------------------------------
// renderCodeFrame

const ORDERS = [
  '-- orders',
  '',
  '',
  '',
  'create table orders (',
  '  id bigint primary key,',
  '  user_id bigint refrences users(id)',
  ');',
  '',
].join('\n');

test('renderCodeFrame: the documented example', () => {
  const index = ORDERS.indexOf('refrences');
  const { line, column } = lineColumnAt(ORDERS, index);
  assert.equal({ line, column }, { line: 7, column: 18 });
  assert.is(
    renderCodeFrame(ORDERS, line, column),
    [
      '   5 | create table orders (',
      '   6 |   id bigint primary key,',
      ' > 7 |   user_id bigint refrences users(id)',
      '     |                  ^',
      '   8 | );',
    ].join('\n'),
  );
});

test('renderCodeFrame: caret lines up under the column (one column per code point)', () => {
  const text = "select '😀é' frm t";
  const index = text.indexOf('frm');
  const { line, column } = lineColumnAt(text, index);
  const frame = renderCodeFrame(text, line, column);
  const [source, caret] = frame.split('\n');
  assert.is(source, " > 1 | select '😀é' frm t");
  const sourceCodePoints = [...source!];
  const caretAt = [...caret!].indexOf('^');
  assert.is(sourceCodePoints.slice(caretAt).join(''), 'frm t');
});

test('renderCodeFrame: tabs before the column are kept as tabs', () => {
  const text = 'create table t (\n\t\tid int,\n\tx\tbogus\n);';
  const index = text.indexOf('bogus');
  const { line, column } = lineColumnAt(text, index);
  assert.equal({ line, column }, { line: 3, column: 4 });
  assert.is(
    renderCodeFrame(text, line, column),
    ['   1 | create table t (', '   2 | \t\tid int,', ' > 3 | \tx\tbogus', '     | \t \t^', '   4 | );'].join('\n'),
  );
});

test('renderCodeFrame: clipped at the start and end of the file, gutter as wide as the largest number', () => {
  const lines = Array.from({ length: 12 }, (_, k) => `line ${k + 1}`);
  const text = lines.join('\n');
  assert.is(renderCodeFrame(text, 1, 1), [' > 1 | line 1', '     | ^', '   2 | line 2'].join('\n'));
  assert.is(
    renderCodeFrame(text, 10, 6, { before: 1, after: 2 }),
    ['    9 | line 9', ' > 10 | line 10', '      |      ^', '   11 | line 11', '   12 | line 12'].join('\n'),
  );
  assert.is(renderCodeFrame(text, 12, 1, { after: 5 }), ['   10 | line 10', '   11 | line 11', ' > 12 | line 12', '      | ^'].join('\n'));
});

test('renderCodeFrame: before/after 0, empty lines, column past the end of the line, no trailing newline', () => {
  const text = 'select (\n\n';
  assert.is(renderCodeFrame(text, 1, 9, { before: 0, after: 0 }), ' > 1 | select (\n     |         ^');
  const frame = renderCodeFrame(text, 2, 1);
  assert.is(frame, ['   1 | select (', ' > 2 |', '     | ^', '   3 |'].join('\n'));
  assert.not.ok(frame.endsWith('\n'));
});

test('renderCodeFrame: CRLF and CR files show the same frame as the LF file, with no CR in it', () => {
  const lf = 'create table t (\n  id int,\n  bad bad\n);\n';
  const expected = renderCodeFrame(lf, 3, 7);
  for (const text of [lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r'), 'create table t (\r\n  id int,\r  bad bad\n);\r\n']) {
    const frame = renderCodeFrame(text, 3, 7);
    assert.is(frame, expected, JSON.stringify(text));
    assert.not.match(frame, /\r/);
  }
});

test('renderCodeFrame: a line beyond the text is clamped to the last line', () => {
  assert.is(renderCodeFrame('a\nb', 9, 1, { before: 0, after: 0 }), ' > 2 | b\n     | ^');
});

test('renderCodeFrame: a very long line is cut to a window around the column, the caret still under it', () => {
  const line = `${'a'.repeat(5000)}X${'b'.repeat(5000)}`;
  for (const [column, marked] of [[5001, 'X'], [1, 'a'], [10001, 'b'], [3, 'a']] as const) {
    const [shown, caret] = renderCodeFrame(line, 1, column, { before: 0, after: 0 }).split('\n').map((l) => l.slice(' > 1 | '.length));
    assert.ok(shown!.length <= 162, `column ${column}: ${shown!.length} characters shown`);
    assert.is(shown![caret!.indexOf('^')], marked, `column ${column}`);
  }
  const middle = renderCodeFrame(line, 1, 5001, { before: 0, after: 0 }).split('\n')[0]!;
  assert.ok(middle.includes('…a') && middle.endsWith('b…'), middle.slice(0, 20));
  // multi-byte characters count as one column each
  const wide = `${'é'.repeat(3000)}Z${'é'.repeat(10)}`;
  const [shown, caret] = renderCodeFrame(wide, 1, 3001, { before: 0, after: 0 }).split('\n').map((l) => l.slice(7));
  assert.is([...shown!][[...caret!].indexOf('^')], 'Z');
});

test.run();
