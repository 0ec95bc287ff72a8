/**
 * The SQL statements a `DO` block runs, for lint: they run in the revision as much as the
 * statements around the block do (`DO $$ BEGIN ALTER TABLE ...; CREATE INDEX ...; END $$`), so
 * they are checked like them. PostgreSQL's PL/pgSQL parser finds them (each plain SQL statement,
 * in IF branches and loops too); each is parsed with the SQL grammar at its place in the file, so
 * its findings point into the block. Dynamic SQL (EXECUTE of a string) cannot be read. Pure once
 * the parser is loaded.
 */
import type { Node } from 'libpg-query';
import { loadedSqlParser } from '../sql/parser.js';
import { splitStatements, type SqlStatement } from '../sql/split-statements.js';

const QUOTE = '$strata_lint_do$';

/** The statements inside `statement` when it is a PL/pgSQL DO block whose body is written as is (dollar-quoted); else none. */
export function statementsInDoBlock(body: string, statement: SqlStatement): SqlStatement[] {
  if (!('DoStmt' in statement.ast)) return [];
  const options = new Map<string, string | undefined>();
  for (const arg of statement.ast.DoStmt.args ?? []) {
    if ('DefElem' in arg && arg.DefElem.defname) options.set(arg.DefElem.defname, stringOf(arg.DefElem.arg));
  }
  const code = options.get('as');
  const language = options.get('language') ?? 'plpgsql';
  if (code === undefined || language.toLowerCase() !== 'plpgsql' || code.includes(QUOTE)) return [];
  const codeAt = statement.text.indexOf(code);
  if (codeAt === -1) return []; // a quoted body with escapes: its text is not the file's
  let tree: unknown;
  try {
    tree = loadedSqlParser('statementsInDoBlock').parsePlPgSQLSync(`create function pg_temp.strata_lint_do() returns void language plpgsql as ${QUOTE}${code}${QUOTE}`);
  } catch {
    return []; // the server reports what is wrong with the block when it runs it
  }
  const found: SqlStatement[] = [];
  let cursor = 0;
  for (const query of embeddedQueries(tree)) {
    const at = code.indexOf(query, cursor);
    if (at === -1) continue;
    cursor = at + query.length;
    const start = statement.start + codeAt + at;
    // padded with one space per UTF-8 byte before it, the parser's locations are the file's own
    const bytesBefore = Buffer.byteLength(body.slice(0, start));
    const split = splitStatements(' '.repeat(bytesBefore) + query);
    if (!split.ok) continue;
    for (const inner of split.statements) {
      const shift = start - bytesBefore;
      found.push({ ...inner, start: inner.start + shift, end: inner.end + shift });
    }
  }
  return found;
}

/** The query of every plain SQL statement of a PL/pgSQL tree, in the order they are written. */
function embeddedQueries(tree: unknown): string[] {
  const queries: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const execsql = (node as { PLpgSQL_stmt_execsql?: { sqlstmt?: { PLpgSQL_expr?: { query?: string } } } }).PLpgSQL_stmt_execsql;
    const query = execsql?.sqlstmt?.PLpgSQL_expr?.query;
    if (query !== undefined) queries.push(query);
    for (const value of Object.values(node)) visit(value);
  };
  visit(tree);
  return queries;
}

function stringOf(node: Node | undefined): string | undefined {
  return node !== undefined && 'String' in node ? node.String.sval : undefined;
}
