/**
 * strata against psql and `node -e 0` on a throwaway PostgreSQL cluster, and the targets of issue 14
 * as ratios measured in the same run. `npm run bench` (builds first), or
 *   node dist/bench/run.js [--n 1000] [--runs 5] [--only up,noop,down,dev,fleet] [--keep] [--cpu-prof]
 *
 * For each scenario the runs are interleaved (psql, strata, psql, strata …) and every measured run
 * is a whole process: wall time, CPU time (user + sys) of that process alone, peak RSS. The database
 * is reset (drop, create, checkpoint) outside the timed part. The table goes to stdout and, with
 * every sample, to bench/results/latest.json.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findPgBinary, startCluster, type Cluster } from './cluster.js';
import { writeCorpus, type Corpus } from './corpus.js';
import { hasGnuTime, measure, summarize, type RunOutput, type Sample, type Summary } from './measure.js';
import { summarizeProfile } from './profile-summary.js';
import { evaluateTargets, fmtSeconds, machineOf, render, type DevLatency, type Machine, type Pair, type Results } from './report.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliPath = path.join(repoRoot, 'dist', 'bin', 'cli.js');
const resultsDir = path.join(repoRoot, 'bench', 'results');
const DATABASE = 'bench';

const SCENARIOS = ['up', 'noop', 'down', 'dev', 'fleet'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

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
      only: { type: 'string', default: SCENARIOS.join(',') },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: node dist/bench/run.js [--n 1000] [--runs 5] [--only ${SCENARIOS.join(',')}] [--keep] [--cpu-prof]\n` +
      '  --keep      leave the cluster running (prints its URL and how to stop it)\n' +
      '  --cpu-prof  after measuring, run each strata command once more under node --cpu-prof (bench/results/profiles/)');
    process.exit(0);
  }
  const n = Number(values.n);
  const runs = Number(values.runs);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--n must be a positive integer, got ${values.n}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const only = new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean));
  for (const name of only) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only takes ${SCENARIOS.join(', ')}; got ${name}`);
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

/** strata's caches (revision-cache.ts, parse-cache.ts) for this run only: emptied to measure a first run */
function cacheDirOf(ctx: Context): string {
  return path.join(ctx.scratch, 'strata-cache');
}

function strata(ctx: Context, args: string[], nodeFlags: string[] = []): RunOutput {
  const env = { ...baseEnv(), DATABASE_URL: ctx.cluster.url(DATABASE), STRATA_CACHE_DIR: cacheDirOf(ctx) };
  return checked(`strata ${args.join(' ')}`, measure(process.execPath, [...nodeFlags, cliPath, ...args], { cwd: ctx.project, env, scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
}

function psqlFile(ctx: Context, file: string): RunOutput {
  const args = ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(ctx.cluster.port), '-U', 'postgres', '-d', DATABASE, '-f', file];
  return checked(`psql -f ${path.basename(file)}`, measure(ctx.psql, args, { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
}

function nodeBaseline(ctx: Context): RunOutput {
  return checked('node -e 0', measure(process.execPath, ['-e', '0'], { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
}

/**
 * `node -e 0`'s CPU to 1 ms: GNU time reports CPU to 10 ms, about half of what node's start takes,
 * so ten starts run in one measured shell (whose rusage includes its children) and the CPU is divided by ten.
 */
const NODE_CPU_REPEAT = 10;
function nodeBaselineCpu(ctx: Context): number | undefined {
  const script = `for i in ${Array.from({ length: NODE_CPU_REPEAT }, (_, i) => i + 1).join(' ')}; do "$0" -e 0 || exit 1; done`;
  const output = checked('node -e 0 (x10)', measure('/bin/sh', ['-c', script, process.execPath], { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: ctx.useGnuTime }));
  return output.cpuMs === undefined ? undefined : output.cpuMs / NODE_CPU_REPEAT;
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

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

function scenarioUp(ctx: Context): Pair & { cold: Summary } {
  const { n, runs } = ctx.options;
  const psqlSamples: Sample[] = [];
  const strataSamples: Sample[] = [];
  resetDatabase(ctx);
  rmSync(cacheDirOf(ctx), { recursive: true, force: true });
  const cold = countingWalSyncs(ctx, () => strata(ctx, ['up']));
  expectState(ctx, 'strata up (empty caches)', { tables: n, recorded: n });
  progress(`  up with empty caches: strata ${fmtSeconds(cold.wallMs)} (cpu ${fmtSeconds(cold.cpuMs)})`);
  for (let run = 1; run <= runs; run++) {
    resetDatabase(ctx);
    psqlSamples.push(countingWalSyncs(ctx, () => psqlFile(ctx, ctx.corpus.upAll)));
    expectState(ctx, 'psql up_all.sql', { tables: n });
    resetDatabase(ctx);
    strataSamples.push(countingWalSyncs(ctx, () => strata(ctx, ['up'])));
    expectState(ctx, 'strata up', { tables: n, recorded: n });
    progress(`  up ${run}/${runs}: psql ${fmtSeconds(psqlSamples.at(-1)!.wallMs)}, strata ${fmtSeconds(strataSamples.at(-1)!.wallMs)} (cpu ${fmtSeconds(strataSamples.at(-1)!.cpuMs)})`);
  }
  return { psql: summarize(psqlSamples), strata: summarize(strataSamples), cold: summarize([cold]) };
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

/** `node -e 0` alone (when the no-op scenario, which interleaves it, is not run), its CPU to 1 ms. */
function measureNodeBaseline(ctx: Context, results: Results): void {
  if (!results.nodeBaseline) results.nodeBaseline = summarize(Array.from({ length: ctx.options.runs }, () => nodeBaseline(ctx)));
  const cpu = Array.from({ length: 3 }, () => nodeBaselineCpu(ctx)).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  results.nodeBaseline.cpuMs = cpu.length === 0 ? undefined : cpu[Math.floor(cpu.length / 2)];
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

/**
 * The same revert in one transaction: PostgreSQL flushes the WAL at every commit of a transaction
 * that drops a relation, whatever synchronous_commit says, so per-revision commits cost one flush
 * each however they are batched; this row shows what that costs (fewer runs: it is for the reader).
 */
function scenarioDownSingle(ctx: Context): Summary {
  const samples: Sample[] = [];
  for (let run = 1; run <= Math.min(ctx.options.runs, 3); run++) {
    resetDatabase(ctx);
    strata(ctx, ['up', '--quiet']);
    checkpoint(ctx);
    samples.push(countingWalSyncs(ctx, () => strata(ctx, ['down', 'base', '--single-transaction'])));
    expectState(ctx, 'strata down base --single-transaction', { tables: 0, recorded: 0 });
    progress(`  down --single-transaction ${run}: ${fmtSeconds(samples.at(-1)!.wallMs)}`);
  }
  return summarize(samples);
}

/** bench/watch-latency.ts (strata dev, 500 revisions in the folder) against this run's cluster. */
function scenarioDev(ctx: Context): DevLatency {
  const revisions = 500;
  const script = path.join(repoRoot, 'dist', 'bench', 'watch-latency.js');
  const result = spawnSync(process.execPath, [script, '--history', String(revisions)], {
    env: { ...baseEnv(), BENCH_DATABASE_URL: ctx.cluster.url('postgres') }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`watch-latency exited ${result.status}:\n${result.stderr}${result.stdout}`);
  const found = /median ([\d.]+) ms\s+p95 ([\d.]+) ms/.exec(result.stdout);
  if (!found) throw new Error(`watch-latency printed no median:\n${result.stdout}`);
  progress(`  ${result.stdout.trim().split('\n').slice(0, 2).join('\n  ')}`);
  return { revisions, medianMs: Number(found[1]), p95Ms: Number(found[2]), output: result.stdout.trim() };
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

function describeMachine(ctx: Context): Machine {
  const psqlOutput = measure(ctx.psql, ['--version'], { cwd: ctx.project, env: baseEnv(), scratchDir: ctx.scratch, useGnuTime: false }).stdout;
  return machineOf(ctx.cluster.sql('postgres', 'show server_version').trim(), /\d+(\.\d+)+/.exec(psqlOutput)?.[0] ?? 'unknown');
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
      const { cold, ...up } = scenarioUp(ctx);
      results.up = up;
      results.upCold = cold;
    }
    if (options.only.has('noop')) {
      progress(`no-op strata up and strata status with ${options.n} applied`);
      Object.assign(results, scenarioNoop(ctx));
    }
    if (options.only.has('down')) {
      progress(`strata down base of ${options.n} vs psql -1 -f down_all.sql`);
      results.down = scenarioDown(ctx);
      progress(`strata down base of ${options.n} --single-transaction (for comparison: one commit)`);
      results.downSingle = scenarioDownSingle(ctx);
    }
    if (options.only.has('dev')) {
      progress('strata dev, 500 revisions in the folder: save -> visible (bench/watch-latency.ts)');
      results.dev = scenarioDev(ctx);
    }
    if (options.only.has('up') || options.only.has('noop')) measureNodeBaseline(ctx, results);
    const profiles = options.cpuProf ? profileRuns(ctx) : [];

    const targets = evaluateTargets(results, options.n);
    console.log(render(results, targets, machine, options));
    for (const profile of profiles) console.log(`\n${summarizeProfile(profile, 12)}`);
    // the fleet (bench/fleet.ts: 200 databases x 20 revisions, --parallel 8, against psql loops) on a cluster of its own
    if (options.only.has('fleet')) {
      console.log('\n== fleet: strata up --targets against psql (bench/fleet.ts) ==');
      const fleet = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'bench', 'fleet.js')], { stdio: 'inherit' });
      if (fleet.status !== 0) throw new Error(`bench/fleet.ts exited ${fleet.status}`);
    }
    if (profiles.length > 0) console.log(`\nCPU profiles (node --cpu-prof; open in Chrome DevTools, or node dist/bench/profile-summary.js FILE): ${profiles.map((p) => path.relative(repoRoot, p)).join(', ')}`);
    mkdirSync(resultsDir, { recursive: true });
    const json = {
      date: new Date().toISOString(),
      n: options.n,
      runs: options.runs,
      machine,
      method: {
        wall: 'whole process, measured around the spawn; median of the runs',
        cpu: 'user + sys of the measured process alone (wait4 rusage via GNU time, 10 ms resolution); median; node -e 0: ten starts in one measured shell, divided by ten',
        targets: 'issue 14: ratios to node -e 0 or psql measured in this run; peak RSS and the dev latency absolute',
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
