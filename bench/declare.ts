/**
 * The declarative commands at scale (`npm run bench:declare`, builds first), as a user runs them
 * (the built CLI, a whole process) against a throwaway cluster, the shadows temporary databases on
 * it: the 500-table history of bench/corpus.ts (each table with a foreign key to the one before,
 * an index, a PL/pgSQL function and a trigger), its schema.sql dumped, then one column declared
 * on a table in the middle of the chain (so the proof seeds it and the table it references).
 *   - strata new --from-schema (generate and prove a revision): target 3 s
 *   - strata diff (generate only), for comparison
 * Each figure is also given as a ratio to `node -e 0` measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { writeCorpus } from './corpus.js';
import { median } from './measure.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, tables: { type: 'string', default: '500' } } });
const runs = Number(values.runs);
const tables = Number(values.tables);
const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'cli.js');

function timed(args: string[], cwd: string, env: Record<string, string>, expect: RegExp): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0 || !expect.test(result.stdout)) throw new Error(`strata ${args.join(' ')}: exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return elapsed;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-declare-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  const cluster = await startCluster(root);
  try {
    const env = { DATABASE_URL: cluster.url('postgres') };
    const reference = median(Array.from({ length: 5 }, () => {
      const started = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - started;
    }));
    const project = path.join(root, `declare-${tables}`);
    const { ids } = writeCorpus(project, tables);
    timed(['dump'], project, env, /wrote schema\.sql/);
    const schemaFile = path.join(project, 'schema.sql');
    const middle = `public.t${String(Math.ceil(tables / 2)).padStart(5, '0')}`;
    const dumped = readFileSync(schemaFile, 'utf8');
    const end = dumped.indexOf('\n);', dumped.indexOf(`create table ${middle} (`));
    const declared = `${dumped.slice(0, end)},\n    note text${dumped.slice(end)}`;
    writeFileSync(schemaFile, declared);
    const diffs = Array.from({ length: runs }, () => timed(['diff'], project, env, /add column note text/));
    const news = Array.from({ length: runs }, () => {
      const elapsed = timed(['new', 'add note', '--from-schema'], project, env, /proven on the shadow/);
      // back to where it started: the revision removed, schema.sql as declared
      for (const name of readdirSync(path.join(project, 'migrations'))) if (!ids.includes(name)) rmSync(path.join(project, 'migrations', name), { recursive: true });
      writeFileSync(schemaFile, declared);
      return elapsed;
    });
    console.log(`strata diff and strata new --from-schema on PostgreSQL (throwaway cluster, temporary shadow databases), ${tables} tables, a column declared on ${middle}, median of ${runs}; node -e 0: ${reference.toFixed(0)} ms\n`);
    console.log('| command | wall | × node -e 0 | target |');
    console.log('|---|---|---|---|');
    console.log(`| new --from-schema (generate and prove) | ${(median(news) / 1000).toFixed(2)} s | ${(median(news) / reference).toFixed(1)}× | ≤ 3 s: ${median(news) <= 3000 ? 'PASS' : 'MISS'} |`);
    console.log(`| diff (generate only) | ${(median(diffs) / 1000).toFixed(2)} s | ${(median(diffs) / reference).toFixed(1)}× | |`);
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
