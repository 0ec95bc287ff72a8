import type { FieldChange } from '../schema/model/diff.js';
import type { Json, SchemaObject } from '../schema/model/snapshot.js';
import type { AlterResult } from './alter-table.js';
import { groupOf, literal, onTable, qualifiedName, quoteIdent } from './identities.js';
import { statement, type GeneratedStatement, type PlanContext } from './statement.js';

/**
 * The generator for the foreign-data family: a wrapper's, a server's, a user mapping's and a
 * foreign table's DROP, and their changes in place (ALTER ... OPTIONS (ADD/SET/DROP ...), a
 * server's VERSION, a wrapper's handler and validator, a foreign table's columns). What has no
 * ALTER (a server's wrapper or type, a foreign table's server) is made again. Secret options are
 * never in the objects (schema/introspect/secret-options.ts), so no statement here can hold one.
 * Pure.
 */

/** DROP for the four kinds; a foreign table holds no rows here, so dropping one loses nothing */
export function foreignDataDrop(object: SchemaObject): string {
  const name = qualifiedName(object);
  switch (object.kind) {
    case 'foreign-data wrapper':
      return `drop foreign data wrapper ${name};`;
    case 'user mapping':
      return `drop user mapping for ${String(object.attributes.role)} server ${String(object.attributes.server)};`;
    default:
      return `drop ${object.kind} ${name};`;
  }
}

/** What ALTER names the object with: `foreign data wrapper w`, `server s`, `user mapping for r server s`, `foreign table s.t` */
function alterHead(object: SchemaObject): string {
  return `alter ${object.kind === 'foreign-data wrapper' ? 'foreign data wrapper' : object.kind} ${qualifiedName(object)}`;
}

export function alterForeignData(before: SchemaObject, after: SchemaObject, fields: readonly FieldChange[], context: PlanContext): AlterResult {
  const changed = new Set(fields.map((f) => f.path.split('.')[0]!));
  const [a, b] = [after.attributes, before.attributes];
  const head = alterHead(after);
  const sql: string[] = [];
  switch (after.kind) {
    case 'server':
      if (changed.has('wrapper')) return { replace: `its foreign-data wrapper changes (${String(b.wrapper)} -> ${String(a.wrapper)}): PostgreSQL has no ALTER SERVER ... FOREIGN DATA WRAPPER` };
      if (changed.has('type')) return { replace: 'its type changes: PostgreSQL has no ALTER SERVER ... TYPE' };
      if (changed.has('version')) sql.push(`${head} version ${a.version === null ? 'null' : literal(String(a.version))};`);
      break;
    case 'foreign table':
      if (changed.has('server')) return { replace: `its server changes (${String(b.server)} -> ${String(a.server)}): PostgreSQL has no ALTER FOREIGN TABLE ... SERVER` };
      break;
    case 'foreign-data wrapper':
      if (changed.has('handler')) sql.push(`${head} ${a.handler === null ? 'no handler' : `handler ${String(a.handler)}`};`);
      if (changed.has('validator')) sql.push(`${head} ${a.validator === null ? 'no validator' : `validator ${String(a.validator)}`};`);
      break;
    default:
      break;
  }
  const options = optionsClause(b.options, a.options);
  if (options !== undefined) sql.push(`${head} ${options};`);
  const group = groupOf(after, context.desired);
  return { steps: { before: [], after: sql.map((s) => statement(s, after, group)) } };
}

/**
 * `options (drop k, set k 'v', add k 'v')` from the options before to those after (secrets are
 * not among them: an ALTER ... OPTIONS leaves the options it does not name as they are).
 */
export function optionsClause(before: Json | undefined, after: Json | undefined): string | undefined {
  const [was, now] = [(before ?? {}) as { [key: string]: Json }, (after ?? {}) as { [key: string]: Json }];
  const items: string[] = [];
  for (const key of Object.keys(was).sort()) if (!(key in now)) items.push(`drop ${quoteIdent(key)}`);
  for (const key of Object.keys(now).sort()) {
    if (!(key in was)) items.push(`add ${quoteIdent(key)} ${literal(String(now[key]))}`);
    else if (was[key] !== now[key]) items.push(`set ${quoteIdent(key)} ${literal(String(now[key]))}`);
  }
  return items.length === 0 ? undefined : `options (${items.join(', ')})`;
}

/**
 * A foreign table's column: type (with its collation; no USING, which PostgreSQL refuses on a
 * foreign table, and nothing is rewritten: the rows are elsewhere), default, NOT NULL, options.
 */
export function alterForeignColumn(before: SchemaObject, after: SchemaObject, fields: readonly FieldChange[], context: PlanContext): AlterResult {
  const changed = new Set(fields.map((f) => f.path.split('.')[0]!));
  const [a, b] = [after.attributes, before.attributes];
  if (changed.has('generated')) return { replace: 'its generation changes' };
  const [table, column] = onTable(after);
  const head = `alter foreign table ${table} alter column ${column}`;
  const group = groupOf(after, context.desired);
  const pre: GeneratedStatement[] = [];
  const post: GeneratedStatement[] = [];
  const isTypeChange = changed.has('type') || changed.has('collation');
  const defaultOff = b.default !== null && (context.detachedDefaults.has(after.identity) || isTypeChange || (changed.has('default') && a.default === null));
  // taken off first: what it uses may be dropped, and it is cast along with a new type (which it may not survive)
  if (defaultOff) pre.push(statement(`${head} drop default;`, after, group));
  if (changed.has('notNull') && !a.notNull) post.push(statement(`${head} drop not null;`, after, group));
  if (isTypeChange) post.push(statement(`${head} type ${String(a.type)}${a.collation ? ` collate ${String(a.collation)}` : ''};`, after, group));
  if (a.default !== null && (defaultOff || changed.has('default'))) post.push(statement(`${head} set default ${String(a.default)};`, after, group));
  if (changed.has('notNull') && a.notNull) post.push(statement(`${head} set not null;`, after, group));
  const options = optionsClause(b.options, a.options);
  if (options !== undefined) post.push(statement(`${head} ${options};`, after, group));
  return { steps: { before: pre, after: post } };
}

/** The column is a foreign table's */
export function isForeignColumn(column: SchemaObject): boolean {
  return column.kind === 'column' && column.parent?.startsWith('foreign table ') === true;
}
