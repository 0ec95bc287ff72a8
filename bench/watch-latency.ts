/**
 * How long from saving up.sql to the new object being visible to another connection, through
 * `strata dev` (the built CLI, as a user runs it) on a throwaway database.
 *
 *   npm run bench:watch            # or: node dist/bench/watch-latency.js [--edits 30] [--history 500 | --example] [--poll] [--strict]
 *
 * Each edit renames the table the newest revision creates; another connection polls pg_catalog
 * about every millisecond until the new table is there. The edits are spaced out (each waits for
 * the previous run's line), so what is measured is one save, not a burst. Target (issue 14): median
 * ≤ 20 ms with 500 revisions in the folder; p95 ≤ 60 ms. The history before the edited revision is
 * `--history N` generated revisions (default 500), or with `--example` the example one in migrations/.
 * `npm run bench` runs it too (against its own cluster). BENCH_DATABASE_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
 * is the server where the throwaway database is created and dropped.
 */
import { spawn } from 'node:child_process';
import { addEditRevision } from './edit-revision.js';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = path.join(repoRoot, 'dist', 'bin', 'cli.js');
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET = { medianMs: 20, p95Ms: 60 };

const args = process.argv.slice(2);
const edits = Number(valueOf('--edits') ?? 30);
const warmup = 3;
const isPolling = args.includes('--poll');
const isStrict = args.includes('--strict');
const historySize = args.includes('--example') ? undefined : Number(valueOf('--history') ?? 500);

function valueOf(flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index === -1 ? undefined : args[index + 1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  // nearest rank
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<number> {
  if (!Number.isInteger(edits) || edits < 20) {
    console.error('--edits must be a whole number of at least 20');
    return 2;
  }
  const name = `strata_bench_watch_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${name}"`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  // the example history plus a small revision at its head, the one being edited
  const project = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
  const migrations = path.join(project, 'migrations');
  if (historySize === undefined) cpSync(path.join(repoRoot, 'migrations'), migrations, { recursive: true });
  else writeGeneratedHistory(migrations, historySize);
  const { upFile, upText } = addEditRevision(migrations);

  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', DATABASE_URL: url.toString() };
  delete env.STRATA_DIR;
  delete env.STRATA_SCHEMA;
  const child = spawn(process.execPath, [cliPath, 'dev', ...(isPolling ? ['--poll'] : [])], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const watcher = new pg.Client({ connectionString: url.toString(), application_name: 'strata bench (observer)' });
  const cleanup = async () => {
    child.kill('SIGINT');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    await watcher.end().catch(() => {});
    rmSync(project, { recursive: true, force: true });
    const dropper = new pg.Client({ connectionString: adminUrl });
    await dropper.connect();
    await dropper.query(`drop database if exists "${name}" with (force)`);
    await dropper.end();
  };

  try {
    const runLines = () => stdout.split('\n').filter((l) => /\b(applied|re-applied)\b/.test(l)).length;
    await waitFor(() => runLines() >= 1, 30_000, 'strata dev to bring the database to head');
    await watcher.connect();
    const latencies: number[] = [];
    const runTimes: number[] = [];
    for (let i = 1; i <= warmup + edits; i++) {
      const linesBefore = runLines();
      const table = `bench.t_${i}`;
      const started = performance.now();
      writeFileSync(upFile, upText(i));
      let visibleAfter: number | undefined;
      while (visibleAfter === undefined) {
        const [row] = (await watcher.query<{ visible: boolean }>('select to_regclass($1) is not null as visible', [table])).rows;
        if (row?.visible) visibleAfter = performance.now() - started;
        else if (performance.now() - started > 10_000) throw new Error(`${table} did not appear within 10 s`);
        else await sleep(1);
      }
      // the run's own line, then a pause, so the next save is a separate one
      await waitFor(() => runLines() > linesBefore, 5_000, `the line of run ${i}`);
      const runMs = Number(/in (\d+) ms/.exec(stdout.trimEnd().split('\n').filter((l) => /re-applied/.test(l)).at(-1) ?? '')?.[1]);
      if (i > warmup) {
        latencies.push(visibleAfter);
        if (Number.isFinite(runMs)) runTimes.push(runMs);
      }
      await sleep(30);
    }
    if (/error/i.test(stderr)) throw new Error(`strata dev reported errors:\n${stderr}`);

    const sorted = [...latencies].sort((a, b) => a - b);
    const runsSorted = [...runTimes].sort((a, b) => a - b);
    const format = (ms: number) => `${ms.toFixed(1)} ms`;
    const medianMs = median(sorted);
    const p95Ms = percentile(sorted, 95);
    const isMet = medianMs <= TARGET.medianMs && p95Ms <= TARGET.p95Ms;
    const revisionCount = readdirSync(migrations).length;
    console.log(`strata dev save-to-visible latency, ${edits} edits (after ${warmup} warm-up), ${revisionCount} revisions in the folder, ${isPolling ? 'polling' : 'native events'}, PostgreSQL at ${url.host}`);
    console.log(`  median ${format(medianMs)}   p95 ${format(p95Ms)}   min ${format(sorted[0]!)}   max ${format(sorted.at(-1)!)}`);
    if (runsSorted.length > 0) console.log(`  of which the run itself (as strata dev reports it): median ${runsSorted[Math.floor(runsSorted.length / 2)]} ms`);
    console.log(`  target: median ≤ ${TARGET.medianMs} ms, p95 ≤ ${TARGET.p95Ms} ms: ${isMet ? 'met' : 'NOT met'}`);
    return isStrict && !isMet ? 1 : 0;
  } finally {
    await cleanup();
  }

  async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (child.exitCode !== null) throw new Error(`strata dev exited (${child.exitCode}) while waiting for ${what}:\n${stdout}${stderr}`);
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${stdout}${stderr}`);
      await sleep(2);
    }
  }
}

/** `count` small revisions, one minute apart from 2020-01-01, each creating a table */
function writeGeneratedHistory(migrations: string, count: number): void {
  let parent = 'base';
  for (let i = 1; i <= count; i++) {
    const time = new Date(Date.UTC(2020, 0, 1, 0, i)).toISOString().replace(/\D/g, '').slice(0, 14);
    const id = `${time}_history_${i}`;
    mkdirSync(path.join(migrations, id), { recursive: true });
    writeFileSync(path.join(migrations, id, 'up.sql'), `--! Parent: ${parent}\n\ncreate table history_${i} (id bigint primary key, name text not null);\n`);
    writeFileSync(path.join(migrations, id, 'down.sql'), `drop table history_${i};\n`);
    parent = id;
  }
}

process.exitCode = await main();
