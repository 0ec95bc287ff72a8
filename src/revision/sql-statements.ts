/**
 * Splitting a migration body into top-level SQL statements with the real PostgreSQL parser (libpg-query, WASM),
 * and classifying each statement (transaction control, cannot run inside a transaction block, a readable label).
 *
 * Offsets: libpg-query reports statement locations (stmt_location/stmt_len) and scanner tokens in UTF-8 bytes,
 * and error cursor positions (sqlDetails.cursorPosition) as PostgreSQL's 1-based character position minus one,
 * i.e. 0-based code points. Everything this module returns is a UTF-16 index into the body.
 *
 * Cost: one parse per body. stmt_location is the statement's first token and location + stmt_len is its
 * terminating semicolon, so boundaries need no token list; the scanner (about three times the cost of a parse)
 * only runs over the last statement when it has no semicolon, to find its last token.
 */
import type { DefElem, Node, ObjectType, RawStmt, ScanToken, TransactionStmt } from 'libpg-query';
import {
  skipWhitespaceAndComments,
  utf16IndexFromCodePointPosition,
} from '../source-position.js';
import { isSpaceAt, lexSql } from './sql-lexer.js';
import { withoutWasmTierUp } from '../wasm-tier-up.js';

export interface SqlStatement {
  /** UTF-16 index into the body of the statement's first token (never leading whitespace or comments) */
  start: number;
  /** UTF-16 index just past the statement, including its terminating semicolon when it has one */
  end: number;
  /** body.slice(start, end) */
  text: string;
  /** parser node type, e.g. 'CreateStmt', 'TransactionStmt', 'IndexStmt' */
  nodeType: string;
  /** BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, ROLLBACK TO, PREPARE TRANSACTION, COMMIT PREPARED, ROLLBACK PREPARED — top level only (not inside function bodies: those are strings to the parser) */
  isTransactionControl: boolean;
  /** a short readable name for messages, e.g. 'BEGIN', 'COMMIT', 'CREATE TABLE', 'CREATE INDEX CONCURRENTLY', 'VACUUM' */
  label: string;
  /** statements PostgreSQL refuses inside a transaction block (PreventInTransactionBlock): CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, REINDEX SCHEMA/SYSTEM/DATABASE, VACUUM, CLUSTER without a table, CREATE/DROP DATABASE, ALTER DATABASE SET TABLESPACE, CREATE/DROP TABLESPACE, ALTER SYSTEM, DISCARD ALL, ALTER TABLE DETACH PARTITION CONCURRENTLY, COMMIT/ROLLBACK PREPARED, and the subscription commands that create, drop or alter replication slots or refresh */
  cannotRunInTransaction: boolean;
  /** COPY ... FROM STDIN: psql sends the rows written after it; a migration run by strata has none */
  readsStdin: boolean;
  /** for transaction control: what it does, the savepoint it names, and AND CHAIN (a new block opens at once) */
  transaction?: TransactionControl;
}

export interface TransactionControl {
  kind: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback-to' | 'prepare' | 'commit-prepared' | 'rollback-prepared';
  /** as the server folds it (unquoted names lower-cased) */
  savepoint: string | undefined;
  chain: boolean;
}

export interface SqlSyntaxProblem {
  kind: 'syntax' | 'meta-command' | 'too-deep' | 'copy-data';
  /** parser message, or for meta-commands: "psql meta-command \\i is not SQL" style text */
  message: string;
  /** UTF-16 index into the body where the problem is (first char of the offending token / of the backslash) */
  offset: number;
}

export type SplitResult = { ok: true; statements: SqlStatement[] } | { ok: false; problem: SqlSyntaxProblem };

type PgQuery = typeof import('libpg-query');

let parser: PgQuery | undefined;
let loading: Promise<void> | undefined;

/** Loads the WASM parser once; must be awaited before splitStatements. Cheap to call again. */
export async function loadSqlParser(): Promise<void> {
  if (parser) return;
  loading ??= (async () => {
    const mod = await import('libpg-query');
    // see wasm-tier-up.ts: the parser's hot functions are not worth TurboFan in a CLI run
    await withoutWasmTierUp(() => mod.loadModule());
    parser = mod;
  })();
  try {
    await loading;
  } catch (error) {
    loading = undefined; // allow a retry after a failed load
    throw error;
  }
}

/** Synchronous after loadSqlParser(). Empty or comment-only bodies give ok with []. */
export function splitStatements(body: string): SplitResult {
  const pg = parser;
  if (!pg) throw new Error('SQL parser not loaded: await loadSqlParser() before splitStatements()');

  // The text crosses into C as a NUL-terminated string: a NUL would silently cut it short.
  const nul = body.indexOf('\0');
  if (nul !== -1) {
    return { ok: false, problem: { kind: 'syntax', message: 'invalid byte sequence for encoding "UTF8": 0x00', offset: nul } };
  }
  // parseSync refuses '' outright; whitespace- and comment-only bodies parse to no statements
  if (body.length === 0) return { ok: true, statements: [] };

  let rawStmts: RawStmt[];
  try {
    rawStmts = pg.parseSync(body).stmts ?? [];
  } catch (error) {
    // a very deeply nested expression (1 + 1 + ... a hundred thousand times) exhausts the WASM
    // parser's stack before PostgreSQL's own max_stack_depth would stop it
    if (error instanceof RangeError) {
      return { ok: false, problem: { kind: 'too-deep', message: 'this SQL nests too deeply for the SQL parser to read (its stack ran out)', offset: skipWhitespaceAndComments(body, 0) } };
    }
    if (!pg.hasSqlDetails(error)) throw error;
    return { ok: false, problem: syntaxProblemAt(body, error.message, error.sqlDetails?.cursorPosition ?? 0) };
  }
  if (rawStmts.length === 0) return { ok: true, statements: [] };

  const toUtf16 = byteOffsetMapper(body);
  const statements: SqlStatement[] = [];
  for (const raw of rawStmts) {
    if (!raw.stmt) continue;
    // Offsets from the parser are UTF-8 bytes. stmt_location is a token boundary (the first token of the
    // statement; 0/absent for the first statement); skipping whitespace and comments from there is exact.
    const location = raw.stmt_location ?? 0;
    const start = skipWhitespaceAndComments(body, toUtf16(location));
    let end: number;
    if (raw.stmt_len) {
      // location + stmt_len is where the terminating semicolon is
      const semicolon = toUtf16(location + raw.stmt_len);
      end = body.charCodeAt(semicolon) === 0x3b ? semicolon + 1 : lastTokenEnd(pg, body, start, semicolon);
    } else {
      // stmt_len 0/absent: "to the end of the string", the last statement without a semicolon
      end = lastTokenEnd(pg, body, start, body.length);
    }
    const { nodeType, label, isTransactionControl, cannotRunInTransaction } = classify(raw.stmt, body, start);
    statements.push({
      start,
      end,
      text: body.slice(start, end),
      nodeType,
      isTransactionControl,
      label,
      cannotRunInTransaction,
      readsStdin: isCopyFromStdin(raw.stmt),
      ...('TransactionStmt' in raw.stmt ? { transaction: transactionControl(raw.stmt.TransactionStmt) } : {}),
    });
  }
  return { ok: true, statements };
}

function isCopyFromStdin(stmt: unknown): boolean {
  const copy = (stmt as { CopyStmt?: { is_from?: boolean; filename?: string; is_program?: boolean } }).CopyStmt;
  return copy !== undefined && copy.is_from === true && copy.filename === undefined && copy.is_program !== true;
}

// ---------------------------------------------------------------------------------------------------------------
// Offsets

/**
 * Maps UTF-8 byte offsets of `text` to UTF-16 indexes. Calls with non-decreasing offsets cost O(total length);
 * a smaller offset than the previous call restarts from the beginning. Encoding matches Emscripten's
 * stringToUTF8 (used by libpg-query): surrogate pair = 4 bytes, lone surrogate = 3 bytes.
 */
function byteOffsetMapper(text: string): (byteOffset: number) => number {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return (byteOffset) => Math.max(0, Math.min(byteOffset, text.length));
  let bytes = 0;
  let index = 0;
  return (byteOffset) => {
    if (byteOffset < bytes) {
      bytes = 0;
      index = 0;
    }
    while (index < text.length) {
      const code = text.charCodeAt(index);
      let size = 3;
      let units = 1;
      if (code < 0x80) size = 1;
      else if (code < 0x800) size = 2;
      else if (code >= 0xd800 && code <= 0xdbff) {
        const low = text.charCodeAt(index + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          size = 4;
          units = 2;
        }
      }
      if (bytes + size > byteOffset) break;
      bytes += size;
      index += units;
    }
    return index;
  };
}

/**
 * UTF-16 index just past the last token (not comment) of body[from, to), found with the real scanner; `from` if
 * there is none. libpg-query's scanSync hands tokens over as JSON without escaping control characters other than
 * \t \n \r, so those are blanked first: they can only occur inside literals, quoted identifiers and comments (or
 * as whitespace, \f \v), so one-byte spaces in their place change neither token boundaries nor byte offsets.
 * Should the scanner still fail, the local lexer (same quoting rules) stands in.
 */
function lastTokenEnd(pg: PgQuery, body: string, from: number, to: number): number {
  const text = body.slice(from, to);
  // eslint-disable-next-line no-control-regex
  const scanText = /[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(text) ? text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, ' ') : text;
  let tokens: ScanToken[];
  try {
    tokens = pg.scanSync(scanText).tokens;
  } catch {
    const last = lexSql(text).tokens.at(-1);
    return last ? from + last.end : from;
  }
  for (let k = tokens.length - 1; k >= 0; k -= 1) {
    const token = tokens[k]!;
    if (token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT') continue;
    return from + byteOffsetMapper(text)(token.end);
  }
  return from;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and psql meta-commands

/** A parser error (its message and cursorPosition) as a problem at the right place of `body`. */
export function syntaxProblemAt(body: string, message: string, cursorPosition: number): SqlSyntaxProblem {
  const lexed = lexSql(body);
  // A backslash outside literals and comments is never SQL: psql would take it, and the rest of its line, as a
  // meta-command. It is the real problem even if the parser tripped elsewhere first.
  if (lexed.backslash !== undefined) {
    const name = metaCommandName(body, lexed.backslash);
    // `\.` ends the rows of a COPY ... FROM STDIN in a psql script (pg_dump writes them so)
    if (name === '\\.') return { kind: 'copy-data', message: 'COPY ... FROM STDIN with its rows inline (ending in \\.) is psql\'s: strata runs SQL only, and has no rows to send', offset: lexed.backslash };
    return { kind: 'meta-command', message: `psql meta-command ${name} is not SQL`, offset: lexed.backslash };
  }
  // libpg-query's cursorPosition is PostgreSQL's 1-based character position minus one (0 also when unknown).
  let offset = utf16IndexFromCodePointPosition(body, cursorPosition + 1);
  if (/ at end of input$/.test(message) && lexed.tokens.length > 0) {
    // there is no offending token: point just past the last one rather than past trailing whitespace/comments
    offset = lexed.tokens[lexed.tokens.length - 1]!.end;
  } else if (cursorPosition === 0 && isSpaceAt(body, 0)) {
    offset = skipWhitespaceAndComments(body, 0);
  }
  return { kind: 'syntax', message, offset };
}

/** `\i`, `\set`, `\copy`, `\\`, … as psql reads the command name: up to whitespace or the next backslash. */
function metaCommandName(body: string, backslash: number): string {
  let end = backslash + 1;
  if (body.charCodeAt(end) === 0x5c) return '\\\\';
  while (end < body.length && !isSpaceAt(body, end) && body.charCodeAt(end) !== 0x5c) end += 1;
  const name = body.slice(backslash + 1, Math.min(end, backslash + 1 + 32));
  return `\\${name}${end - backslash - 1 > 32 ? '…' : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Classification

interface Classification {
  nodeType: string;
  label: string;
  isTransactionControl: boolean;
  cannotRunInTransaction: boolean;
}

function classify(stmt: Node, body: string, start: number): Classification {
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

function transactionControl(t: TransactionStmt): TransactionControl {
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
