import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Summary } from './measure.js';

// The report of bench/run.ts: issue 14's targets, the results they are taken from, the tables, the machine.

/**
 * Issue 14's targets, each a ratio to a reference measured in the same run (or an absolute memory
 * and latency bound). The fleet benchmark (200 databases x 20 revisions, --parallel 8, against a
 * shell loop of psql) is a scenario of its own: it adds its Results field, its rows in
 * evaluateTargets and its name to SCENARIOS.
 */
export const TARGETS = {
  /** no-op `up` and `status` with N applied: wall time / `node -e 0`'s */
  noopToNode: 1.7,
  /** strata's own CPU (user + sys of its process) for `up` of N: / `node -e 0`'s CPU */
  upCpuToNode: 5,
  /** `down base` of N: wall time / `psql -1 -f down_all.sql`'s */
  downToPsql: 1.15,
  /** the largest peak RSS of any strata command measured on N revisions */
  peakRssMb: 80,
  /** `strata dev` with 500 revisions in the folder: save -> visible to another connection, median */
  devMedianMs: 20,
} as const;


export interface Pair {
  psql: Summary | undefined;
  strata: Summary;
}

export interface Results {
  /** with the caches of earlier runs (the measured runs after the first) */
  up?: Pair;
  /** the same up with empty caches: every file read and hashed, every script parsed (one run) */
  upCold?: Summary;
  noopUp?: Summary;
  status?: Summary;
  /** wall and RSS of single starts; cpuMs replaced by the finer figure of nodeBaselineCpu */
  nodeBaseline?: Summary;
  down?: Pair;
  /** `down base --single-transaction`: one commit, what the per-revision commits cost by comparison */
  downSingle?: Summary;
  dev?: DevLatency;
}

export interface DevLatency {
  revisions: number;
  medianMs: number;
  p95Ms: number;
  output: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

export function fmtSeconds(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(3)} s`;
}

export function fmtSyncs(summary: Summary | undefined): string {
  if (summary?.walSyncs === undefined || summary.walSyncMs === undefined) return '';
  return `${Math.round(summary.walSyncs)} (${(summary.walSyncMs / 1000).toFixed(2)} s)`;
}

export function fmtMb(kb: number | undefined): string {
  return kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`;
}

export interface TargetResult {
  name: string;
  value: number | undefined;
  limit: number;
  unit: 'x' | 's' | 'MB' | 'ms';
  pass: boolean | undefined;
}

export function evaluateTargets(results: Results, n: number): TargetResult[] {
  const targets: TargetResult[] = [];
  const add = (name: string, value: number | undefined, limit: number, unit: TargetResult['unit']) =>
    targets.push({ name, value, limit, unit, pass: value === undefined || !Number.isFinite(value) ? undefined : value <= limit });
  const node = results.nodeBaseline;
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  if (results.noopUp) add(`no-op up (${n} applied): wall / node -e 0 wall`, ratio(results.noopUp.wallMs, node?.wallMs), TARGETS.noopToNode, 'x');
  if (results.status) add(`status (${n} applied): wall / node -e 0 wall`, ratio(results.status.wallMs, node?.wallMs), TARGETS.noopToNode, 'x');
  if (results.up) add(`up of ${n}: strata CPU / node -e 0 CPU (caches warm)`, ratio(results.up.strata.cpuMs, node?.cpuMs), TARGETS.upCpuToNode, 'x');
  if (results.upCold) add(`up of ${n}: strata CPU / node -e 0 CPU (caches empty)`, ratio(results.upCold.cpuMs, node?.cpuMs), TARGETS.upCpuToNode, 'x');
  if (results.down) add(`down base of ${n}: strata wall / psql -1 wall`, ratio(results.down.strata.wallMs, results.down.psql!.wallMs), TARGETS.downToPsql, 'x');
  const rss = [results.up?.strata, results.upCold, results.noopUp, results.status, results.down?.strata, results.downSingle].map((s) => s?.maxRssKb).filter((v): v is number => v !== undefined);
  if (rss.length > 0) add(`peak RSS of strata (any command above, ${n} revisions)`, Math.max(...rss) / 1024, TARGETS.peakRssMb, 'MB');
  if (results.dev) add(`strata dev, ${results.dev.revisions} revisions: save -> visible, median`, results.dev.medianMs, TARGETS.devMedianMs, 'ms');
  return targets;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd()).join('\n');
}

export function render(results: Results, targets: TargetResult[], machine: Machine, options: { n: number; runs: number }): string {
  const rows: string[][] = [['command', 'psql wall', 'strata wall', 'ratio', 'psql CPU', 'strata CPU', 'psql RSS', 'strata RSS', 'psql fsyncs', 'strata fsyncs']];
  const pairRow = (label: string, pair: Pair) => rows.push([
    label, fmtSeconds(pair.psql?.wallMs), fmtSeconds(pair.strata.wallMs),
    pair.psql ? `${(pair.strata.wallMs / pair.psql.wallMs).toFixed(2)}x` : '', fmtSeconds(pair.psql?.cpuMs), fmtSeconds(pair.strata.cpuMs),
    fmtMb(pair.psql?.maxRssKb), fmtMb(pair.strata.maxRssKb), fmtSyncs(pair.psql), fmtSyncs(pair.strata),
  ]);
  const singleRow = (label: string, summary: Summary) => rows.push([label, '', fmtSeconds(summary.wallMs), '', '', fmtSeconds(summary.cpuMs), '', fmtMb(summary.maxRssKb), '', '']);
  if (results.up) pairRow(`up ${options.n} from empty`, results.up);
  if (results.upCold) singleRow(`up ${options.n} from empty, caches empty (1 run)`, results.upCold);
  if (results.noopUp) singleRow(`up, nothing to do (${options.n} applied)`, results.noopUp);
  if (results.status) singleRow(`status (${options.n} applied)`, results.status);
  if (results.nodeBaseline) singleRow('node -e 0 (reference; CPU: mean of 10 starts)', results.nodeBaseline);
  if (results.down) pairRow(`down base of ${options.n}`, results.down);
  if (results.downSingle) rows.push([`down base of ${options.n}, --single-transaction`, '', fmtSeconds(results.downSingle.wallMs), results.down?.psql ? `${(results.downSingle.wallMs / results.down.psql.wallMs).toFixed(2)}x` : '', '', fmtSeconds(results.downSingle.cpuMs), '', fmtMb(results.downSingle.maxRssKb), '', fmtSyncs(results.downSingle)]);

  const targetRows: string[][] = [['target', 'measured', 'limit', 'result']];
  for (const t of targets) {
    const show = (v: number) => (t.unit === 'x' ? `${v.toFixed(2)}x` : t.unit === 's' ? `${v.toFixed(3)} s` : t.unit === 'ms' ? `${v.toFixed(1)} ms` : `${v.toFixed(1)} MB`);
    targetRows.push([t.name, t.value === undefined ? 'n/a' : show(t.value), `<= ${show(t.limit)}`, t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'MISS']);
  }
  return [
    `strata benchmark: N=${options.n} revisions, median of ${options.runs} interleaved runs (wall of the whole process; CPU = user+sys of that process only, not the server's)`,
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}; node ${machine.node}; PostgreSQL ${machine.postgres}; psql ${machine.psql}; load average at the start ${machine.loadAverage}, at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    '',
    table(rows),
    ...(results.dev ? ['', results.dev.output] : []),
    '',
    table(targetRows),
  ].join('\n');
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  psql: string;
  loadAverage: string;
}

/** This machine, with the server's and psql's versions as the run found them. */
export function machineOf(postgres: string, psql: string): Machine {
  const cpus = os.cpus();
  let cpuModel = cpus[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    psql,
    loadAverage: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}
