/**
 * The declarative commands at scale (`npm run bench:declare`, builds first), as a user runs them
 * (the built CLI, a whole process) against a throwaway cluster, the shadows temporary databases on
 * it, on the two 500-revision histories of bench/corpus.ts (`tables`: a table with a foreign key to
 * the one before, a check, an index, a view every tenth; `executor`: a table with a foreign key, an
 * index, a PL/pgSQL function and a trigger): schema.sql dumped, then one column declared on a table
 * in the middle of the chain (so the proof seeds it and the table it references).
 *   - strata new --from-schema (generate and prove a revision): target 3 s
 *   - strata diff (generate only), for comparison
 * Beside each: what its server work costs alone, psql running schema.sql and the history (each in
 * one transaction on a new database, one after the other), which strata does at once on two shadows.
 * `--runs N` (3), `--tables N` (500).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { nodeStartMs, psqlOnNewDatabase, timedCli } from './cli-timing.js';
import { tableBodies, writeCorpus, type RevisionBodies } from './corpus.js';
import { median } from './measure.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, tables: { type: 'string', default: '500' } } });
const runs = Number(values.runs);
const tables = Number(values.tables);

/**
 * Where the throwaway clusters live: the temporary folder (on this machine's disk), and beside it
 * a tmpfs when there is one (a server whose file system is not the bottleneck): the same run
 * measures both, each beside its own psql floor.
 */
function clusterHomes(): Array<{ label: string; dir: string }> {
  const homes = [{ label: fileSystemOf(os.tmpdir()), dir: os.tmpdir() }];
  const shm = '/dev/shm';
  if (os.tmpdir() !== shm && existsSync(shm) && fileSystemOf(shm) === 'tmpfs' && homes[0]!.label !== 'tmpfs') homes.push({ label: 'tmpfs', dir: shm });
  return homes;
}

/** The type of the file system `dir` is on (Linux: from /proc/mounts, the longest mount point that holds it). */
function fileSystemOf(dir: string): string {
  try {
    const real = realpathSync(dir);
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')).filter((f) => f.length > 2);
    const holding = mounts.filter(([, point]) => real === point || real.startsWith(point === '/' ? '/' : `${point}/`));
    return holding.sort((a, b) => b[1]!.length - a[1]!.length)[0]?.[2] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function measureOn(home: { label: string; dir: string }, reference: number, rows: string[]): Promise<void> {
  const root = mkdtempSync(path.join(home.dir, 'strata-bench-declare-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  const cluster = await startCluster(root);
  try {
    const env = { DATABASE_URL: cluster.url('postgres') };
    for (const [name, bodies] of [['tables', tableBodies], ['executor', undefined]] as Array<[string, RevisionBodies | undefined]>) {
      const project = path.join(root, name);
      const corpus = writeCorpus(project, tables, bodies);
      timedCli(['dump'], project, env, /wrote schema\.sql/);
      const schemaFile = path.join(project, 'schema.sql');
      const middle = `public.t${String(Math.ceil(tables / 2)).padStart(5, '0')}`;
      const dumped = readFileSync(schemaFile, 'utf8');
      const end = dumped.indexOf('\n);', dumped.indexOf(`create table ${middle} (`));
      const declared = `${dumped.slice(0, end)},\n    note text${dumped.slice(end)}`;
      writeFileSync(schemaFile, declared);
      const floors = Array.from({ length: runs }, () => psqlOnNewDatabase(cluster, schemaFile) + psqlOnNewDatabase(cluster, corpus.upAll));
      const diffs = Array.from({ length: runs }, () => timedCli(['diff'], project, env, /add column note text/));
      const news = Array.from({ length: runs }, () => {
        const elapsed = timedCli(['new', 'add note', '--from-schema'], project, env, /proven on the shadow/);
        // back to where it started: the revision removed, schema.sql as declared
        for (const folder of readdirSync(corpus.migrationsDir)) if (!corpus.ids.includes(folder)) rmSync(path.join(corpus.migrationsDir, folder), { recursive: true });
        writeFileSync(schemaFile, declared);
        return elapsed;
      });
      const floor = median(floors);
      const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const row = (label: string, ms: number, target: string) => `| ${label} (${name}) | ${home.label} | ${seconds(ms)} | ${seconds(floor)} | ${(ms / floor).toFixed(2)}× | ${(ms / reference).toFixed(1)}× | ${target} |`;
      const generated = median(news);
      const verdict = generated <= 3000 ? 'PASS' : floor > 3000 ? 'MISS (the server alone needs more)' : 'MISS';
      rows.push(row('new --from-schema: generate and prove', generated, `≤ 3 s: ${verdict}`));
      rows.push(row('diff: generate only', median(diffs), ''));
    }
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const reference = nodeStartMs();
  const rows: string[] = [];
  const homes = clusterHomes();
  for (const home of homes) await measureOn(home, reference, rows);
  console.log(`strata diff and strata new --from-schema on PostgreSQL (a throwaway cluster on each of: ${homes.map((h) => `${h.dir} (${h.label})`).join(', ')}; temporary shadow databases), ${tables}-revision histories, a column declared in the middle, median of ${runs}; node -e 0: ${reference.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)}\n`);
  console.log('| command | cluster on | strata | psql: schema.sql, then the history (server floor) | × floor | × node -e 0 | target |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

await main();
