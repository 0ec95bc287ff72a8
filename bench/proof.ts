/**
 * strata dump and strata check at scale (`npm run bench:proof`, builds first), as a user runs them
 * (the built CLI, a whole process) against a throwaway cluster, the shadow a temporary database on
 * it. Targets (issue 10):
 *   - strata check of a 200-revision history: 0.15 s per revision
 *   - strata dump of a 500-table schema: 2 s
 * Each is measured beside what its own server work costs in the same run: psql running the same
 * SQL (for check: every revision's up, down and up again) on a new database, so the figures say
 * what strata adds to the server's own time, which no client can cut. Histories (bench/corpus.ts):
 *   - `tables`: one plain table per revision (identity key, foreign key, check, index; a view per
 *     ten), the 500-table schema of the snapshot target;
 *   - `executor`: the executor benchmark's revisions, which add a PL/pgSQL function and a trigger to
 *     each table (twice the objects, and the heavier server work).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { nodeStartMs, psqlOnNewDatabase, timedCli } from './cli-timing.js';
import { tableBodies, writeCorpus, type Corpus, type RevisionBodies } from './corpus.js';
import { median } from './measure.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);

interface Row { label: string; strata: number; floor: number; unit: number; unitName: string; targetMs: number }

function formatRow(r: Row, reference: number): string {
  const per = (ms: number) => (r.unit === 1 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / r.unit).toFixed(0)} ms ${r.unitName}`);
  const strataPer = r.strata / r.unit;
  const verdict = strataPer <= r.targetMs ? 'PASS' : 'MISS';
  return `| ${r.label} | ${per(r.strata)} | ${per(r.floor)} | ${per(r.strata - r.floor)} | ${(r.strata / r.floor).toFixed(2)}× | ${(strataPer / reference).toFixed(1)}× | ≤ ${r.unit === 1 ? `${r.targetMs / 1000} s` : `${r.targetMs} ms ${r.unitName}`}: ${verdict} |`;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-proof-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  const cluster = await startCluster(root);
  try {
    const env = { DATABASE_URL: cluster.url('postgres') };
    const reference = nodeStartMs();
    const rows: Row[] = [];
    const history = (name: string, count: number, bodies?: RevisionBodies): { dir: string; corpus: Corpus } => {
      const dir = path.join(root, name);
      return { dir, corpus: writeCorpus(dir, count, bodies) };
    };
    for (const [name, bodies] of [['tables', tableBodies], ['executor', undefined]] as const) {
      const small = history(`check-${name}`, 200, bodies);
      timedCli(['dump'], small.dir, env, /wrote schema\.sql/);
      const checks: number[] = [];
      const floors: number[] = [];
      for (let k = 0; k < runs; k++) {
        floors.push(psqlOnNewDatabase(cluster, small.corpus.roundTripAll));
        checks.push(timedCli(['check'], small.dir, env, /check passed/));
      }
      rows.push({ label: `check, 200 revisions (${name})`, strata: median(checks), floor: median(floors), unit: 200, unitName: 'per revision', targetMs: 150 });
      const big = history(`dump-${name}`, 500, bodies);
      const dumps: number[] = [];
      const dumpFloors: number[] = [];
      for (let k = 0; k < runs; k++) {
        dumpFloors.push(psqlOnNewDatabase(cluster, big.corpus.upAll));
        dumps.push(timedCli(['dump'], big.dir, env, /wrote schema\.sql/));
      }
      rows.push({ label: `dump, 500 tables (${name})`, strata: median(dumps), floor: median(dumpFloors), unit: 1, unitName: '', targetMs: 2000 });
    }
    console.log(`strata dump and check on PostgreSQL (throwaway cluster, temporary shadow databases), median of ${runs}; node -e 0: ${reference.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)}\n`);
    console.log('| command | strata | psql, the same SQL (server floor) | strata beyond the floor | × floor | × node -e 0 | target |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(formatRow(row, reference));
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
