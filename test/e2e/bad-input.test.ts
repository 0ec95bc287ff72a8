import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { databaseSnapshot } from '../helpers/catalog-snapshot.js';
import { createTestDatabase, fixturesDir, makeProject, repoRoot, runCli, spawnCli, type CliResult } from '../helpers/harness.js';

/**
 * Each folder of test/fixtures/bad/ is a malformed history with a case.json:
 *   what      what is wrong
 *   exit      2 (refused before anything runs) or 1 (an SQL failure while running)
 *   contains  words the message must contain
 *   file      the location the message must name: path[:line[:column]]
 *   base      false when the case's migrations/ is the whole history; otherwise the good revisions
 *             of test/fixtures/bad-base/ (already applied to the database) come first
 *   setup     files git cannot hold or should not: written at run time, in order, each one of
 *             { path, text, encoding? } (utf8 | latin1 | utf16le), { path, append, repeat? },
 *             { path, directory: true }, { path, fifo: true }, { path, symlink: target }, { path, mode }
 * The database must be exactly what it was before, except that an SQL failure adds one failure
 * row to strata.events.
 */
interface BadCase {
  what: string;
  exit: 1 | 2;
  contains: string[];
  file?: string;
  base?: boolean;
  setup?: SetupStep[];
}

type SetupStep =
  | { path: string; text: string; encoding?: 'utf8' | 'latin1' | 'utf16le' }
  | { path: string; append: string; repeat?: number }
  | { path: string; directory: true }
  | { path: string; fifo: true }
  | { path: string; symlink: string }
  | { path: string; mode: number };

const casesDir = path.join(fixturesDir, 'bad');
const baseDir = path.join(fixturesDir, 'bad-base');
const caseNames = readdirSync(casesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const db = await createTestDatabase('bad_input');

// root reads any file whatever its mode, so a case with { mode } runs strata as 'nobody'. The
// checkout may sit under a folder nobody cannot enter (as CI's may): nobody runs a copy of the built
// CLI and its runtime dependencies in a world-readable temporary folder instead. Should even that
// fail, the cases fail in CI with the reason, and are skipped elsewhere, saying why.
const unprivileged = isRoot ? prepareUnprivilegedCli() : undefined;
if (unprivileged?.problem && !process.env.CI) console.warn(`SKIP cases that need an unreadable file: ${unprivileged.problem}`);

function prepareUnprivilegedCli(): { cli: string; problem?: undefined; remove(): void } | { problem: string; cli?: undefined; remove(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-nobody-'));
  const remove = () => rmSync(root, { recursive: true, force: true });
  // what the bundled CLI loads at run time; the compilers and PGlite are not needed for a server run
  const skipped = new Set(['typescript', 'esbuild', '@esbuild', '@electric-sql', '@types', '.cache']);
  cpSync(path.join(repoRoot, 'dist', 'bin'), path.join(root, 'dist', 'bin'), { recursive: true });
  cpSync(path.join(repoRoot, 'package.json'), path.join(root, 'package.json'));
  for (const entry of readdirSync(path.join(repoRoot, 'node_modules'))) {
    if (!skipped.has(entry)) cpSync(path.join(repoRoot, 'node_modules', entry), path.join(root, 'node_modules', entry), { recursive: true, dereference: true });
  }
  spawnSyncChecked('chmod', ['-R', 'a+rX', root]);
  const cli = path.join(root, 'dist', 'bin', 'cli.js');
  const r = spawnSync(process.execPath, [cli, '--version'], { uid: NOBODY, gid: NOBODY, encoding: 'utf8', cwd: os.tmpdir() });
  if (r.status === 0) return { cli, remove };
  const lines = (r.stderr || r.error?.message || '').trim().split('\n');
  return { problem: `uid ${NOBODY} cannot run a copy of the built CLI in ${root}: ${lines.find((l) => /Error/.test(l)) ?? lines[0]}`, remove };
}

test.before(async () => {
  if (!db) return;
  const base = makeProject();
  cpSync(baseDir, path.join(base.dir, 'migrations'), { recursive: true });
  const r = await runCli(['up'], { cwd: base.dir, env: { DATABASE_URL: db.url } });
  base.remove();
  if (r.code !== 0) throw new Error(`the base history did not apply:\n${r.output}`);
});

test.after(async () => {
  unprivileged?.remove();
  await db?.drop();
});

test('the corpus has at least 30 cases, each described', () => {
  assert.ok(caseNames.length >= 30, `${caseNames.length} cases`);
  for (const name of caseNames) {
    const c = readCase(name);
    assert.type(c.what, 'string', name);
    assert.ok([1, 2].includes(c.exit), `${name}: exit`);
    assert.ok(Array.isArray(c.contains) && c.contains.length > 0, `${name}: contains`);
    assert.ok(existsSync(path.join(casesDir, name, 'migrations')), `${name}: migrations/`);
  }
});

for (const name of caseNames) {
  const needsUnprivileged = readCase(name).setup?.some((step) => 'mode' in step) === true;
  const isSkipped = needsUnprivileged && unprivileged?.problem !== undefined && !process.env.CI;
  (db && !isSkipped ? test : test.skip)(`${name}: ${readCase(name).what}`, async () => {
    if (needsUnprivileged && unprivileged?.problem) throw new Error(unprivileged.problem);
    const c = readCase(name);
    const project = makeProject();
    try {
      const migrations = path.join(project.dir, 'migrations');
      if (c.base !== false) cpSync(baseDir, migrations, { recursive: true });
      cpSync(path.join(casesDir, name, 'migrations'), migrations, { recursive: true });
      const runsUnprivileged = applySetup(project.dir, c.setup ?? []);

      const before = await databaseSnapshot(db!);
      const env = { DATABASE_URL: db!.url };
      const r = runsUnprivileged ? await runCliAs(NOBODY, ['up'], project.dir, env) : await runCli(['up'], { cwd: project.dir, env });
      const after = await databaseSnapshot(db!);
      if (process.env.VERBOSE) console.log(`\n=== ${name} (exit ${r.code})\n${r.output}`);

      assert.is(r.code, c.exit, `exit code; output:\n${r.output}`);
      for (const word of c.contains) {
        assert.ok(r.output.toLowerCase().includes(word.toLowerCase()), `the message contains '${word}'; output:\n${r.output}`);
      }
      if (c.file) {
        assert.match(r.stderr, new RegExp(`(^|\\s)${escapeRegExp(c.file)}(?![0-9])`, 'm'), `the message names ${c.file}; output:\n${r.output}`);
      }
      assert.not.match(r.output, /\n\s+at .*\.js:\d+/, 'no stack trace');

      if (c.exit === 2) {
        assert.match(r.stderr, /nothing was run and the database was not changed/);
        assert.equal(after, before, 'the database is exactly as it was');
        return;
      }
      // exit 1: the failure is logged as one event row; nothing else changed.
      const eventsBefore = before.rows as Record<string, EventRow[]>;
      const eventsAfter = after.rows as Record<string, EventRow[]>;
      const known = new Set(eventsBefore['strata.events']!.map((e) => e.id));
      const added = eventsAfter['strata.events']!.filter((e) => !known.has(e.id));
      assert.is(added.length, 1, `exactly one new event: ${JSON.stringify(added)}`);
      const event = added[0]!;
      const [file, line] = c.file!.split(':');
      assert.equal([event.action, event.ok, event.revision_id], ['up', false, file!.split('/')[1]], 'a failed up of the revision');
      assert.is(event.error?.file, file, 'the logged error names the file');
      assert.is(event.error?.line, Number(line), 'and the line');
      const withoutEvent = structuredClone(after) as typeof after & { rows: Record<string, EventRow[]>; sequences: { sequencename: string; last_value: string | null }[] };
      withoutEvent.rows['strata.events'] = withoutEvent.rows['strata.events']!.filter((e) => known.has(e.id));
      const beforeSequences = before.sequences as { sequencename: string; last_value: string | null }[];
      withoutEvent.sequences = withoutEvent.sequences.map((s) => (s.sequencename === 'events_id_seq' ? beforeSequences.find((b) => b.sequencename === s.sequencename)! : s));
      assert.equal(withoutEvent, before, 'apart from the event, the database is exactly as it was');
    } finally {
      project.remove();
    }
  });
}

interface EventRow {
  id: number;
  action: string;
  ok: boolean;
  revision_id: string;
  error: { file?: string; line?: number } | null;
}

function readCase(name: string): BadCase {
  return JSON.parse(readFileSync(path.join(casesDir, name, 'case.json'), 'utf8')) as BadCase;
}

/** Writes what the case needs at run time; returns true when strata must run as an unprivileged user. */
function applySetup(projectDir: string, steps: readonly SetupStep[]): boolean {
  let unprivileged = false;
  for (const step of steps) {
    const full = path.join(projectDir, step.path);
    mkdirSync(path.dirname(full), { recursive: true });
    if ('text' in step) writeFileSync(full, Buffer.from(step.text, step.encoding ?? 'utf8'));
    else if ('append' in step) appendFileSync(full, step.append.repeat(step.repeat ?? 1));
    else if ('directory' in step) mkdirSync(full);
    else if ('fifo' in step) spawnSyncChecked('mkfifo', [full]);
    else if ('symlink' in step) symlinkSync(step.symlink, full);
    else if ('mode' in step) {
      chmodSync(full, step.mode);
      // root reads any file whatever its mode: run strata as 'nobody', which needs to reach the project
      if (isRoot) {
        unprivileged = true;
        for (let dir = path.dirname(full); dir.startsWith(projectDir); dir = path.dirname(dir)) chmodSync(dir, 0o755);
      }
    }
  }
  return unprivileged;
}

function spawnSyncChecked(command: string, args: string[]): void {
  const child = spawnSync(command, args, { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${child.stderr}`);
}

/** The CLI (the copy nobody can read, when there is one) run as `uid`, whose home is /tmp. */
function runCliAs(uid: number, args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return spawnCli(args, { cwd, env: { ...env, HOME: '/tmp' }, uid, script: unprivileged?.cli }).result;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test.run();
