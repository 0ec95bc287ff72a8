/**
 * `strata up --targets` on a fleet against psql doing the same work, on a throwaway cluster.
 * `npm run bench:fleet` (builds first), or
 *   node dist/bench/fleet.js [--dbs 200] [--revisions 20] [--parallel 8] [--runs 1]
 *
 * Each contender starts from the same 200 empty databases (dropped and made again from a template
 * outside the timed part) and brings every one to the head of the same 20-revision history (the
 * corpus of bench/run.ts: a table with a foreign key, an index, a PL/pgSQL function and a trigger
 * per revision):
 * - strata: `strata up --targets targets.txt --parallel 8` (each revision its own transaction,
 *   recorded in the tracking tables, under each database's advisory lock);
 * - psql, sequential: `for db in $(cat dbs.txt); do psql -1 -f up_all.sql -d "$db"; done`, as a user
 *   would write it (one transaction per database, no bookkeeping);
 * - psql, 8 at a time: `xargs -P 8` running the same psql command, for a fair fight with --parallel 8.
 * Wall time of the whole command and, with GNU time, its CPU (the command and its children: bash,
 * xargs and every psql; node for strata); the server's work is not counted in the CPU.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { findPgBinary, startCluster, type Cluster } from './cluster.js';
import { writeCorpus } from './corpus.js';
import { hasGnuTime, measure, summarize, type Sample } from './measure.js';

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cli.js');

const { values } = parseArgs({ options: {
  dbs: { type: 'string', default: '200' },
  revisions: { type: 'string', default: '20' },
  parallel: { type: 'string', default: '8' },
  runs: { type: 'string', default: '1' },
} });
const DBS = Number(values.dbs);
const REVISIONS = Number(values.revisions);
const PARALLEL = Number(values.parallel);
const RUNS = Number(values.runs);

const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-fleet-'));
chmodSync(root, 0o755);
let cluster: Cluster | undefined;
try {
  cluster = await startCluster(root);
  await main(cluster);
} finally {
  cluster?.stop();
  rmSync(root, { recursive: true, force: true });
}

async function main(c: Cluster): Promise<void> {
  const corpus = writeCorpus(root, REVISIONS);
  const names = Array.from({ length: DBS }, (_, i) => `fleet_${String(i + 1).padStart(4, '0')}`);
  writeFileSync(path.join(root, 'targets.txt'), names.map((name) => `${name}=${c.url(name)}`).join('\n'));
  writeFileSync(path.join(root, 'dbs.txt'), `${names.map((name) => c.url(name)).join('\n')}\n`);
  c.sql('postgres', 'create database fleet_template');
  const psql = findPgBinary('psql');
  const psqlCommand = `${psql} -X -q -1 -v ON_ERROR_STOP=1 -f ${corpus.upAll} -d`;
  const contenders: Array<{ name: string; command: string; args: string[] }> = [
    { name: `strata up --targets --parallel ${PARALLEL}`, command: process.execPath, args: [cliPath, 'up', '--targets', 'targets.txt', '--parallel', String(PARALLEL), '--quiet'] },
    { name: 'psql -1, a shell loop (sequential)', command: 'bash', args: ['-c', `set -e; for db in $(cat dbs.txt); do ${psqlCommand} "$db"; done`] },
    { name: `psql -1, xargs -P ${PARALLEL}`, command: 'bash', args: ['-c', `xargs -P ${PARALLEL} -n 1 ${psqlCommand} < dbs.txt`] },
  ];
  const useGnuTime = hasGnuTime();
  const samples = new Map<string, Sample[]>(contenders.map((k) => [k.name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const contender of contenders) {
      await resetFleet(c, names);
      const result = measure(contender.command, contender.args, { cwd: root, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, scratchDir: root, useGnuTime });
      if (result.status !== 0) throw new Error(`${contender.name} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
      checkAtHead(c, names, REVISIONS, contender.name.startsWith('strata'));
      samples.get(contender.name)!.push(result);
      console.error(`${contender.name}: ${Math.round(result.wallMs)} ms`);
    }
  }
  const summaries = contenders.map((k) => ({ name: k.name, summary: summarize(samples.get(k.name)!) }));
  const [strata, loop, xargs] = summaries.map((s) => s.summary);
  const width = Math.max(...summaries.map((s) => s.name.length));
  const cpu = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms)} ms`);
  console.log(`\nFleet: ${DBS} databases x ${REVISIONS} revisions, median of ${RUNS} (node ${process.version}, ${os.cpus().length} CPUs)`);
  console.log(`${'contender'.padEnd(width)}  ${'wall'.padStart(9)}  ${'CPU'.padStart(9)}`);
  for (const { name, summary } of summaries) console.log(`${name.padEnd(width)}  ${`${Math.round(summary.wallMs)} ms`.padStart(9)}  ${cpu(summary.cpuMs).padStart(9)}`);
  console.log(`strata / psql loop: ${(strata!.wallMs / loop!.wallMs).toFixed(2)}x wall; strata / psql xargs -P ${PARALLEL}: ${(strata!.wallMs / xargs!.wallMs).toFixed(2)}x wall`);
}

/** Every database of the fleet dropped and made again, empty, from the template (outside the timed part). */
async function resetFleet(c: Cluster, names: readonly string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: c.url('postgres') });
  await admin.connect();
  try {
    for (const name of names) {
      await admin.query(`drop database if exists ${name}`);
      await admin.query(`create database ${name} template fleet_template`);
    }
    await admin.query('checkpoint');
  } finally {
    await admin.end();
  }
}

/** A run that did not bring every database to head is no figure. */
function checkAtHead(c: Cluster, names: readonly string[], revisions: number, isStrata: boolean): void {
  for (const name of [names[0]!, names[Math.floor(names.length / 2)]!, names.at(-1)!]) {
    const tables = Number(c.sql(name, "select count(*) from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace").trim());
    const recorded = isStrata ? Number(c.sql(name, 'select count(*) from strata.revisions').trim()) : revisions;
    if (tables !== revisions || recorded !== revisions) throw new Error(`${name}: ${tables} tables, ${recorded} recorded; expected ${revisions}`);
  }
}
