/**
 * What a parsed statement is, for the checks and messages that depend on it: its node type, a
 * readable label, whether it is transaction control (and which), whether PostgreSQL refuses it
 * inside a transaction block, and whether it reads rows from the client (COPY ... FROM STDIN).
 */
import type { DefElem, Node, ObjectType, TransactionStmt } from 'libpg-query';

export interface TransactionControl {
  kind: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback-to' | 'prepare' | 'commit-prepared' | 'rollback-prepared';
  /** as the server folds it (unquoted names lower-cased) */
  savepoint: string | undefined;
  chain: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Classification

export interface Classification {
  nodeType: string;
  label: string;
  isTransactionControl: boolean;
  cannotRunInTransaction: boolean;
}

export function classify(stmt: Node, body: string, start: number): Classification {
  const nodeType = Object.keys(stmt)[0] ?? 'Unknown';
  let label = genericLabel(stmt, nodeType);
  let isTransactionControl = false;
  let cannotRunInTransaction = false;

  if ('TransactionStmt' in stmt) {
    isTransactionControl = true;
    label = transactionLabel(stmt.TransactionStmt, body, start);
    cannotRunInTransaction =
      stmt.TransactionStmt.kind === 'TRANS_STMT_COMMIT_PREPARED' ||
      stmt.TransactionStmt.kind === 'TRANS_STMT_ROLLBACK_PREPARED';
  } else if ('IndexStmt' in stmt) {
    if (stmt.IndexStmt.concurrent) {
      cannotRunInTransaction = true;
      label = 'CREATE INDEX CONCURRENTLY';
    }
  } else if ('DropStmt' in stmt) {
    if (stmt.DropStmt.concurrent) {
      cannotRunInTransaction = true;
      label = `${label} CONCURRENTLY`;
    }
  } else if ('ReindexStmt' in stmt) {
    const r = stmt.ReindexStmt;
    if (r.kind === 'REINDEX_OBJECT_SCHEMA' || r.kind === 'REINDEX_OBJECT_SYSTEM' || r.kind === 'REINDEX_OBJECT_DATABASE') {
      cannotRunInTransaction = true;
      label = `REINDEX ${r.kind.slice('REINDEX_OBJECT_'.length)}`;
    }
    if (defElemBool(findDefElem(r.params, 'concurrently'), false)) {
      cannotRunInTransaction = true;
      label = 'REINDEX CONCURRENTLY';
    }
  } else if ('VacuumStmt' in stmt) {
    cannotRunInTransaction = stmt.VacuumStmt.is_vacuumcmd === true; // ANALYZE alone may run in a transaction
  } else if ('ClusterStmt' in stmt) {
    cannotRunInTransaction = !stmt.ClusterStmt.relation; // CLUSTER of every previously clustered table
  } else if (
    'CreatedbStmt' in stmt ||
    'DropdbStmt' in stmt ||
    'CreateTableSpaceStmt' in stmt ||
    'DropTableSpaceStmt' in stmt ||
    'AlterSystemStmt' in stmt
  ) {
    cannotRunInTransaction = true;
  } else if ('AlterDatabaseStmt' in stmt) {
    if (findDefElem(stmt.AlterDatabaseStmt.options, 'tablespace')) {
      cannotRunInTransaction = true;
      label = 'ALTER DATABASE SET TABLESPACE';
    }
  } else if ('DiscardStmt' in stmt) {
    cannotRunInTransaction = stmt.DiscardStmt.target === 'DISCARD_ALL';
  } else if ('AlterTableStmt' in stmt) {
    for (const cmd of stmt.AlterTableStmt.cmds ?? []) {
      if (!('AlterTableCmd' in cmd)) continue;
      const def = cmd.AlterTableCmd.def;
      if (cmd.AlterTableCmd.subtype === 'AT_DetachPartition' && def && 'PartitionCmd' in def && def.PartitionCmd.concurrent) {
        cannotRunInTransaction = true;
        label = 'ALTER TABLE DETACH PARTITION CONCURRENTLY';
      }
    }
  } else if ('CreateSubscriptionStmt' in stmt) {
    // create_slot defaults to connect, which defaults to true
    const options = stmt.CreateSubscriptionStmt.options;
    const connect = defElemBool(findDefElem(options, 'connect'), true);
    cannotRunInTransaction = defElemBool(findDefElem(options, 'create_slot'), connect);
  } else if ('AlterSubscriptionStmt' in stmt) {
    const a = stmt.AlterSubscriptionStmt;
    switch (a.kind) {
      case 'ALTER_SUBSCRIPTION_REFRESH':
        cannotRunInTransaction = true;
        break;
      case 'ALTER_SUBSCRIPTION_SET_PUBLICATION':
      case 'ALTER_SUBSCRIPTION_ADD_PUBLICATION':
      case 'ALTER_SUBSCRIPTION_DROP_PUBLICATION':
        cannotRunInTransaction = defElemBool(findDefElem(a.options, 'refresh'), true);
        break;
      case 'ALTER_SUBSCRIPTION_OPTIONS': {
        // changing the slot's failover flag, or turning two_phase off, alters the remote slot
        const twoPhase = findDefElem(a.options, 'two_phase');
        cannotRunInTransaction =
          findDefElem(a.options, 'failover') !== undefined || (twoPhase !== undefined && !defElemBool(twoPhase, true));
        break;
      }
      default:
        break;
    }
  } else if ('DropSubscriptionStmt' in stmt) {
    // refused when the subscription has a replication slot, which is the default
    cannotRunInTransaction = true;
  }
  return { nodeType, label, isTransactionControl, cannotRunInTransaction };
}

const TRANSACTION_KINDS: Record<string, TransactionControl['kind']> = {
  TRANS_STMT_BEGIN: 'begin', TRANS_STMT_START: 'begin', TRANS_STMT_COMMIT: 'commit', TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint', TRANS_STMT_RELEASE: 'release', TRANS_STMT_ROLLBACK_TO: 'rollback-to',
  TRANS_STMT_PREPARE: 'prepare', TRANS_STMT_COMMIT_PREPARED: 'commit-prepared', TRANS_STMT_ROLLBACK_PREPARED: 'rollback-prepared',
};

export function transactionControl(t: TransactionStmt): TransactionControl {
  return { kind: TRANSACTION_KINDS[t.kind ?? ''] ?? 'begin', savepoint: t.savepoint_name, chain: t.chain === true };
}

function transactionLabel(t: TransactionStmt, body: string, start: number): string {
  const firstWord = /^[A-Za-z]+/.exec(body.slice(start, start + 16))?.[0]?.toUpperCase();
  switch (t.kind) {
    case 'TRANS_STMT_BEGIN':
      return 'BEGIN';
    case 'TRANS_STMT_START':
      return 'START TRANSACTION';
    case 'TRANS_STMT_COMMIT':
      return firstWord === 'END' ? 'END' : 'COMMIT';
    case 'TRANS_STMT_ROLLBACK':
      return firstWord === 'ABORT' ? 'ABORT' : 'ROLLBACK';
    case 'TRANS_STMT_SAVEPOINT':
      return 'SAVEPOINT';
    case 'TRANS_STMT_RELEASE':
      return 'RELEASE';
    case 'TRANS_STMT_ROLLBACK_TO':
      return 'ROLLBACK TO';
    case 'TRANS_STMT_PREPARE':
      return 'PREPARE TRANSACTION';
    case 'TRANS_STMT_COMMIT_PREPARED':
      return 'COMMIT PREPARED';
    case 'TRANS_STMT_ROLLBACK_PREPARED':
      return 'ROLLBACK PREPARED';
    default:
      return firstWord ?? 'TRANSACTION';
  }
}

function findDefElem(list: Node[] | undefined, name: string): DefElem | undefined {
  for (const item of list ?? []) {
    if ('DefElem' in item && item.DefElem.defname === name) return item.DefElem;
  }
  return undefined;
}

/** PostgreSQL's defGetBoolean: no argument means true. */
function defElemBool(def: DefElem | undefined, absent: boolean): boolean {
  if (!def) return absent;
  const arg = def.arg;
  if (!arg) return true;
  if ('Boolean' in arg) return arg.Boolean.boolval === true;
  if ('Integer' in arg) return (arg.Integer.ival ?? 0) !== 0;
  if ('String' in arg) {
    const v = (arg.String.sval ?? '').toLowerCase();
    return !(v === 'false' || v === 'off' || v === 'no' || v === 'f' || v === 'n' || v === '0');
  }
  return true;
}

const OBJECT_NAMES: Partial<Record<ObjectType, string>> = {
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_FDW: 'FOREIGN DATA WRAPPER',
  OBJECT_FOREIGN_SERVER: 'SERVER',
  OBJECT_OPCLASS: 'OPERATOR CLASS',
  OBJECT_OPFAMILY: 'OPERATOR FAMILY',
  OBJECT_STATISTIC_EXT: 'STATISTICS',
  OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
  OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  OBJECT_TSPARSER: 'TEXT SEARCH PARSER',
  OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE',
  OBJECT_LARGEOBJECT: 'LARGE OBJECT',
  OBJECT_COLUMN: 'TABLE',
  OBJECT_TABCONSTRAINT: 'TABLE',
  OBJECT_ATTRIBUTE: 'TYPE',
  OBJECT_DOMCONSTRAINT: 'DOMAIN',
  OBJECT_DEFACL: 'DEFAULT PRIVILEGES',
};

function objectName(type: ObjectType | undefined): string {
  if (!type) return 'OBJECT';
  return OBJECT_NAMES[type] ?? type.replace(/^OBJECT_/, '').replace(/_/g, ' ');
}

const FIXED_LABELS: Record<string, string> = {
  InsertStmt: 'INSERT',
  DeleteStmt: 'DELETE',
  UpdateStmt: 'UPDATE',
  MergeStmt: 'MERGE',
  CreateStmt: 'CREATE TABLE',
  ViewStmt: 'CREATE VIEW',
  IndexStmt: 'CREATE INDEX',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CreateDomainStmt: 'CREATE DOMAIN',
  AlterDomainStmt: 'ALTER DOMAIN',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateEnumStmt: 'CREATE TYPE',
  CreateRangeStmt: 'CREATE TYPE',
  AlterEnumStmt: 'ALTER TYPE',
  AlterTypeStmt: 'ALTER TYPE',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateEventTrigStmt: 'CREATE EVENT TRIGGER',
  AlterEventTrigStmt: 'ALTER EVENT TRIGGER',
  RuleStmt: 'CREATE RULE',
  CreatePolicyStmt: 'CREATE POLICY',
  AlterPolicyStmt: 'ALTER POLICY',
  CreateExtensionStmt: 'CREATE EXTENSION',
  AlterExtensionStmt: 'ALTER EXTENSION',
  AlterExtensionContentsStmt: 'ALTER EXTENSION',
  CreateFdwStmt: 'CREATE FOREIGN DATA WRAPPER',
  AlterFdwStmt: 'ALTER FOREIGN DATA WRAPPER',
  CreateForeignServerStmt: 'CREATE SERVER',
  AlterForeignServerStmt: 'ALTER SERVER',
  CreateForeignTableStmt: 'CREATE FOREIGN TABLE',
  CreateUserMappingStmt: 'CREATE USER MAPPING',
  AlterUserMappingStmt: 'ALTER USER MAPPING',
  DropUserMappingStmt: 'DROP USER MAPPING',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  AlterTableSpaceOptionsStmt: 'ALTER TABLESPACE',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  AlterDatabaseStmt: 'ALTER DATABASE',
  AlterDatabaseSetStmt: 'ALTER DATABASE',
  AlterDatabaseRefreshCollStmt: 'ALTER DATABASE',
  AlterSystemStmt: 'ALTER SYSTEM',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  AlterRoleSetStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  DropOwnedStmt: 'DROP OWNED',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES',
  TruncateStmt: 'TRUNCATE TABLE',
  CommentStmt: 'COMMENT',
  SecLabelStmt: 'SECURITY LABEL',
  CopyStmt: 'COPY',
  DoStmt: 'DO',
  CallStmt: 'CALL',
  VariableShowStmt: 'SHOW',
  LockStmt: 'LOCK TABLE',
  ConstraintsSetStmt: 'SET CONSTRAINTS',
  CheckPointStmt: 'CHECKPOINT',
  ReindexStmt: 'REINDEX',
  ClusterStmt: 'CLUSTER',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  ExplainStmt: 'EXPLAIN',
  NotifyStmt: 'NOTIFY',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  LoadStmt: 'LOAD',
  CreateConversionStmt: 'CREATE CONVERSION',
  CreateCastStmt: 'CREATE CAST',
  CreateTransformStmt: 'CREATE TRANSFORM',
  CreatePLangStmt: 'CREATE LANGUAGE',
  CreateOpClassStmt: 'CREATE OPERATOR CLASS',
  CreateOpFamilyStmt: 'CREATE OPERATOR FAMILY',
  AlterOpFamilyStmt: 'ALTER OPERATOR FAMILY',
  AlterOperatorStmt: 'ALTER OPERATOR',
  AlterCollationStmt: 'ALTER COLLATION',
  AlterTSDictionaryStmt: 'ALTER TEXT SEARCH DICTIONARY',
  AlterTSConfigurationStmt: 'ALTER TEXT SEARCH CONFIGURATION',
  CreateAmStmt: 'CREATE ACCESS METHOD',
  CreatePublicationStmt: 'CREATE PUBLICATION',
  AlterPublicationStmt: 'ALTER PUBLICATION',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION',
  AlterSubscriptionStmt: 'ALTER SUBSCRIPTION',
  DropSubscriptionStmt: 'DROP SUBSCRIPTION',
  CreateStatsStmt: 'CREATE STATISTICS',
  AlterStatsStmt: 'ALTER STATISTICS',
  DeclareCursorStmt: 'DECLARE CURSOR',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  ReplicaIdentityStmt: 'ALTER TABLE',
};

/** Roughly PostgreSQL's CreateCommandTag(). */
function genericLabel(stmt: Node, nodeType: string): string {
  if ('SelectStmt' in stmt) return stmt.SelectStmt.intoClause ? 'SELECT INTO' : 'SELECT';
  if ('DropStmt' in stmt) return `DROP ${objectName(stmt.DropStmt.removeType)}`;
  if ('AlterTableStmt' in stmt) return `ALTER ${objectName(stmt.AlterTableStmt.objtype)}`;
  if ('AlterTableMoveAllStmt' in stmt) return `ALTER ${objectName(stmt.AlterTableMoveAllStmt.objtype)}`;
  if ('RenameStmt' in stmt) {
    const r = stmt.RenameStmt;
    // renaming a column or constraint is an ALTER of the relation that has it
    const columnLike = r.renameType === 'OBJECT_COLUMN' || r.renameType === 'OBJECT_TABCONSTRAINT';
    return `ALTER ${objectName(columnLike ? r.relationType ?? 'OBJECT_TABLE' : r.renameType)}`;
  }
  if ('AlterObjectSchemaStmt' in stmt) return `ALTER ${objectName(stmt.AlterObjectSchemaStmt.objectType)}`;
  if ('AlterOwnerStmt' in stmt) return `ALTER ${objectName(stmt.AlterOwnerStmt.objectType)}`;
  if ('AlterObjectDependsStmt' in stmt) return `ALTER ${objectName(stmt.AlterObjectDependsStmt.objectType)}`;
  if ('AlterFunctionStmt' in stmt) return `ALTER ${objectName(stmt.AlterFunctionStmt.objtype ?? 'OBJECT_FUNCTION')}`;
  if ('CreateFunctionStmt' in stmt) return stmt.CreateFunctionStmt.is_procedure ? 'CREATE PROCEDURE' : 'CREATE FUNCTION';
  if ('DefineStmt' in stmt) return `CREATE ${objectName(stmt.DefineStmt.kind)}`;
  if ('CreateTableAsStmt' in stmt) {
    const c = stmt.CreateTableAsStmt;
    if (c.objtype === 'OBJECT_MATVIEW') return 'CREATE MATERIALIZED VIEW';
    return c.is_select_into ? 'SELECT INTO' : 'CREATE TABLE AS';
  }
  if ('GrantStmt' in stmt) return stmt.GrantStmt.is_grant ? 'GRANT' : 'REVOKE';
  if ('GrantRoleStmt' in stmt) return stmt.GrantRoleStmt.is_grant ? 'GRANT ROLE' : 'REVOKE ROLE';
  if ('VariableSetStmt' in stmt) {
    const kind = stmt.VariableSetStmt.kind;
    return kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL' ? 'RESET' : 'SET';
  }
  if ('VacuumStmt' in stmt) return stmt.VacuumStmt.is_vacuumcmd ? 'VACUUM' : 'ANALYZE';
  if ('DiscardStmt' in stmt) {
    const target = stmt.DiscardStmt.target;
    return target ? `DISCARD ${target.slice('DISCARD_'.length)}` : 'DISCARD';
  }
  if ('FetchStmt' in stmt) return stmt.FetchStmt.ismove ? 'MOVE' : 'FETCH';
  if ('ClosePortalStmt' in stmt) return stmt.ClosePortalStmt.portalname ? 'CLOSE CURSOR' : 'CLOSE CURSOR ALL';
  if ('DeallocateStmt' in stmt) return stmt.DeallocateStmt.isall ? 'DEALLOCATE ALL' : 'DEALLOCATE';
  const fixed = FIXED_LABELS[nodeType];
  if (fixed) return fixed;
  // 'CreateFooBarStmt' -> 'CREATE FOO BAR'
  return nodeType
    .replace(/Stmt$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

export function isCopyFromStdin(stmt: unknown): boolean {
  const copy = (stmt as { CopyStmt?: { is_from?: boolean; filename?: string; is_program?: boolean } }).CopyStmt;
  return copy !== undefined && copy.is_from === true && copy.filename === undefined && copy.is_program !== true;
}
