import type { StrataConfig } from '../config.js';
import { DatabaseQueryError, type Database } from '../db/database.js';
import { problem, type Problem } from '../errors.js';
import { planners } from '../plan/planners.js';
import { migrateShadow, snapshotShadow } from '../proof/migrate-shadow.js';
import { differentlyMade } from '../proof/schema-file.js';
import type { RevisionSet } from '../revision/build-revisions.js';
import type { Revision } from '../revision/revision.js';
import { changeProblems } from '../proof/change-problems.js';
import { describeFields, diffSnapshots, reportedChanges, type ReportedChange, type SchemaChange } from '../schema/model/diff.js';
import type { Snapshot } from '../schema/model/snapshot.js';
import type { GeneratedStatement, RenameHint } from './plan-migration.js';
import { affectedTables, columnsOf, nameIn, planSeeds } from './seed-rows.js';

const PROOF_HINT = 'nothing was written: the generator got this change wrong; write this revision by hand (strata new "<message>"), and please report the schema.sql change that caused it';

/**
 * The proof of a generated revision, before anything is written: on a shadow at the migrations'
 * head (current), a few rows are seeded into the tables the change touches; the revision's up.sql
 * is applied through the run pipeline, exactly as `strata up` will apply the file: the shadow must
 * then have exactly schema.sql's schema (desired), the seeded rows of every table the change keeps
 * must still be there with the values of the columns it keeps, and a table's storage may have been
 * rewritten (a new relfilenode) only where a statement says it rewrites it. Then down.sql: exactly
 * the current schema again, the rows again. Every failure is a problem that says what differed.
 */

export interface ProofSummary {
  /**
   * tables seeded before up.sql, with how many rows (identities in the migrations' schema); the rows
   * of those the change touches (`isChanged`) were kept by up.sql and down.sql; the others are
   * referenced by those (their foreign keys need the rows)
   */
  seeded: Array<{ table: string; rows: number; isChanged: boolean }>;
  /** tables the change touches that could not be seeded, and why: their data was not proven */
  unseeded: Array<{ table: string; reason: string }>;
  /** tables whose storage was rewritten, each by a statement that says so */
  rewritten: { up: string[]; down: string[] };
}

export type ProofResult =
  /** `afterUp`: the shadow's schema after up.sql (what strata dump will write at the new head) */
  | { ok: true; summary: ProofSummary; afterUp: Snapshot }
  | { ok: false; reason: 'failed'; summary: ProofSummary; problems: Problem[]; changes: ReportedChange[] }
  | { ok: false; reason: 'interrupted' };

export interface ProofInput {
  current: Snapshot;
  desired: Snapshot;
  renames: readonly RenameHint[];
  up: readonly GeneratedStatement[];
  down: readonly GeneratedStatement[];
  /** current -> desired, as the plan was made from (diffSnapshots of the two) */
  changes: readonly SchemaChange[];
}

/** `db` is a shadow with `set` applied (at current); `candidate` the revision to prove, not on disk. */
export async function proveMigration(db: Database, config: StrataConfig, set: RevisionSet, candidate: Revision, input: ProofInput, signal?: AbortSignal): Promise<ProofResult> {
  const { current, desired, renames } = input;
  const summary: ProofSummary = { seeded: [], unseeded: [], rewritten: { up: [], down: [] } };
  const failed = (problems: Problem[], changes: ReportedChange[] = []): ProofResult => ({ ok: false, reason: 'failed', summary, problems, changes });
  const fault = (message: string, file = candidate.up.path) => problem('DECLARE_PROOF_FAILED', { file, revision: candidate.id, message, hint: PROOF_HINT });

  const seeds = planSeeds(current, desired, affectedTables(current, input.changes, renames));
  summary.unseeded.push(...seeds.unseeded);
  for (const seed of seeds.tables) {
    try {
      await db.query(seed.insert);
      const [{ count }] = (await db.query<{ count: string }>(`select count(*)::text as count from ${seed.table.slice('table '.length)}`)) as [{ count: string }];
      summary.seeded.push({ table: seed.table, rows: Number(count), isChanged: seed.isChanged });
    } catch (error) {
      if (!(error instanceof DatabaseQueryError)) throw error;
      summary.unseeded.push({ table: seed.table, reason: `the rows strata makes do not fit it: ${error.info.message}` });
    }
  }
  const kept = summary.seeded.filter((s) => s.isChanged).flatMap(({ table }) => {
    const mapped = keptTable(current, desired, renames, table);
    return mapped ? [mapped] : [];
  });
  const rowsAt = async (side: 'before' | 'after') => {
    const read: Rows[] = [];
    for (const t of kept) read.push(await readRows(db, side === 'before' ? t.before : t.after, t.columns.map((c) => c[side])));
    return read;
  };
  const seeded = await rowsAt('before');
  // every table both schemas have (renames followed): its storage is rewritten only where a statement says so
  const desiredIds = new Set(desired.objects.map((o) => o.identity));
  const bothWays = current.objects.filter((o) => o.kind === 'table').map((o) => [o.identity, renames.find((r) => r.kind === 'table' && r.from === o.identity)?.to ?? o.identity] as const)
    .filter(([, to]) => desiredIds.has(to));
  const storageBefore = await relfilenodes(db);

  const withCandidate: RevisionSet = { revisions: [...set.revisions, candidate], problems: [] };
  const applied = await migrateShadow(db, config, withCandidate, planners.up(candidate.id, {}), signal);
  if (!applied.ok) return applied.reason === 'interrupted' ? applied : failed(applied.problems.map((p) => ({ ...p, hint: failureHint(applied.sqlstate, summary, 'up.sql') })));
  const afterUp = await snapshotShadow(db, config);
  const upDiff = diffSnapshots(desired, afterUp);
  if (upDiff.length > 0) {
    return failed(changeProblems(upDiff, {
      added: (o) => fault(`after the generated up.sql the shadow has ${o.identity}, which schema.sql does not declare`),
      removed: (o) => fault(`after the generated up.sql the shadow lacks ${o.identity}, which schema.sql declares`),
      changed: (o, fields) => fault(`after the generated up.sql the shadow has ${o.identity} otherwise than schema.sql declares it (${describeFields(fields)})`),
    }), reportedChanges(upDiff));
  }
  // the same objects can be made otherwise (a column declared between two others, added at the end)
  const otherwise = differentlyMade(desired, afterUp);
  if (otherwise.length > 0) return failed(otherwise.map(({ identity, detail }) => fault(`after the generated up.sql the shadow has ${identity} otherwise than schema.sql declares it (${detail})`)));
  const problems: Problem[] = [];
  problems.push(...compareRows(kept, seeded, await rowsAt('after'), 'up.sql', (m) => fault(m)));
  const storageAfterUp = await relfilenodes(db);
  problems.push(...checkRewrites(bothWays, storageBefore, storageAfterUp, input.up, 'up.sql', summary.rewritten.up, (m) => fault(m)));
  if (problems.length > 0) return failed(problems);
  if (signal?.aborted) return { ok: false, reason: 'interrupted' };

  const reverted = await migrateShadow(db, config, withCandidate, planners.down('-1'), signal);
  if (!reverted.ok) return reverted.reason === 'interrupted' ? reverted : failed(reverted.problems.map((p) => ({ ...p, hint: failureHint(reverted.sqlstate, summary, 'down.sql') })));
  const afterDown = await snapshotShadow(db, config);
  const downDiff = diffSnapshots(current, afterDown);
  if (downDiff.length > 0) {
    const downFault = (m: string) => fault(m, candidate.down.path);
    return failed(changeProblems(downDiff, {
      added: (o) => downFault(`after the generated down.sql the shadow has ${o.identity}, which the migrations do not make`),
      removed: (o) => downFault(`after the generated down.sql the shadow lacks ${o.identity}, which the migrations make`),
      changed: (o, fields) => downFault(`after the generated down.sql the shadow has ${o.identity} otherwise than the migrations make it (${describeFields(fields)})`),
    }), reportedChanges(downDiff));
  }
  problems.push(...compareRows(kept, seeded, await rowsAt('before'), 'down.sql', (m) => fault(m, candidate.down.path)));
  problems.push(...checkRewrites(bothWays.map(([from, to]) => [to, from] as const), storageAfterUp, await relfilenodes(db), input.down, 'down.sql', summary.rewritten.down, (m) => fault(m, candidate.down.path)));
  return problems.length > 0 ? failed(problems) : { ok: true, summary, afterUp };
}

/**
 * A statement that failed on the rows the proof seeded (a data exception or an integrity violation:
 * SQLSTATE classes 22 and 23) fails the same way on a database whose rows are like them: that is
 * the declared change's to fix, not the generator's. Any other failure is the generator's.
 */
function failureHint(sqlstate: string | undefined, summary: ProofSummary, file: string): string {
  const seeded = summary.seeded.filter((s) => s.isChanged).map((s) => s.table.slice('table '.length));
  if (seeded.length === 0 || !(sqlstate?.startsWith('22') || sqlstate?.startsWith('23'))) return PROOF_HINT;
  return `nothing was written: ${file} fails on the rows strata put into ${seeded.join(', ')} to prove it, as it would on a database that has such rows; `
    + 'declare the change so that existing rows fit it (a default for a new NOT NULL column, a check they pass, a type they convert to), or write this revision by hand with the data change it needs first (strata new "<message>")';
}

interface KeptTable {
  /** identities in current and in desired */
  before: string;
  after: string;
  /** quoted column names in each, of the columns kept with their type */
  columns: Array<{ before: string; after: string }>;
}

/** A seeded table that the change keeps (under its new name when renamed), with the columns it keeps unchanged in type. */
function keptTable(current: Snapshot, desired: Snapshot, renames: readonly RenameHint[], table: string): KeptTable | undefined {
  const renamed = renames.find((r) => r.kind === 'table' && r.from === table);
  const after = renamed ? renamed.to : table;
  const desiredTable = desired.objects.find((o) => o.identity === after);
  if (!desiredTable) return undefined;
  const byId = new Map(desired.objects.map((o) => [o.identity, o]));
  const columns = columnsOf(current, table).flatMap((column) => {
    const hint = renames.find((r) => r.kind === 'column' && r.from === column.identity);
    const counterpart = byId.get(hint ? hint.to : `column ${after.slice(6)}.${nameIn(column)}`);
    if (!counterpart || counterpart.attributes.generated || column.attributes.generated || counterpart.attributes.type !== column.attributes.type) return [];
    return [{ before: nameIn(column), after: nameIn(counterpart) }];
  });
  return { before: table, after, columns };
}

interface Rows {
  count: number;
  /** the kept columns' values, as JSON text, sorted */
  values: string;
}

async function readRows(db: Database, table: string, columns: readonly string[]): Promise<Rows> {
  const name = table.slice('table '.length);
  const list = columns.length === 0 ? '1 as none' : columns.map((c, k) => `${c} as c${k}`).join(', ');
  const [row] = await db.query<{ count: string; values: string }>(`select count(*)::text as count, coalesce(json_agg(r order by r::text), '[]')::text as values from (select ${list} from ${name}) r`);
  return { count: Number(row!.count), values: row!.values };
}

function compareRows(kept: readonly KeptTable[], seeded: readonly Rows[], now: readonly Rows[], file: string, fault: (message: string) => Problem): Problem[] {
  return kept.flatMap((table, k) => {
    const [before, after] = [seeded[k]!, now[k]!];
    const name = table.before.slice('table '.length);
    if (after.count !== before.count) return [fault(`${file} loses rows of ${name}: ${before.count} seeded, ${after.count} after it`)];
    if (after.values !== before.values) return [fault(`${file} changes the values of ${name} (${table.columns.map((c) => c.before).join(', ')}) in rows it keeps`)];
    return [];
  });
}

/** Every table's relfilenode, by identity: a new one means its storage was rewritten. */
async function relfilenodes(db: Database): Promise<Map<string, string>> {
  const rows = await db.query<{ identity: string; node: string }>(`select 'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) as identity, c.relfilenode::text as node
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r'`);
  return new Map(rows.map((r) => [r.identity, r.node]));
}

/** A kept table (identities [before, after] in this direction) with a new relfilenode needs a statement that says it rewrites it. */
function checkRewrites(tables: ReadonlyArray<readonly [string, string]>, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, statements: readonly GeneratedStatement[], file: string, rewritten: string[], fault: (message: string) => Problem): Problem[] {
  const problems: Problem[] = [];
  for (const [from, to] of tables) {
    const [was, is] = [before.get(from), after.get(to)];
    if (was === undefined || is === undefined || was === is) continue;
    const says = statements.some((s) => s.rewrites !== undefined && [from, to].some((t) => s.rewrites === t || s.group === t || s.identity === t));
    if (says) rewritten.push(to);
    else problems.push(fault(`${file} rewrites ${to} (its storage is new: a relfilenode change), but no statement of it says it does`));
  }
  return problems;
}
