/**
 * The table-level locks one statement takes, predicted from its syntax tree by PostgreSQL 15's
 * documented lock levels (the ALTER TABLE, CREATE INDEX, explicit-locking pages; ALTER TABLE's
 * subcommands each have their own level, and a statement takes the strongest of its subcommands').
 * The lint rules read the modes from here, and the lock trace (strata check --locks) compares them
 * with what pg_locks shows, so a prediction is given only where it is exact: anything else is
 * `unknown`, with the reason. `isComplete: false` says the statement may take further locks this
 * cannot name (rows read by a query, tables reached through foreign keys, a table's indexes).
 *
 * `rewrites`: whether the relation gets a new relfilenode (a rewrite, or a move/truncate/rebuild):
 * 'maybe' where that depends on what the syntax cannot show (a column type change is free only when
 * the old type is binary-coercible to the new one).
 */
import type { AlterTableCmd, AlterTableStmt, Constraint, DropStmt, Node, ReindexStmt } from 'libpg-query';
import { listItems, relationOf, relationOfNameList, relationsRead, type RelationName, type RelationSet } from './relation-names.js';
import { columnAddRewrites } from './expressions.js';

/** PostgreSQL's table lock modes, weakest first (the order of their numbers in lockdefs.h) */
export const LOCK_MODES = [
  'AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock',
  'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

export type Rewrite = 'yes' | 'no' | 'maybe';

export interface RelationLock {
  relation: RelationName;
  /** 'table-of-index': the lock is on the table the named index belongs to (DROP INDEX, REINDEX INDEX) */
  target: 'relation' | 'table-of-index';
  mode: LockMode;
  rewrites: Rewrite;
  /** created earlier in the same revision: nobody else can be waiting on it */
  isNew: boolean;
}

export type StatementLocks =
  | { kind: 'known'; locks: RelationLock[]; isComplete: boolean }
  | { kind: 'unknown'; reason: string };

/** Whether `mode` conflicts with plain reads (SELECT) / writes (INSERT, UPDATE, DELETE) of other sessions. */
export function blocksReads(mode: LockMode): boolean {
  return mode === 'AccessExclusiveLock';
}
export function blocksWrites(mode: LockMode): boolean {
  return LOCK_MODES.indexOf(mode) >= LOCK_MODES.indexOf('ShareLock');
}

const LOCK_STMT_MODES: Record<number, LockMode> = Object.fromEntries(LOCK_MODES.map((m, k) => [k + 1, m]));

const NO_RELATION_LOCKS = new Set([
  'VariableSetStmt', 'VariableShowStmt', 'TransactionStmt', 'CreateFunctionStmt', 'CreateEnumStmt', 'CompositeTypeStmt',
  'CreateDomainStmt', 'DefineStmt', 'AlterEnumStmt', 'AlterSystemStmt', 'CreateRoleStmt', 'AlterRoleStmt', 'DropRoleStmt',
  'CreateRangeStmt', 'AlterFunctionStmt', 'CreateCastStmt', 'GrantStmt', 'GrantRoleStmt', 'AlterDefaultPrivilegesStmt',
]);

/** The locks `ast` takes; `created` holds the relations created earlier in the revision. */
export function lockLevels(ast: Node, created: RelationSet): StatementLocks {
  const taken = new Locks(created);
  const unknown = (reason: string): StatementLocks => ({ kind: 'unknown', reason });
  const nodeType = Object.keys(ast)[0] ?? 'Unknown';
  if (NO_RELATION_LOCKS.has(nodeType)) return taken.result();
  if ('CreateSchemaStmt' in ast) return (ast.CreateSchemaStmt.schemaElts ?? []).length > 0 ? unknown('CREATE SCHEMA with elements: each element locks as its own statement') : taken.result();
  if ('IndexStmt' in ast) {
    const s = ast.IndexStmt;
    if (!s.relation) return unknown('CREATE INDEX without a table');
    taken.add(relationOf(s.relation), s.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
    return taken.result();
  }
  if ('AlterTableStmt' in ast) return alterTableLocks(ast.AlterTableStmt, taken);
  if ('CreateStmt' in ast) {
    const s = ast.CreateStmt;
    if (!s.relation) return unknown('CREATE TABLE without a name');
    if (s.partbound) for (const parent of s.inhRelations ?? []) if ('RangeVar' in parent) taken.add(relationOf(parent.RangeVar), 'AccessExclusiveLock');
    if (!s.partbound) for (const parent of s.inhRelations ?? []) if ('RangeVar' in parent) taken.add(relationOf(parent.RangeVar), 'ShareUpdateExclusiveLock');
    const table = relationOf(s.relation);
    for (const element of s.tableElts ?? []) {
      if ('TableLikeClause' in element && element.TableLikeClause.relation) taken.add(relationOf(element.TableLikeClause.relation), 'AccessShareLock');
      const constraints = 'ColumnDef' in element ? element.ColumnDef.constraints ?? [] : 'Constraint' in element ? [element] : [];
      for (const c of constraints) {
        if (!('Constraint' in c) || c.Constraint.contype !== 'CONSTR_FOREIGN' || !c.Constraint.pktable) continue;
        const referenced = relationOf(c.Constraint.pktable);
        // a self-reference (a tree's parent_id) locks the table this statement creates, which nobody else can see yet
        if (referenced.name === table.name && referenced.schema === table.schema) continue;
        taken.add(referenced, 'ShareRowExclusiveLock');
      }
    }
    taken.add(table, 'AccessExclusiveLock', 'no', true);
    return taken.result();
  }
  if ('CreateSeqStmt' in ast) return ast.CreateSeqStmt.sequence ? (taken.add(relationOf(ast.CreateSeqStmt.sequence), 'AccessExclusiveLock', 'no', true), taken.result()) : unknown('CREATE SEQUENCE without a name');
  // RESTART and changes of the sequence's parameters write it anew (a new relfilenode); OWNED BY alone does not (the lock trace)
  if ('AlterSeqStmt' in ast) return ast.AlterSeqStmt.sequence ? (taken.add(relationOf(ast.AlterSeqStmt.sequence), 'ShareRowExclusiveLock', 'maybe'), taken.result()) : unknown('ALTER SEQUENCE without a name');
  if ('DropStmt' in ast) return dropLocks(ast.DropStmt, taken);
  if ('TruncateStmt' in ast) {
    for (const r of ast.TruncateStmt.relations ?? []) if ('RangeVar' in r) taken.add(relationOf(r.RangeVar), 'AccessExclusiveLock', 'yes');
    // CASCADE truncates the tables that reference these too; without it, referencing tables are only checked
    return taken.result(ast.TruncateStmt.behavior !== 'DROP_CASCADE');
  }
  if ('VacuumStmt' in ast) {
    const s = ast.VacuumStmt;
    const rels = (s.rels ?? []).flatMap((r) => ('VacuumRelation' in r && r.VacuumRelation.relation ? [relationOf(r.VacuumRelation.relation)] : []));
    if (rels.length === 0) return unknown(`${s.is_vacuumcmd ? 'VACUUM' : 'ANALYZE'} without a table works on every table of the database`);
    const isFull = s.is_vacuumcmd === true && (s.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full' && !isFalse(o.DefElem.arg));
    for (const r of rels) taken.add(r, isFull ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock', isFull ? 'yes' : 'no');
    return taken.result(false); // its indexes and TOAST table are locked too
  }
  if ('ClusterStmt' in ast) {
    if (!ast.ClusterStmt.relation) return unknown('CLUSTER without a table reclusters every clustered table');
    taken.add(relationOf(ast.ClusterStmt.relation), 'AccessExclusiveLock', 'yes');
    return taken.result(false);
  }
  if ('ReindexStmt' in ast) return reindexLocks(ast.ReindexStmt, taken);
  if ('RefreshMatViewStmt' in ast) {
    const s = ast.RefreshMatViewStmt;
    if (!s.relation) return unknown('REFRESH without a name');
    taken.add(relationOf(s.relation), s.concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock', s.concurrent ? 'no' : 'yes');
    return taken.result(false); // its query reads the tables it is made of
  }
  if ('LockStmt' in ast) {
    const mode = LOCK_STMT_MODES[ast.LockStmt.mode ?? 8] ?? 'AccessExclusiveLock';
    for (const r of ast.LockStmt.relations ?? []) if ('RangeVar' in r) taken.add(relationOf(r.RangeVar), mode);
    return taken.result();
  }
  if ('CreateTrigStmt' in ast) return ast.CreateTrigStmt.relation ? (taken.add(relationOf(ast.CreateTrigStmt.relation), 'ShareRowExclusiveLock'), taken.result()) : unknown('CREATE TRIGGER without a table');
  if ('CreatePolicyStmt' in ast || 'AlterPolicyStmt' in ast || 'RuleStmt' in ast) {
    const relation = 'CreatePolicyStmt' in ast ? ast.CreatePolicyStmt.table : 'AlterPolicyStmt' in ast ? ast.AlterPolicyStmt.table : ast.RuleStmt.relation;
    if (!relation) return unknown('no table named');
    taken.add(relationOf(relation), 'AccessExclusiveLock');
    return taken.result();
  }
  if ('RenameStmt' in ast) {
    const s = ast.RenameStmt;
    if (s.renameType === 'OBJECT_SCHEMA') return taken.result();
    if (!s.relation) return unknown(`RENAME of ${s.renameType ?? 'an object'} is not predicted`);
    const relationKinds = ['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_SEQUENCE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE', 'OBJECT_FOREIGN_TABLE'];
    if (s.renameType === 'OBJECT_INDEX') taken.add(relationOf(s.relation), 'ShareUpdateExclusiveLock');
    else if (relationKinds.includes(s.renameType ?? '')) taken.add(relationOf(s.relation), 'AccessExclusiveLock');
    else return unknown(`RENAME of ${s.renameType ?? 'an object'} is not predicted`);
    return taken.result();
  }
  if ('AlterObjectSchemaStmt' in ast) {
    const s = ast.AlterObjectSchemaStmt;
    if (s.relation && ['OBJECT_TABLE', 'OBJECT_SEQUENCE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE'].includes(s.objectType ?? '')) {
      taken.add(relationOf(s.relation), 'AccessExclusiveLock');
      return taken.result(false); // its sequences and indexes move too
    }
    return unknown(`SET SCHEMA of ${s.objectType ?? 'an object'} is not predicted`);
  }
  if ('CommentStmt' in ast) {
    const s = ast.CommentStmt;
    const items = listItems(s.object);
    const relation = s.objtype === 'OBJECT_TABLE' ? relationOfNameList(items) : s.objtype === 'OBJECT_COLUMN' ? relationOfNameList(items, 1) : undefined;
    if (!relation) return s.objtype === 'OBJECT_TABLE' || s.objtype === 'OBJECT_COLUMN' ? unknown('COMMENT names no table') : unknown(`COMMENT ON ${s.objtype ?? 'an object'} is not predicted`);
    taken.add(relation, 'ShareUpdateExclusiveLock');
    return taken.result();
  }
  if ('InsertStmt' in ast || 'UpdateStmt' in ast || 'DeleteStmt' in ast || 'MergeStmt' in ast) {
    const s = 'InsertStmt' in ast ? ast.InsertStmt : 'UpdateStmt' in ast ? ast.UpdateStmt : 'DeleteStmt' in ast ? ast.DeleteStmt : ast.MergeStmt;
    if (!s.relation) return unknown('no target table');
    const target = relationOf(s.relation);
    for (const read of relationsRead(ast)) if (read.name !== target.name || read.schema !== target.schema) taken.add(read, 'AccessShareLock');
    taken.add(target, 'RowExclusiveLock');
    return taken.result(false); // foreign key checks and triggers lock other tables
  }
  if ('SelectStmt' in ast) {
    const locking = (ast.SelectStmt.lockingClause ?? []).length > 0;
    for (const read of relationsRead(ast)) taken.add(read, locking ? 'RowShareLock' : 'AccessShareLock');
    return taken.result(false); // functions it calls may do anything
  }
  if ('CopyStmt' in ast) {
    const s = ast.CopyStmt;
    if (!s.relation) return unknown('COPY of a query');
    taken.add(relationOf(s.relation), s.is_from ? 'RowExclusiveLock' : 'AccessShareLock');
    return taken.result(!s.is_from);
  }
  if ('ViewStmt' in ast || 'CreateTableAsStmt' in ast) {
    for (const read of relationsRead('ViewStmt' in ast ? ast.ViewStmt.query : ast.CreateTableAsStmt.query)) taken.add(read, 'AccessShareLock');
    return taken.result(false);
  }
  return unknown(`${nodeType} is not predicted`);
}

/** The relations `ast` creates, which later statements of the revision may treat as new. */
export function relationsCreated(ast: Node): RelationName[] {
  if ('CreateStmt' in ast && ast.CreateStmt.relation) return [relationOf(ast.CreateStmt.relation)];
  if ('CreateTableAsStmt' in ast && ast.CreateTableAsStmt.into?.rel) return [relationOf(ast.CreateTableAsStmt.into.rel)];
  if ('ViewStmt' in ast && ast.ViewStmt.view) return [relationOf(ast.ViewStmt.view)];
  if ('CreateSeqStmt' in ast && ast.CreateSeqStmt.sequence) return [relationOf(ast.CreateSeqStmt.sequence)];
  if ('IndexStmt' in ast && ast.IndexStmt.idxname) return [{ ...(ast.IndexStmt.relation?.schemaname ? { schema: ast.IndexStmt.relation.schemaname } : {}), name: ast.IndexStmt.idxname }];
  return [];
}

class Locks {
  private readonly locks: RelationLock[] = [];
  constructor(private readonly created: RelationSet) {}

  /** the strongest mode and rewrite per relation win: a statement holds every lock it took until commit */
  add(relation: RelationName, mode: LockMode, rewrites: Rewrite = 'no', isNew = this.created.has(relation), target: RelationLock['target'] = 'relation'): void {
    const same = this.locks.find((l) => l.target === target && l.relation.name === relation.name && l.relation.schema === relation.schema);
    if (!same) {
      this.locks.push({ relation, target, mode, rewrites, isNew });
      return;
    }
    if (LOCK_MODES.indexOf(mode) > LOCK_MODES.indexOf(same.mode)) same.mode = mode;
    const rank: Rewrite[] = ['no', 'maybe', 'yes'];
    if (rank.indexOf(rewrites) > rank.indexOf(same.rewrites)) same.rewrites = rewrites;
  }

  result(isComplete = true): StatementLocks {
    return { kind: 'known', locks: this.locks, isComplete };
  }
}

function isFalse(arg: Node | undefined): boolean {
  if (!arg) return false;
  if ('Boolean' in arg) return arg.Boolean.boolval !== true;
  if ('Integer' in arg) return (arg.Integer.ival ?? 0) === 0;
  if ('String' in arg) return ['false', 'off', '0'].includes((arg.String.sval ?? '').toLowerCase());
  return false;
}

// storage parameters that ALTER TABLE SET/RESET changes under SHARE UPDATE EXCLUSIVE (PostgreSQL 15's ALTER TABLE page)
const LIGHT_RELOPTIONS = /^(fillfactor|parallel_workers|toast_tuple_target|autovacuum_.*|toast\.autovacuum_.*|log_autovacuum_min_duration|toast\.log_autovacuum_min_duration|vacuum_index_cleanup|toast\.vacuum_index_cleanup|vacuum_truncate|toast\.vacuum_truncate)$/;

const ACCESS_EXCLUSIVE_SUBCOMMANDS = new Set([
  'AT_ColumnDefault', 'AT_DropNotNull', 'AT_SetNotNull', 'AT_DropExpression', 'AT_SetStorage', 'AT_DropColumn', 'AT_DropConstraint',
  'AT_ChangeOwner', 'AT_DropOids', 'AT_EnableRule', 'AT_EnableAlwaysRule', 'AT_EnableReplicaRule', 'AT_DisableRule', 'AT_DropInherit',
  'AT_AddOf', 'AT_DropOf', 'AT_AlterConstraint', 'AT_ReplicaIdentity', 'AT_EnableRowSecurity', 'AT_DisableRowSecurity', 'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity', 'AT_GenericOptions', 'AT_AlterColumnGenericOptions', 'AT_AddIdentity', 'AT_SetIdentity', 'AT_DropIdentity',
]);
const SHARE_UPDATE_EXCLUSIVE_SUBCOMMANDS = new Set(['AT_SetStatistics', 'AT_SetOptions', 'AT_ResetOptions', 'AT_ClusterOn', 'AT_DropCluster', 'AT_ValidateConstraint']);
const TRIGGER_SUBCOMMANDS = new Set(['AT_EnableTrig', 'AT_EnableAlwaysTrig', 'AT_EnableReplicaTrig', 'AT_DisableTrig', 'AT_EnableTrigAll', 'AT_DisableTrigAll', 'AT_EnableTrigUser', 'AT_DisableTrigUser']);
const MOVING_SUBCOMMANDS = new Set(['AT_SetTableSpace', 'AT_SetLogged', 'AT_SetUnLogged', 'AT_SetAccessMethod']);

function alterTableLocks(s: AlterTableStmt, taken: Locks): StatementLocks {
  if (!s.relation) return { kind: 'unknown', reason: 'ALTER TABLE without a name' };
  if (s.objtype !== undefined && s.objtype !== 'OBJECT_TABLE' && s.objtype !== 'OBJECT_MATVIEW') {
    return { kind: 'unknown', reason: `ALTER ${s.objtype.slice('OBJECT_'.length).replace('_', ' ')} is not predicted` };
  }
  const table = relationOf(s.relation);
  let isComplete = true;
  for (const node of s.cmds ?? []) {
    if (!('AlterTableCmd' in node)) continue;
    const cmd: AlterTableCmd = node.AlterTableCmd;
    const subtype = cmd.subtype ?? '';
    if (ACCESS_EXCLUSIVE_SUBCOMMANDS.has(subtype)) {
      taken.add(table, 'AccessExclusiveLock');
      // dropping a foreign key drops its triggers on the referenced table too; inheritance locks the parent
      if (subtype === 'AT_DropConstraint' || subtype === 'AT_DropInherit' || subtype === 'AT_AddOf') isComplete = false;
    } else if (SHARE_UPDATE_EXCLUSIVE_SUBCOMMANDS.has(subtype)) {
      taken.add(table, 'ShareUpdateExclusiveLock');
      if (subtype === 'AT_ValidateConstraint') isComplete = false; // a foreign key's referenced table: ROW SHARE
    } else if (TRIGGER_SUBCOMMANDS.has(subtype)) {
      taken.add(table, 'ShareRowExclusiveLock');
    } else if (MOVING_SUBCOMMANDS.has(subtype)) {
      taken.add(table, 'AccessExclusiveLock', 'yes');
      isComplete = false; // its indexes and TOAST table move or are rewritten with it
    } else if (subtype === 'AT_SetRelOptions' || subtype === 'AT_ResetRelOptions') {
      const names = listItems(cmd.def).map((d) => ('DefElem' in d ? `${d.DefElem.defnamespace ? `${d.DefElem.defnamespace}.` : ''}${d.DefElem.defname ?? ''}` : ''));
      taken.add(table, names.every((n) => LIGHT_RELOPTIONS.test(n)) ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock');
    } else if (subtype === 'AT_AddColumn') {
      const column = cmd.def && 'ColumnDef' in cmd.def ? cmd.def.ColumnDef : undefined;
      if (!column) return { kind: 'unknown', reason: 'ADD COLUMN without a column' };
      taken.add(table, 'AccessExclusiveLock', columnAddRewrites(column));
      for (const c of column.constraints ?? []) if ('Constraint' in c) addConstraintReferences(c.Constraint, taken);
    } else if (subtype === 'AT_AlterColumnType') {
      taken.add(table, 'AccessExclusiveLock', 'maybe');
      isComplete = false; // indexes on the column are rebuilt
    } else if (subtype === 'AT_AddConstraint' || subtype === 'AT_AddIndexConstraint') {
      const constraint = cmd.def && 'Constraint' in cmd.def ? cmd.def.Constraint : undefined;
      if (!constraint) return { kind: 'unknown', reason: 'ADD CONSTRAINT without a constraint' };
      taken.add(table, constraint.contype === 'CONSTR_FOREIGN' ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock');
      addConstraintReferences(constraint, taken);
      if (constraint.indexname) isComplete = false; // USING INDEX: the index is locked and renamed
    } else if (subtype === 'AT_AttachPartition' || subtype === 'AT_DetachPartition') {
      const partition = cmd.def && 'PartitionCmd' in cmd.def ? cmd.def.PartitionCmd : undefined;
      if (!partition?.name) return { kind: 'unknown', reason: 'PARTITION without a name' };
      const concurrent = subtype === 'AT_DetachPartition' && partition.concurrent === true;
      if (concurrent) return { kind: 'unknown', reason: 'DETACH PARTITION CONCURRENTLY runs in two transactions' };
      taken.add(table, subtype === 'AT_AttachPartition' ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock');
      taken.add(relationOf(partition.name), 'AccessExclusiveLock');
      isComplete = false; // a default partition is locked and scanned too
    } else if (subtype === 'AT_AddInherit') {
      taken.add(table, 'AccessExclusiveLock');
      const parent = cmd.def && 'RangeVar' in cmd.def ? cmd.def.RangeVar : undefined;
      if (parent) taken.add(relationOf(parent), 'ShareUpdateExclusiveLock');
    } else {
      return { kind: 'unknown', reason: `ALTER TABLE ${subtype.slice(3)} is not predicted` };
    }
  }
  return taken.result(isComplete);
}

/** a foreign key locks the table it references in SHARE ROW EXCLUSIVE mode (it adds triggers there) */
function addConstraintReferences(constraint: Constraint, taken: Locks): void {
  if (constraint.contype === 'CONSTR_FOREIGN' && constraint.pktable) taken.add(relationOf(constraint.pktable), 'ShareRowExclusiveLock');
}

const DROPPED_RELATIONS: Record<string, true> = { OBJECT_TABLE: true, OBJECT_VIEW: true, OBJECT_MATVIEW: true, OBJECT_SEQUENCE: true, OBJECT_FOREIGN_TABLE: true };
const DROPPED_ON_TABLE: Record<string, true> = { OBJECT_TRIGGER: true, OBJECT_POLICY: true, OBJECT_RULE: true };

function dropLocks(s: DropStmt, taken: Locks): StatementLocks {
  const kind = s.removeType ?? '';
  const cascade = s.behavior === 'DROP_CASCADE';
  const names = (s.objects ?? []).map((o) => relationOfNameList(listItems(o), DROPPED_ON_TABLE[kind] ? 1 : 0));
  if (DROPPED_RELATIONS[kind] || kind === 'OBJECT_INDEX' || DROPPED_ON_TABLE[kind]) {
    if (names.some((n) => n === undefined)) return { kind: 'unknown', reason: 'DROP of a name it cannot read' };
    for (const name of names as RelationName[]) {
      if (kind === 'OBJECT_INDEX') {
        const mode = s.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
        taken.add(name, mode);
        taken.add(name, mode, 'no', undefined, 'table-of-index');
      } else {
        taken.add(name, 'AccessExclusiveLock');
      }
    }
    // a dropped table's foreign keys reach other tables; CASCADE drops what depends on it
    return taken.result(!cascade && kind !== 'OBJECT_TABLE');
  }
  if (cascade) return { kind: 'unknown', reason: 'DROP ... CASCADE drops whatever depends on it' };
  const plain = ['OBJECT_TYPE', 'OBJECT_DOMAIN', 'OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_SCHEMA', 'OBJECT_EXTENSION', 'OBJECT_AGGREGATE', 'OBJECT_OPERATOR', 'OBJECT_CAST', 'OBJECT_COLLATION'];
  if (plain.includes(kind) && kind !== 'OBJECT_EXTENSION') return taken.result();
  return { kind: 'unknown', reason: `DROP ${kind.slice('OBJECT_'.length)} is not predicted` };
}

function reindexLocks(s: ReindexStmt, taken: Locks): StatementLocks {
  const concurrent = (s.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently' && !isFalse(p.DefElem.arg));
  if (!s.relation || (s.kind !== 'REINDEX_OBJECT_INDEX' && s.kind !== 'REINDEX_OBJECT_TABLE')) {
    return { kind: 'unknown', reason: 'REINDEX of a schema, a database or the system catalogs locks every table in it' };
  }
  const name = relationOf(s.relation);
  if (s.kind === 'REINDEX_OBJECT_INDEX') {
    taken.add(name, concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', 'yes');
    taken.add(name, concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock', 'no', undefined, 'table-of-index');
    return taken.result(!concurrent);
  }
  taken.add(name, concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
  return taken.result(false); // each of its indexes: ACCESS EXCLUSIVE (SHARE UPDATE EXCLUSIVE concurrently), rebuilt
}
