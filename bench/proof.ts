/**
 * strata dump and strata check at scale (`npm run bench:proof`, builds first), as a user runs them
 * (the built CLI, a whole process) against a throwaway cluster, the shadow a temporary database on
 * it: the benchmark history of bench/corpus.ts (a table with a foreign key, an index, a PL/pgSQL
 * function and a trigger per revision).
 *   - strata check of a 200-revision history: target 0.15 s per revision
 *   - strata dump of a 500-table history: target 2 s
 * Each figure is also given as a ratio to `node -e 0` measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { writeCorpus } from './corpus.js';
import { median } from './measure.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cli.js');

function timed(args: string[], cwd: string, env: Record<string, string>, expect: RegExp): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0 || !expect.test(result.stdout)) throw new Error(`strata ${args.join(' ')}: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return elapsed;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-proof-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  const cluster = await startCluster(root);
  try {
    const env = { DATABASE_URL: cluster.url('postgres') };
    const reference = median(Array.from({ length: 5 }, () => {
      const started = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - started;
    }));
    const small = path.join(root, 'check-200');
    writeCorpus(small, 200);
    timed(['dump'], small, env, /wrote schema\.sql/);
    const checks = Array.from({ length: runs }, () => timed(['check'], small, env, /check passed/));
    const big = path.join(root, 'dump-500');
    writeCorpus(big, 500);
    const dumps = Array.from({ length: runs }, () => timed(['dump'], big, env, /wrote schema\.sql/));
    const perRevision = median(checks) / 200;
    console.log(`strata dump and check on PostgreSQL (throwaway cluster, temporary shadow databases), median of ${runs}; node -e 0: ${reference.toFixed(0)} ms\n`);
    console.log('| command | wall | × node -e 0 | target |');
    console.log('|---|---|---|---|');
    console.log(`| check, 200 revisions | ${(median(checks) / 1000).toFixed(2)} s (${perRevision.toFixed(0)} ms per revision) | ${(perRevision / reference).toFixed(1)}× per revision | ≤ 150 ms per revision (3×): ${perRevision <= 150 ? 'PASS' : 'MISS'} |`);
    console.log(`| dump, 500 tables | ${(median(dumps) / 1000).toFixed(2)} s | ${(median(dumps) / reference).toFixed(1)}× | ≤ 2 s (40×): ${median(dumps) <= 2000 ? 'PASS' : 'MISS'} |`);
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
