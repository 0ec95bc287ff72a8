/**
 * The declarative generator on transitions nobody here wrote: for each case of the pg-delta corpus
 * and each direction (A->B, B->A), X and Y are loaded into empty databases and snapshot, the
 * revision from X to Y is planned, its up.sql is applied to X (seeded with the case's rows), which
 * must then have exactly Y's snapshot, and its down.sql must bring back exactly X's. A direction
 * is proven, refused by name, or wrong (a generated revision that fails or leaves another schema).
 *   node dist/bench/declare-conformance.js [--filter <regex>] [--privileges] [--workers 1|2] [--verbose]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectPostgres } from '../src/db/pg-database.js';
import { planMigration, renderMigration } from '../src/declare/plan-migration.js';
import { takeSnapshot } from '../src/schema/introspect/take-snapshot.js';
import type { Snapshot } from '../src/schema/model/snapshot.js';
import { snapshotDifferences } from './conformance-census.js';
import { createDatabase, databaseUrl, dropDatabase, dropOwnedBy, dropRoles, existingRoles, pristineCensus, resetDatabase, runPsql, withClient } from './conformance-state.js';
import { categoryOf, readMeta, rolesCreatedBy, whyNotRun } from './conformance-tally.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
type Outcome = 'proven' | 'refused' | 'wrong' | 'not loadable' | 'not run';
interface Direction { folder: string; category: string; from: string; to: string; seed: string | undefined; name: string; notRun: string | undefined }
interface Result { direction: Direction; outcome: Outcome; detail: string; up?: string; down?: string }

const { values } = parseArgs({ options: {
  corpus: { type: 'string', default: path.join(repoRoot, '..', 'shared', 'conformance', 'pg-delta') },
  filter: { type: 'string' }, privileges: { type: 'boolean', default: false }, workers: { type: 'string', default: '2' }, verbose: { type: 'boolean', default: false },
} });
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TIMEOUT = 30_000;

function readDirections(serverMajor: number): Direction[] {
  const corpus = values.corpus!;
  const filter = values.filter ? new RegExp(values.filter) : undefined;
  const folders = readdirSync(corpus, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(path.join(corpus, e.name, 'a.sql'))).map((e) => e.name).filter((n) => !filter || filter.test(n)).sort();
  const read = (folder: string, file: string) => (existsSync(path.join(corpus, folder, file)) ? readFileSync(path.join(corpus, folder, file), 'utf8') : undefined);
  return folders.flatMap((folder) => {
    const notRun = whyNotRun(readMeta(read(folder, 'meta.json')), serverMajor);
    const [a, b] = [read(folder, 'a.sql')!, read(folder, 'b.sql')!];
    const category = categoryOf(folder);
    return [
      { folder, category, from: a, to: b, seed: read(folder, 'seed.sql'), name: `${folder} a->b`, notRun },
      { folder, category, from: b, to: a, seed: read(folder, 'seed-b.sql'), name: `${folder} b->a`, notRun },
    ];
  });
}

async function snapshotOf(url: string): Promise<Snapshot> {
  const db = await connectPostgres(url, 'strata-conformance');
  try {
    return await takeSnapshot(db, { excludedSchemas: ['strata'], privileges: values.privileges!, serverVersionNum: db.serverVersionNum });
  } finally {
    await db.close();
  }
}

async function judge(direction: Direction, [fromDb, toDb]: [string, string]): Promise<Omit<Result, 'direction'>> {
  const [fromUrl, toUrl] = [databaseUrl(adminUrl, fromDb), databaseUrl(adminUrl, toDb)];
  const loadError = (await runPsql(toUrl, direction.to, TIMEOUT)) ?? (await runPsql(fromUrl, direction.from, TIMEOUT));
  if (loadError) return { outcome: 'not loadable', detail: loadError };
  const [current, desired] = [await snapshotOf(fromUrl), await snapshotOf(toUrl)];
  const plan = planMigration(current, desired);
  if (!plan.ok) return { outcome: 'refused', detail: plan.refused.map((r) => `${r.kind}: ${r.reason}`).join('; ') };
  const [up, down] = [renderMigration(plan.up), renderMigration(plan.down)];
  const script = (body: string, mode: 'on' | 'off') => (mode === 'on' ? `begin;\n${body}\ncommit;\n` : body);
  if (direction.seed) {
    const seeded = await runPsql(fromUrl, direction.seed, TIMEOUT);
    if (seeded) return { outcome: 'not loadable', detail: `seed: ${seeded}` };
  }
  const upError = await runPsql(fromUrl, script(up, plan.transaction), TIMEOUT);
  if (upError) return { outcome: 'wrong', detail: `up.sql fails: ${upError}`, up, down };
  const reached = snapshotDifferences(await snapshotOf(fromUrl), desired, 3);
  if (reached.length > 0) return { outcome: 'wrong', detail: `after up.sql: ${reached.join(' | ')}`, up, down };
  const downError = await runPsql(fromUrl, script(down, plan.downTransaction), TIMEOUT);
  if (downError) return { outcome: 'wrong', detail: `down.sql fails: ${downError}`, up, down };
  const back = snapshotDifferences(await snapshotOf(fromUrl), current, 3);
  if (back.length > 0) return { outcome: 'wrong', detail: `after down.sql: ${back.join(' | ')}`, up, down };
  // what the snapshot does not model is not compared: a direction that touches it is not proven, only named
  if (plan.notCompared.length > 0) return { outcome: 'refused', detail: `not compared (not modelled): ${plan.notCompared.map((u) => `${u.kind} ${u.identity}`).join(', ')}` };
  return { outcome: 'proven', detail: `${plan.up.length} + ${plan.down.length} statements`, up, down };
}

async function main(): Promise<void> {
  const serverMajor = await withClient(adminUrl, async (c) => Math.floor(Number((await c.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]!.v) / 10000));
  const directions = readDirections(serverMajor);
  const results: Result[] = directions.filter((d) => d.notRun).map((d) => ({ direction: d, outcome: 'not run', detail: d.notRun! }));
  const queue = directions.filter((d) => !d.notRun);
  let tail: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => {});
    return run;
  };
  const started = performance.now();
  const worker = async (index: number) => {
    const databases: [string, string] = [`strata_declare_conf_${process.pid}_${index}_from`, `strata_declare_conf_${process.pid}_${index}_to`];
    const pristine = await pristineCensus(adminUrl, databases[0]);
    await createDatabase(adminUrl, databases[1]);
    const reset = async () => { for (const name of databases) await resetDatabase(adminUrl, name, pristine); };
    try {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const direction = d;
        const roles = [...new Set([...rolesCreatedBy(direction.from), ...rolesCreatedBy(direction.to)])];
        const attempt = () => judge(direction, databases).catch((error: Error) => ({ outcome: 'wrong' as const, detail: `the runner failed: ${error.message}` }));
        const verdict = roles.length === 0 ? await attempt().finally(reset) : await oneAtATime(async () => {
          const before = await existingRoles(adminUrl, roles);
          try {
            return await attempt();
          } finally {
            const fresh = roles.filter((r) => !before.has(r));
            await dropOwnedBy(adminUrl, databases, fresh);
            await reset();
            await dropRoles(adminUrl, fresh).catch(() => {});
          }
        });
        results.push({ direction, ...verdict });
        if (process.stderr.isTTY) process.stderr.write(`\r${results.length}/${directions.length} `);
      }
    } finally {
      for (const name of databases) await dropDatabase(adminUrl, name).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: Number(values.workers) }, (_, k) => worker(k)));
  report(results, (performance.now() - started) / 1000);
}

function report(results: Result[], seconds: number): void {
  const categories = new Map<string, Record<Outcome, number>>();
  const empty = (): Record<Outcome, number> => ({ proven: 0, refused: 0, wrong: 0, 'not loadable': 0, 'not run': 0 });
  const total = empty();
  for (const r of results) {
    const row = categories.get(r.direction.category) ?? categories.set(r.direction.category, empty()).get(r.direction.category)!;
    row[r.outcome]++;
    total[r.outcome]++;
  }
  console.log(`${'category'.padEnd(40)} proven refused wrong not-loadable not-run`);
  for (const [category, row] of [...categories].sort()) console.log(`${category.padEnd(40)} ${String(row.proven).padStart(6)} ${String(row.refused).padStart(7)} ${String(row.wrong).padStart(5)} ${String(row['not loadable']).padStart(12)} ${String(row['not run']).padStart(7)}`);
  const ran = total.proven + total.refused + total.wrong;
  console.log(`\nproven ${total.proven} of ${ran} directions that load (${((100 * total.proven) / Math.max(ran, 1)).toFixed(1)} %), refused ${total.refused}, wrong ${total.wrong}; not loadable ${total['not loadable']}, not run ${total['not run']}; ${seconds.toFixed(0)} s`);
  for (const r of results.filter((x) => x.outcome === 'wrong')) {
    console.log(`\nWRONG ${r.direction.name}: ${r.detail}`);
    if (values.verbose && r.up !== undefined) console.log(`--- up.sql\n${r.up}--- down.sql\n${r.down}`);
  }
  for (const r of results.filter((x) => x.outcome === 'refused')) console.log(`REFUSED ${r.direction.name}: ${r.detail.slice(0, 300)}`);
}

main().catch((error: Error) => {
  console.error(`declare conformance: ${error.message}`);
  process.exitCode = 1;
});
