import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planMigration, renderMigration, type GeneratedStatement, type MigrationPlan, type RenameHint } from '../../src/declare/plan-migration.js';
import type { Snapshot } from '../../src/schema/model/snapshot.js';
import { createTestDatabase, type TestDatabase } from './harness.js';
import { emptyDatabase, loadSql, snapshotOf } from './schema-roundtrip.js';

/**
 * The declarative generator's proof on PostgreSQL, one transition at a time: the current schema
 * and the desired one are each loaded into an empty database and snapshot; the plan's up.sql is
 * applied to the database holding the current schema (seeded rows in it), which must then have
 * exactly the desired snapshot, with no table rewritten that the plan does not say it rewrites;
 * its down.sql must bring back exactly the current snapshot.
 */
export interface DeclareDatabases {
  work: TestDatabase;
  target: TestDatabase;
  drop(): Promise<void>;
}

export async function declareDatabases(prefix: string): Promise<DeclareDatabases | undefined> {
  const work = await createTestDatabase(`${prefix}_w`);
  const target = await createTestDatabase(`${prefix}_t`);
  if (!work || !target) return undefined;
  return { work, target, drop: async () => { await work.drop(); await target.drop(); } };
}

/** One cell of the kind x change table: a current schema, a desired one, and what the plan must be. */
export interface Cell {
  kind: string;
  /** 'create', 'drop', 'rename', 'alter <property>' ... */
  change: string;
  current: string;
  desired: string;
  renames?: RenameHint[];
  /** rows put into the current schema before up.sql runs (they must survive both ways) */
  seed?: string;
  /** a query whose result must be the same before up, after up and after down (the seeded data kept) */
  keeps?: string;
  /** the same query in the desired schema's names, when they differ (a table renamed) */
  keepsAfterUp?: string;
  /** the plan must say Transaction: off */
  transactionOff?: boolean;
  /** each must match some statement of up.sql */
  upMatches?: RegExp[];
  /** the plan is refused: a reason must match */
  refused?: RegExp;
  /** snapshots with grants and default privileges */
  privileges?: boolean;
}

export const cellName = (cell: Cell) => `${cell.kind}: ${cell.change}`;

export async function snapshotSql(db: TestDatabase, sql: string, privileges = false): Promise<Snapshot> {
  await emptyDatabase(db);
  await loadSql(db, sql);
  return snapshotOf(db, { privileges });
}

export async function proveCell(dbs: DeclareDatabases, cell: Cell): Promise<void> {
  const desired = await snapshotSql(dbs.target, cell.desired, cell.privileges);
  const current = await snapshotSql(dbs.work, cell.current, cell.privileges);
  const plan = planMigration(current, desired, { renames: cell.renames ?? [] });
  if (cell.refused) {
    assert.ok(!plan.ok, `refused, but planned:\n${plan.ok ? renderMigration(plan.up) : ''}`);
    if (!plan.ok) assert.ok(plan.refused.some((r) => cell.refused!.test(r.reason) || cell.refused!.test(r.identity)), `a refusal matching ${cell.refused}: ${JSON.stringify(plan.refused, null, 1)}`);
    return;
  }
  await proveBothWays(dbs, current, desired, plan, cell);
}

/** Applies the plan's up.sql and down.sql on `dbs.work` (holding `current`) and checks both ends. */
export async function proveBothWays(dbs: DeclareDatabases, current: Snapshot, desired: Snapshot, plan: MigrationPlan, cell: Partial<Cell> = {}): Promise<void> {
  if (!plan.ok) throw new Error(`refused: ${JSON.stringify(plan.refused, null, 1)}`);
  const up = renderMigration(plan.up);
  const down = renderMigration(plan.down);
  const context = `\n--- up.sql\n${up}--- down.sql\n${down}`;
  if (process.env.DECLARE_SHOW) console.log(`\n=== ${cell.kind ?? ''}: ${cell.change ?? ''}${context}`);
  for (const pattern of cell.upMatches ?? []) assert.ok(plan.up.some((s) => pattern.test(s.sql)), `up.sql has a statement matching ${pattern}${context}`);
  if (cell.transactionOff !== undefined) assert.is(plan.transaction === 'off', cell.transactionOff, `Transaction: off${context}`);
  if (cell.seed) await loadSql(dbs.work, cell.seed);
  const rows = async (query = cell.keeps!) => JSON.stringify((await dbs.work.query(query)).map((row) => Object.values(row)));
  const kept = cell.keeps ? await rows() : undefined;
  const files = await relationFiles(dbs.work);
  await run(dbs.work, plan.up, plan.transaction, `up.sql${context}`);
  const afterUp = await snapshotOf(dbs.work, { privileges: cell.privileges ?? false });
  assertSameSnapshot(afterUp, desired, `after up.sql, the database has the desired schema${context}`);
  assertRewrites(files, await relationFiles(dbs.work), plan.up, context);
  if (kept !== undefined) assert.is(await rows(cell.keepsAfterUp ?? cell.keeps), kept, `the rows are kept by up.sql${context}`);
  await run(dbs.work, plan.down, plan.downTransaction, `down.sql${context}`);
  assertSameSnapshot(await snapshotOf(dbs.work, { privileges: cell.privileges ?? false }), current, `after down.sql, the database has the current schema again${context}`);
  if (kept !== undefined) assert.is(await rows(), kept, `the rows are kept by down.sql${context}`);
  // nothing left to do once up.sql ran
  const again = planMigration(afterUp, desired);
  assert.ok(again.ok && again.up.length === 0, `planning again after up.sql finds nothing to do${context}`);
}

async function run(db: TestDatabase, statements: readonly GeneratedStatement[], transaction: 'on' | 'off', what: string): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    if (transaction === 'on') await client.query(`begin;\n${renderMigration(statements)}\ncommit;`);
    else for (const s of statements) await client.query(s.sql);
  } catch (error) {
    throw new Error(`${what}\nfailed: ${(error as Error).message}`);
  } finally {
    await client.end();
  }
}

/** The differences between two snapshots, object by object, for a failure message */
export function snapshotDifference(actual: Snapshot, expected: Snapshot): string[] {
  const a = new Map(actual.objects.map((o) => [o.identity, JSON.stringify(o)]));
  const e = new Map(expected.objects.map((o) => [o.identity, JSON.stringify(o)]));
  const lines: string[] = [];
  for (const [identity, text] of e) if (!a.has(identity)) lines.push(`missing ${identity}`); else if (a.get(identity) !== text) lines.push(`differs ${identity}:\n  have ${a.get(identity)}\n  want ${text}`);
  for (const identity of a.keys()) if (!e.has(identity)) lines.push(`extra ${identity}`);
  if (JSON.stringify(actual.unmodelled) !== JSON.stringify(expected.unmodelled)) lines.push(`unmodelled: have ${JSON.stringify(actual.unmodelled)} want ${JSON.stringify(expected.unmodelled)}`);
  return lines;
}

export function assertSameSnapshot(actual: Snapshot, expected: Snapshot, message: string): void {
  const difference = snapshotDifference(actual, expected);
  assert.ok(difference.length === 0, `${message}\n${difference.join('\n')}`);
}

/** table identity -> relfilenode, for the tables of the database */
async function relationFiles(db: TestDatabase): Promise<Map<string, string>> {
  const rows = await db.query<{ identity: string; file: string }>(`select 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) as identity, c.relfilenode::text as file
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`);
  return new Map(rows.map((r) => [r.identity, r.file]));
}

function assertRewrites(before: Map<string, string>, after: Map<string, string>, statements: readonly GeneratedStatement[], context: string): void {
  const declared = new Set(statements.flatMap((s) => (s.rewrites ? [s.rewrites] : [])));
  const rewritten = [...before].filter(([identity, file]) => after.has(identity) && after.get(identity) !== file).map(([identity]) => identity);
  const undeclared = rewritten.filter((identity) => !declared.has(identity));
  assert.equal(undeclared, [], `tables rewritten that up.sql does not say it rewrites${context}`);
}

/** A test file of cells: each proven up and down on a database pair of its own (`name`), dropped after. */
export function proveCells(name: string, cells: readonly Cell[]): void {
  let dbs: DeclareDatabases | undefined;
  test.before(async () => {
    dbs = await declareDatabases(name);
  });
  test.after(async () => {
    await dbs?.drop();
  });
  for (const cell of cells) {
    test(cellName(cell), async () => {
      if (!dbs) return;
      await proveCell(dbs, cell);
    });
  }
  test.run();
}
