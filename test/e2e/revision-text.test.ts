import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectExit, expectNoText, expectText, projectWithDatabase, resetDatabase } from '../helpers/e2e.js';
import { hasPsql, runPsqlScript } from '../helpers/psql.js';

// How a revision's text is read, hashed and sent (issues 7 and 8): the SQL sent is the file's bytes
// after the header; line endings and end-of-file whitespace are normalised for the checksum only;
// checksums recorded by earlier releases keep working.

const A = '20261101090000_create_users';
const B = '20261102090000_create_orders';
const C = '20261103090000_seed';

const FILES: Record<string, string> = {
  [`migrations/${A}/up.sql`]: '--! Parent: base\n--! Message: users\n\ncreate table users (id int primary key, name text);\n',
  [`migrations/${A}/down.sql`]: 'drop table users;\n',
  [`migrations/${B}/up.sql`]: `--! Parent: ${A}\n\ncreate table orders (id int primary key, user_id int references users);\n`,
  [`migrations/${B}/down.sql`]: '-- orders go first\ndrop table orders;\n',
};

const { db, project, run } = await projectWithDatabase('revision_text', FILES);
const it = db ? test : test.skip;
const psql = hasPsql();

const file = (rel: string) => path.join(project.dir, rel);
const read = (rel: string) => readFileSync(file(rel), 'utf8');
const write = (rel: string, text: string) => writeFileSync(file(rel), text);

test.before.each(() => {
  for (const [rel, text] of Object.entries(FILES)) project.write(rel, text);
});

/** The checksum the previous release recorded: sha-256 of the body of the file made LF (an independent copy of that code). */
function previousReleaseChecksum(text: string): string {
  const lf = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines = lf.split('\n');
  const headerLines = lines.findIndex((l) => !l.startsWith('--!'));
  const offset = lines.slice(0, headerLines === -1 ? lines.length : headerLines).reduce((n, l) => n + l.length + 1, 0);
  return createHash('sha256').update(lf.slice(Math.min(offset, lf.length))).digest('hex');
}

/** Rewrites the tracking rows as the previous release wrote them for the files as they are now. */
async function makeRowsLegacy(ids: string[]): Promise<void> {
  for (const id of ids) {
    const up = read(`migrations/${id}/up.sql`);
    const down = read(`migrations/${id}/down.sql`);
    await db!.query('update strata.revisions set up_checksum = $2, down_checksum = $3, down_sql = $4 where id = $1',
      [id, previousReleaseChecksum(up), previousReleaseChecksum(down), down.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')]);
  }
}

async function statusStates(): Promise<Array<[string, string, boolean]>> {
  const result = await run('status', '--json');
  expectExit(result, 0, 'status');
  const report = JSON.parse(result.stdout) as { revisions: Array<{ id: string; state: string; isDownEdited: boolean }> };
  return report.revisions.map((r) => [r.id, r.state, r.isDownEdited]);
}

/** Harmless changes of a file: the same SQL as far as its checksum is concerned. */
const SAME_SQL: Array<[string, (text: string) => string]> = [
  ['CRLF (core.autocrlf)', (t) => t.replace(/\n/g, '\r\n')],
  ['lone CR', (t) => t.replace(/\n/g, '\r')],
  ['trailing blank lines', (t) => `${t}\n\n\n`],
  ['trailing spaces, tabs and CRLF blank lines', (t) => `${t.replace(/\n$/, '')}  \t\r\n\r\n`],
  ['a BOM', (t) => `\uFEFF${t}`],
];

it('v2 rows: CRLF, CR, trailing blank lines or a BOM leave an applied revision applied; a real SQL change makes it edited', async () => {
  expectExit(await run('up'), 0);
  const rows = await db!.query<{ up_checksum: string; down_checksum: string }>('select up_checksum, down_checksum from strata.revisions');
  assert.ok(rows.every((r) => r.up_checksum.startsWith('v2:') && r.down_checksum.startsWith('v2:')), 'new rows are v2');
  for (const [name, change] of SAME_SQL) {
    for (const rel of Object.keys(FILES)) write(rel, change(FILES[rel]!));
    assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', false]], name);
    const up = await run('up');
    expectExit(up, 0, name);
    expectText(up.stdout, 'nothing to apply');
    expectExit(await run('status', '--exit-code'), 0, name);
  }
  // a real change, in a CRLF file
  write(`migrations/${A}/up.sql`, FILES[`migrations/${A}/up.sql`]!.replace('name text', 'name varchar').replace(/\n/g, '\r\n'));
  assert.equal(await statusStates(), [[A, 'edited', false], [B, 'applied', false]]);
  const up = await run('up');
  expectExit(up, 2);
  expectText(up.stderr, `migrations/${A}/up.sql:4: error: ${A} was edited after it was applied`);
});

it('legacy rows (bare sha-256, as the previous release wrote them): unchanged files are applied, edited ones edited, no manual step', async () => {
  expectExit(await run('up'), 0);
  await makeRowsLegacy([A, B]);
  const legacy = await db!.query<{ up_checksum: string }>('select up_checksum from strata.revisions order by id');
  assert.ok(legacy.every((r) => /^[0-9a-f]{64}$/.test(r.up_checksum)), 'the rows are in the legacy format');

  assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', false]]);
  const again = await run('up');
  expectExit(again, 0);
  expectText(again.stdout, 'nothing to apply');
  for (const [name, change] of SAME_SQL) {
    for (const rel of Object.keys(FILES)) write(rel, change(FILES[rel]!));
    assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', false]], name);
    expectExit(await run('up'), 0, name);
  }
  for (const [rel, text] of Object.entries(FILES)) write(rel, text);

  // a real edit of down.sql shows as such; down uses the file on disk, since up.sql matches its legacy row
  write(`migrations/${B}/down.sql`, 'drop table if exists orders;\n');
  assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', true]]);
  const down = await run('down');
  expectExit(down, 0);
  expectNoText(down.stdout, 'stored down.sql');
  // applied again: the new row is v2
  expectExit(await run('up'), 0);
  const [row] = await db!.query<{ up_checksum: string }>('select up_checksum from strata.revisions where id = $1', [B]);
  assert.match(row!.up_checksum, /^v2:/);

  // a real edit of an applied up.sql with a legacy row is refused, by up, stamp and sql
  await makeRowsLegacy([A, B]);
  write(`migrations/${A}/up.sql`, `${FILES[`migrations/${A}/up.sql`]!}create index on users (name);\n`);
  assert.equal(await statusStates(), [[A, 'edited', false], [B, 'applied', false]]);
  for (const args of [['up'], ['stamp', 'head'], ['sql', 'up']]) {
    const refused = await run(...args);
    expectExit(refused, 2, args.join(' '));
    expectText(refused.stderr, `${A} was edited after it was applied`);
  }
  // and with a legacy row the stored down.sql reverts an edited revision
  write(`migrations/${B}/up.sql`, `${FILES[`migrations/${B}/up.sql`]!}create index on orders (user_id);\n`);
  write(`migrations/${A}/up.sql`, FILES[`migrations/${A}/up.sql`]!);
  const stored = await run('down');
  expectExit(stored, 0);
  expectText(stored.stdout, 'stored down.sql');
});

const CR_LITERALS = "insert into notes values (1, 'lone\rcr'), (2, 'crlf\r\ninside'), (3, 'lf\nonly');\n";

/** A CRLF file whose literals hold a lone CR, a CRLF and an LF; a Transaction: off revision with a CR literal too. */
function crLiteralFiles(): Record<string, string> {
  return {
    [`migrations/${C}/up.sql`]: `--! Parent: ${B}\r\n\r\ncreate table notes (id int primary key, body text);\r\n${CR_LITERALS}`,
    [`migrations/${C}/down.sql`]: "-- it's CRLF\r\ndelete from notes where body = 'lone\rcr';\r\ndrop table notes;\r\n",
  };
}

const bodies = async () => (await db!.query<{ id: number; hex: string }>("select id, encode(convert_to(body, 'UTF8'), 'hex') as hex from notes order by id"))
  .map((r) => [r.id, Buffer.from(r.hex, 'hex').toString('utf8')]);
const EXPECTED_BODIES = [[1, 'lone\rcr'], [2, 'crlf\r\ninside'], [3, 'lf\nonly']];

it('a CR inside a string literal reaches the database as in the file, as psql -f sends it; down_sql is the file', async () => {
  for (const [rel, text] of Object.entries(crLiteralFiles())) project.write(rel, text);
  if (psql) {
    // psql -f of the files themselves (the header is comments to psql)
    for (const id of [A, B, C]) {
      const ran = await runPsqlScript(db!.url, read(`migrations/${id}/up.sql`));
      assert.is(ran.code, 0, ran.stderr);
    }
    assert.equal(await bodies(), EXPECTED_BODIES, 'psql -f of the file');
    await resetDatabase(db!);
  }
  expectExit(await run('up'), 0);
  assert.equal(await bodies(), EXPECTED_BODIES, 'strata up');
  const [row] = await db!.query<{ down_sql: string }>('select down_sql from strata.revisions where id = $1', [C]);
  assert.is(row!.down_sql, crLiteralFiles()[`migrations/${C}/down.sql`], 'the stored down.sql is the file as it is');
  const down = await run('down');
  expectExit(down, 0);
  assert.equal((await db!.query("select to_regclass('notes') as t"))[0], { t: null }, 'down.sql found the row by its CR literal, then dropped the table');
});

it('strata sql prints the body byte for byte, and psql running it leaves the same data', async () => {
  const files = crLiteralFiles();
  // the same literals in a Transaction: off revision, sent statement by statement
  files[`migrations/${C}/up.sql`] = `--! Parent: ${B}\r\n--! Transaction: off\r\n\r\ncreate table notes (id int primary key, body text);\r\n${CR_LITERALS}`;
  for (const [rel, text] of Object.entries(files)) project.write(rel, text);
  const script = await run('sql', 'up', '--from', 'base');
  expectExit(script, 0);
  expectText(script.stdout, CR_LITERALS.trimEnd(), "create table notes (id int primary key, body text);\r\n");
  if (!psql) return;
  const ran = await runPsqlScript(db!.url, script.stdout);
  assert.is(ran.code, 0, ran.stderr);
  assert.equal(await bodies(), EXPECTED_BODIES);
  const [row] = await db!.query<{ down_sql: string }>('select down_sql from strata.revisions where id = $1', [C]);
  assert.is(row!.down_sql, files[`migrations/${C}/down.sql`]);
  assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', false], [C, 'applied', false]]);
});

it('errors in CR-only and mixed line-ending files name the line and column an editor shows, with a clean code frame', async () => {
  const body = ['create table t (id int);', "select 'x', nocol from t;", ''];
  for (const [name, br] of [['CR', '\r'], ['CRLF', '\r\n'], ['mixed', '\n']] as const) {
    const text = name === 'mixed'
      ? `--! Parent: ${B}\r\n\r${body.join('\r\n')}`
      : [`--! Parent: ${B}`, '', ...body].join(br);
    write(`migrations/${B}/up.sql`, FILES[`migrations/${B}/up.sql`]!);
    project.write(`migrations/${C}/up.sql`, text);
    project.write(`migrations/${C}/down.sql`, 'drop table t;\n');
    const result = await run('up');
    expectExit(result, 1, name);
    expectText(result.stderr, `migrations/${C}/up.sql:4:13: error 42703: column "nocol" does not exist`, "> 4 | select 'x', nocol from t;");
    assert.not.match(result.stderr, /\r/, `${name}: no CR in the output`);
    await resetDatabase(db!);
  }
});

it('--! lines below the header are comments, or data inside quotes: applied as psql would run them', async () => {
  const body = [
    '--! breaking-change',
    'create table notes (id int primary key, body text);',
    '--! no-transaction (a note of another tool)',
    "create function note_marker() returns text language plpgsql as $fn$",
    'begin',
    '--! Transaction: off',
    "  return 'in a function';",
    'end',
    '$fn$;',
    "insert into notes values (1, '--! Tags: v1'), (2, $q$",
    '--! Transaction: off',
    '$q$);',
    '/* a block comment',
    '--! Message: not a header',
    '*/',
    'select 1; --! Transaction: off (a remark after SQL)',
    '',
  ];
  for (const br of ['\n', '\r\n']) {
    await resetDatabase(db!);
    project.write(`migrations/${C}/up.sql`, [`--! Parent: ${B}`, '--! Message: notes', '', ...body].join(br));
    project.write(`migrations/${C}/down.sql`, ['-- undo', '--! breaking-change', 'drop function note_marker();', 'drop table notes;', ''].join(br));
    const up = await run('up');
    expectExit(up, 0, JSON.stringify(br));
    const [fn] = await db!.query<{ src: string }>("select prosrc as src from pg_proc where proname = 'note_marker'");
    assert.ok(fn!.src.includes(`${br}--! Transaction: off${br}`), 'the function body keeps its --! line');
    assert.equal(await db!.query('select id, body from notes order by id'), [{ id: 1, body: '--! Tags: v1' }, { id: 2, body: `${br}--! Transaction: off${br}` }]);
    const [row] = await db!.query<{ message: string }>('select message from strata.revisions where id = $1', [C]);
    assert.is(row!.message, 'notes', 'the header itself is read');
    expectExit(await run('down'), 0);
  }
});

it('a strata key written below the SQL is refused before anything runs, at its line', async () => {
  project.write(`migrations/${C}/up.sql`, `--! Parent: ${B}\r\n\r\ncreate table notes (id int);\r\n--! Transaction: off\r\n`);
  project.write(`migrations/${C}/down.sql`, 'drop table notes;\n');
  const result = await run('up');
  expectExit(result, 2);
  expectText(result.stderr,
    `migrations/${C}/up.sql:4:1: error: header line '--! Transaction: off' is below the start of the SQL body, where it is only a comment: Transaction does not apply`,
    'fix: move it into the header at the top of the file');
  assert.equal(await db!.query("select to_regclass('strata.revisions') as t"), [{ t: null }]);
});

/** Bodies of comments only: each a no-op revision (its work moved to application code). */
const NO_OP_BODIES: Array<[string, string, string[]]> = [
  ['line comments', '-- this step now runs in the application (see jobs/backfill.ts)\n-- kept so the history stays whole\n', []],
  ['a block comment, CRLF', '/*\r\n  moved to application code\r\n*/\r\n', []],
  ['a comment, no final newline, lone CR', '-- moved\r-- to code', []],
  ['--! comments below the header', '--! breaking-change\n-- moved to code\n', []],
  ['Transaction: off', '-- moved to code\n', ['--! Transaction: off']],
];

it('an up.sql of comments only is a no-op: applied and recorded, "(no statements)" in the output, reverted alike', async () => {
  for (const [name, body, header] of NO_OP_BODIES) {
    await resetDatabase(db!);
    project.write(`migrations/${C}/up.sql`, [`--! Parent: ${B}`, '--! Message: moved to code', ...header, '', body].join('\n'));
    project.write(`migrations/${C}/down.sql`, '-- nothing to undo\n');
    const up = await run('up');
    expectExit(up, 0, name);
    assert.match(up.stdout, new RegExp(`^applied  ${C} \\(no statements\\) \\d+ ms$`, 'm'), `${name}:\n${up.stdout}`);
    assert.not.match(up.stdout, new RegExp(`${A} \\(no statements\\)`), 'revisions with SQL say nothing of the kind');
    const rows = await db!.query<{ id: string; message: string }>('select id, message from strata.revisions order by id');
    assert.equal(rows.map((r) => r.id), [A, B, C], name);
    const logged = await db!.query<{ action: string; ok: boolean }>('select action, ok from strata.events where revision_id = $1', [C]);
    assert.equal(logged, [{ action: 'up', ok: true }], name);
    assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', false], [C, 'applied', false]], name);
    const json = await run('down', '--json');
    expectExit(json, 0, name);
    const report = JSON.parse(json.stdout) as { steps: Array<{ id: string; statementCount: number }> };
    assert.equal(report.steps.map((s) => [s.id, s.statementCount]), [[C, 0]], name);
  }
  // strata sql prints the no-op with its bookkeeping, and psql runs it: recorded as up records it
  const script = await run('sql', 'up', '--from', B);
  expectExit(script, 0);
  expectText(script.stdout, `revision 1 of 1: ${C}`, '-- moved to code');
  if (!psql) return;
  const ran = await runPsqlScript(db!.url, script.stdout);
  assert.is(ran.code, 0, ran.stderr);
  assert.equal(await statusStates(), [[A, 'applied', false], [B, 'applied', false], [C, 'applied', false]]);
});

test.run();
