/**
 * Splitting a migration body into its top-level SQL statements with the real PostgreSQL parser (libpg-query,
 * loaded by parser.ts), keeping for each its syntax tree and its source range; what each statement is comes
 * from classify-statement.ts.
 *
 * Offsets: libpg-query reports statement locations (stmt_location/stmt_len) and scanner tokens in UTF-8 bytes,
 * and error cursor positions (sqlDetails.cursorPosition) as PostgreSQL's 1-based character position minus one,
 * i.e. 0-based code points. Every offset this module returns is a UTF-16 index into the body (the units of
 * JavaScript strings and of the rest of strata); the syntax trees are the parser's own and keep its byte offsets.
 *
 * Cost: one parse per body, whose result is kept (the trees) rather than parsed again by whoever needs them.
 * stmt_location is the statement's first token and location + stmt_len is its terminating semicolon, so
 * boundaries need no token list; the scanner (about three times the cost of a parse) only runs over the last
 * statement when it has no semicolon, to find its last token.
 */
import type { Node, RawStmt, ScanToken } from 'libpg-query';
import { byteOffsetMapper } from '../text/source-position.js';
import { skipWhitespaceAndComments } from '../text/whitespace-and-comments.js';
import { classify, isCopyFromStdin, transactionControl, type TransactionControl } from './classify-statement.js';
import { lexSql } from './lexer.js';
import { loadedSqlParser, type SqlParser } from './parser.js';
import { syntaxProblemAt, type SqlSyntaxProblem } from './syntax-problem.js';

/**
 * One top-level statement of a body. Its source range is [start, end): UTF-16 indexes into the body (the
 * script's text from bodyOffset on), so its place in the file is lineColumnAt(script.text, script.bodyOffset + start).
 */
export interface SqlStatement {
  /** UTF-16 index into the body of the statement's first token (never leading whitespace or comments) */
  start: number;
  /** UTF-16 index just past the statement, including its terminating semicolon when it has one */
  end: number;
  /** body.slice(start, end) */
  text: string;
  /**
   * The statement's syntax tree as libpg-query parsed it (the RawStmt's `stmt`, e.g. `{ CreateStmt: ... }`),
   * for the checks that read more than the classification below. Its `location` fields are the parser's:
   * UTF-8 byte offsets into the whole body (not into `text`); byteOffsetMapper(body) turns them into indexes.
   */
  ast: Node;
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

/** A statement as running a script needs it: everything but the syntax tree (which the parse cache does not keep). */
export type ScriptStatement = Omit<SqlStatement, 'ast'>;

export type SplitResult = { ok: true; statements: SqlStatement[] } | { ok: false; problem: SqlSyntaxProblem };

/** Synchronous after loadSqlParser() (parser.ts). Empty or comment-only bodies give ok with []. */
export function splitStatements(body: string): SplitResult {
  const pg = loadedSqlParser('splitStatements');

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
      ast: raw.stmt,
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

/**
 * UTF-16 index just past the last token (not comment) of body[from, to), found with the real scanner; `from` if
 * there is none. libpg-query's scanSync hands tokens over as JSON without escaping control characters other than
 * \t \n \r, so those are blanked first: they can only occur inside literals, quoted identifiers and comments (or
 * as whitespace, \f \v), so one-byte spaces in their place change neither token boundaries nor byte offsets.
 * Should the scanner still fail, the local lexer (same quoting rules) stands in.
 */
function lastTokenEnd(pg: SqlParser, body: string, from: number, to: number): number {
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
