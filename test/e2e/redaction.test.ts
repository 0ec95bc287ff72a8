import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { events, expectExit, projectWithDatabase, revisionFiles } from '../helpers/e2e.js';
import { runCli, type CliResult } from '../helpers/harness.js';

/**
 * No password reaches the user, whatever shape the URL has: every case's password contains
 * MARK, and no output of any command (text, --json, the events log) may contain it.
 * With trust authentication the server ignores the password, so the well-formed cases connect.
 */
const MARK = 'Secr3t';
const R1 = '20261101090000_create_customers';
const R2 = '20261102090000_call_remote';
// a failing revision whose error message holds a URL with a password: the event row must not keep it
const SQL_SECRET = 'Hidd3nPw';
const files = {
  ...revisionFiles(R1, 'base', 'create table customers (id int primary key);\n', 'drop table customers;\n'),
  ...revisionFiles(R2, R1, `do $$ begin raise exception 'cannot reach postgres://app:${SQL_SECRET}@db.internal/x (password=${SQL_SECRET})'; end $$;\n`, ''),
};

const { db, project } = await projectWithDatabase('redaction', files);
const server = db ? new URL(db.url) : undefined;
const hostPort = server ? `${server.hostname}:${server.port || 5432}` : '127.0.0.1:5432';
const dbName = db?.name ?? 'postgres';

/** URLs that reach the test database (the password is ignored under trust authentication). */
const connecting: string[] = [
  `postgres://postgres:${MARK}@${hostPort}/${dbName}`,
  `postgresql://postgres:${MARK}@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK} Pw@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK} @${hostPort}/${dbName}`,
  `postgres://postgres: ${MARK}@${hostPort}/${dbName}`,
  `postgres://postgres:p@${MARK}@${hostPort}/${dbName}`,
  `postgres://postgres:a@b@${MARK}@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}:x:y@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}%40x@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}%23x%2Fy%3F@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}%20Pw@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}'q@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}"q@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}\\x@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}&x=y@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}$x\`y@${hostPort}/${dbName}`,
  `postgres://postgres:${MARK}✓é@${hostPort}/${dbName}`,
  `postgres://postgres@${hostPort}/${dbName}?password=${MARK}`,
  `postgres://postgres@${hostPort}/${dbName}?sslmode=disable&password=${MARK}%20x`,
  `postgres://postgres:${MARK}@${hostPort}/${dbName}?application_name=someone@somewhere`,
];

/** URLs that are refused before connecting, or whose server is not there. */
const refused: string[] = [
  `postgres://postgres:${MARK}@127.0.0.1:1/${dbName}`,
  `postgres://postgres:${MARK} Pw@127.0.0.1:1/${dbName}`,
  `postgres:${MARK}Pw@127.0.0.1/x`,
  `postgresql:/postgres:${MARK}Pw@127.0.0.1/x`,
  `postgres://u:p@ss#${MARK}@host/db`,
  `postgres://u:${MARK}#x@host/db`,
  `postgres://postgres:pa/${MARK}@127.0.0.1/x`,
  `postgres://postgres:pa?${MARK}@127.0.0.1/x`,
  `postgres://postgres:p@ss/${MARK}@127.0.0.1/x`,
  `mysql://u:${MARK}@h/db`,
  `postgress://postgres:${MARK} Pw@h/db`,
  `postgres://postgres:${MARK}@127.0.0.1:99999/db`,
  `${MARK}@127.0.0.1/db`,
];

type Source = 'flag' | 'env' | 'dotenv';
const SOURCES: Source[] = ['flag', 'env', 'dotenv'];

async function runWith(url: string, source: Source, args: string[]): Promise<CliResult> {
  const dotEnv = path.join(project.dir, '.env');
  rmSync(dotEnv, { force: true });
  if (source === 'dotenv') writeFileSync(dotEnv, `DATABASE_URL='${url.replace(/'/g, "\\'")}'\n`);
  try {
    return await runCli(source === 'flag' ? [...args, '--database-url', url] : args, { cwd: project.dir, env: source === 'env' ? { DATABASE_URL: url } : {} });
  } finally {
    rmSync(dotEnv, { force: true });
  }
}

function expectHidden(result: CliResult, what: string, ...secrets: string[]): void {
  for (const secret of [MARK, ...secrets]) {
    assert.ok(!result.output.includes(secret), `${what}: '${secret}' was printed:\n${result.output}`);
  }
}

/** Each command and output form a user can reach: `log` is the events log, `history` the chain. */
const COMMANDS: string[][] = [['status'], ['status', '--json'], ['up'], ['up', '--json'], ['log'], ['log', '--json'], ['history'], ['current', '--json']];

/** Quotes and backslashes in a .env value follow dotenv's own quoting rules: those go through the environment. */
const sourceFor = (url: string, i: number): Source => {
  const source = SOURCES[i % SOURCES.length]!;
  return source === 'dotenv' && /['"\\]/.test(url) ? 'env' : source;
};

connecting.forEach((url, i) => {
  const source = sourceFor(url, i);
  (db ? test : test.skip)(`connecting URL #${i + 1} via ${source}: no output or event row shows its password`, async () => {
    for (const args of COMMANDS) {
      const result = await runWith(url, source, args);
      expectHidden(result, `${args.join(' ')} (${url.replace(MARK, '<mark>')})`, SQL_SECRET);
      if (args[0] === 'up') expectExit(result, 1, 'the second revision fails');
      else expectExit(result, 0, args.join(' '));
    }
    const rows = await events(db!);
    assert.ok(rows.some((row) => !row.ok), 'the failure was logged');
    const logged = JSON.stringify(rows);
    assert.ok(!logged.includes(SQL_SECRET) && !logged.includes(MARK), logged);
  });
});

refused.forEach((url, i) => {
  const source = sourceFor(url, i);
  test(`refused URL #${i + 1} via ${source}: the error does not show its password`, async () => {
    for (const args of COMMANDS) {
      const result = await runWith(url, source, args);
      expectHidden(result, `${args.join(' ')} (${url.replace(MARK, '<mark>')})`);
      // history lists the chain from the files when the database cannot be read: it may succeed
      if (args[0] !== 'history') assert.ok(result.code === 1 || result.code === 2, `${args.join(' ')} fails (got ${result.code})\n${result.output}`);
    }
  });
});

test('an unencoded # in the password is refused with how to percent-encode it, before connecting', async () => {
  const result = await runWith(`postgres://u:p@ss#${MARK}@127.0.0.1/db`, 'flag', ['status']);
  expectExit(result, 2);
  assert.match(result.stderr, /unencoded '#'/);
  assert.match(result.stderr, /# as %23/);
});

test('an unencoded / or ? in the password is named, with the percent-encoding', async () => {
  for (const [url, character] of [[`postgres://u:pa/${MARK}@127.0.0.1/db`, '/'], [`postgres://u:pa?${MARK}@127.0.0.1/db`, '?'], [`postgres://u:p@ss/${MARK}@127.0.0.1/db`, '/']] as const) {
    const result = await runWith(url, 'env', ['status']);
    expectExit(result, 2);
    assert.ok(result.stderr.includes(`unencoded '${character}' in its password`), result.stderr);
    assert.ok(result.stderr.includes('%2F'), result.stderr);
  }
});

test('a URL that cannot be used says where it was set: a flag, the environment, or .env with its line (not its text)', async () => {
  const fromEnv = await runWith(`mysql://root:${MARK}@localhost/app`, 'env', ['up']);
  expectExit(fromEnv, 2);
  expectHidden(fromEnv, 'env');
  assert.ok(fromEnv.stderr.includes('DATABASE_URL must be a postgres:// or postgresql:// URL') && fromEnv.stderr.includes('(from the environment)'), fromEnv.stderr);
  const fromFlag = await runWith(`postgres://root:${MARK}#@localhost/app`, 'flag', ['up']);
  expectExit(fromFlag, 2);
  expectHidden(fromFlag, 'flag');
  assert.ok(fromFlag.stderr.includes('(from --database-url)'), fromFlag.stderr);
  // an unclosed quote in .env is named as the cause, at its line
  const dotEnv = path.join(project.dir, '.env');
  writeFileSync(dotEnv, `# local\nDATABASE_URL=postgres://postgres@127.0.0.1:1/app\nSHADOW_DATABASE_URL="postgres://root:${MARK}@localhost/app\n`);
  try {
    const fromFile = await runCli(['status'], { cwd: project.dir });
    expectExit(fromFile, 2);
    expectHidden(fromFile, '.env');
    assert.ok(fromFile.stderr.includes('.env:3: error: SHADOW_DATABASE_URL must be a postgres:// or postgresql:// URL'), fromFile.stderr);
    assert.ok(fromFile.stderr.includes('the value opens a quote (") it never closes'), fromFile.stderr);
  } finally {
    rmSync(dotEnv, { force: true });
  }
});

test.run();
