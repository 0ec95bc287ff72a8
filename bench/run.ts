/**
 * strata against psql on a throwaway PostgreSQL cluster. `npm run bench` (builds first), or
 *   node dist/bench/run.js [--n 1000] [--runs 5] [--only up,noop,down] [--keep] [--cpu-prof]
 *
 * For each scenario the runs are interleaved (psql, strata, psql, strata …) and every measured run
 * is a whole process: wall time, CPU time (user + sys) of that process alone, peak RSS. The database
 * is reset (drop, create, checkpoint) outside the timed part. The table goes to stdout and, with
 * every sample, to bench/results/latest.json.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findPgBinary, startCluster, type Cluster } from './cluster.js';
import { writeCorpus, type Corpus } from './corpus.js';
import { hasGnuTime, measure, summarize, type RunOutput, type Sample, type Summary } from './measure.js';
import { summarizeProfile } from './profile-summary.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = path.join(repoRoot, 'dist', 'bin', 'cli.js');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const DATABASE = 'bench';

const TARGETS = {
  upRatio: 1.1,
  upCpuMs: 350,
  noopWallMs: 120,
  downRatio: 1.15,
  peakRssMb: 80,
} as const;

type ScenarioName = 'up' | 'noop' | 'down';

interface Options {
  n: number;
  runs: number;
  only: Set<ScenarioName>;
  keep: boolean;
  cpuProf: boolean;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '1000' },
      runs: { type: 'string', default: '5' },
      only: { type: 'string', default: 'up,noop,down' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node dist/bench/run.js [--n 1000] [--runs 5] [--only up,noop,down] [--keep] [--cpu-prof]\n' +
      '  --keep      leave the cluster running (prints its URL and how to stop it)\n' +
      '  --cpu-prof  after measuring, run each strata command once more under node --cpu-prof (bench/results/profiles/)');
    process.exit(0);
  }
  const n = Number(values.n);
  const runs = Number(values.runs);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--n must be a positive integer, got ${values.n}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const only = new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean));
  for (const name of only) if (!['up', 'noop', 'down'].includes(name)) throw new Error(`--only takes up, noop, down; got ${name}`);
  return { n, runs, only: only as Set<ScenarioName>, keep: values.keep, cpuProf: values['cpu-prof'] };
}

interface Context {
  options: Options;
  cluster: Cluster;
  corpus: Corpus;
  project: string;
  scratch: string;
  useGnuTime: boolean;
  psql: string;
}

function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.homedir(), LANG: 'C.UTF-8', NO_COLOR: '1' };
}

function strata(ctx: Context, args: string[], nodeFlags: string[] = []): RunOutput {
  const env = { ...baseEnv(), DATABASE_URL: ctx.cluster.url(DATABASE) };
  return checked(`strata ${args.join(' ')}`, measure(process.execPath, [...nodeFlags, cliPath, ...args], { cwd: ctx.project, env, scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
}

function psqlFile(ctx: Context, file: string): RunOutput {
  const args = ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(ctx.cluster.port), '-U', 'postgres', '-d', DATABASE, '-f', file];
  return checked(`psql -f ${path.basename(file)}`, measure(ctx.psql, args, { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
}

function nodeBaseline(ctx: Context): RunOutput {
  return checked('node -e 0', measure(process.execPath, ['-e', '0'], { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
}

function checked(what: string, output: RunOutput): RunOutput {
  if (output.status !== 0) throw new Error(`${what} exited ${output.status}:\n${output.stderr}${output.stdout.slice(-2000)}`);
  return output;
}

/** Drop and re-create the database, then checkpoint, so no run inherits another's dirty buffers or WAL. */
function resetDatabase(ctx: Context): void {
  ctx.cluster.sql('postgres', `drop database if exists ${DATABASE} with (force)`);
  ctx.cluster.sql('postgres', `create database ${DATABASE}`);
  ctx.cluster.sql('postgres', 'checkpoint');
}

function checkpoint(ctx: Context): void {
  ctx.cluster.sql('postgres', 'checkpoint');
}

/** Runs `fn` and adds the WAL flushes the server did meanwhile (the cluster runs nothing else). */
function countingWalSyncs(ctx: Context, fn: () => RunOutput): RunOutput {
  const read = () => ctx.cluster.sql('postgres', 'select wal_sync, wal_sync_time from pg_stat_wal').trim().split('|').map(Number);
  const [syncsBefore, msBefore] = read();
  const output = fn();
  const [syncsAfter, msAfter] = read();
  return { ...output, walSyncs: syncsAfter! - syncsBefore!, walSyncMs: msAfter! - msBefore! };
}

/** What is in the database: user tables, and rows in strata's tracking table (-1 when it does not exist). */
function databaseState(ctx: Context): { tables: number; recorded: number } {
  const tables = Number(ctx.cluster.sql(DATABASE, "select count(*) from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace").trim());
  const hasTracking = ctx.cluster.sql(DATABASE, "select to_regclass('strata.revisions') is not null").trim() === 't';
  const recorded = hasTracking ? Number(ctx.cluster.sql(DATABASE, 'select count(*) from strata.revisions').trim()) : -1;
  return { tables, recorded };
}

function expectState(ctx: Context, what: string, expected: { tables: number; recorded?: number }): void {
  const state = databaseState(ctx);
  if (state.tables !== expected.tables || (expected.recorded !== undefined && state.recorded !== expected.recorded)) {
    throw new Error(`after ${what}: expected ${expected.tables} tables${expected.recorded !== undefined ? ` and ${expected.recorded} recorded revisions` : ''}, found ${state.tables} and ${state.recorded}`);
  }
}

interface Pair {
  psql: Summary | undefined;
  strata: Summary;
}

interface Results {
  up?: Pair;
  noopUp?: Summary;
  status?: Summary;
  nodeBaseline?: Summary;
  down?: Pair;
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

function scenarioUp(ctx: Context): Pair {
  const { n, runs } = ctx.options;
  const psqlSamples: Sample[] = [];
  const strataSamples: Sample[] = [];
  for (let run = 1; run <= runs; run++) {
    resetDatabase(ctx);
    psqlSamples.push(countingWalSyncs(ctx, () => psqlFile(ctx, ctx.corpus.upAll)));
    expectState(ctx, 'psql up_all.sql', { tables: n });
    resetDatabase(ctx);
    strataSamples.push(countingWalSyncs(ctx, () => strata(ctx, ['up'])));
    expectState(ctx, 'strata up', { tables: n, recorded: n });
    progress(`  up ${run}/${runs}: psql ${fmtSeconds(psqlSamples.at(-1)!.wallMs)}, strata ${fmtSeconds(strataSamples.at(-1)!.wallMs)} (cpu ${fmtSeconds(strataSamples.at(-1)!.cpuMs)})`);
  }
  return { psql: summarize(psqlSamples), strata: summarize(strataSamples) };
}

function scenarioNoop(ctx: Context): { noopUp: Summary; status: Summary; nodeBaseline: Summary } {
  const { n, runs } = ctx.options;
  resetDatabase(ctx);
  strata(ctx, ['up', '--quiet']);
  expectState(ctx, 'strata up', { tables: n, recorded: n });
  checkpoint(ctx);
  const noop: Sample[] = [];
  const status: Sample[] = [];
  const baseline: Sample[] = [];
  for (let run = 1; run <= runs; run++) {
    baseline.push(nodeBaseline(ctx));
    const up = strata(ctx, ['up']);
    if (!/nothing to apply/.test(up.stdout)) throw new Error(`no-op strata up did something:\n${up.stdout.slice(0, 2000)}`);
    noop.push(up);
    const st = strata(ctx, ['status']);
    if (st.stdout.length === 0) throw new Error('strata status printed nothing');
    status.push(st);
    progress(`  no-op ${run}/${runs}: up ${fmtSeconds(up.wallMs)}, status ${fmtSeconds(st.wallMs)}, node -e 0 ${fmtSeconds(baseline.at(-1)!.wallMs)}`);
  }
  expectState(ctx, 'no-op runs', { tables: n, recorded: n });
  return { noopUp: summarize(noop), status: summarize(status), nodeBaseline: summarize(baseline) };
}

function scenarioDown(ctx: Context): Pair {
  const { n, runs } = ctx.options;
  const psqlSamples: Sample[] = [];
  const strataSamples: Sample[] = [];
  for (let run = 1; run <= runs; run++) {
    resetDatabase(ctx);
    psqlFile(ctx, ctx.corpus.upAll);
    checkpoint(ctx);
    psqlSamples.push(countingWalSyncs(ctx, () => psqlFile(ctx, ctx.corpus.downAll)));
    expectState(ctx, 'psql down_all.sql', { tables: 0 });
    resetDatabase(ctx);
    strata(ctx, ['up', '--quiet']);
    checkpoint(ctx);
    strataSamples.push(countingWalSyncs(ctx, () => strata(ctx, ['down', 'base'])));
    expectState(ctx, 'strata down base', { tables: 0, recorded: 0 });
    progress(`  down ${run}/${runs}: psql ${fmtSeconds(psqlSamples.at(-1)!.wallMs)}, strata ${fmtSeconds(strataSamples.at(-1)!.wallMs)} (cpu ${fmtSeconds(strataSamples.at(-1)!.cpuMs)})`);
  }
  return { psql: summarize(psqlSamples), strata: summarize(strataSamples) };
}

/** One more run of each strata command under the V8 CPU profiler (not timed: the profiler slows it). */
function profileRuns(ctx: Context): string[] {
  const dir = path.join(resultsDir, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const flags = (name: string) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`, '--cpu-prof-interval=100'];
  const written: string[] = [];
  if (ctx.options.only.has('up') || ctx.options.only.has('noop') || ctx.options.only.has('down')) {
    resetDatabase(ctx);
    strata(ctx, ['up'], flags('up'));
    written.push('up');
    checkpoint(ctx);
    strata(ctx, ['up'], flags('noop-up'));
    strata(ctx, ['status'], flags('status'));
    written.push('noop-up', 'status');
    checkpoint(ctx);
    strata(ctx, ['down', 'base'], flags('down-base'));
    written.push('down-base');
  }
  return written.map((name) => path.join(dir, `${name}.cpuprofile`));
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function fmtSeconds(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(3)} s`;
}

function fmtSyncs(summary: Summary | undefined): string {
  if (summary?.walSyncs === undefined || summary.walSyncMs === undefined) return '';
  return `${Math.round(summary.walSyncs)} (${(summary.walSyncMs / 1000).toFixed(2)} s)`;
}

function fmtMb(kb: number | undefined): string {
  return kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`;
}

interface TargetResult {
  name: string;
  value: number | undefined;
  limit: number;
  unit: 'x' | 's' | 'MB';
  pass: boolean | undefined;
}

function evaluateTargets(results: Results): TargetResult[] {
  const targets: TargetResult[] = [];
  const add = (name: string, value: number | undefined, limit: number, unit: TargetResult['unit']) =>
    targets.push({ name, value, limit, unit, pass: value === undefined ? undefined : value <= limit });
  if (results.up) {
    add('up: strata wall / psql wall', results.up.strata.wallMs / results.up.psql!.wallMs, TARGETS.upRatio, 'x');
    add('up: strata CPU (its process)', results.up.strata.cpuMs === undefined ? undefined : results.up.strata.cpuMs / 1000, TARGETS.upCpuMs / 1000, 's');
  }
  if (results.noopUp) add('no-op up: wall', results.noopUp.wallMs / 1000, TARGETS.noopWallMs / 1000, 's');
  if (results.status) add('status: wall', results.status.wallMs / 1000, TARGETS.noopWallMs / 1000, 's');
  if (results.down) add('down base: strata wall / psql wall', results.down.strata.wallMs / results.down.psql!.wallMs, TARGETS.downRatio, 'x');
  const rss = [results.up?.strata, results.noopUp, results.status, results.down?.strata].map((s) => s?.maxRssKb).filter((v): v is number => v !== undefined);
  if (rss.length > 0) add('peak RSS of strata (any command)', Math.max(...rss) / 1024, TARGETS.peakRssMb, 'MB');
  return targets;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd()).join('\n');
}

function render(results: Results, targets: TargetResult[], machine: Machine, options: Options): string {
  const rows: string[][] = [['command', 'psql wall', 'strata wall', 'ratio', 'psql CPU', 'strata CPU', 'psql RSS', 'strata RSS', 'psql fsyncs', 'strata fsyncs']];
  const pairRow = (label: string, pair: Pair) => rows.push([
    label, fmtSeconds(pair.psql?.wallMs), fmtSeconds(pair.strata.wallMs),
    pair.psql ? `${(pair.strata.wallMs / pair.psql.wallMs).toFixed(2)}x` : '', fmtSeconds(pair.psql?.cpuMs), fmtSeconds(pair.strata.cpuMs),
    fmtMb(pair.psql?.maxRssKb), fmtMb(pair.strata.maxRssKb), fmtSyncs(pair.psql), fmtSyncs(pair.strata),
  ]);
  const singleRow = (label: string, summary: Summary) => rows.push([label, '', fmtSeconds(summary.wallMs), '', '', fmtSeconds(summary.cpuMs), '', fmtMb(summary.maxRssKb), '', '']);
  if (results.up) pairRow(`up ${options.n} from empty`, results.up);
  if (results.noopUp) singleRow(`up, nothing to do (${options.n} applied)`, results.noopUp);
  if (results.status) singleRow(`status (${options.n} applied)`, results.status);
  if (results.nodeBaseline) singleRow('node -e 0 (reference)', results.nodeBaseline);
  if (results.down) pairRow(`down base of ${options.n}`, results.down);

  const targetRows: string[][] = [['target', 'measured', 'limit', 'result']];
  for (const t of targets) {
    const show = (v: number) => (t.unit === 'x' ? `${v.toFixed(2)}x` : t.unit === 's' ? `${v.toFixed(3)} s` : `${v.toFixed(1)} MB`);
    targetRows.push([t.name, t.value === undefined ? 'n/a' : show(t.value), `<= ${show(t.limit)}`, t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'MISS']);
  }
  return [
    `strata benchmark: N=${options.n} revisions, median of ${options.runs} interleaved runs (wall of the whole process; CPU = user+sys of that process only, not the server's)`,
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}; node ${machine.node}; PostgreSQL ${machine.postgres}; psql ${machine.psql}`,
    '',
    table(rows),
    '',
    table(targetRows),
  ].join('\n');
}

interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  psql: string;
}

function describeMachine(ctx: Context): Machine {
  const cpus = os.cpus();
  let cpuModel = cpus[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  const psqlOutput = measure(ctx.psql, ['--version'], { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: false }).stdout;
  const psqlVersion = /\d+(\.\d+)+/.exec(psqlOutput)?.[0] ?? 'unknown';
  return {
    cpuModel,
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: ctx.cluster.sql('postgres', 'show server_version').trim(),
    psql: psqlVersion,
  };
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = readOptions();
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  let cluster: Cluster | undefined;
  let cleaned = false;
  const cleanup = (mode: 'fast' | 'immediate') => {
    if (cleaned) return;
    cleaned = true;
    cluster?.stop(mode);
    rmSync(root, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      progress(`\n${signal}: stopping the benchmark cluster and removing ${root}`);
      cleanup('immediate');
      process.exit(130);
    });
  }
  try {
    const useGnuTime = hasGnuTime();
    if (!useGnuTime) progress('warning: GNU time (/usr/bin/time) not found: CPU time and peak RSS will be n/a');
    progress(`generating ${options.n} revisions in ${root}`);
    const project = path.join(root, 'project');
    const scratch = path.join(root, 'scratch');
    mkdirSync(scratch, { recursive: true });
    const corpus = writeCorpus(project, options.n);
    progress('starting a throwaway PostgreSQL cluster');
    cluster = await startCluster(root);
    const ctx: Context = { options, cluster, corpus, project, scratch, useGnuTime, psql: findPgBinary('psql') };
    const machine = describeMachine(ctx);

    // warm the file cache (node_modules, the WASM parser, psql) outside any measurement
    resetDatabase(ctx);
    strata(ctx, ['up', '+1', '--quiet']);

    const results: Results = {};
    if (options.only.has('up')) {
      progress(`strata up of ${options.n} vs psql -1 -f up_all.sql`);
      results.up = scenarioUp(ctx);
    }
    if (options.only.has('noop')) {
      progress(`no-op strata up and strata status with ${options.n} applied`);
      Object.assign(results, scenarioNoop(ctx));
    }
    if (options.only.has('down')) {
      progress(`strata down base of ${options.n} vs psql -1 -f down_all.sql`);
      results.down = scenarioDown(ctx);
    }
    const profiles = options.cpuProf ? profileRuns(ctx) : [];

    const targets = evaluateTargets(results);
    console.log(render(results, targets, machine, options));
    for (const profile of profiles) console.log(`\n${summarizeProfile(profile, 12)}`);
    if (profiles.length > 0) console.log(`\nCPU profiles (node --cpu-prof; open in Chrome DevTools, or node dist/bench/profile-summary.js FILE): ${profiles.map((p) => path.relative(repoRoot, p)).join(', ')}`);
    mkdirSync(resultsDir, { recursive: true });
    const json = {
      date: new Date().toISOString(),
      n: options.n,
      runs: options.runs,
      machine,
      method: {
        wall: 'whole process, measured around the spawn; median of the runs',
        cpu: 'user + sys of the measured process alone (wait4 rusage via GNU time, 10 ms resolution); median',
        rss: 'peak resident set size of the measured process (ru_maxrss); largest of the runs',
        interleaving: 'psql, strata, psql, strata …; database dropped, re-created and checkpointed before each measured run',
        psql: 'psql -X -q -1 -v ON_ERROR_STOP=1 -f <file>, over TCP to 127.0.0.1 like strata',
        walSyncs: 'pg_stat_wal.wal_sync and wal_sync_time (track_wal_io_timing=on) before and after each measured run; median',
      },
      results,
      targets,
    };
    writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json')) || 'bench/results/latest.json'}`);
    if (options.keep) {
      cleaned = true; // leave it
      console.log(`\n--keep: the cluster is still running at ${cluster.url(DATABASE)} (project in ${project})\n` +
        `stop it with: ${process.getuid?.() === 0 ? 'runuser -u postgres -- ' : ''}${path.join(cluster.binDir ?? '', 'pg_ctl')} stop -D ${cluster.dataDir} && rm -rf ${root}`);
    }
    return 0;
  } finally {
    if (!options.keep) cleanup('fast');
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
