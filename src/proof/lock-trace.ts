import type { StrataConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { withShadow } from '../db/shadow.js';
import { problem, type Problem, type Unavailable } from '../errors.js';
import { statementLine } from '../executor/failure.js';
import { LOCK_MODES, lockLevels, relationsCreated, type LockMode, type Rewrite, type StatementLocks } from '../lint/lock-levels.js';
import { isSameRelation, RelationSet, type RelationName } from '../lint/relation-names.js';
import type { Script, Step } from '../plan/plan.js';
import type { SqlStatement } from '../sql/split-statements.js';
import type { ProofEvents } from './proof-events.js';

/**
 * `strata check --locks`: what PostgreSQL really locks and rewrites, against what lint predicts
 * (lint/lock-levels.ts). Every revision's up.sql runs on a shadow of its own, statement by statement
 * inside its transaction, and after each statement the session reads its own relation locks from
 * pg_locks and the relfilenodes of the relations that existed before the revision (a new
 * relfilenode: the relation was rewritten): one more round trip per statement, in this mode only.
 * Reported: the lock each statement took on every relation that existed before its revision
 * (indexes and TOAST tables aside), and every rewrite; a lock or rewrite lint did not predict, or
 * predicted otherwise, is a lint bug (`mismatch`).
 *
 * A Transaction: off revision's statements run each in a transaction of their own, so that their
 * locks can be read before they end (as they would be taken alone); those PostgreSQL refuses in a
 * transaction block (CREATE INDEX CONCURRENTLY, VACUUM ...) are run as they are and only their
 * rewrites are traced.
 */
export type LockVerdict =
  /** the mode (and rewrite) lint predicted */
  | 'as-predicted'
  /** lint predicted another mode for this relation, or a rewrite that did not happen / no rewrite where one happened */
  | 'wrong'
  /** lint's prediction for the statement is exact and complete, and does not name this relation: a lint bug */
  | 'unpredicted'
  /** lint said the statement may take locks it cannot name (rows a query reads, tables behind foreign keys), or that it cannot predict the statement */
  | 'not-exact';

export interface TracedLock {
  /** 0-based statement of the revision, its first line and label */
  statement: number;
  line: number;
  label: string;
  relation: string;
  /** the strongest mode the statement took on it (or the one predicted, when it was held already); null when it took none */
  mode: LockMode | null;
  isRewritten: boolean;
  predicted: { mode: LockMode; rewrites: Rewrite } | null;
  verdict: LockVerdict;
  /** for `wrong`, `unpredicted` and `not-exact`: why */
  why: string | null;
}

export interface RevisionTrace {
  id: string;
  file: string;
  locks: TracedLock[];
  /** statements whose locks end with them (run outside a transaction block): their rewrites only */
  untraced: Array<{ statement: number; line: number; label: string }>;
}

export interface LockTrace {
  revisions: RevisionTrace[];
  /** locks and rewrites lint did not predict or predicted wrongly (`wrong` + `unpredicted`) */
  mismatches: number;
}

export type LockTraceResult = { ok: true; trace: LockTrace } | { ok: false; reason: 'failed'; problems: Problem[] } | Unavailable;

export interface Relation {
  oid: number;
  schema: string;
  name: string;
  kind: string;
  filenode: number;
  /** for an index: its table */
  table: number | null;
}

const TRACED_KINDS: Record<string, string> = { r: 'table', p: 'partitioned table', m: 'materialized view', v: 'view', S: 'sequence', f: 'foreign table' };

export async function traceLocks(config: StrataConfig, steps: readonly Step[], statementsOf: (script: Script) => readonly SqlStatement[], events: ProofEvents): Promise<LockTraceResult> {
  const traced = await withShadow(config, { onNote: events.note }, async (shadow) => {
    events.shadow(shadow.description);
    const revisions: RevisionTrace[] = [];
    for (const step of steps) {
      const revision = await traceRevision(shadow.db, config.schema, step, statementsOf(step.script));
      if (!revision.ok) return revision;
      revisions.push(revision.trace);
    }
    const mismatches = revisions.reduce((n, r) => n + r.locks.filter((l) => l.verdict === 'wrong' || l.verdict === 'unpredicted').length, 0);
    return { ok: true as const, trace: { revisions, mismatches } };
  });
  return traced;
}

export type Held = Map<number, Set<LockMode>>;

async function traceRevision(db: Database, schema: string, step: Step, statements: readonly SqlStatement[]): Promise<{ ok: true; trace: RevisionTrace } | { ok: false; reason: 'failed'; problems: Problem[] }> {
  const before = await readRelations(db, schema);
  const oids = [...before.keys()];
  const trace: RevisionTrace = { id: step.id, file: step.script.path, locks: [], untraced: [] };
  const transactional = step.script.transactional;
  const run = async (text: string, index: number) => {
    const result = await db.runScript(text);
    if (result.ok) return undefined;
    if (result.status !== 'idle') await db.runScript('rollback');
    const line = statementLine(step, statements, index);
    return {
      ok: false as const, reason: 'failed' as const,
      problems: [problem('SHADOW_MIGRATION_FAILED', { file: step.script.path, line, revision: step.id, message: `up.sql of ${step.id} failed on the lock trace's shadow: ${result.error.message} (${result.error.code})`, hint: 'fix the revision: every revision must apply from an empty database' })],
    };
  };
  if (transactional) {
    const begun = await run('begin', 0);
    if (begun) return begun;
  }
  const created = new RelationSet();
  let held: Held = new Map();
  let files: Files = new Map([...before].map(([oid, r]) => [oid, { filenode: r.filenode, schema: r.schema, name: r.name }]));
  let inBlock = false;
  for (const [index, statement] of statements.entries()) {
    const control = statement.transaction?.kind;
    if (statement.isTransactionControl && !transactional) {
      // BEGIN, COMMIT ... of the revision's own blocks: no relation locks of their own
      const failed = await run(statement.text, index);
      if (failed) return failed;
      if (control === 'begin') inBlock = true;
      if (control === 'commit' || control === 'rollback' || control === 'prepare') {
        inBlock = false;
        held = new Map();
        files = (await readState(db, oids, false)).files;
      }
      continue;
    }
    const canTrace = transactional || inBlock || (!statement.cannotRunInTransaction && !statement.isTransactionControl);
    const ownBlock = !transactional && !inBlock && canTrace;
    const prediction = lockLevels(statement.ast, created);
    const failed = await run(ownBlock ? `begin;\n${statement.text}` : statement.text, index);
    if (failed) return failed;
    const state = await readState(db, oids, canTrace);
    const at = { statement: index, line: statementLine(step, statements, index), label: statement.label };
    if (!canTrace) trace.untraced.push(at);
    trace.locks.push(...compareLocks(before, held, canTrace ? state.held : held, files, state.files, prediction, at, canTrace));
    held = state.held;
    files = state.files;
    if (ownBlock) {
      const committed = await run('commit', index);
      if (committed) return committed;
      held = new Map();
    }
    for (const relation of relationsCreated(statement.ast)) created.add(relation);
  }
  if (transactional) {
    const committed = await run('commit', Math.max(statements.length - 1, 0));
    if (committed) return committed;
  }
  return { ok: true, trace };
}

async function readRelations(db: Database, schema: string): Promise<Map<number, Relation>> {
  const rows = await db.query<{ oid: string; schema: string; name: string; kind: string; filenode: string; table: string | null }>(
    `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind, c.relfilenode::int8 as filenode, i.indrelid::int8 as table
     from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace left join pg_catalog.pg_index i on i.indexrelid = c.oid
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg\\_temp\\_%' and n.nspname <> $1`, [schema]);
  return new Map(rows.map((r) => [Number(r.oid), { oid: Number(r.oid), schema: r.schema, name: r.name, kind: r.kind, filenode: Number(r.filenode), table: r.table === null ? null : Number(r.table) }]));
}

/** The session's relation locks (when `withLocks`) and the relfilenodes of `oids`: one round trip. */
/** what each relation that existed before the revision is now: its relfilenode and its name (a statement of the revision may rename it) */
export type Files = Map<number, { filenode: number; schema: string; name: string }>;

async function readState(db: Database, oids: readonly number[], withLocks: boolean): Promise<{ held: Held; files: Files }> {
  const [row] = await db.query<{ locks: Array<{ oid: number; mode: LockMode }>; files: Array<{ oid: number; filenode: number; schema: string; name: string }> }>(
    `select case when $2 then coalesce((select json_agg(json_build_object('oid', l.relation::int8, 'mode', l.mode)) from pg_catalog.pg_locks l
        where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'relation' and l.granted
          and l.database = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())), '[]') else '[]' end as locks,
      coalesce((select json_agg(json_build_object('oid', c.oid::int8, 'filenode', c.relfilenode::int8, 'schema', n.nspname, 'name', c.relname))
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = any($1::oid[])), '[]') as files`,
    [oids, withLocks]);
  const held: Held = new Map();
  for (const lock of row!.locks) {
    const modes = held.get(Number(lock.oid)) ?? new Set<LockMode>();
    modes.add(lock.mode);
    held.set(Number(lock.oid), modes);
  }
  return { held, files: new Map(row!.files.map((f) => [Number(f.oid), { filenode: Number(f.filenode), schema: f.schema, name: f.name }])) };
}

const rank = (mode: LockMode) => LOCK_MODES.indexOf(mode);
const strongest = (modes: Iterable<LockMode>): LockMode | null => [...modes].reduce<LockMode | null>((top, m) => (top === null || rank(m) > rank(top) ? m : top), null);

/** One entry per relation that existed before the revision and that the statement locked, rewrote, or was predicted to lock. */
export function compareLocks(before: Map<number, Relation>, heldBefore: Held, heldAfter: Held, filesBefore: Files, filesAfter: Files, prediction: StatementLocks, at: { statement: number; line: number; label: string }, areLocksSeen: boolean): TracedLock[] {
  const predicted = new Map<number, { mode: LockMode; rewrites: Rewrite }>();
  if (prediction.kind === 'known') {
    for (const lock of prediction.locks) {
      if (lock.isNew) continue;
      for (const oid of resolve(before, filesBefore, lock.relation, lock.target)) {
        const same = predicted.get(oid);
        const rewrites: Rewrite = same?.rewrites === 'yes' || lock.rewrites === 'yes' ? 'yes' : same?.rewrites === 'maybe' || lock.rewrites === 'maybe' ? 'maybe' : 'no';
        predicted.set(oid, { mode: same && rank(same.mode) > rank(lock.mode) ? same.mode : lock.mode, rewrites });
      }
    }
  }
  const entries: TracedLock[] = [];
  for (const relation of before.values()) {
    if (!TRACED_KINDS[relation.kind]) continue;
    const { oid } = relation;
    const after = heldAfter.get(oid) ?? new Set<LockMode>();
    const taken = [...after].filter((m) => !heldBefore.get(oid)?.has(m));
    const filenode = filesAfter.get(oid)?.filenode;
    const isRewritten = filenode !== undefined && relation.filenode !== 0 && filenode !== filesBefore.get(oid)?.filenode;
    const now = filesBefore.get(oid) ?? relation;
    const name = `${now.schema}.${now.name}`;
    const guess = predicted.get(oid) ?? null;
    if (taken.length === 0 && !isRewritten && !guess) continue;
    if (!areLocksSeen) {
      // its locks ended with it: only what it rewrote is known
      if (!isRewritten) continue;
      const isExpected = guess !== null && guess.rewrites !== 'no';
      entries.push({ ...at, relation: name, mode: null, isRewritten, predicted: guess, verdict: isExpected ? 'as-predicted' : prediction.kind === 'known' && prediction.isComplete ? 'unpredicted' : 'not-exact', why: isExpected ? null : 'lint predicts no rewrite; the relation got a new relfilenode' });
      continue;
    }
    const top = strongest(taken);
    // a mode held already (an earlier statement of the transaction took it) shows no new row: the predicted one, when held, counts
    const mode = strongest([...taken, ...(guess && after.has(guess.mode) ? [guess.mode] : [])]) ?? strongest(after);
    let verdict: LockVerdict = 'as-predicted';
    let why: string | null = null;
    if (prediction.kind === 'unknown') {
      verdict = 'not-exact';
      why = `lint does not predict this statement: ${prediction.reason}`;
    } else if (!guess) {
      verdict = prediction.isComplete ? 'unpredicted' : 'not-exact';
      why = prediction.isComplete
        ? `lint predicts no lock on ${name}; the statement took ${top ?? 'none'}${isRewritten ? ' and rewrote it' : ''}`
        : 'lint says this statement may lock relations it cannot name (what a query reads, tables behind foreign keys or triggers)';
    } else if (!after.has(guess.mode) || (top !== null && rank(top) > rank(guess.mode))) {
      verdict = 'wrong';
      why = `lint predicts ${guess.mode}; the statement took ${top ?? 'nothing new'}`;
    } else if (guess.rewrites !== 'maybe' && (guess.rewrites === 'yes') !== isRewritten) {
      verdict = 'wrong';
      why = guess.rewrites === 'yes' ? 'lint predicts a rewrite; the relation kept its relfilenode' : 'lint predicts no rewrite; the relation got a new relfilenode';
    }
    entries.push({ ...at, relation: name, mode, isRewritten, predicted: guess, verdict, why });
  }
  return entries;
}

/** The relations (by oid) that existed before the revision and that `name` may mean as the statement starts; for an index target, its table. */
function resolve(before: Map<number, Relation>, current: Files, name: RelationName, target: 'relation' | 'table-of-index'): number[] {
  const matches = [...before.values()].filter((r) => current.has(r.oid) && isSameRelation(current.get(r.oid)!, name));
  if (target === 'relation') return matches.filter((r) => TRACED_KINDS[r.kind]).map((r) => r.oid);
  return matches.flatMap((r) => (r.table !== null ? [r.table] : []));
}
