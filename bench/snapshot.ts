/**
 * Schema snapshots (`npm run bench:snapshot`, builds first): the time to read a schema into a
 * snapshot (takeSnapshot: one statement in one read-only transaction) and to write it as
 * schema.sql, on a throwaway cluster, for
 *   - a 500-table schema (each table: a primary key, a foreign key to the one before, an index, a
 *     check constraint; a view per ten tables), target 0.3 s
 *   - a catalog of ~12,000 objects (750 tables with five columns, keys, an index, a comment and a
 *     trigger each, and their trigger functions), target 0.45 s; and the same with 1000 tables
 *     (~16,000 objects), no target
 * Each figure is also given as a ratio to `node -e 0` measured in the same run (the targets as
 * ratios assume 50 ms for it). Median of --runs (default 7). --families: where each snapshot's
 * time goes, each catalog family read alone (its SQL and its read in node) beyond the reads every
 * snapshot makes (pg_depend, comments, kinds not modelled).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectPostgres } from '../src/db/pg-database.js';
import type { CatalogFamily } from '../src/schema/introspect/catalog-family.js';
import { CATALOG_FAMILIES } from '../src/schema/introspect/families.js';
import { takeSnapshot } from '../src/schema/introspect/take-snapshot.js';
import { renderSchema } from '../src/schema/model/render.js';
import { startCluster } from './cluster.js';
import { median } from './measure.js';
import { nodeStartMs } from './cli-timing.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, families: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const REFERENCE_NODE_MS = 50;

function schemaOf(tables: number, { columns = 2, comments = false, triggers = false, views = true } = {}): string[] {
  const batches: string[] = [];
  let batch = '';
  for (let i = 1; i <= tables; i++) {
    const extra = Array.from({ length: columns }, (_, c) => `, c${c} text${c === 0 ? ' not null' : ''}`).join('');
    batch += `create table t${i} (id bigint generated always as identity primary key${i > 1 ? `, prev bigint references t${i - 1} (id)` : ''}${extra}, amount numeric(12,2) check (amount >= 0));\n`;
    batch += `create index t${i}_c0 on t${i} (c0);\n`;
    if (comments) batch += `comment on table t${i} is 'table ${i}';\n`;
    if (triggers) batch += `create function t${i}_touch() returns trigger language plpgsql as $$ begin return new; end $$;\ncreate trigger touch before update on t${i} for each row execute function t${i}_touch();\n`;
    if (views && i % 10 === 0) batch += `create view v${i} as select id, c0 from t${i};\n`;
    if (i % 100 === 0) {
      batches.push(batch);
      batch = '';
    }
  }
  if (batch) batches.push(batch);
  return batches;
}

async function measureSnapshot(url: string): Promise<{ snapshotMs: number; renderMs: number; objects: number; families: string[] }> {
  const db = await connectPostgres(url);
  try {
    const options = { excludedSchemas: ['strata'], privileges: false, serverVersionNum: db.serverVersionNum };
    await takeSnapshot(db, options); // warm the server's caches
    const families: string[] = [];
    if (values.families) {
      const medianOf = async (family: CatalogFamily[]) => {
        const times: number[] = [];
        for (let k = 0; k < runs; k++) {
          const started = performance.now();
          await takeSnapshot(db, options, family);
          times.push(performance.now() - started);
        }
        return median(times);
      };
      const shared = await medianOf([]);
      families.push(`pg_depend, comments, not modelled: ${shared.toFixed(0)} ms`);
      for (const family of CATALOG_FAMILIES) families.push(`${family.name}: ${((await medianOf([family])) - shared).toFixed(0)} ms`);
    }
    const times: number[] = [];
    const renders: number[] = [];
    let objects = 0;
    for (let k = 0; k < runs; k++) {
      const started = performance.now();
      const snapshot = await takeSnapshot(db, options);
      times.push(performance.now() - started);
      const renderStarted = performance.now();
      renderSchema(snapshot, { head: null });
      renders.push(performance.now() - renderStarted);
      objects = snapshot.objects.length;
    }
    return { snapshotMs: median(times), renderMs: median(renders), objects, families };
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-bench-snapshot-'));
  chmodSync(root, 0o755); // the postgres user (when we are root) must reach its data folder inside
  const cluster = await startCluster(root);
  try {
    const cases = [
      { name: '500 tables', database: 'five_hundred', batches: schemaOf(500), targetMs: 300 },
      { name: '750 tables (~12,000 objects)', database: 'twelve_thousand', batches: schemaOf(750, { columns: 5, comments: true, triggers: true, views: false }), targetMs: 450 },
      { name: '1000 tables (~16,000 objects)', database: 'sixteen_thousand', batches: schemaOf(1000, { columns: 5, comments: true, triggers: true, views: false }), targetMs: undefined },
    ];
    const reference = nodeStartMs(runs);
    const load = os.loadavg().map((n) => n.toFixed(1)).join(' ');
    console.log(`schema snapshots on PostgreSQL (throwaway cluster), median of ${runs}; node -e 0: ${reference.toFixed(0)} ms; ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load ${load}\n`);
    console.log('| schema | objects | snapshot | × node -e 0 | target | schema.sql render |');
    console.log('|---|---|---|---|---|---|');
    const profiles: string[] = [];
    for (const c of cases) {
      cluster.sql('postgres', `create database ${c.database}`);
      for (const batch of c.batches) cluster.sql(c.database, batch);
      const result = await measureSnapshot(cluster.url(c.database));
      const ratio = result.snapshotMs / reference;
      const target = c.targetMs === undefined ? 'none' : `≤ ${c.targetMs} ms (${c.targetMs / REFERENCE_NODE_MS}×): ${result.snapshotMs <= c.targetMs ? 'PASS' : 'MISS'}`;
      console.log(`| ${c.name} | ${result.objects} | ${result.snapshotMs.toFixed(0)} ms | ${ratio.toFixed(1)}× | ${target} | ${result.renderMs.toFixed(0)} ms |`);
      profiles.push(...(result.families.length > 0 ? [`${c.name}: ${result.families.join(', ')}`] : []));
    }
    if (profiles.length > 0) console.log(`\neach family read alone, beyond the reads every snapshot makes (median of ${runs}):\n${profiles.join('\n')}`);
  } finally {
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
