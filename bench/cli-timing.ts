import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgBinary, type Cluster } from './cluster.js';
import { median } from './measure.js';

/**
 * Wall-clock timings of whole processes for the proof and declare benchmarks: the built CLI, psql
 * on a new database (the server's floor), and `node -e 0` (the reference every ratio is taken to).
 */
const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cli.js');

/** `strata <args>` in `cwd`; throws unless it exits 0 with `expect` on stdout (a run that did not do its job is no figure). */
export function timedCli(args: string[], cwd: string, env: Record<string, string>, expect: RegExp): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0 || !expect.test(result.stdout)) throw new Error(`strata ${args.join(' ')}: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return elapsed;
}

/** psql running `file` in one transaction on a new database (made and dropped outside the time). */
export function psqlOnNewDatabase(cluster: Cluster, file: string): number {
  cluster.sql('postgres', 'drop database if exists psql_floor');
  cluster.sql('postgres', 'create database psql_floor');
  const started = performance.now();
  const result = spawnSync(findPgBinary('psql'), ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', cluster.url('psql_floor'), '-f', file], { encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`psql -f ${file}: ${result.stderr}`);
  cluster.sql('postgres', 'drop database psql_floor');
  return elapsed;
}

/** The median wall time of `node -e 0` over `runs` runs. */
export function nodeStartMs(runs = 5): number {
  return median(Array.from({ length: runs }, () => {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - started;
  }));
}
