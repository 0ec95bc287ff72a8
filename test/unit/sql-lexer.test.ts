import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lexSql } from '../../src/sql/lexer.js';

const comments = (text: string) => lexSql(text).lineComments.map((c) => text.slice(c.start, c.end));

test('a -- comment ends at LF, at CRLF and at a lone CR, as PostgreSQL and psql end it', () => {
  assert.equal(comments('-- a\nselect 1; -- b\n'), ['-- a', '-- b']);
  assert.equal(comments('-- a\r\nselect 1; -- b\r\n'), ['-- a', '-- b']);
  assert.equal(comments('-- a\rselect 1; -- b\r'), ['-- a', '-- b']);
  // after a CR the next line is SQL again, not part of the comment
  const lexed = lexSql('-- a\rselect 1;');
  assert.equal(lexed.tokens.map((t) => t.kind), ['other', 'other', 'semicolon']);
});

test('-- inside literals, quoted identifiers, dollar quotes and block comments is no comment', () => {
  const cases = [
    "select '--! Transaction: off';",
    "select 'it''s --! Tags: v1';",
    "select E'\\' --! Parent: base';",
    'select 1 as "--! Message: x";',
    'select $$\n--! Transaction: off\n$$;',
    'select $body$\n--! Transaction: off\n$body$;',
    'select $a$ $b$ --! x $b$ $a$;',
    '/* --! Transaction: off */ select 1;',
    '/* outer /* inner */ --! Transaction: off */ select 1;',
  ];
  for (const text of cases) assert.equal(comments(text), [], text);
});

test('comments around literals are found, with their exact ends', () => {
  const text = "select '--'; -- one\rselect $q$--$q$; --two\r\n/* c */ -- three";
  assert.equal(comments(text), ['-- one', '--two', '-- three']);
});

test('a backslash is a token and the rest of its line is psql\'s; lexing goes on on the next line', () => {
  const text = "\\set x '\nselect 1; -- after\n";
  const lexed = lexSql(text);
  assert.is(lexed.backslash, 0);
  assert.is(lexed.unterminated, false);
  assert.equal(comments(text), ['-- after']);
});

test('an unterminated literal stops lexing: what follows is inside it', () => {
  const lexed = lexSql("select 'open\n-- not a comment\n");
  assert.is(lexed.unterminated, true);
  assert.equal(lexed.lineComments, []);
  assert.is(lexSql('select $x$ -- no').unterminated, true);
  assert.is(lexSql('/* /* */ -- no').unterminated, true);
});

test.run();
