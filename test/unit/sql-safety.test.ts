import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/harness.js';
import { findUnsafeSql, type SqlFinding } from '../helpers/sql-safety.js';

/**
 * No SQL of ours is built by pasting a value into text unless the value went through an approved
 * quoting helper (see test/helpers/sql-safety.ts for the rules). The few places that paste text
 * on purpose are listed here with the reason; anything else found in src/ fails this test.
 */
const ALLOWED: { file: string; expression?: string; within?: string; why: string }[] = [
  { file: 'src/executor/step-script.ts', expression: 'body', why: "the revision's own SQL, sent as written (it is what the user asked to run)" },
  { file: 'src/watch/revert-check.ts', expression: 'down.body', why: "the revision's own down.sql, sent as written (as step-script.ts sends it) in strata dev's try of it, a transaction that is rolled back" },
  { file: 'src/proof/lock-trace.ts', expression: 'statement.text', why: "the revision's own statement, run as written on the lock trace's shadow inside a transaction of its own" },
  { file: 'src/executor/progress-writer.ts', expression: 'text', why: "one of db/progress.ts's statements (every value quoted there), wrapped in a transaction of its own on a single-session database" },
  { file: 'src/revision/squash-texts.ts', why: "a squashed revision's files: the range's own bodies as their authors wrote them (run as written, as step-script.ts runs them), under comments naming each revision" },
  { file: 'src/release/squash.ts', expression: 'options.tag', why: "the squashed revision's default message ('release v1.4'), a header line, never SQL" },
  { file: 'src/sql/classify-statement.ts', within: 'genericLabel', why: "command tags such as 'DROP TABLE' for messages; never sent" },
  { file: 'src/lint/', why: "lint findings' messages, which name SQL commands and relations for a person to read; never sent" },
  {
    file: 'src/schema/introspect/',
    why: 'the catalog reads are constant text put together from constant fragments, with the one value (the schemas to leave out) '
      + 'as a parameter; the CREATE statements written from them are assembled from what the server quoted (quote_ident, '
      + 'format_type, pg_get_*def) and from literals quoted by the family',
  },
  {
    file: 'src/declare/',
    why: 'the generated migration is assembled from a snapshot: identities and definitions as the server quoted them (quote_ident, '
      + 'format_type, pg_get_*def), names taken apart from those identities, and labels and comment texts quoted by literal(); '
      + 'it is written to up.sql/down.sql for review, never run by the generator. The proof runs on a shadow only: the rows it '
      + 'seeds (names from identities, types as format_type wrote them, each value a quoteLiteral cast to its type) and their read-back',
  },
];
/** an entry whose file ends with '/' covers the whole folder */
const isAllowed = (f: SqlFinding, a: (typeof ALLOWED)[number]) =>
  (a.file.endsWith('/') ? f.file.startsWith(path.join(repoRoot, a.file)) : path.join(repoRoot, a.file) === f.file)
  && (a.expression === undefined || a.expression === f.expression) && (a.within === undefined || a.within === f.within);

const srcDir = path.join(repoRoot, 'src');
const fixtureDir = path.join(srcDir, '__sql_safety_fixture__');

/** Must all be found: each line marked `// unsafe` pastes a value into SQL. */
const UNSAFE_FIXTURE = `
import { sql, compile, raw } from 'pg-sql2';
import type { Database } from '../db/database.js';

export async function lookup(db: Database, schema: string, id: string, table: { name: string }) {
  await db.query(\`select * from \${schema}.revisions where id = '\${id}'\`); // unsafe x2
  await db.query('delete from events where revision_id = ' + id); // unsafe
  const target = table.name;
  await db.runScript(\`drop table \${target}\`); // unsafe
  const where = \`where id = \${id}\`; // unsafe
  await db.query('select 1 from t ' + where); // unsafe (built from an unquoted value above)
  await db.query(compile(sql\`select \${sql.raw(id)}\`).text); // unsafe
  await db.query(compile(raw(schema)).text); // unsafe
  await db.runScript(\`create schema \${describe(schema)}\`); // unsafe
  await db.runScript(\`\${'begin; '}insert into log values ('\${id.trim()}')\`); // unsafe
}

function describe(name: string): string {
  return name.toLowerCase();
}
`;

/** Must not be flagged: quoting helpers, pg-sql2, numbers, closed unions, human text. */
const SAFE_FIXTURE = `
import { sql, compile } from 'pg-sql2';
import type { Database } from '../db/database.js';
import { quoteLiteral } from '../sql/quote.js';
import { quoteIdentifier } from '../db/tracking.js';

const LIMIT = 10;
const KEY = \`\${LIMIT}, hashtext('x')\`;

export async function lookup(db: Database, schema: string, id: string, tags: string[], action: 'up' | 'down', timeoutMs: number) {
  const s = quoteIdentifier(schema);
  await db.query(\`select * from \${s}.revisions where id = \${quoteLiteral(id)} limit \${LIMIT}\`);
  await db.query(compile(sql\`select * from \${sql.identifier(schema)}.events where id = \${sql.value(id)}\`).text);
  await db.query(\`select array[\${tags.map(quoteLiteral).join(', ')}] as tags, \${timeoutMs * 2} as ms, '\${action}' as action\`);
  await db.query(\`select pg_advisory_lock(\${KEY})\`);
  await db.query('select ' + quoteLiteral(id) + ' as id, ' + LIMIT + ' as n');
  await db.runScript(\`create schema \${quoted(schema)}\`);
  return { message: \`set '--! Parent: \${id}' in the file\`, hint: \`select \${id} from somewhere\` };
}

function quoted(name: string): string {
  return name === '' ? quoteIdentifier('x') : quoteIdentifier(name);
}
`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The real tracking.ts with one quoting call taken away, as a careless edit would. */
const trackingText = readFileSync(path.join(srcDir, 'db', 'tracking.ts'), 'utf8');
const REGRESSED_TRACKING = trackingText
  .replace(/from '\.\/(quote|database)\.js'/g, "from '../db/$1.js'")
  .replace('${quoteLiteral(revision.id)}', '${revision.id}');

const virtualFiles = new Map([
  [path.join(fixtureDir, 'unsafe.ts'), UNSAFE_FIXTURE],
  [path.join(fixtureDir, 'safe.ts'), SAFE_FIXTURE],
  [path.join(fixtureDir, 'tracking-regressed.ts'), REGRESSED_TRACKING],
]);
const realFiles = sourceFiles(srcDir);

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, skipLibCheck: true, noEmit: true, types: ['node'], lib: ['lib.es2023.d.ts'],
};
const host = ts.createCompilerHost(options, true);
const { getSourceFile, fileExists, readFile } = host;
host.fileExists = (file) => virtualFiles.has(file) || fileExists.call(host, file);
host.readFile = (file) => virtualFiles.get(file) ?? readFile.call(host, file);
host.getSourceFile = (file, language, ...rest) => {
  const text = virtualFiles.get(file);
  return text !== undefined ? ts.createSourceFile(file, text, language, true) : getSourceFile.call(host, file, language, ...rest);
};
const program = ts.createProgram({ rootNames: [...realFiles, ...virtualFiles.keys()], options, host });

const show = (findings: SqlFinding[]) => findings.map((f) => `${path.relative(repoRoot, f.file)}:${f.line}:${f.column}: \${${f.expression}} in "${f.sql}"`).join('\n');

test('the fixtures compile (the scanner resolves their imports and types)', () => {
  const errors = [...virtualFiles.keys()].flatMap((file) => {
    const sourceFile = program.getSourceFile(file)!;
    return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
  });
  assert.is(errors.length, 0, ts.formatDiagnostics(errors.slice(0, 5), { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' }));
});

test('flags every value pasted into SQL text in the unsafe fixture', () => {
  const findings = findUnsafeSql(program, [path.join(fixtureDir, 'unsafe.ts')]);
  const expected = UNSAFE_FIXTURE.split('\n').reduce((n, line) => n + (/\/\/ unsafe x(\d)/.exec(line) ? Number(/x(\d)/.exec(line)![1]) : line.includes('// unsafe') ? 1 : 0), 0);
  assert.equal(findings.map((f) => f.expression), ['schema', 'id', 'id', 'target', 'id', 'where', 'id', 'schema', 'describe(schema)', 'id.trim()'], show(findings));
  assert.is(findings.length, expected);
  for (const f of findings) assert.ok(UNSAFE_FIXTURE.split('\n')[f.line - 1]!.includes('// unsafe'), `flagged on a line marked unsafe: ${show([f])}`);
});

test('accepts quoting helpers, pg-sql2, numbers, closed unions and text for humans', () => {
  assert.equal(show(findUnsafeSql(program, [path.join(fixtureDir, 'safe.ts')])), '');
});

test('catches a quoting call removed from the real bookkeeping SQL', () => {
  assert.is.not(REGRESSED_TRACKING, trackingText, 'the edit applied');
  const findings = findUnsafeSql(program, [path.join(fixtureDir, 'tracking-regressed.ts')]);
  assert.equal(findings.map((f) => [f.expression, f.within]), [['revision.id', 'recordUpStatement']], show(findings));
});

test('src/ builds no SQL from unquoted values', () => {
  assert.ok(realFiles.length > 20, `scanned ${realFiles.length} files`);
  const findings = findUnsafeSql(program, realFiles);
  const unexpected = findings.filter((f) => !ALLOWED.some((a) => isAllowed(f, a)));
  assert.equal(show(unexpected), '', 'values pasted into SQL without quoting');
  for (const allowed of ALLOWED) {
    assert.ok(findings.some((f) => isAllowed(f, allowed)), `the allowance for ${allowed.expression ?? allowed.within} in ${allowed.file} is still needed`);
  }
});

test.run();
