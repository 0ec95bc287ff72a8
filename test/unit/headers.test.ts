import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Problem } from '../../src/errors.js';
import { parseDownFile, parseUpFile, withoutBom } from '../../src/revision/parse-header.js';
import { build, bytes, folder } from '../helpers/memory-tree.js';

const UP = 'migrations/20261125123456_add_orders/up.sql';
const DOWN = 'migrations/20261125123456_add_orders/down.sql';

function only(problems: Problem[], code: Problem['code']): Problem {
  const matching = problems.filter((p) => p.code === code);
  assert.is(matching.length, 1, `one ${code} in ${JSON.stringify(problems)}`);
  return matching[0]!;
}

test('a complete up.sql header: every key, the body after it, no problems', () => {
  const text = '--! Parent: 20261120093000_create_users\n--! Message:   Add orders table  \n--! Transaction: off\n--! Tags: v1.4, release-2 ,beta_3\n--! Replaces: 20261121093000_a, 20261122093000_b\n\ncreate table orders (id int);\n';
  const parsed = parseUpFile(text, UP);
  assert.equal(parsed.problems, []);
  assert.equal(parsed.header, { parent: '20261120093000_create_users', message: 'Add orders table', transactional: false, tags: ['v1.4', 'release-2', 'beta_3'], replaces: ['20261121093000_a', '20261122093000_b'], lintAllows: [] });
  assert.is(parsed.body, '\ncreate table orders (id int);\n');
  assert.is(parsed.bodyOffset, text.indexOf('\ncreate table'));
  assert.is(text.slice(parsed.bodyOffset), parsed.body);
});

test('keys are case-insensitive; Transaction takes on/off/true/false in any case', () => {
  for (const [value, expected] of [['on', true], ['OFF', false], ['True', true], ['false', false]] as const) {
    const parsed = parseUpFile(`--! parent: base\n--! TRANSACTION: ${value}\nselect 1;`, UP);
    assert.equal(parsed.problems, [], value);
    assert.is(parsed.header.transactional, expected, value);
    assert.is(parsed.header.parent, 'base');
  }
  assert.is(parseUpFile('--! Parent: base\nselect 1;', UP).header.transactional, true, 'default is on');
});

test('unknown key: file, line, column and the closest known key', () => {
  const parsed = parseUpFile('--! Parent: base\n--! Transacton: off\n\nselect 1;', UP);
  const p = only(parsed.problems, 'HEADER_UNKNOWN_KEY');
  assert.equal([p.file, p.line, p.column], [UP, 2, 5]);
  assert.match(p.message, "unknown header 'Transacton'; did you mean 'Transaction'?");
  assert.match(p.hint!, 'Parent, Message, Transaction, Tags');
  assert.is(parsed.header.transactional, true, 'the misspelt key does not switch the transaction off');
});

test('unknown key far from every known key: no suggestion', () => {
  const p = only(parseUpFile('--! Parent: base\n--! Reviewer: alice\nselect 1;', UP).problems, 'HEADER_UNKNOWN_KEY');
  assert.is(p.line, 2);
  assert.is(p.message, "unknown header 'Reviewer'");
});

test('a misspelt Parent is reported once, not also as a missing Parent', () => {
  const parsed = parseUpFile('--! Parnet: base\n\nselect 1;', UP);
  assert.is(only(parsed.problems, 'HEADER_UNKNOWN_KEY').message, "unknown header 'Parnet'; did you mean 'Parent'?");
  assert.is(parsed.problems.length, 1);
});

test('missing Parent: line 1 and how to write it', () => {
  const p = only(parseUpFile('--! Message: no parent\n\nselect 1;', UP).problems, 'HEADER_MISSING_PARENT');
  assert.equal([p.file, p.line], [UP, 1]);
  assert.match(p.hint!, '--! Parent: base');
});

test('empty Parent is a bad value (and not also "missing")', () => {
  const parsed = parseUpFile('--! Parent:\nselect 1;', UP);
  const p = only(parsed.problems, 'HEADER_BAD_VALUE');
  assert.is(p.line, 1);
  assert.is(parsed.problems.length, 1);
});

test('repeated key: the second line, pointing back at the first; the first value wins', () => {
  const parsed = parseUpFile('--! Parent: base\n--! Message: one\n--! parent: 20261120093000_x\n\nselect 1;', UP);
  const p = only(parsed.problems, 'HEADER_REPEATED_KEY');
  assert.equal([p.file, p.line, p.column], [UP, 3, 5]);
  assert.match(p.message, "header 'Parent' is repeated (first on line 1)");
  assert.is(parsed.header.parent, 'base');
});

test('a down.sql key in up.sql (and the reverse) says which file it belongs in', () => {
  const inUp = only(parseUpFile('--! Parent: base\n--! Irreversible: no\nselect 1;', UP).problems, 'HEADER_WRONG_FILE');
  assert.is(inUp.line, 2);
  assert.match(inUp.message, "'Irreversible' belongs in down.sql");
  const inDown = only(parseDownFile('--! Tags: v1\ndrop table t;', DOWN).problems, 'HEADER_WRONG_FILE');
  assert.equal([inDown.file, inDown.line], [DOWN, 1]);
  assert.match(inDown.message, "'Tags' belongs in up.sql");
});

test('header line after the body started is misplaced, with its line', () => {
  const parsed = parseUpFile('--! Parent: base\n\ncreate table t (id int);\n--! Message: late\n', UP);
  const p = only(parsed.problems, 'HEADER_MISPLACED');
  assert.equal([p.file, p.line, p.column], [UP, 4, 1]);
  assert.is(parsed.header.message, undefined, 'a misplaced line is not read as a header');
  assert.match(parsed.body, '--! Message: late', 'the body is everything after the header');
});

test('below the header, --! lines that are not strata keys are comments, wherever the lexer puts them', () => {
  const bodies = [
    // comments of other tools, shapes that are not 'Key: value', misspelt or unknown keys
    '--! breaking-change\ncreate table t (id int);\n',
    'create table t (id int);\n--! breaking-change\n',
    '--! no-transaction\n--! AllowInvalidHash\n--!\n--!!\n--! Transaction off\n--! Transacton: off\n--! Reviewer: alice\nselect 1;\n',
    // a strata key inside literals, quoted identifiers, dollar quotes and block comments is data, not a comment
    "select '\n--! Transaction: off\n';\n",
    "select 'it''s\n--! Tags: v1\n';\n",
    "select E'\\'\n--! Message: x\n';\n",
    'select 1 as "\n--! Transaction: off\n";\n',
    'create function f() returns int language sql as $$\n--! Transaction: off\nselect 1\n$$;\n',
    'do $body$\nbegin\n--! Transaction: off\nend\n$body$;\n',
    'do $a$ begin perform $b$\n--! Tags: v1\n$b$; end $a$;\n',
    '/*\n--! Transaction: off\n*/\nselect 1;\n',
    '/* outer /* inner */\n--! Transaction: off\n*/\nselect 1;\n',
    // after SQL on the same line: a trailing remark, not a header line
    'select 1; --! Transaction: off\n',
  ];
  for (const body of bodies) {
    for (const br of ['\n', '\r\n', '\r']) {
      const text = `--! Parent: base\n\n${body}`.replace(/\n/g, br);
      const parsed = parseUpFile(text, UP);
      assert.equal(parsed.problems, [], JSON.stringify(text));
      assert.is(parsed.header.transactional, true);
      assert.is(parsed.body, text.slice(parsed.bodyOffset));
    }
  }
});

test('below the header, a comment line that spells a strata key is refused: line, column, move it into the header', () => {
  const cases: Array<[string, number, number, string]> = [
    ['create index concurrently i on t (id);\n--! Transaction: off\n', 4, 1, 'Transaction'],
    ['select 1;\n--!transaction:OFF\n', 4, 1, 'Transaction'],
    ['select 1;\n--!   TAGS :  v1, v2\n', 4, 1, 'Tags'],
    ['select 1;\n  --! Message: indented\n', 4, 3, 'Message'],
    ['select 1;\n\t--! parent: base\n', 4, 2, 'Parent'],
    ["select '--! Transaction: off';\n--! Transaction: off\n", 4, 1, 'Transaction'],
    ['select $$ x $$;\n/* c */\n--! Transaction: off\n', 5, 1, 'Transaction'],
  ];
  for (const [body, line, column, key] of cases) {
    for (const br of ['\n', '\r\n', '\r']) {
      const text = `--! Parent: base\n\n${body}`.replace(/\n/g, br);
      const parsed = parseUpFile(text, UP);
      const p = only(parsed.problems, 'HEADER_MISPLACED');
      assert.equal([p.file, p.line, p.column], [UP, line, column], JSON.stringify(text));
      assert.match(p.message, 'is below the start of the SQL body, where it is only a comment');
      assert.match(p.message, `${key} does not apply`);
      assert.match(p.hint!, 'move it into the header at the top');
      assert.is(parsed.header.transactional, true, 'it does not apply');
    }
  }
  // a blank line ends the header: a key after it is below the body too
  const afterBlank = only(parseUpFile('--! Parent: base\n\n--! Message: x\nselect 1;\n', UP).problems, 'HEADER_MISPLACED');
  assert.equal([afterBlank.line, afterBlank.column], [3, 1]);
});

test('down.sql: its own keys below the SQL are refused; an up.sql key there says which header it belongs in', () => {
  const irreversible = only(parseDownFile('drop table t;\n--! Irreversible: drops data\n', DOWN).problems, 'HEADER_MISPLACED');
  assert.equal([irreversible.file, irreversible.line, irreversible.column], [DOWN, 2, 1]);
  assert.match(irreversible.hint!, 'move it into the header at the top of the file');
  assert.is(parseDownFile('drop table t;\n--! Irreversible: drops data\n', DOWN).header.irreversible, undefined);
  const tags = only(parseDownFile('drop table t;\n--! Tags: v1\n', DOWN).problems, 'HEADER_MISPLACED');
  assert.match(tags.hint!, 'move it into the header at the top of up.sql');
  assert.equal(parseDownFile('-- Undo\n--! breaking-change\ndrop table t;\n', DOWN).problems, []);
});

test('malformed header line (no colon): line and the expected form', () => {
  const p = only(parseUpFile('--! Parent base\nselect 1;', UP).problems, 'HEADER_MALFORMED');
  assert.equal([p.file, p.line, p.column], [UP, 1, 1]);
  assert.match(p.message, "'--! Parent base' is not 'Key: value'");
  assert.match(p.hint!, '--! Parent: ...');
});

test('bad Transaction value: line, the accepted values', () => {
  const parsed = parseUpFile('--! Parent: base\n--! Transaction: maybe\nselect 1;', UP);
  const p = only(parsed.problems, 'HEADER_BAD_VALUE');
  assert.equal([p.file, p.line], [UP, 2]);
  assert.match(p.message, "Transaction must be 'on' or 'off', got 'maybe'");
  assert.is(parsed.header.transactional, true);
});

test('tags: trimmed, empty items dropped; invalid and reserved names refused with the line', () => {
  assert.equal(parseUpFile('--! Parent: base\n--! Tags: v1.0,, v2 \nselect 1;', UP).header.tags, ['v1.0', 'v2']);
  const parsed = parseUpFile('--! Parent: base\n--! Tags: 1.0, head, ok-tag, has space\nselect 1;', UP);
  const bad = parsed.problems.filter((p) => p.code === 'HEADER_BAD_VALUE');
  assert.equal(bad.map((p) => p.message), [
    "tag '1.0' is not a valid release name",
    "tag 'head' is not a valid release name",
    "tag 'has space' is not a valid release name",
  ]);
  assert.ok(bad.every((p) => p.line === 2));
});

test('down.sql: Irreversible with its reason, Transaction off, no Parent needed', () => {
  const parsed = parseDownFile('--! Transaction: off\n--! Irreversible: drops customer data\n\n', DOWN);
  assert.equal(parsed.problems, []);
  assert.equal(parsed.header, { transactional: false, irreversible: 'drops customer data', lintAllows: [] });
  assert.equal(parseDownFile('drop table t;\n', DOWN), { header: { transactional: true, irreversible: undefined, lintAllows: [] }, body: 'drop table t;\n', bodyOffset: 0, problems: [] });
});

test('down.sql: Irreversible without a reason, unknown key with suggestion', () => {
  const empty = only(parseDownFile('--! Irreversible:\n', DOWN).problems, 'HEADER_BAD_VALUE');
  assert.equal([empty.file, empty.line], [DOWN, 1]);
  assert.match(empty.message, 'Irreversible needs a reason');
  const typo = only(parseDownFile('--! Irreversable: yes\n', DOWN).problems, 'HEADER_UNKNOWN_KEY');
  assert.match(typo.message, "did you mean 'Irreversible'?");
  assert.match(typo.hint!, 'down.sql headers are: Transaction, Irreversible');
});

test('every problem of a file is reported, in line order', () => {
  const parsed = parseUpFile('--! Parnt: base\n--! Message: a\n--! Message: b\n--! Transaction: sometimes\nselect 1;\n--! Tags: late', UP);
  assert.equal(parsed.problems.map((p) => [p.code, p.line]), [
    ['HEADER_UNKNOWN_KEY', 1], ['HEADER_REPEATED_KEY', 3], ['HEADER_BAD_VALUE', 4], ['HEADER_MISPLACED', 6],
  ]);
});

test('withoutBom: only a leading BOM is removed; line endings and everything else stay', () => {
  assert.is(withoutBom('\uFEFF--! Parent: base\r\n\r\nselect 1;\r\n'), '--! Parent: base\r\n\r\nselect 1;\r\n');
  assert.is(withoutBom('a\rb\r\nc\n'), 'a\rb\r\nc\n');
  assert.is(withoutBom('select \'\uFEFF\';'), 'select \'\uFEFF\';', 'a BOM that is not the first character stays');
});

test('header lines end at LF, CRLF or a lone CR; the body starts after the break, exactly as in the file', () => {
  for (const br of ['\n', '\r\n', '\r']) {
    const text = `--! Parent: base${br}--! Message: x${br}--! Transaction: off${br}${br}select 1;${br}`;
    const parsed = parseUpFile(text, UP);
    assert.equal(parsed.problems, [], JSON.stringify(br));
    assert.equal(parsed.header, { parent: 'base', message: 'x', transactional: false, tags: [], replaces: [], lintAllows: [] }, JSON.stringify(br));
    assert.is(parsed.body, `${br}select 1;${br}`, JSON.stringify(br));
    assert.is(text.slice(parsed.bodyOffset), parsed.body);
  }
  // mixed: a CRLF is one break, not a CR and then an empty line
  const mixed = parseUpFile('--! Parent: base\r\n--! Message: x\rselect 1;\n', UP);
  assert.equal([mixed.header.message, mixed.body], ['x', 'select 1;\n']);
});

const ID = '20261125123456_add_orders';

test('BOM + CRLF file: same checksum as the LF file; the body kept as in the file; problems on the right lines', () => {
  const lf = build(folder(ID, '--! Parent: base\n--! Message: x\n\ncreate table t (id int);\n', 'drop table t;\n'));
  const crlf = build(folder(ID, '\uFEFF--! Parent: base\r\n--! Message: x\r\n\r\ncreate table t (id int);\r\n', '\uFEFFdrop table t;\r\n'));
  assert.equal(crlf.problems, []);
  const [a, b] = [lf.revisions[0]!, crlf.revisions[0]!];
  assert.is(b.up.checksum, a.up.checksum);
  assert.is(b.down.checksum, a.down.checksum);
  assert.is(b.up.text, '--! Parent: base\r\n--! Message: x\r\n\r\ncreate table t (id int);\r\n', 'only the BOM is removed');
  assert.is(b.up.body, '\r\ncreate table t (id int);\r\n');
  assert.is(b.down.body, 'drop table t;\r\n');

  for (const br of ['\r\n', '\r']) {
    const broken = build(folder(ID, `\uFEFF--! Parent: base${br}--! Transacton: off${br}${br}select 1;${br}`));
    const p = only(broken.problems, 'HEADER_UNKNOWN_KEY');
    assert.equal([p.file, p.line, p.column], [`migrations/${ID}/up.sql`, 2, 5], JSON.stringify(br));
  }
});

test('checksums cover the body only: header edits keep them, body edits change them', () => {
  const sum = (up: string, down = 'drop table t;\n') => {
    const set = build(folder(ID, up, down));
    assert.equal(set.problems, []);
    return { up: set.revisions[0]!.up.checksum, down: set.revisions[0]!.down.checksum };
  };
  const original = sum('--! Parent: base\n--! Message: first\n\ncreate table t (id int);\n');
  assert.match(original.up, /^v2:[0-9a-f]{64}$/);
  assert.equal(sum('--! Parent: base\n--! Message: reworded\n--! Tags: v1\n\ncreate table t (id int);\n'), original, 'message and tags edited');
  assert.equal(sum('--! Parent: base\n\ncreate table t (id int);\n', '--! Transaction: off\ndrop table t;\n'), original, 'down.sql header added');
  assert.is.not(sum('--! Parent: base\n--! Message: first\n\ncreate table t (id bigint);\n').up, original.up, 'body edited');
  assert.is.not(sum('--! Parent: base\n--! Message: first\n\ncreate table t (id int);\n', 'drop table if exists t;\n').down, original.down);
});

test('header parse keeps the header out of the body of an up.sql read from bytes', () => {
  const set = build(folder(ID, bytes('--! Parent: base\n-- a comment is body\nselect 1;\n')));
  assert.is(set.revisions[0]!.up.body, '-- a comment is body\nselect 1;\n');
  assert.is(set.revisions[0]!.up.bodyOffset, '--! Parent: base\n'.length);
});

test.run();
