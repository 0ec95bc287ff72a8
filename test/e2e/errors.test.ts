import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { adminUrl, createTestDatabase, makeProject, runCli, type CliResult } from '../helpers/harness.js';
import {
  appliedIds, events, expectExit, expectNoText, expectText, publicRelations, resetDatabase, revisionFiles, snapshot,
} from '../helpers/e2e.js';

// Every error a user can cause (issue 2, items 2–5), through the CLI against PostgreSQL: the exit code,
// the file:line[:col] it names, the message and its fix, and what the database looks like afterwards.
const db = await createTestDatabase('errors');
const it = db ? test : test.skip;

const A = '20260101090000_create_users';
const B = '20260102090000_create_orders';
const C = '20260103090000_add_invoices';

const users = () => revisionFiles(A, 'base', 'create table users (id int primary key, email text);\n', 'drop table users;\n');
const orders = (parent = A) => revisionFiles(B, parent, 'create table orders (id int primary key, user_id int references users);\n', 'drop table orders;\n');
const invoices = (parent = B) => revisionFiles(C, parent, 'create table invoices (id int primary key);\n', 'drop table invoices;\n');

type Project = ReturnType<typeof makeProject>;
const projects: Project[] = [];

function project(files: Record<string, string | Uint8Array>): Project {
  const p = makeProject(files);
  projects.push(p);
  return p;
}

function strata(p: Project, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { cwd: p.dir, env: { DATABASE_URL: db!.url, ...env } });
}

/** Runs a command that must be refused before anything runs: exit 2, the database exactly as before. */
async function refused(p: Project, args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const before = await snapshot(db!);
  const result = await strata(p, args, env);
  expectExit(result, 2);
  expectText(result.stderr, 'nothing was run and the database was not changed.');
  assert.equal(await snapshot(db!), before, 'the database is unchanged');
  return result;
}

test.before.each(async () => {
  if (db) await resetDatabase(db);
});

test.after(async () => {
  for (const p of projects) p.remove();
  await db?.drop();
});

// ---------------------------------------------------------------------------------------------------------------
// files, headers and the chain: refused before connecting

it('unknown header key: file:line:col, the close key suggested', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'create index concurrently on users (email);\n', '', ['--! Transacton: off']) });
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${B}/up.sql:2:5: error: unknown header 'Transacton'; did you mean 'Transaction'?`,
    'fix: up.sql headers are: Parent, Message, Transaction, Tags',
    '1 problem found');
  assert.equal(await appliedIds(db!), [], 'the good first revision did not run either');
});

it('repeated header key: the second line, pointing at the first', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'select 1;\n', '', ['--! Message: one', '--! Message: two']) });
  const result = await refused(p, ['up']);
  expectText(result.stderr, `migrations/${B}/up.sql:3:5: error: header 'Message' is repeated (first on line 2)`, 'fix: keep one of the two lines');
});

it('missing up.sql and missing down.sql', async () => {
  const files = { ...users(), ...orders(), ...invoices() };
  delete files[`migrations/${B}/up.sql`];
  delete files[`migrations/${C}/down.sql`];
  const p = project(files);
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${B}/up.sql: error: up.sql is missing`,
    "fix: every revision folder needs an up.sql starting with '--! Parent: <previous id>'",
    `migrations/${C}/down.sql: error: down.sql is missing`,
    "'--! Irreversible: <why>'");
});

it('bad folder name: the name it should have', async () => {
  const p = project({ ...users(), 'migrations/2026-01-02_Create-Orders/up.sql': `--! Parent: ${A}\nselect 1;\n`, 'migrations/2026-01-02_Create-Orders/down.sql': '' });
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    "migrations/2026-01-02_Create-Orders: error: folder name '2026-01-02_Create-Orders' is not a revision id (YYYYMMDDHHMMSS_slug",
    'fix: rename it to 20260102000000_create_orders');
});

it('duplicate timestamps: both ids, the fix', async () => {
  const twin = '20260101090000_create_accounts';
  const p = project({ ...users(), ...revisionFiles(twin, 'base', 'select 1;\n') });
  const result = await refused(p, ['up']);
  expectText(result.stderr, `migrations/${A}: error: ${A} and ${twin} share the timestamp 20260101090000`, 'later timestamp');
});

it('fork after a merge: "2 revisions claim parent X", both named, how to re-parent; the applied part untouched', async () => {
  const p = project({ ...users(), ...orders() });
  expectExit(await strata(p, ['up']), 0);
  p.write(`migrations/${C}/up.sql`, `--! Parent: ${A}\n--! Message: from the other branch\n\ncreate table invoices (id int);\n`);
  p.write(`migrations/${C}/down.sql`, 'drop table invoices;\n');
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${C}/up.sql:1: error: 2 revisions claim parent ${A}: ${B} and ${C} (two branches were merged)`,
    `fix: join the branches with strata rebase`);
  assert.equal(await appliedIds(db!), [A, B]);
  // the fix the message gives works
  p.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n--! Message: from the other branch\n\ncreate table invoices (id int);\n`);
  expectExit(await strata(p, ['up']), 0);
  assert.equal(await appliedIds(db!), [A, B, C]);
});

it('unknown Parent and a Parent that is not the previous revision', async () => {
  const p = project({ ...users(), ...orders('20260101090000_create_user'), ...invoices(A) });
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${B}/up.sql:1: error: Parent 20260101090000_create_user is not a revision in this folder`,
    `fix: set '--! Parent: ${A}'`);
  const mismatch = project({ ...users(), ...revisionFiles(B, C, 'select 1;\n'), ...revisionFiles(C, A, 'select 1;\n') });
  const second = await refused(mismatch, ['up']);
  expectText(second.stderr, `migrations/${B}/up.sql:1: error: Parent is ${C} but the revision before this one is ${A}`);
});

it('every problem in every file is listed at once', async () => {
  const p = project({
    ...revisionFiles(A, 'base', 'select 1;\n', '', ['--! Transaction: maybe']),
    ...revisionFiles(B, A, 'select 1;\n', '--! Irreversable: yes\n', ['--! Mesage: typo']),
    'migrations/stray.sql': 'select 1;',
  });
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${A}/up.sql:2: error: Transaction must be 'on' or 'off', got 'maybe'`,
    `migrations/${B}/up.sql:2:5: error: unknown header 'Mesage'; did you mean 'Message'?`,
    `migrations/${B}/down.sql:1:5: error: unknown header 'Irreversable'; did you mean 'Irreversible'?`,
    'migrations/stray.sql: error: stray.sql is not inside a revision folder and will not run',
    '4 problems found');
});

// ---------------------------------------------------------------------------------------------------------------
// SQL read before anything runs

it('psql meta-command \\i: file:line:col, refused before the revisions before it run', async () => {
  const p = project({ ...users(), ...orders(), ...revisionFiles(C, B, 'create table invoices (id int);\n\\i more.sql\n') });
  const result = await refused(p, ['up']);
  expectText(result.stderr, `migrations/${C}/up.sql:4:1: error: psql meta-command \\i is not SQL`, 'fix: strata runs plain SQL');
  assert.equal(await appliedIds(db!), []);
});

it('BEGIN and COMMIT in a transactional revision', async () => {
  const p = project(revisionFiles(A, 'base', 'begin;\ncreate table users (id int);\n  commit;\n'));
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${A}/up.sql:3:1: error: BEGIN in a transactional revision: strata already runs each revision in its own transaction`,
    `migrations/${A}/up.sql:5:3: error: COMMIT in a transactional revision`,
    "fix: remove the BEGIN, or add '--! Transaction: off' to the header",
    '2 problems found');
});

it('BEGIN inside a function body is not transaction control', async () => {
  const p = project(revisionFiles(A, 'base', 'create function f() returns int language plpgsql as $$\nbegin\n  return 1;\nend $$;\n', 'drop function f();\n'));
  expectExit(await strata(p, ['up']), 0);
});

it('CREATE INDEX CONCURRENTLY without Transaction: off', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, '-- for lookups by email\ncreate index concurrently users_email_idx on users (email);\n') });
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${B}/up.sql:4:1: error: CREATE INDEX CONCURRENTLY cannot run inside a transaction block`,
    `fix: add '--! Transaction: off' to the header of up.sql so it runs statement by statement`);
  const fixed = project({ ...users(), ...revisionFiles(B, A, 'create index concurrently users_email_idx on users (email);\n', '', ['--! Transaction: off']) });
  expectExit(await strata(fixed, ['up']), 0);
  assert.ok((await publicRelations(db!)).includes('users_email_idx'));
});

it('syntax error after multi-byte text: column in code points; nothing runs', async () => {
  const p = project({ ...users(), ...orders(), ...revisionFiles(C, B, "-- prix en €, naïve 😀\nselect 'é😀ü' from from users;\n") });
  const result = await refused(p, ['up']);
  // "select 'é😀ü' from " is 18 code points (19 UTF-16 units): the second "from" is column 19
  expectText(result.stderr, `migrations/${C}/up.sql:4:19: error: syntax error at or near "from"`, 'fix: fix the SQL at this position; nothing has run');
  assert.equal(await appliedIds(db!), []);
});

it("a broken down.sql of a pending revision is refused before up runs anything", async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'create table orders (id int);\n', 'drop tabel orders;\n') });
  const result = await refused(p, ['up']);
  expectText(result.stderr, `migrations/${B}/down.sql:1:6: error: syntax error at or near "tabel"`);
  assert.equal(await appliedIds(db!), []);
});

it('an up.sql still as strata new wrote it (also after CRLF conversion or extra blank lines) is refused', async () => {
  for (const up of ['--! Parent: base\n--! Message: x\n\n', '--! Parent: base\r\n--! Message: x\r\n\r\n', '--! Parent: base\n--! Message: x\n\n\n  \n', '--! Parent: base\n--! Message: x\n']) {
    const p = project({ [`migrations/${A}/up.sql`]: up, [`migrations/${A}/down.sql`]: '' });
    const result = await refused(p, ['up']);
    expectText(result.stderr, `migrations/${A}/up.sql:3: error: up.sql has no SQL yet: it is still as 'strata new' wrote it`);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// failures while running: exit 1, the database at the previous revision boundary

it('runtime error with a position: file:line:col, SQLSTATE, code frame, rolled back', async () => {
  const p = project({ ...users() });
  expectExit(await strata(p, ['up']), 0);
  Object.entries(revisionFiles(B, A, "create table orders (id int);\n-- ü 😀\nselect 'é😀', nocol from users;\n")).forEach(([rel, text]) => p.write(rel, text));
  const before = await snapshot(db!);
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  const after = await snapshot(db!);
  assert.equal({ ...after, events: before.events }, before, 'everything as before but the event log');
  assert.is(after.events, (before.events as number) + 1, 'the failure is logged');
  expectText(result.stderr,
    // "select 'é😀', " is 13 code points (14 UTF-16 units)
    `migrations/${B}/up.sql:5:14: error 42703: column "nocol" does not exist`,
    `   > 5 | select 'é😀', nocol from users;\n       |              ^`,
    'statement: 2 of 2 (SELECT) starting at line 5',
    `the revision was rolled back; the database is as it was before ${B}`);
  assert.equal(await appliedIds(db!), [A]);
  assert.equal(await publicRelations(db!), ['users', 'users_pkey'], 'orders was rolled back');
});

it('runtime error without a position: the first token of the failing statement, not the whitespace before it', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'create table orders (id int);\n\n-- again, by mistake\n\n    create table orders (id int);\n') });
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  expectText(result.stderr,
    `migrations/${B}/up.sql:7:5: error 42P07: relation "orders" already exists`,
    '   > 7 |     create table orders (id int);\n       |     ^',
    'statement: 2 of 2 (CREATE TABLE) starting at line 7');
  // its own first statement made it: no 'already there' advice
  expectNoText(result.stderr, 'strata stamp');
  assert.equal(await appliedIds(db!), [A]);
  assert.ok(!(await publicRelations(db!)).includes('orders'));
});

it('a revision whose record was removed by hand: its first statement meets its own table, and the way on is named (strata stamp <id>)', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'create table orders (id int);') });
  expectExit(await strata(p, ['up']), 0);
  await db!.query(`delete from strata.revisions where id = '${B}'`);
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  expectText(result.stderr, `error 42P07: relation "orders" already exists`,
    `the revision was rolled back; the database is as it was before ${B}. If what ${B} makes is already there (made by hand, or its record removed?), record it as applied without running its up.sql: strata stamp ${B}`);
  expectExit(await strata(p, ['stamp', B]), 0);
  assert.equal(await appliedIds(db!), [A, B]);
});

it('PL/pgSQL error in a DO block: the line inside the block', async () => {
  const body = [
    'do $$',
    'declare',
    '  n int := 0;',
    'begin',
    '  n := n + 1;',
    '  insert into users (id, nocol) values (n, 1);',
    'end',
    '$$;',
    '',
  ].join('\n');
  const p = project({ ...users(), ...revisionFiles(B, A, body) });
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  expectText(result.stderr,
    `migrations/${B}/up.sql:8:26: error 42703: column "nocol" of relation "users" does not exist`,
    'where: PL/pgSQL function inline_code_block line 6 at SQL statement');
  assert.equal(await appliedIds(db!), [A]);
});

it('a failing third revision: the first two stay applied, the third is rolled back, the failure is logged', async () => {
  const p = project({ ...users(), ...orders(), ...revisionFiles(C, B, 'create table invoices (id int);\ninsert into invoices values (1 / 0);\n', 'drop table invoices;\n') });
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  assert.match(result.stdout, new RegExp(`^applied\\s+${A}.*\\napplied\\s+${B}`, 'm'));
  expectText(result.stderr, `migrations/${C}/up.sql:4:1: error 22012: division by zero`, `the database is as it was before ${C}`);
  assert.equal(await appliedIds(db!), [A, B]);
  assert.equal(await publicRelations(db!), ['orders', 'orders_pkey', 'users', 'users_pkey']);
  const log = await events(db!);
  assert.equal(log.map((e) => [e.action, e.revision_id, e.ok]), [['up', A, true], ['up', B, true], ['up', C, false]]);
  assert.equal(log[2]!.error, { file: `migrations/${C}/up.sql`, line: 4, column: 1, sqlstate: '22012', message: 'division by zero' });
  // fixed, the run continues from there
  p.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\n\ncreate table invoices (id int);\n`);
  expectExit(await strata(p, ['up']), 0);
  assert.equal(await appliedIds(db!), [A, B, C]);
});

it('Transaction: off failure midway: which statements took effect, not recorded, failure logged', async () => {
  const body = 'create table log_a (id int);\ncreate table log_b (id int);\nselect nocol from log_a;\ncreate table log_c (id int);\n';
  const p = project({ ...users(), ...revisionFiles(B, A, body, '', ['--! Transaction: off']) });
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  expectText(result.stderr,
    `migrations/${B}/up.sql:6:8: error 42703: column "nocol" does not exist`,
    'statement: 3 of 4 (SELECT) starting at line 6',
    'statements 1–2 of 4 (lines 4–5) already took effect and were not undone',
    'this Transaction: off revision is not recorded');
  assert.equal(await appliedIds(db!), [A]);
  const relations = await publicRelations(db!);
  assert.ok(relations.includes('log_a') && relations.includes('log_b') && !relations.includes('log_c'), relations.join(','));
  const log = await events(db!);
  assert.equal(log.at(-1)!.revision_id, B);
  assert.is(log.at(-1)!.ok, false);
  assert.is(log.at(-1)!.error!.line, 6);
});

it('--single-transaction: a failure rolls back the whole run', async () => {
  const p = project({ ...users(), ...orders(), ...revisionFiles(C, B, 'select 1;\nselect nocol from orders;\n') });
  const before = await snapshot(db!);
  const result = await strata(p, ['up', '--single-transaction']);
  expectExit(result, 1);
  expectText(result.stderr,
    `migrations/${C}/up.sql:4:8: error 42703: column "nocol" does not exist`,
    'the whole run was rolled back (--single-transaction): nothing was applied');
  assert.equal(await appliedIds(db!), []);
  assert.equal(await publicRelations(db!), []);
  assert.is(before.public_relations, null);
  const log = await events(db!);
  assert.equal(log.map((e) => [e.action, e.revision_id, e.ok]), [['up', C, false]], 'only the failure is logged');
});

it('--single-transaction with a Transaction: off revision is refused before anything runs', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'create index concurrently on users (email);\n', '', ['--! Transaction: off']) });
  const result = await refused(p, ['up', '--single-transaction']);
  expectText(result.stderr, `migrations/${B}/up.sql:1: error: ${B} has 'Transaction: off', so it cannot run inside --single-transaction`);
});

it('BOM and CRLF: the revision runs, and errors name the right line', async () => {
  const p = project({
    [`migrations/${A}/up.sql`]: '\uFEFF--! Parent: base\r\n\r\ncreate table users (id int);\r\nselect nocol from users;\r\n',
    [`migrations/${A}/down.sql`]: '\uFEFFdrop table users;\r\n',
  });
  const result = await strata(p, ['up']);
  expectExit(result, 1);
  expectText(result.stderr, `migrations/${A}/up.sql:4:8: error 42703`);
  p.write(`migrations/${A}/up.sql`, '\uFEFF--! Parent: base\r\n\r\ncreate table users (id int);\r\n');
  expectExit(await strata(p, ['up']), 0);
  // the checksum is of the normalised body: the LF file is the same revision
  p.write(`migrations/${A}/up.sql`, '--! Parent: base\n\ncreate table users (id int);\n');
  const status = await strata(p, ['status']);
  assert.match(status.stdout, new RegExp(`^applied\\s+${A}`, 'm'));
});

// ---------------------------------------------------------------------------------------------------------------
// the plan: checksums, missing folders, order, targets

it('an applied revision edited since: header edits are fine, SQL edits are refused with the file and line', async () => {
  const p = project({ ...users(), ...orders() });
  expectExit(await strata(p, ['up']), 0);
  p.write(`migrations/${A}/up.sql`, '--! Parent: base\n--! Message: Create users (reworded)\n--! Tags: v0.1\n\ncreate table users (id int primary key, email text);\n');
  const status = await strata(p, ['status', '--exit-code']);
  expectExit(status, 0);
  assert.match(status.stdout, new RegExp(`^applied\\s+${A}\\s+Create users \\(reworded\\) \\[v0.1\\]`, 'm'));

  p.write(`migrations/${A}/up.sql`, '--! Parent: base\n\ncreate table users (id bigint primary key, email text);\n');
  Object.entries(invoices()).forEach(([rel, text]) => p.write(rel, text));
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${A}/up.sql:3: error: ${A} was edited after it was applied (its SQL no longer matches the checksum recorded on `,
    `fix: undo the edit to its SQL (a change to the header alone is fine), then put the change in a new revision ('strata new <message>')`);
  expectNoText(result.stderr, 'git checkout');
  const edited = await strata(p, ['status', '--exit-code']);
  expectExit(edited, 1);
  assert.match(edited.stdout, new RegExp(`^edited\\s+${A}`, 'm'));
});

it('an applied revision missing on disk: up refuses; down reverts it with the stored down.sql and says so', async () => {
  const p = project({ ...users(), ...orders() });
  expectExit(await strata(p, ['up']), 0);
  rmSync(path.join(p.dir, 'migrations', B), { recursive: true });
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `error: ${B} is applied but its folder is missing from the migrations folder`,
    `fix: check the folder out again (a branch switch?); or, when the schema already holds its effect (squashed into another revision?), remove its record without running any SQL: strata stamp ${A}; or undo it with the down.sql stored when applied: strata down ${A}`);
  const status = await strata(p, ['status', '--exit-code']);
  expectExit(status, 1);
  assert.match(status.stdout, new RegExp(`^missing\\s+${B}`, 'm'));

  const down = await strata(p, ['down']);
  expectExit(down, 0);
  expectText(down.stderr, `note: ${B}: its folder is not on disk; reverting with the down.sql stored when it was applied`);
  assert.match(down.stdout, new RegExp(`^reverted ${B} \\(stored down.sql\\)`, 'm'));
  assert.equal(await appliedIds(db!), [A]);
  assert.equal(await publicRelations(db!), ['users', 'users_pkey']);
  assert.equal((await events(db!)).at(-1)!.details, { source: 'stored' });
});

it('down after up.sql was edited uses the stored down.sql (it matches what ran) and says so', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'create table orders (id int);\n', 'drop table orders;\n') });
  expectExit(await strata(p, ['up']), 0);
  Object.entries(revisionFiles(B, A, 'create table purchases (id int);\n', 'drop table purchases;\n')).forEach(([rel, text]) => p.write(rel, text));
  const down = await strata(p, ['down']);
  expectExit(down, 0);
  expectText(down.stderr, `note: ${B}: up.sql was edited after it was applied; reverting with the down.sql stored when it was applied`);
  assert.equal(await publicRelations(db!), ['users', 'users_pkey']);
});

it('a pending revision older than an applied one: refused with the reason; --allow-out-of-order applies it', async () => {
  const p = project({ ...users(), ...invoices(A) });
  expectExit(await strata(p, ['up']), 0);
  // a branch merged: orders sorts before invoices, which is re-parented (a header edit: same checksum)
  Object.entries({ ...orders(), ...invoices(B) }).forEach(([rel, text]) => p.write(rel, text));
  const result = await refused(p, ['up']);
  expectText(result.stderr,
    `migrations/${B}/up.sql: error: ${B} is pending but a later revision, ${C}, is already applied; running it now would apply history out of order`,
    `fix: revert to before it (strata down ${A}) and run strata up, or give it a timestamp after ${C}`);
  const allowed = await strata(p, ['up', '--allow-out-of-order']);
  expectExit(allowed, 0);
  assert.equal(await appliedIds(db!), [A, B, C]);
});

it('unknown and ambiguous targets, too many steps: exit 2 with the fix', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'select 1;\n', '', ['--! Tags: v1.0']), ...revisionFiles(C, B, 'select 1;\n') });
  expectExit(await strata(p, ['up', '+1']), 0);
  expectText((await refused(p, ['up', 'v1.1'])).stderr, "error: no revision or tag matches 'v1.1'", 'fix: did you mean v1.0?');
  expectText((await refused(p, ['up', 'add_invoice'])).stderr, `fix: did you mean ${C}?`);
  expectText((await refused(p, ['up', '2026010'])).stderr, `error: '2026010' matches 3 revisions: ${A}, ${B}, ${C}`, 'fix: give more of the id');
  expectText((await refused(p, ['up', '+3'])).stderr, "error: '+3' asks for 3 revisions but only 2 are pending");
  expectText((await refused(p, ['down', '-2'])).stderr, "error: '-2' asks to revert 2 revisions but only 1 is applied", 'fix: use strata down base');
  expectText((await refused(p, ['down', 'nowhere'])).stderr, "error: no revision or tag matches 'nowhere'");
  expectText((await refused(p, ['down', C])).stderr, `error: ${C} is not applied, so there is nothing to revert down to`);
});

it('Irreversible stops down with its reason, file and line', async () => {
  const p = project({ ...users(), ...revisionFiles(B, A, 'alter table users drop column email;\n', '--! Irreversible: the email addresses are gone for good\n') });
  expectExit(await strata(p, ['up']), 0);
  const result = await refused(p, ['down']);
  expectText(result.stderr,
    `migrations/${B}/down.sql:1: error: ${B} cannot be reverted: the email addresses are gone for good`,
    `fix: strata cannot revert ${B}: to move the record only, undo its effects by hand and run strata stamp ${A}; or write a down.sql that undoes it and remove the '--! Irreversible' line`);
  expectNoText(result.stderr, `strata down ${B}`);
  expectText((await refused(p, ['down', 'base'])).stderr, 'cannot be reverted');
  // the advice works: stamp the parent, and the record moves without any SQL running
  expectExit(await strata(p, ['stamp', A]), 0);
  assert.equal(await appliedIds(db!), [A]);
});

// ---------------------------------------------------------------------------------------------------------------
// configuration, connection, lock

it('tracking schema from --schema and STRATA_SCHEMA, with a name that needs quoting', async () => {
  const weird = 'my "schema"; x';
  const p = project({ ...users(), ...orders() });
  const up = await strata(p, ['up', '--schema', weird]);
  expectExit(up, 0);
  assert.equal(await appliedIds(db!, weird), [A, B]);
  assert.equal(await appliedIds(db!, 'strata'), [], 'nothing in the default schema');
  const [schemas] = await db!.query<{ names: string }>(`select string_agg(nspname, '|' order by nspname) as names from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'`);
  assert.is(schemas!.names, `my "schema"; x|public`);

  const status = await strata(p, ['status', '--json'], { STRATA_SCHEMA: weird });
  expectExit(status, 0);
  const report = JSON.parse(status.stdout) as { schema: string; counts: Record<string, number> };
  assert.equal([report.schema, report.counts.applied, report.counts.pending], [weird, 2, 0]);
  const defaultStatus = JSON.parse((await strata(p, ['status', '--json'])).stdout) as { counts: Record<string, number> };
  assert.is(defaultStatus.counts.pending, 2, 'the default schema knows nothing of it');

  const down = await strata(p, ['down', 'base'], { STRATA_SCHEMA: weird });
  expectExit(down, 0);
  assert.equal(await appliedIds(db!, weird), []);
  assert.equal((await events(db!, weird)).map((e) => e.action), ['up', 'up', 'down', 'down']);
  assert.equal(await publicRelations(db!), []);
  // the flag wins over the environment
  expectExit(await strata(p, ['up', '--schema', 'flagged'], { STRATA_SCHEMA: weird }), 0);
  assert.equal(await appliedIds(db!, 'flagged'), [A, B]);
  assert.equal(await appliedIds(db!, weird), []);
});

it('a password in DATABASE_URL is never printed', async () => {
  const secret = 'Sup3r-S3cret-pw';
  const p = project({ ...users() });
  // a server that refuses the connection
  const refusedUrl = `postgres://postgres:${secret}@127.0.0.1:1/${db!.name}`;
  for (const args of [['up'], ['status'], ['down'], ['up', '--json'], ['status', '--json']]) {
    const result = await strata(p, args, { DATABASE_URL: refusedUrl });
    expectExit(result, 1, args.join(' '));
    expectNoText(result.output, secret);
    expectText(result.output, 'postgres://postgres:***@127.0.0.1:1/', 'cannot connect');
  }
  const flag = await strata(p, ['up', '--database-url', refusedUrl], { DATABASE_URL: undefined });
  expectExit(flag, 1);
  expectNoText(flag.output, secret);
  const badScheme = await strata(p, ['up'], { DATABASE_URL: `mysql://root:${secret}@localhost/app` });
  expectExit(badScheme, 2);
  expectNoText(badScheme.output, secret);
  expectText(badScheme.stderr, 'DATABASE_URL must be a postgres:// or postgresql:// URL', '(from the environment)');
  // a space pasted before the scheme: said as such, the user name and the rest of the message left whole
  const spaced = await strata(p, ['up'], { DATABASE_URL: ` postgres://root:${secret}@localhost/app` });
  expectExit(spaced, 2);
  expectNoText(spaced.output, secret);
  expectText(spaced.stderr, "DATABASE_URL starts with whitespace before postgres:// (' postgres://root:***@localhost/app') (from the environment)");
  // an unquoted '#' in .env starts a comment: the URL is cut inside the password, whose start is never shown
  for (const [password, message] of [[`Qzx#${secret}`, "DATABASE_URL is not a valid URL ('postgres://postgres:***')"], [`1234#${secret}`, "DATABASE_URL in .env is cut short at an unquoted '#' in its password"]] as const) {
    p.write('.env', `DATABASE_URL=postgres://postgres:${password}@127.0.0.1:1/app\n`);
    const cut = await strata(p, ['status'], { DATABASE_URL: undefined });
    expectExit(cut, 2);
    expectNoText(cut.output, secret, password.split('#')[0]!);
    expectText(cut.stderr, `.env:1: error: ${message}`, "in .env an unquoted '#' starts a comment, so the value ends before it: write the '#' of the password as %23");
  }
  // a server that accepts it (trust): the line naming the database hides it too
  const url = new URL(db!.url);
  url.password = secret;
  p.write('.env', `DATABASE_URL=${url.toString()}\n`);
  const ok = await strata(p, ['up'], { DATABASE_URL: undefined });
  expectExit(ok, 0);
  expectNoText(ok.output, secret);
  expectText(ok.stderr, `strata: postgres://postgres:***@`);
  const status = await strata(p, ['status', '--json'], { DATABASE_URL: undefined });
  expectNoText(status.output, secret);
});

it('.env saved with a byte order mark and CRLF (Windows editors) is read; a line naming a setting without = is refused at its line, not passed over', async () => {
  const p = project({ ...users() });
  p.write('.env', `\uFEFFDATABASE_URL=${db!.url}\r\nSTRATA_SCHEMA=strata\r\n`);
  const read = await strata(p, ['status'], { DATABASE_URL: undefined });
  expectExit(read, 0);
  expectText(read.stderr, 'strata: postgres://');
  expectNoText(read.stderr, 'embedded PGlite');
  for (const line of ['DATABASE_URL', `DATABASE_URL: ${db!.url}`, 'export SHADOW_DATABASE_URL']) {
    p.write('.env', `# settings\n${line}\n`);
    const refused = await strata(p, ['up'], { DATABASE_URL: undefined, SHADOW_DATABASE_URL: undefined });
    expectExit(refused, 2, line);
    const name = /[A-Z_]+/.exec(line.replace('export ', ''))![0];
    expectText(refused.stderr, `.env:2: error: .env line 2 names ${name} but sets nothing: a setting there is NAME=value`, `fix: write it as ${name}=<value>, or remove the line`);
    assert.not.ok(existsSync(path.join(p.dir, '.strata')), 'no embedded database made instead');
  }
});

it('lock: a second runner names the holder and gives up after --lock-timeout; released, it runs', async () => {
  const p = project({ ...users(), ...orders() });
  const [{ pid }] = (await db!.query<{ pid: number }>('select pg_backend_pid() as pid')) as [{ pid: number }];
  await db!.query(`select pg_advisory_lock(1398035009, hashtext('strata'))`);
  try {
    const started = performance.now();
    const result = await strata(p, ['up', '--lock-timeout', '1']);
    assert.ok(result.code !== 0, `exit code ${result.code}\n${result.output}`);
    assert.ok(performance.now() - started >= 900, 'it waited');
    expectText(result.stderr, `waiting up to 1 s for the migration lock held by pid ${pid}`, `held by pid ${pid}`, 'gave up after 1 s');
    assert.equal(await appliedIds(db!), []);
    assert.equal(await publicRelations(db!), []);

    // a runner that waits long enough gets the lock once it is released
    const waiting = strata(p, ['up', '--lock-timeout', '20']);
    for (let i = 0; i < 100; i++) {
      const [row] = await db!.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'strata' and wait_event_type = 'Lock'`);
      if (row!.n > 0) break;
      await sleep(50);
    }
    await db!.query(`select pg_advisory_unlock(1398035009, hashtext('strata'))`);
    const waited = await waiting;
    expectExit(waited, 0);
    expectText(waited.stderr, `waiting up to 20 s for the migration lock held by pid ${pid}`, 'got the lock after');
    assert.equal(await appliedIds(db!), [A, B]);
  } finally {
    await db!.query(`select pg_advisory_unlock_all()`);
  }
  // a lock on another tracking schema does not block this one
  await db!.query(`select pg_advisory_lock(1398035009, hashtext('other'))`);
  try {
    expectExit(await strata(p, ['down', '--lock-timeout', '0']), 0);
  } finally {
    await db!.query(`select pg_advisory_unlock_all()`);
  }
});

it('lock: the holder named is the one in this database, not a strata run on another database of the server', async () => {
  const p = project({ ...users() });
  // sessions on another database hold the same lock key (other projects migrating on the same server);
  // shared, so that several of them hold it at once and fill pg_locks
  const others = await Promise.all(Array.from({ length: 4 }, async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`select pg_advisory_lock_shared(1398035009, hashtext('strata'))`);
    return client;
  }));
  try {
    expectExit(await strata(p, ['up', '--lock-timeout', '0']), 0, 'a lock in another database does not block this one');
    const [{ pid }] = (await db!.query<{ pid: number }>('select pg_backend_pid() as pid')) as [{ pid: number }];
    await db!.query(`select pg_advisory_lock(1398035009, hashtext('strata'))`);
    const result = await strata(p, ['down', '--lock-timeout', '0']);
    assert.ok(result.code !== 0, result.output);
    expectText(result.stderr, `held by pid ${pid}`);
    for (const other of others) expectNoText(result.stderr, `pid ${(other as unknown as { processID: number }).processID}`);
  } finally {
    await db!.query(`select pg_advisory_unlock_all()`);
    await Promise.all(others.map((c) => c.end()));
  }
});

it('a missing migrations folder and a bad --lock-timeout are refused with exit 2', async () => {
  const p = project({});
  const missing = await strata(p, ['up']);
  expectExit(missing, 2);
  expectText(missing.stderr, 'migrations: error: migrations folder migrations does not exist', "fix: run 'strata init'");
  const other = project({ ...users() });
  writeFileSync(path.join(other.dir, 'README.md'), 'not a migration');
  const badTimeout = await strata(other, ['up', '--lock-timeout', 'soon']);
  expectExit(badTimeout, 2);
  expectText(badTimeout.stderr, "lock timeout 'soon' is not a number of seconds");
  assert.equal(await appliedIds(db!), []);
});

test.run();
