import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, makeProject, repoRoot, runCli, upSql } from '../helpers/harness.js';

/**
 * strata lint on a project: findings as file:line:col, --json, exit codes, the two ways to accept
 * a finding and their mistakes; lint inside check (errors fail it); lint before up (printed as
 * warnings, the revision still applied).
 */
const BASE = '20261201090000_create_orders';
const INDEX = '20261202090000_index_orders';
const INDEX_BODY = 'create index orders_customer_idx on app.orders (customer_id);\nalter table app.orders add column note text;\n';

function project() {
  return makeProject({
    [`migrations/${BASE}/up.sql`]: upSql('base', 'create schema app;\ncreate table app.orders (id bigint primary key, customer_id bigint);\n'),
    [`migrations/${BASE}/down.sql`]: "set lock_timeout = '2s';\ndrop table app.orders;\ndrop schema app;\n",
    [`migrations/${INDEX}/up.sql`]: upSql(BASE, INDEX_BODY),
    // drops the index concurrently, so outside a transaction
    [`migrations/${INDEX}/down.sql`]: "--! Transaction: off\nset lock_timeout = '2s';\nalter table app.orders drop column note;\ndrop index concurrently app.orders_customer_idx;\n",
  });
}

const db = await createTestDatabase('lint');
const projects: { remove(): void }[] = [];
const fresh = () => {
  const p = project();
  projects.push(p);
  return p;
};

test.after(async () => {
  for (const p of projects) p.remove();
  await db?.drop();
});

test('strata lint: each finding at file:line:col with its rule and fix; exit 1 on an error finding', async () => {
  const { dir } = fresh();
  const result = await runCli(['lint'], { cwd: dir });
  assert.is(result.code, 1, result.output);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines, [
    `migrations/${INDEX}/up.sql:3:37 create-index-not-concurrently: CREATE INDEX on app.orders blocks writes to it while the index builds [error]`,
    '  fix: CREATE INDEX CONCURRENTLY in a revision with \'--! Transaction: off\' (one index per statement; it builds without blocking writes).',
    `migrations/${INDEX}/up.sql:4:1 lock-timeout-missing: ACCESS EXCLUSIVE on app.orders with no lock_timeout: while it waits, every query on it queues [warning]`,
    lines[3]!,
    'lint: 1 error, 1 warning in 2 revisions',
  ]);
  assert.match(lines[3]!, /^ {2}fix: Start the revision with SET lock_timeout/);
});

test('strata lint --json: the report, findings with rule, severity, file, line, column, message, hint, lock', async () => {
  const { dir } = fresh();
  const result = await runCli(['lint', '--json'], { cwd: dir });
  assert.is(result.code, 1, result.output);
  const report = JSON.parse(result.stdout);
  assert.is(report.ok, false);
  assert.is(report.reason, 'findings');
  assert.equal(report.revisions, [BASE, INDEX]);
  assert.equal(report.counts, { errors: 1, warnings: 1, allowed: 0 });
  const [first] = report.findings;
  assert.equal(Object.keys(first).sort(), ['column', 'file', 'hint', 'line', 'lock', 'message', 'revision', 'rule', 'severity']);
  assert.equal([first.rule, first.severity, first.file, first.line, first.column, first.revision], ['create-index-not-concurrently', 'error', `migrations/${INDEX}/up.sql`, 3, 37, INDEX]);
});

test('strata lint <revision>: only that one (exit 0: the first revision is clean); an unknown revision is exit 2', async () => {
  const { dir } = fresh();
  const one = await runCli(['lint', '20261201'], { cwd: dir });
  assert.is(one.code, 0, one.output);
  assert.is(one.stdout, 'lint: 0 errors, 0 warnings in 1 revision\n');
  const range = await runCli(['lint', '20261202..'], { cwd: dir });
  assert.is(range.code, 1, range.output);
  assert.match(range.stdout, 'in 1 revision');
  const unknown = await runCli(['lint', '2027'], { cwd: dir });
  assert.is(unknown.code, 2, unknown.output);
  assert.match(unknown.stderr, "no revision is '2027'");
});

test('Lint-allow in the header accepts the rule for the file; strata:allow above a statement accepts it for that statement', async () => {
  const { dir, write } = fresh();
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, INDEX_BODY, '--! Lint-allow: create-index-not-concurrently orders is tiny\n'));
  const header = await runCli(['lint'], { cwd: dir });
  assert.is(header.code, 0, header.output);
  assert.match(header.stdout, 'lint: 0 errors, 1 warning in 2 revisions (1 accepted by Lint-allow or strata:allow)');
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, `-- strata:allow create-index-not-concurrently,lock-timeout-missing orders is tiny\n${INDEX_BODY}`));
  const comment = await runCli(['lint'], { cwd: dir });
  assert.is(comment.code, 0, comment.output);
  // the comment covers the statement below it only: the ADD COLUMN still has its warning
  assert.match(comment.stdout, `migrations/${INDEX}/up.sql:5:1 lock-timeout-missing`);
});

test('a bad Lint-allow: an unknown rule (with the close one) or a missing reason is exit 2 naming file:line', async () => {
  const { dir, write } = fresh();
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, INDEX_BODY, '--! Lint-allow: create-index-not-concurently tiny\n'));
  const unknown = await runCli(['lint'], { cwd: dir });
  assert.is(unknown.code, 2, unknown.output);
  assert.match(unknown.stderr, `migrations/${INDEX}/up.sql:2:5`);
  assert.match(unknown.stderr, "unknown lint rule 'create-index-not-concurently'; did you mean 'create-index-not-concurrently'?");
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, INDEX_BODY, '--! Lint-allow: create-index-not-concurrently\n'));
  const missing = await runCli(['lint'], { cwd: dir });
  assert.is(missing.code, 2, missing.output);
  assert.match(missing.stderr, `migrations/${INDEX}/up.sql:2`);
  assert.match(missing.stderr, 'Lint-allow create-index-not-concurrently needs a reason after the rule');
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, `-- strata:allow no-such-rule\n${INDEX_BODY}`));
  const comment = await runCli(['lint', '--json'], { cwd: dir });
  assert.is(comment.code, 2, comment.output);
  assert.equal(JSON.parse(comment.stdout).problems.map((p: { code: string; line: number }) => [p.code, p.line]), [['LINT_ALLOW_UNKNOWN_RULE', 3]]);
});

(db ? test : test.skip)('check: lint is a section; an error finding fails the check, a Lint-allow makes it pass', async () => {
  const { dir, write } = fresh();
  const env = { DATABASE_URL: db!.url };
  const dump = await runCli(['dump'], { cwd: dir, env });
  assert.is(dump.code, 0, dump.output);
  const failed = await runCli(['check'], { cwd: dir, env });
  assert.is(failed.code, 1, failed.output);
  assert.match(failed.stdout, 'lint: 1 error, 1 warning');
  assert.match(failed.stderr, `migrations/${INDEX}/up.sql:3:37`);
  assert.match(failed.stderr, 'create-index-not-concurrently: CREATE INDEX on app.orders blocks writes');
  const json = JSON.parse((await runCli(['check', '--json'], { cwd: dir, env })).stdout);
  assert.equal(json.lint.counts, { errors: 1, warnings: 1, allowed: 0 });
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, INDEX_BODY, '--! Lint-allow: create-index-not-concurrently orders is tiny\n'));
  const passed = await runCli(['check'], { cwd: dir, env });
  assert.is(passed.code, 0, passed.output);
  assert.match(passed.stdout, 'lint: 0 errors, 1 warning (1 accepted by Lint-allow or strata:allow)');
  assert.match(passed.stdout, 'check passed');
});

(db ? test : test.skip)('up: lint errors are printed as warnings and the revisions are applied; a Lint-allow added later keeps the checksum; --no-lint is silent', async () => {
  const { dir, write } = fresh();
  const env = { DATABASE_URL: db!.url };
  await db!.query('drop schema if exists app cascade');
  const up = await runCli(['up'], { cwd: dir, env });
  assert.is(up.code, 0, up.output);
  assert.match(up.stderr, `migrations/${INDEX}/up.sql:3:37 create-index-not-concurrently`);
  assert.match(up.stderr, 'warning: lint found 1 error, 1 warning in the pending revisions; up goes on');
  const index = await db!.query<{ n: number }>("select count(*)::int as n from pg_indexes where schemaname = 'app' and indexname = 'orders_customer_idx'");
  assert.is(index[0]!.n, 1);
  // header lines are not part of the checksum: accepting the finding afterwards does not make the revision "edited"
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, INDEX_BODY, '--! Lint-allow: create-index-not-concurrently orders is tiny\n'));
  const status = await runCli(['status', '--json'], { cwd: dir, env });
  assert.equal(JSON.parse(status.stdout).counts, { applied: 2, pending: 0, edited: 0, missing: 0 });
  const noop = await runCli(['up'], { cwd: dir, env });
  assert.is(noop.code, 0, noop.output);
  assert.not.match(noop.stderr, 'lint found');
  const down = await runCli(['down'], { cwd: dir, env });
  assert.is(down.code, 0, down.output);
  write(`migrations/${INDEX}/up.sql`, upSql(BASE, INDEX_BODY));
  const quiet = await runCli(['up', '--no-lint'], { cwd: dir, env });
  assert.is(quiet.code, 0, quiet.output);
  assert.not.match(quiet.stderr, 'lint found');
  assert.not.match(quiet.stderr, 'create-index-not-concurrently');
  await runCli(['down', 'base'], { cwd: dir, env });
});

test('docs/lint.md is linked from the README', () => {
  assert.match(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'), 'docs/lint.md');
});

test.run();
