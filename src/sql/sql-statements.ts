/**
 * Splitting a migration body into top-level SQL statements with the real PostgreSQL parser (libpg-query, WASM);
 * what each statement is comes from classify-statement.ts.
 *
 * Offsets: libpg-query reports statement locations (stmt_location/stmt_len) and scanner tokens in UTF-8 bytes,
 * and error cursor positions (sqlDetails.cursorPosition) as PostgreSQL's 1-based character position minus one,
 * i.e. 0-based code points. Everything this module returns is a UTF-16 index into the body.
 *
 * Cost: one parse per body. stmt_location is the statement's first token and location + stmt_len is its
 * terminating semicolon, so boundaries need no token list; the scanner (about three times the cost of a parse)
 * only runs over the last statement when it has no semicolon, to find its last token.
 */
import type { RawStmt, ScanToken } from 'libpg-query';
import { classify, isCopyFromStdin, transactionControl, type TransactionControl } from './classify-statement.js';

export type { TransactionControl } from './classify-statement.js';
import {
  skipWhitespaceAndComments,
  utf16IndexFromCodePointPosition,
} from '../text/source-position.js';
import { isSpaceAt, lexSql } from './sql-lexer.js';
import { withoutWasmTierUp } from './wasm-tier-up.js';

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
