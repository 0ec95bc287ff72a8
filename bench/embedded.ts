/**
 * strata on the embedded database (PGlite, no DATABASE_URL), as a newcomer meets it. `npm run
 * bench:embedded` (builds first), or
 *   node dist/bench/embedded.js [--runs 5] [--cold-runs 3] [--edits 20] [--cli path/to/cli.js] [--strict]
 *
 * In one run, interleaved with `node -e 0` (the reference every figure is also given as a ratio
 * to, so a slow or busy machine does not read as a slow strata):
 *   - the install step that makes the template (`dist/bin/prepare-embedded.js`, what `npm install`
 *     runs after the build: PGlite's initdb, once per machine and PGlite version)
 *   - first `up` of a fresh project (a copy of migrations/) with that template (every new project
 *     after an install, or after `rm -rf .strata`), and with an empty cache (an install that could
 *     not write the cache: the command then runs initdb itself)
 *   - later commands on that database: `status` and a no-op `up`
 *   - peak RSS of each (GNU time), and of a `strata dev` session
 *   - `strata dev` re-applying the revision being edited: from the save to its "re-applied" line
 * Every command runs as a user runs it (the built CLI, a whole process) and its output is checked.
 * `--cli` measures another build (e.g. an older commit's) the same way. Results also go to
 * bench/results/embedded.json.
 */
import { spawn } from 'node:child_process';
import { addEditRevision } from './edit-revision.js';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hasGnuTime, measure, median, type RunOutput } from './measure.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'bench', 'results');

/**
 * The targets are absolute; as ratios they are divided by 50 ms, what `node -e 0` takes on an
 * ordinary developer machine (30-40 ms on this 2-CPU one when idle, 80-180 ms when busy).
 */
const REFERENCE_NODE_MS = 50;
const TARGETS = {
  firstUpMs: 5000,
  laterMs: 1500,
  peakRssMb: 400,
  devReapplyMs: 100,
} as const;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'cold-runs': { type: 'string', default: '3' },
    edits: { type: 'string', default: '20' },
    cli: { type: 'string' },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node dist/bench/embedded.js [--runs 5] [--cold-runs 3] [--edits 20] [--cli path/to/cli.js] [--strict]\n' +
    '  --strict  exit 1 when a target is missed');
  process.exit(0);
}
const runs = positive('runs');
const coldRuns = positive('cold-runs');
const edits = positive('edits');
const cliPath = path.resolve(values.cli ?? path.join(repoRoot, 'dist', 'bin', 'cli.js'));

function positive(name: 'runs' | 'cold-runs' | 'edits'): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${values[name]}`);
  return n;
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-embedded-'));
const useGnuTime = hasGnuTime();

function env(cacheDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    STRATA_CACHE_DIR: cacheDir,
  };
}

function newProject(name: string): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(repoRoot, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  return dir;
}

function run(args: string[], cwd: string, cacheDir: string, expect: RegExp, script = cliPath): RunOutput {
  const result = measure(process.execPath, [script, ...args], { cwd, env: env(cacheDir), scratchDir: scratch, useGnuTime });
  if (result.status !== 0 || !expect.test(result.stdout)) {
    throw new Error(`strata ${args.join(' ')} in ${cwd}: exit ${result.status}, expected ${expect}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

function nodeReference(): RunOutput {
  return measure(process.execPath, ['-e', '0'], { cwd: scratch, env: env(scratch), scratchDir: scratch, useGnuTime });
}

interface Series {
  name: string;
  samples: RunOutput[];
  /** node -e 0, measured just before each sample */
  references: RunOutput[];
  target?: { ms?: number; rssMb?: number };
}

const APPLIED = /^5 applied in \d+ ms$/m;
const series: Series[] = [];
const add = (name: string, target?: Series['target']): Series => {
  const s: Series = { name, samples: [], references: [], ...(target ? { target } : {}) };
  series.push(s);
  return s;
};

async function main(): Promise<number> {
  const warmCache = path.join(scratch, 'cache-warm');
  // the peak RSS target is for commands: initdb's ~450 MB is paid once, by the install step
  const install = add('install: prepare the template');
  const warm = add('first up, template from install', { ms: TARGETS.firstUpMs, rssMb: TARGETS.peakRssMb });
  const cold = add('first up, no template (cache unwritable at install)', { ms: TARGETS.firstUpMs });
  const status = add('status', { ms: TARGETS.laterMs, rssMb: TARGETS.peakRssMb });
  const noop = add('up, nothing to do', { ms: TARGETS.laterMs, rssMb: TARGETS.peakRssMb });
  const reference = add('node -e 0 (reference)');

  const prepareScript = path.join(path.dirname(cliPath), 'prepare-embedded.js');
  for (let i = 0; i < coldRuns; i++) {
    // its own cache each time; the first one is kept as the warm cache of what follows
    install.references.push(nodeReference());
    install.samples.push(run([], scratch, i === 0 ? warmCache : path.join(scratch, `cache-install-${i}`), /prepared the embedded database's template/, prepareScript));
    cold.references.push(nodeReference());
    cold.samples.push(run(['up'], newProject(`cold-${i}`), path.join(scratch, `cache-cold-${i}`), APPLIED));
  }
  let project = '';
  for (let i = 0; i < runs; i++) {
    project = newProject(`warm-${i}`);
    warm.references.push(nodeReference());
    warm.samples.push(run(['up'], project, warmCache, APPLIED));
  }
  for (let i = 0; i < runs; i++) {
    status.references.push(nodeReference());
    status.samples.push(run(['status'], project, warmCache, /5 applied, 0 pending/));
    noop.references.push(nodeReference());
    noop.samples.push(run(['up'], project, warmCache, /nothing to apply/));
    reference.samples.push(nodeReference());
  }
  const dev = await measureDev(warmCache);

  const referenceMs = median([...series.flatMap((s) => s.references), ...reference.samples].map((r) => r.wallMs));
  const rows: string[][] = [];
  const verdicts: { what: string; measured: string; limit: string; isMet: boolean }[] = [];
  for (const s of series) {
    const wall = median(s.samples.map((r) => r.wallMs));
    const cpu = s.samples.every((r) => r.cpuMs !== undefined) ? median(s.samples.map((r) => r.cpuMs!)) : undefined;
    const rssKb = s.samples.every((r) => r.maxRssKb !== undefined) ? Math.max(...s.samples.map((r) => r.maxRssKb!)) : undefined;
    const ownReference = s.references.length > 0 ? median(s.references.map((r) => r.wallMs)) : referenceMs;
    const ratio = wall / ownReference;
    rows.push([s.name, `${seconds(wall)} (${seconds(Math.min(...s.samples.map((r) => r.wallMs)))}-${seconds(Math.max(...s.samples.map((r) => r.wallMs)))})`,
      s.references.length > 0 ? `${ratio.toFixed(1)}×` : '1×', cpu === undefined ? 'n/a' : seconds(cpu), rssKb === undefined ? 'n/a' : `${Math.round(rssKb / 1024)} MB`]);
    if (s.target?.ms !== undefined) {
      const limitRatio = s.target.ms / REFERENCE_NODE_MS;
      verdicts.push({ what: `${s.name}: wall`, measured: `${seconds(wall)}`, limit: `≤ ${seconds(s.target.ms)}`, isMet: wall <= s.target.ms });
      verdicts.push({ what: `${s.name}: × node -e 0`, measured: `${ratio.toFixed(1)}×`, limit: `≤ ${limitRatio}×`, isMet: ratio <= limitRatio });
    }
    if (s.target?.rssMb !== undefined && rssKb !== undefined) {
      verdicts.push({ what: `${s.name}: peak RSS`, measured: `${Math.round(rssKb / 1024)} MB`, limit: `< ${s.target.rssMb} MB`, isMet: rssKb / 1024 < s.target.rssMb });
    }
  }
  const devRatio = dev.medianMs / referenceMs;
  verdicts.push({ what: 'dev re-apply, median', measured: `${dev.medianMs.toFixed(0)} ms`, limit: `≤ ${TARGETS.devReapplyMs} ms`, isMet: dev.medianMs <= TARGETS.devReapplyMs });
  verdicts.push({ what: 'dev re-apply: × node -e 0', measured: `${devRatio.toFixed(2)}×`, limit: `≤ ${TARGETS.devReapplyMs / REFERENCE_NODE_MS}×`, isMet: devRatio <= TARGETS.devReapplyMs / REFERENCE_NODE_MS });
  if (dev.peakRssKb !== undefined) {
    verdicts.push({ what: 'dev session: peak RSS', measured: `${Math.round(dev.peakRssKb / 1024)} MB`, limit: `< ${TARGETS.peakRssMb} MB`, isMet: dev.peakRssKb / 1024 < TARGETS.peakRssMb });
  }

  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`strata on the embedded database: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} CPUs, node ${process.version}, ` +
    `PGlite ${pgliteVersion()}, load average ${load}; ${cliPath === path.join(repoRoot, 'dist', 'bin', 'cli.js') ? 'this build' : cliPath}`);
  console.log(`median of ${runs} runs (install step and first up on an empty cache: ${coldRuns}); each run interleaved with node -e 0 (median ${seconds(referenceMs)})\n`);
  printTable(['command', 'wall, median (min-max)', '× node -e 0', 'CPU', 'peak RSS'], rows);
  console.log(`\nstrata dev, re-applying the newest revision on each save (${edits} edits after 3 warm-up): save to its "re-applied" line ` +
    `median ${dev.medianMs.toFixed(0)} ms, p95 ${dev.p95Ms.toFixed(0)} ms (${devRatio.toFixed(2)}× node -e 0), the first save after dev started ${dev.firstMs.toFixed(0)} ms; ` +
    `the run itself, as dev reports it: median ${dev.reportedMedianMs} ms\n`);
  printTable(['target', 'measured', 'limit', ''], verdicts.map((v) => [v.what, v.measured, v.limit, v.isMet ? 'PASS' : 'MISS']));

  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'embedded.json'), `${JSON.stringify({ cli: cliPath, load, referenceMs, series, dev, verdicts }, null, 2)}\n`);
  return values.strict && verdicts.some((v) => !v.isMet) ? 1 : 0;
}

/** `strata dev` on a project brought to head, then `edits` saves of its newest revision, one at a time. */
async function measureDev(cacheDir: string): Promise<{ firstMs: number; medianMs: number; p95Ms: number; reportedMedianMs: number; peakRssKb: number | undefined }> {
  const project = newProject('dev');
  const migrations = path.join(project, 'migrations');
  const { upFile, upText } = addEditRevision(migrations);

  const child = spawn(process.execPath, [cliPath, 'dev'], { cwd: project, env: env(cacheDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const lines = () => stdout.split('\n').filter((l) => /\bre-applied 29991231235959_bench_edit\b/.test(l));
  try {
    await until(() => /applied 6 revisions/.test(stdout), 60_000, 'dev to bring the database to head');
    const latencies: number[] = [];
    const reported: number[] = [];
    let firstMs = 0;
    for (let i = 1; i <= 3 + edits; i++) {
      const before = lines().length;
      const started = performance.now();
      writeFileSync(upFile, upText(i));
      await until(() => lines().length > before, 10_000, `the line of edit ${i}`);
      const elapsed = performance.now() - started;
      const line = lines().at(-1)!;
      if (!line.includes('up.sql changed')) throw new Error(`unexpected run: ${line}`);
      if (i === 1) firstMs = elapsed;
      if (i > 3) {
        latencies.push(elapsed);
        reported.push(Number(/ in (\d+) ms/.exec(line)?.[1]));
      }
      await sleep(50);
    }
    if (/error/i.test(stderr)) throw new Error(`strata dev reported errors:\n${stderr}`);
    const peakRssKb = readPeakRss(child.pid!);
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      firstMs,
      medianMs: median(sorted),
      p95Ms: sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]!,
      reportedMedianMs: median(reported),
      peakRssKb,
    };
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }

  async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (child.exitCode !== null) throw new Error(`strata dev exited (${child.exitCode}) while waiting for ${what}:\n${stdout}${stderr}`);
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${stdout}${stderr}`);
      await sleep(1);
    }
  }
}

/** VmHWM of a running process (Linux); undefined elsewhere */
function readPeakRss(pid: number): number | undefined {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

function pgliteVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

try {
  process.exitCode = await main();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
