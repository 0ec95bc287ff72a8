import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintFiles, type LintFile, type LintResult } from '../../src/lint/lint-files.js';
import { LINT_RULES, RULE_IDS } from '../../src/lint/rules.js';
import { bodyChecksum } from '../../src/revision/checksums.js';
import { parseDownFile, parseUpFile } from '../../src/revision/parse-header.js';
import { loadSqlParser } from '../../src/sql/parser.js';
import { splitStatements } from '../../src/sql/split-statements.js';
import { repoRoot } from '../helpers/harness.js';

/**
 * Every rule carries a bad and a good example: the bad one fires exactly that rule (and the few
 * others it declares), the good one fires nothing, in each Transaction mode the example holds in.
 */
test.before(async () => {
  await loadSqlParser();
});

function lintText(text: string, transactional: boolean, options = {}): LintResult {
  const parsed = parseUpFile(text, 'migrations/20260101000000_x/up.sql');
  const split = splitStatements(parsed.body);
  if (!split.ok) throw new Error(`${split.problem.message} in ${text}`);
  const file: LintFile = {
    revision: '20260101000000_x', role: 'up', path: 'migrations/20260101000000_x/up.sql', text, body: parsed.body, bodyOffset: parsed.bodyOffset,
    transactional, statements: split.statements, headerAllows: parsed.header.lintAllows,
  };
  return lintFiles([{ up: file }], options);
}

const lint = (sql: string, transactional: boolean) => lintText(`--! Parent: base\n\n${sql}\n`, transactional);
const fired = (result: LintResult) => [...new Set(result.findings.map((f) => f.rule))].sort();

for (const rule of LINT_RULES) {
  const modes = (transactional: boolean | undefined) => (transactional === undefined ? [true, false] : [transactional]);
  for (const transactional of modes(rule.bad.transactional)) {
    test(`${rule.id}: the bad example fires it (${transactional ? 'transactional' : 'Transaction: off'})`, () => {
      assert.equal(fired(lint(rule.bad.sql, transactional)), [rule.id, ...(rule.bad.alsoFires ?? [])].sort());
    });
  }
  for (const transactional of modes(rule.good.transactional)) {
    test(`${rule.id}: the good example fires nothing (${transactional ? 'transactional' : 'Transaction: off'})`, () => {
      assert.equal(fired(lint(rule.good.sql, transactional)), [...(rule.good.alsoFires ?? [])].sort());
    });
  }
}

test('at least 40 rules, each id kebab-case and unique, each documented in full', () => {
  assert.ok(LINT_RULES.length >= 40, `${LINT_RULES.length} rules`);
  assert.is(new Set(RULE_IDS).size, RULE_IDS.length);
  for (const rule of LINT_RULES) {
    assert.match(rule.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(rule.lock && rule.why && rule.fix, rule.id);
  }
});

test('docs/lint.md lists exactly the rule ids the code has', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'lint.md'), 'utf8');
  const documented = [...doc.matchAll(/^### `([a-z0-9-]+)`/gm)].map((m) => m[1]!);
  assert.equal(documented.sort(), [...RULE_IDS].sort());
});

test('a table created earlier in the revision is new: indexed, constrained, altered freely', () => {
  const result = lint('create table app.t (id int, u int);\ncreate index t_u on app.t (u);\nalter table app.t add constraint t_fk foreign key (u) references app.t (id);\nalter table app.t alter column u set not null;', true);
  assert.equal(fired(result), []);
});

test('lock-timeout-missing: a SET lock_timeout earlier satisfies it, SET lock_timeout = 0 does not, the lockTimeoutConfigured option silences it', () => {
  const ddl = 'alter table app.users alter column email set default null;';
  assert.equal(fired(lint(ddl, true)), ['lock-timeout-missing']);
  assert.equal(fired(lint(`set local lock_timeout = '1s';\n${ddl}`, true)), []);
  assert.equal(fired(lint(`set lock_timeout = 0;\n${ddl}`, true)), ['lock-timeout-missing']);
  assert.equal(fired(lintText(`--! Parent: base\n\n${ddl}\n`, true, { lockTimeoutConfigured: true })), []);
});

test('lock-timeout-missing: SET LOCAL counts only inside the transaction it runs in, RESET and a rolled-back SET take the timeout away', () => {
  const ddl = 'alter table app.users alter column email set default null;';
  // Transaction: off: outside a block, SET LOCAL does nothing; inside one, it ends with the block
  assert.equal(fired(lint(`set local lock_timeout = '1s';\n${ddl}`, false)), ['lock-timeout-missing']);
  assert.equal(fired(lint(`begin;\nset local lock_timeout = '1s';\ncommit;\n${ddl}`, false)), ['lock-timeout-missing']);
  assert.equal(fired(lint(`begin;\nset local lock_timeout = '1s';\n${ddl}\ncommit;`, false)), []);
  assert.equal(fired(lint(`begin;\nset lock_timeout = '1s';\ncommit;\n${ddl}`, false)), []);
  assert.equal(fired(lint(`begin;\nset lock_timeout = '1s';\nrollback;\n${ddl}`, false)), ['lock-timeout-missing']);
  assert.equal(fired(lint(`begin;\nset local lock_timeout = '1s';\ncommit and chain;\n${ddl}\ncommit;`, false)), ['lock-timeout-missing']);
  // either mode: RESET, SET TO DEFAULT and RESET ALL turn it off again
  for (const transactional of [true, false]) {
    assert.equal(fired(lint(`set lock_timeout = '1s';\nreset lock_timeout;\n${ddl}`, transactional)), ['lock-timeout-missing']);
    assert.equal(fired(lint(`set lock_timeout = '1s';\nset lock_timeout to default;\n${ddl}`, transactional)), ['lock-timeout-missing']);
    assert.equal(fired(lint(`set lock_timeout = '1s';\nreset all;\n${ddl}`, transactional)), ['lock-timeout-missing']);
  }
  // a transactional revision is one block: SET LOCAL lasts to its end
  assert.equal(fired(lint(`set local lock_timeout = '1s';\nselect 1;\n${ddl}`, true)), []);
});

test('lock-timeout-missing: a table whose ACCESS EXCLUSIVE lock the transaction already holds is not waited for again', () => {
  const findings = (sql: string, transactional: boolean) => lint(sql, transactional).findings.filter((f) => f.rule === 'lock-timeout-missing').map((f) => f.line);
  const two = 'drop trigger app_users_touch on app.users;\ndrop table app.users;';
  // the first statement waits for the lock (line 3), the second finds it held
  assert.equal(findings(two, true), [3]);
  assert.equal(findings(`begin;\n${two}\ncommit;`, false), [4]);
  // outside a transaction each statement takes the lock anew
  assert.equal(findings(two, false), [3, 4]);
  // a weaker lock held before does not stand in for ACCESS EXCLUSIVE
  assert.equal(findings('create index users_email on app.users (email);\nalter table app.users drop column nickname;', true), [4]);
});

test('a DO block: the statements it runs are checked, at their place in the file, and a strata:allow above the block accepts them', () => {
  const block = "set lock_timeout = '1s';\ndo $$\nbegin\n  if true then\n    create index users_a on app.users (a);\n  end if;\n  update app.users set a = 1;\nend\n$$;";
  const result = lint(block, true);
  assert.equal(fired(result), ['create-index-not-concurrently', 'ddl-with-data-change', 'update-without-where']);
  const index = result.findings.find((f) => f.rule === 'create-index-not-concurrently')!;
  assert.equal([index.line, index.column], [7, 29]);
  const update = result.findings.find((f) => f.rule === 'update-without-where')!;
  assert.equal([update.line, update.column], [9, 3]);
  // a table the block creates is new, as one created outside it
  assert.equal(fired(lint("do $$ begin create table app.t (id int); create index t_id on app.t (id); end $$;", true)), []);
  // non-ASCII text before the block keeps the positions right
  const accented = lint("comment on table app.users is 'café ünïcode';\ndo $$ begin delete from app.users; end $$;", true);
  assert.equal(accented.findings.map((f) => [f.rule, f.line, f.column]), [['delete-without-where', 4, 13]]);
  assert.equal(fired(lint(`-- strata:allow create-index-not-concurrently,update-without-where,ddl-with-data-change,lock-timeout-missing the table is tiny\n${block.replace("set lock_timeout = '1s';\n", '')}`, true)), []);
  // a function body does not run when the revision does, and dynamic SQL cannot be read
  assert.equal(fired(lint("create function app.f() returns void language plpgsql as $$ begin delete from app.users; end $$;", true)), []);
  assert.equal(fired(lint("do $$ begin execute 'delete from app.users'; end $$;", true)), []);
});

test('update-without-where, delete-without-where: a data-modifying WITH counts too, pointing at its table', () => {
  const result = lint('with gone as (delete from app.users returning id) select count(*) from gone;\nwith x as (select 1), y as (update app.users set a = 2 returning 1) select 1;\nwith x as (delete from app.users where id = 1 returning id) select 1;', true);
  assert.equal(result.findings.map((f) => [f.rule, f.line, f.column]), [['delete-without-where', 3, 27], ['update-without-where', 4, 36]]);
});

test('unqualified-name: a SET LOCAL search_path outside a block of a Transaction: off revision does not count', () => {
  const sql = 'create table users (id int);';
  assert.equal(fired(lint(`set local search_path = app;\n${sql}`, false)), ['unqualified-name']);
  assert.equal(fired(lint(`set local search_path = app;\n${sql}`, true)), []);
});

test('Lint-allow in the header accepts a rule for the file; strata:allow above a statement accepts it for that statement only', () => {
  const header = lintText("--! Parent: base\n--! Lint-allow: create-index-not-concurrently orders has 40 rows\n\ncreate index i on app.orders (a);\ncreate index j on app.orders (b);\n", true);
  assert.equal(header.findings, []);
  assert.is(header.allowed, 2);
  const comment = lintText('--! Parent: base\n\n-- strata:allow create-index-not-concurrently small table\ncreate index i on app.orders (a);\ncreate index j on app.orders (b);\n', true);
  assert.equal(comment.findings.map((f) => [f.rule, f.line]), [['create-index-not-concurrently', 5]]);
});

test('an allow naming an unknown rule is a problem at its line, with the close rule', () => {
  const header = lintText('--! Parent: base\n--! Lint-allow: create-index-not-concurrenty typo\n\nselect 1;\n', true);
  assert.equal(header.problems.map((p) => [p.code, p.line, p.message]), [['LINT_ALLOW_UNKNOWN_RULE', 2, "unknown lint rule 'create-index-not-concurrenty'; did you mean 'create-index-not-concurrently'?"]]);
  const comment = lintText('--! Parent: base\n\nselect 1;\n  -- strata:allow no-such-rule\nselect 2;\n', true);
  assert.equal(comment.problems.map((p) => [p.line, p.column]), [[4, 3]]);
});

test('a finding points at file:line:col of the relation it is about', () => {
  const result = lint("set lock_timeout = '1s';\n\ncreate index i on\n  app.orders (a);", true);
  assert.equal(result.findings.map((f) => [f.file, f.line, f.column]), [['migrations/20260101000000_x/up.sql', 6, 3]]);
});

test('oncePerFile rules report the first hit and how many more', () => {
  const result = lint('create table a (id int);\ncreate table b (id int);\ncreate table c (id int);', true);
  assert.equal(result.findings.map((f) => f.message), ['a has no schema: search_path decides which relation is meant (and 2 more in this file)']);
});

test('Lint-allow: repeatable in up.sql and down.sql headers; a missing reason is an error at its line; the checksum does not change', () => {
  const body = '\ncreate index i on app.orders (a);\n';
  const plain = parseUpFile(`--! Parent: base${body}`, 'up.sql');
  const allowed = parseUpFile(`--! Parent: base\n--! Lint-allow: create-index-not-concurrently 40 rows\n--! Lint-allow: unqualified-name search_path is fixed${body}`, 'up.sql');
  assert.equal(allowed.problems, []);
  assert.equal(allowed.header.lintAllows, [{ rule: 'create-index-not-concurrently', reason: '40 rows', line: 2 }, { rule: 'unqualified-name', reason: 'search_path is fixed', line: 3 }]);
  assert.is(bodyChecksum(allowed.body), bodyChecksum(plain.body));
  const down = parseDownFile('--! Lint-allow: drop-table the revision made it\ndrop table app.t;\n', 'down.sql');
  assert.equal(down.problems, []);
  assert.equal(down.header.lintAllows.map((a) => a.rule), ['drop-table']);
  const missing = parseUpFile(`--! Parent: base\n--! Lint-allow: create-index-not-concurrently${body}`, 'migrations/x/up.sql');
  assert.equal(missing.problems.map((p) => [p.code, p.file, p.line, p.message]), [['HEADER_BAD_VALUE', 'migrations/x/up.sql', 2, 'Lint-allow create-index-not-concurrently needs a reason after the rule']]);
});

test('down.sql: what up.sql made is owned (drops of its tables, columns and indexes on its tables are not findings); the lock rules still apply', () => {
  const file = (role: 'up' | 'down', sql: string): LintFile => {
    const split = splitStatements(sql);
    if (!split.ok) throw new Error(split.problem.message);
    return { revision: 'r', role, path: `migrations/r/${role}.sql`, text: sql, body: sql, bodyOffset: 0, transactional: true, statements: split.statements, headerAllows: [] };
  };
  const up = file('up', "set lock_timeout = '1s';\ncreate table app.t (id int);\ncreate index t_id on app.t (id);\nalter table app.orders add column note text;\ncreate index orders_note on app.orders (note);");
  const down = file('down', "set lock_timeout = '1s';\ndrop index app.orders_note;\nalter table app.orders drop column note;\ndrop index app.t_id;\ndrop table app.t;\ndrop table app.other;");
  const result = lintFiles([{ up, down }]);
  assert.equal(result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`), [
    'migrations/r/up.sql:5 create-index-not-concurrently',
    'migrations/r/down.sql:2 drop-index-not-concurrently',
    'migrations/r/down.sql:6 drop-table',
  ]);
});

test.run();
