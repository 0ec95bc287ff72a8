import type { SqlParser } from '../../sql/parser.js';

/**
 * A view's query as PostgreSQL 16 and later write it, from PostgreSQL 15's pg_get_viewdef text.
 *
 * Up to 15 a stored view's range table held two placeholder entries (OLD and NEW), so
 * pg_get_viewdef always qualified a column (`orders.total`); from 16 they are gone, and a query
 * over one relation writes its own columns bare (`total`). Inner queries (sublinks, CTEs, the
 * branches of a UNION) are qualified on every version. So: when the top-level SELECT reads one
 * FROM item, the `<that item's name>.` in front of its columns at the top level is taken off,
 * and the same view gives the same text on 15 and on PGlite's 18.
 */
export function unqualifiedLikeNewerVersions(definition: string, parser: SqlParser): string {
  let tree: unknown;
  try {
    tree = parser.parseSync(definition);
  } catch {
    return definition; // never fails on pg_get_viewdef's text; if it did, the text stays as the server wrote it
  }
  const select = (tree as { stmts?: { stmt?: { SelectStmt?: Node } }[] }).stmts?.[0]?.stmt?.SelectStmt;
  if (!select || select.op !== 'SETOP_NONE') return definition;
  const from = select.fromClause as Node[] | undefined;
  if (!from || from.length !== 1) return definition;
  const name = fromItemName(from[0]!);
  if (name === undefined) return definition;
  const bytes = Buffer.from(definition);
  const cuts: [start: number, end: number][] = [];
  const visit = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) return node.forEach((item) => visit(item));
    if (node === null || typeof node !== 'object') return;
    // what is not the top level: an inner query, a CTE, the FROM item itself
    if (key === 'subselect' || key === 'withClause' || key === 'fromClause') return;
    const columnRef = (node as { ColumnRef?: { fields: Node[]; location: number } }).ColumnRef;
    if (columnRef) {
      const [first, second] = columnRef.fields;
      if (columnRef.fields.length === 2 && (first as { String?: { sval: string } }).String?.sval === name && (second as { String?: unknown }).String) {
        const end = identifierEnd(bytes, columnRef.location);
        if (bytes[end] === DOT) cuts.push([columnRef.location, end + 1]);
      }
      return;
    }
    for (const [childKey, child] of Object.entries(node)) visit(child, childKey);
  };
  visit(select);
  if (cuts.length === 0) return definition;
  const parts: Buffer[] = [];
  let at = 0;
  for (const [start, end] of cuts.sort((a, b) => a[0] - b[0])) {
    parts.push(bytes.subarray(at, start));
    at = end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts).toString();
}

type Node = Record<string, unknown>;

/** The name pg_get_viewdef qualifies the columns of a FROM item with: its alias, else the relation's name */
function fromItemName(item: Node): string | undefined {
  const [kind, value] = Object.entries(item)[0] ?? [];
  if (kind !== 'RangeVar' && kind !== 'RangeFunction' && kind !== 'RangeSubselect' && kind !== 'RangeTableFunc') return undefined;
  const node = value as { alias?: { aliasname?: string }; relname?: string };
  return node.alias?.aliasname ?? (kind === 'RangeVar' ? node.relname : undefined);
}

const DOT = 0x2e;
const QUOTE = 0x22;

/** Where the identifier at `start` ends (a quoted one with its doubled quotes, or a bare word) */
function identifierEnd(bytes: Buffer, start: number): number {
  let at = start;
  if (bytes[at] === QUOTE) {
    for (at++; at < bytes.length; at++) {
      if (bytes[at] !== QUOTE) continue;
      if (bytes[at + 1] === QUOTE) at++;
      else return at + 1;
    }
    return at;
  }
  while (at < bytes.length && /[A-Za-z0-9_$\x80-\xff]/.test(String.fromCharCode(bytes[at]!))) at++;
  return at;
}
