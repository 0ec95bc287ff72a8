/**
 * strata squash at scale (`npm run bench:squash`, builds first): a 300-revision history (the
 * executor corpus: a table with a foreign key, an index, a PL/pgSQL function and a trigger per
 * revision) squashed into one revision, as a user runs it (the built CLI, a whole process) against
 * a throwaway cluster, the shadows temporary databases on it. Target (issue: releases): the proof
 * (strata squash, which applies the range on one shadow and the squashed revision up and down on
 * another) and `strata up` of the squashed revision on a new database each within 3x the time of
 * applying the range (`strata up` of the 300 revisions on a new database), measured in the same run.
 *   node dist/bench/squash.js [--revisions 300] [--runs 3]
 */
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, type Cluster } from './cluster.js';
import { nodeStartMs, timedCli } from './cli-timing.js';
import { writeCorpus } from './corpus.js';
import { median } from './measure.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, revisions: { type: 'string', default: '300' } } });
const runs = Number(values.runs);
const count = Number(values.revisions);
const TARGET_RATIO = 3;

/** `strata up` in `project` on a database of its own, made and dropped outside the time. */
function upOnNewDatabase(cluster: Cluster, project: string): number {
  cluster.sql('postgres', 'drop database if exists squash_target');
  cluster.sql('postgres', 'create database squash_target');
  const elapsed = timedCli(['up'], project, { DATABASE_URL: cluster.url('squash_target') }, /applied in/);
  cluster.sql('postgres', 'drop database squash_target');
  return elapsed;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-squash-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  const cluster = await startCluster(root);
  try {
    const reference = nodeStartMs();
    const history = path.join(root, 'history');
    const corpus = writeCorpus(history, count);
    const env = { DATABASE_URL: cluster.url('postgres') };
    const range = `${corpus.ids[0]}..${corpus.ids.at(-1)}`;
    const applyRange: number[] = [];
    const squash: number[] = [];
    const upSquashed: number[] = [];
    for (let run = 0; run < runs; run++) {
      applyRange.push(upOnNewDatabase(cluster, history));
      const project = path.join(root, `squashed-${run}`);
      cpSync(history, project, { recursive: true });
      squash.push(timedCli(['squash', range, '-m', 'release', '--delete-replaced'], project, env, /proven on the shadow/));
      if (readdirSync(path.join(project, 'migrations')).length !== 1) throw new Error('the squashed history should hold one revision');
      upSquashed.push(upOnNewDatabase(cluster, project));
      rmSync(project, { recursive: true, force: true });
    }
    const floor = median(applyRange);
    const row = (label: string, ms: number, target: string) => `| ${label} | ${(ms / 1000).toFixed(2)} s | ${(ms / floor).toFixed(2)}× | ${(ms / reference).toFixed(1)}× | ${target} |`;
    const judged = (ms: number) => `≤ ${TARGET_RATIO}× applying the range: ${ms / floor <= TARGET_RATIO ? 'PASS' : 'MISS'}`;
    console.log(`strata squash on PostgreSQL (throwaway cluster, temporary shadow databases), a ${count}-revision history squashed into one, median of ${runs}; node -e 0: ${reference.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)}\n`);
    console.log('| command | time | × applying the range | × node -e 0 | target |');
    console.log('|---|---|---|---|---|');
    console.log(row(`strata up of the ${count} revisions (applying the range)`, floor, ''));
    console.log(row('strata squash: write and prove the squashed revision', median(squash), judged(median(squash))));
    console.log(row('strata up of the squashed revision on a new database', median(upSquashed), judged(median(upSquashed))));
  } finally {
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
