import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * One whole-process run: wall time measured here around the spawn; CPU time (user + sys) and
 * peak RSS of that process alone, as the kernel accounted them at exit (wait4 rusage, read out
 * by GNU time, which prints CPU seconds with two decimals: 10 ms resolution). Children of the
 * process count too (psql and node have none here); the server's work does not.
 */
export interface Sample {
  wallMs: number;
  /** user + sys; undefined without GNU time */
  cpuMs: number | undefined;
  userMs: number | undefined;
  sysMs: number | undefined;
  maxRssKb: number | undefined;
  /** WAL flushes (fsync/fdatasync) the server did during the run, and the time they took (pg_stat_wal) */
  walSyncs?: number;
  walSyncMs?: number;
}

export interface RunOutput extends Sample {
  status: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

export function hasGnuTime(): boolean {
  if (!existsSync(GNU_TIME)) return false;
  const probe = spawnSync(GNU_TIME, ['-f', '%U', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+\.\d+\s*$/.test(probe.stderr);
}

export function measure(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; scratchDir: string; useGnuTime: boolean },
): RunOutput {
  const timeFile = path.join(options.scratchDir, 'rusage.txt');
  rmSync(timeFile, { force: true });
  const [file, argv] = options.useGnuTime
    ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args]]
    : [command, [...args]];
  const started = process.hrtime.bigint();
  const result = spawnSync(file, argv, { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  let userMs: number | undefined;
  let sysMs: number | undefined;
  let maxRssKb: number | undefined;
  if (options.useGnuTime && existsSync(timeFile)) {
    // GNU time may write "Command exited with non-zero status N" before the format line
    const line = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
    const [user, sys, rss] = line.split(/\s+/).map(Number);
    if (user !== undefined && sys !== undefined && rss !== undefined && [user, sys, rss].every(Number.isFinite)) {
      userMs = user * 1000;
      sysMs = sys * 1000;
      maxRssKb = rss;
    }
  }
  return {
    wallMs,
    userMs,
    sysMs,
    cpuMs: userMs !== undefined && sysMs !== undefined ? userMs + sysMs : undefined,
    maxRssKb,
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Summary {
  samples: Sample[];
  wallMs: number;
  cpuMs: number | undefined;
  userMs: number | undefined;
  sysMs: number | undefined;
  /** the largest of the runs */
  maxRssKb: number | undefined;
  wallMinMs: number;
  wallMaxMs: number;
  walSyncs: number | undefined;
  walSyncMs: number | undefined;
}

export function summarize(samples: readonly Sample[]): Summary {
  const defined = (pick: (s: Sample) => number | undefined) => {
    const values = samples.map(pick).filter((v): v is number => v !== undefined);
    return values.length === samples.length ? values : undefined;
  };
  const walls = samples.map((s) => s.wallMs);
  const cpu = defined((s) => s.cpuMs);
  const user = defined((s) => s.userMs);
  const sys = defined((s) => s.sysMs);
  const rss = defined((s) => s.maxRssKb);
  const walSyncs = defined((s) => s.walSyncs);
  const walSyncMs = defined((s) => s.walSyncMs);
  return {
    samples: [...samples],
    wallMs: median(walls),
    cpuMs: cpu && median(cpu),
    userMs: user && median(user),
    sysMs: sys && median(sys),
    maxRssKb: rss && Math.max(...rss),
    wallMinMs: Math.min(...walls),
    wallMaxMs: Math.max(...walls),
    walSyncs: walSyncs && median(walSyncs),
    walSyncMs: walSyncMs && median(walSyncMs),
  };
}
