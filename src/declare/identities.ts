import { splitQualified } from '../schema/model/qualified-name.js';
import { quoteLiteral } from '../sql/quote.js';
import type { ObjectKind, SchemaObject } from '../schema/model/snapshot.js';

/**
 * Identities as the snapshot spells them, taken apart: `column public.orders.note` is the column
 * `note` of the table `public.orders`. Names stay as quote_ident wrote them, so they go back into
 * SQL as they are. Pure.
 */

export { splitQualified };

/** What follows the kind in an identity: `table public.orders` -> `public.orders` */
export function qualifiedName(object: Pick<SchemaObject, 'kind' | 'identity'>): string {
  return object.identity.slice(object.kind.length + 1);
}

/** The table part and the last name of a child's identity: `trigger public.t.tr` -> ['public.t', 'tr'] */
export function onTable(object: Pick<SchemaObject, 'kind' | 'identity'>): [table: string, name: string] {
  const parts = splitQualified(qualifiedName(object));
  const name = parts.pop()!;
  return [parts.join('.'), name];
}

/** The last part of a qualified name, as quoted: `public."Order"` -> `"Order"` */
export function lastName(qualified: string): string {
  return splitQualified(qualified).pop()!;
}

/** A routine's identity without its argument list: `function public.f(integer)` -> `public.f` */
export function routineName(object: Pick<SchemaObject, 'kind' | 'identity'>): string {
  const qualified = qualifiedName(object);
  return qualified.slice(0, openParen(qualified));
}

/** the index of the '(' that opens an identity's argument list (not one inside a quoted name) */
function openParen(text: string): number {
  let quoted = false;
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '"') quoted = !quoted;
    else if (text[k] === '(' && !quoted) return k;
  }
  return text.length;
}

export function literal(text: string): string {
  return quoteLiteral(text);
}

/** A name as quote_ident writes it */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** quote_ident'ed name back to the name */
export function unquote(quoted: string): string {
  return quoted.startsWith('"') ? quoted.slice(1, -1).replace(/""/g, '"') : quoted;
}

// the reserved words quote_ident quotes (enough for the names a rename gives)
const RESERVED = new Set(['all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check', 'collate', 'column', 'constraint', 'create',
  'current_catalog', 'current_date', 'current_role', 'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do', 'else', 'end', 'except',
  'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'initially', 'intersect', 'into', 'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not',
  'null', 'offset', 'on', 'only', 'or', 'order', 'placing', 'primary', 'references', 'returning', 'select', 'session_user', 'some', 'symmetric', 'system_user', 'table', 'then', 'to',
  'trailing', 'true', 'union', 'unique', 'user', 'using', 'variadic', 'when', 'where', 'window', 'with']);

/**
 * Which kind of object schema.sql writes first (pg_dump's order, as render.ts has it): the order
 * among objects that do not need each other, and the order of the groups a migration shows.
 */
export const KIND_PRIORITY: Record<ObjectKind, number> = {
  schema: 1, extension: 2, collation: 3, type: 4, domain: 5, function: 6, procedure: 6, aggregate: 7, sequence: 8, 'foreign-data wrapper': 8.3, server: 8.4, 'user mapping': 8.5, table: 9, 'foreign table': 9, column: 9.5,
  view: 10, 'materialized view': 11, constraint: 12, 'sequence owned by': 12, index: 13, trigger: 15, rule: 16, policy: 17, 'event trigger': 18, publication: 18.5, subscription: 18.6,
  comment: 19, privileges: 20, 'default privileges': 21,
};

export function priorityOf(object: SchemaObject): number {
  if (object.kind === 'constraint' && object.attributes.type === 'foreign key') return 14;
  return KIND_PRIORITY[object.kind];
}

/** The object a statement is shown under: the top of its parent chain (a column's comment under the table) */
export function groupOf(object: SchemaObject, objects: ReadonlyMap<string, SchemaObject>): string {
  let top = object;
  for (let parent = top.parent && objects.get(top.parent); parent; parent = parent.parent && objects.get(parent.parent)) top = parent;
  return top.parent ?? top.identity;
}

/** The SQL a kind's DDL names it with (a materialized view's, a routine's signature) */
export function ddlName(object: SchemaObject): string {
  if (object.kind === 'aggregate') {
    const args = typeof object.attributes.arguments === 'string' ? object.attributes.arguments : '';
    return `${routineName(object)}(${args === '' ? '*' : args})`;
  }
  return qualifiedName(object);
}
