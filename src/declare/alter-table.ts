import type { FieldChange } from '../schema/model/diff.js';
import type { Json, SchemaObject } from '../schema/model/snapshot.js';
import { groupOf, onTable, qualifiedName } from './identities.js';
import { tableColumns } from './sql-text.js';
import { statement, type GeneratedStatement, type ObjectSteps, type PlanContext, type Refusal } from './statement.js';

/**
 * ALTER TABLE for a table's own properties and for its columns (type with USING where the cast
 * is not implicit, collation, default, NOT NULL, identity, generated, storage), and the column
 * order check. Pure.
 */
export type AlterResult = { steps: ObjectSteps } | { replace: string } | { refuse: string };

const topFields = (fields: readonly FieldChange[]) => new Set(fields.map((f) => f.path.split('.')[0]!));

export function alterTable(before: SchemaObject, after: SchemaObject, fields: readonly FieldChange[], context: PlanContext): AlterResult {
  const changed = topFields(fields);
  const name = qualifiedName(after);
  const b = before.attributes;
  const a = after.attributes;
  if (changed.has('partitioned') || changed.has('partitionKey')) return { refuse: `its partitioning changes (${String(b.partitionKey ?? 'none')} -> ${String(a.partitionKey ?? 'none')}): PostgreSQL cannot change it in place; rebuilding the table is not done for you` };
  if (changed.has('inherits')) return { refuse: `the tables it inherits from change: ALTER TABLE ... INHERIT would keep its columns its own, unlike the declaration` };
  const group = groupOf(after, context.desired);
  const sql: Array<[string, Partial<GeneratedStatement>?]> = [];
  if (changed.has('partitionOf') || changed.has('partitionBound')) {
    if (b.partitionOf) {
      const parent = context.current.get(`table ${String(b.partitionOf)}`);
      if (parent && hasChildren(parent, context)) return { refuse: `it is detached from ${String(b.partitionOf)}, whose indexes, constraints and triggers it would keep copies of` };
      sql.push([`alter table ${String(b.partitionOf)} detach partition ${name};`]);
    }
    if (a.partitionOf) sql.push([`alter table ${String(a.partitionOf)} attach partition ${name} ${String(a.partitionBound)};`]);
  }
  if (changed.has('unlogged')) sql.push([`alter table ${name} set ${a.unlogged ? 'unlogged' : 'logged'};`, { rewrites: after.identity }]);
  if (changed.has('options')) sql.push(...optionStatements(`alter table ${name}`, b.options, a.options).map((s): [string] => [s]));
  if (changed.has('rowSecurity')) sql.push([`alter table ${name} ${a.rowSecurity ? 'enable' : 'disable'} row level security;`]);
  if (changed.has('forceRowSecurity')) sql.push([`alter table ${name} ${a.forceRowSecurity ? 'force' : 'no force'} row level security;`]);
  // 'index' is set by the index or constraint that becomes the replica identity
  if (changed.has('replicaIdentity') && a.replicaIdentity !== 'index') sql.push([`alter table ${name} replica identity ${String(a.replicaIdentity)};`]);
  return { steps: { before: [], after: sql.map(([text, extra]) => statement(text, after, group, extra)) } };
}

function hasChildren(table: SchemaObject, context: PlanContext): boolean {
  return [...context.current.values()].some((o) => o.parent === table.identity && (o.kind === 'index' || o.kind === 'constraint' || o.kind === 'trigger'));
}

/** SET (...) for options added or changed, RESET (...) for those gone */
export function optionStatements(head: string, before: Json | undefined, after: Json | undefined): string[] {
  const parse = (list: Json | undefined) => new Map(((list as string[] | undefined) ?? []).map((o) => [o.slice(0, o.indexOf('=')), o]));
  const [old, now] = [parse(before), parse(after)];
  const reset = [...old.keys()].filter((k) => !now.has(k));
  const set = [...now].filter(([k, o]) => old.get(k) !== o).map(([, o]) => o);
  return [...(reset.length > 0 ? [`${head} reset (${reset.join(', ')});`] : []), ...(set.length > 0 ? [`${head} set (${set.join(', ')});`] : [])];
}

/** Options of a column's change beyond its fields: its default taken off around an object it uses being made again, its type moved to a rebuilt enum */
export function alterColumn(before: SchemaObject, after: SchemaObject, fields: readonly FieldChange[], context: PlanContext): AlterResult {
  const changed = topFields(fields);
  const b = before.attributes;
  const a = after.attributes;
  const [table, column] = onTable(after);
  const head = `alter table ${table} alter column ${column}`;
  const tableIdentity = after.parent!;
  const group = groupOf(after, context.desired);
  const isDetached = context.detachedDefaults.has(after.identity);
  const enumMove = movedToRebuiltEnum(after, context);
  if (changed.has('generated') && !(b.generated !== null && a.generated === null)) {
    return { refuse: a.generated === null || b.generated === null
      ? 'it becomes a generated column: PostgreSQL 15 cannot make an existing column generated; drop it and add it as a new (last) column'
      : 'its generation expression changes: PostgreSQL 15 cannot change it in place (SET EXPRESSION is PostgreSQL 17\'s)' };
  }
  const bi = b.identity as { [key: string]: Json } | null;
  const ai = a.identity as { [key: string]: Json } | null;
  if (bi && ai && bi.sequence !== ai.sequence) return { refuse: `its identity sequence is renamed (${String(bi.sequence)} -> ${String(ai.sequence)})` };
  const pre: GeneratedStatement[] = [];
  const post: GeneratedStatement[] = [];
  const add = (list: GeneratedStatement[], sql: string, extra: Partial<GeneratedStatement> = {}) => list.push(statement(sql, after, group, extra));
  let defaultDropped = false;
  // what the column stops being goes first, with the drops: the sequence or function its default
  // used may be dropped after it, and a new object may take the name of its identity sequence
  if ((isDetached || (changed.has('default') && a.default === null)) && b.default !== null) {
    add(pre, `${head} drop default;`);
    defaultDropped = true;
  }
  if (b.generated !== null && a.generated === null) add(pre, `${head} drop expression;`);
  if (bi && !ai) add(pre, `${head} drop identity;`);
  if (changed.has('notNull') && !a.notNull) add(post, `${head} drop not null;`);
  const isTypeChange = changed.has('type') || changed.has('collation') || enumMove !== undefined;
  // an identity's bounds that shrink are set before its type narrows, those that grow after it widens
  const bounds = ai && bi ? identityBounds(bi, ai) : { before: [], after: [] };
  if (isTypeChange) for (const option of bounds.before) add(post, `${head} ${option};`);
  if (isTypeChange) {
    // a default is cast along with the column, and some cannot be: taken off first, set again after
    if (b.default !== null && !defaultDropped) {
      add(post, `${head} drop default;`);
      defaultDropped = true;
    }
    const type = String(a.type);
    const collate = a.collation ? ` collate ${String(a.collation)}` : '';
    const using = enumMove !== undefined ? ` using ${column}::${enumMove.isArray ? 'text[]' : 'text'}::${type}` : needsUsing(String(b.type), type) ? ` using ${column}::${type}` : '';
    const effect = typeChangeEffect(String(b.type), type, enumMove !== undefined);
    add(post, `${head} type ${type}${collate}${using};`, {
      ...(effect.rewrites ? { rewrites: tableIdentity } : {}),
      ...(effect.narrows ? { destructive: `changes ${table}.${column} from ${String(b.type)} to ${type}: values that do not fit are lost or make this fail` } : {}),
    });
  }
  if (a.default !== null && (defaultDropped || changed.has('default'))) add(post, `${head} set default ${String(a.default)};`);
  else if (a.default === null && b.default !== null && changed.has('default') && !defaultDropped) add(post, `${head} drop default;`);
  if (changed.has('notNull') && a.notNull) add(post, `${head} set not null;`);
  if (ai && !bi) {
    const clause = identityClause(after, context);
    if (clause === undefined) return { refuse: 'its identity clause is not found in its table\'s create' };
    add(post, `${head} add ${clause};`);
  } else if (ai && bi) {
    const options: string[] = [];
    if (ai.generated !== bi.generated) options.push(`set generated ${String(ai.generated)}`);
    if (ai.start !== bi.start) options.push(`set start with ${String(ai.start)}`);
    if (ai.increment !== bi.increment) options.push(`set increment by ${String(ai.increment)}`);
    // a type change moves the identity sequence's type along, and its bounds where they sat at the type's limits
    options.push(...(isTypeChange ? bounds.after : [...bounds.before, ...bounds.after]));
    if (ai.cache !== bi.cache) options.push(`set cache ${String(ai.cache)}`);
    if (ai.cycle !== bi.cycle) options.push(ai.cycle ? 'set cycle' : 'set no cycle');
    const restart = restartReason(`the identity of ${table}.${column}`, bi, ai);
    if (restart) options.push(`restart with ${String(ai.start)}`);
    if (options.length > 0) add(post, `${head} ${options.join(' ')};`, restart ? { destructive: restart } : {});
  }
  if (changed.has('storage')) {
    const storage = a.storage ?? defaultStorage(String(a.type));
    if (storage === undefined) return { refuse: `its storage goes back to the default of ${String(a.type)}, which strata does not know (PostgreSQL 15 has no SET STORAGE DEFAULT)` };
    add(post, `${head} set storage ${String(storage)};`);
  }
  return { steps: { before: pre, after: post } };
}

/** SET MINVALUE / MAXVALUE that narrow the range (before a type change) and those that widen it (after) */
function identityBounds(b: { [key: string]: Json }, a: { [key: string]: Json }): { before: string[]; after: string[] } {
  const result = { before: [] as string[], after: [] as string[] };
  if (a.min !== b.min) (BigInt(String(a.min)) > BigInt(String(b.min)) ? result.before : result.after).push(`set minvalue ${String(a.min)}`);
  if (a.max !== b.max) (BigInt(String(a.max)) < BigInt(String(b.max)) ? result.before : result.after).push(`set maxvalue ${String(a.max)}`);
  return result;
}

function identityClause(column: SchemaObject, context: PlanContext): string | undefined {
  const table = context.desired.get(column.parent!)!;
  const [, name] = onTable(column);
  const definition = tableColumns(table.create)?.find((c) => c.name === name)?.definition ?? '';
  return /generated (?:always|by default) as identity(?: \([^)]*\))?/.exec(definition)?.[0];
}

/** The column's type is (an array of) an enum rebuilt by this migration */
function movedToRebuiltEnum(column: SchemaObject, context: PlanContext): { isArray: boolean } | undefined {
  const type = String(column.attributes.type);
  const base = type.replace(/\[\]$/, '');
  return context.rebuiltEnums.has(`type ${base}`) ? { isArray: type.endsWith('[]') } : undefined;
}

const INTEGERS = ['smallint', 'integer', 'bigint'];
const WIDER: Record<string, string[]> = {
  smallint: ['integer', 'bigint', 'numeric', 'real', 'double precision'],
  integer: ['bigint', 'numeric', 'double precision'],
  bigint: ['numeric'],
  real: ['double precision'],
  'character varying': ['text'],
  text: ['character varying'],
};

/** `numeric(12,2)` -> ['numeric', [12, 2]]; `character varying(20)[]` keeps its [] on the name */
function typeParts(type: string): { base: string; mods: number[] | null } {
  const match = /^(.*?)\((\d+(?:,\d+)?)\)(\[\])?$/.exec(type);
  if (!match) return { base: type, mods: null };
  return { base: match[1]! + (match[3] ?? ''), mods: match[2]!.split(',').map(Number) };
}

/** Whether the old values fit the new type unchanged (no rewrite), and whether some may not fit at all */
export function typeChangeEffect(from: string, to: string, isEnumMove: boolean): { rewrites: boolean; narrows: boolean } {
  if (isEnumMove) return { rewrites: true, narrows: false };
  const [f, t] = [typeParts(from), typeParts(to)];
  const sameBase = f.base === t.base;
  if (f.base === 'character varying' || f.base === 'text') {
    const fLen = f.base === 'text' ? Infinity : f.mods?.[0] ?? Infinity;
    if (t.base === 'text' || (t.base === 'character varying' && t.mods === null)) return { rewrites: false, narrows: false };
    if (t.base === 'character varying') return { rewrites: !(t.mods![0]! >= fLen), narrows: t.mods![0]! < fLen };
  }
  if (sameBase && f.base === 'numeric') {
    if (t.mods === null) return { rewrites: false, narrows: false };
    if (f.mods === null) return { rewrites: true, narrows: true };
    const [fp, fs = 0] = f.mods;
    const [tp, ts = 0] = t.mods;
    const widens = ts >= fs! && tp! - ts >= fp! - fs!;
    return { rewrites: !(ts === fs && tp! >= fp!), narrows: !widens };
  }
  if (sameBase && f.mods && t.mods) return { rewrites: true, narrows: t.mods[0]! < f.mods[0]! };
  return { rewrites: true, narrows: !(WIDER[f.base]?.includes(t.base) ?? false) };
}

/** USING is needed where PostgreSQL has no assignment cast: written whenever the base type changes, except between integers and between text types */
function needsUsing(from: string, to: string): boolean {
  const [f, t] = [typeParts(from).base, typeParts(to).base];
  if (f === t) return false;
  if (INTEGERS.includes(f) && [...INTEGERS, 'numeric', 'real', 'double precision'].includes(t)) return false;
  if (['text', 'character varying', 'character'].includes(f) && ['text', 'character varying', 'character'].includes(t)) return false;
  if (WIDER[f]?.includes(t)) return false;
  return true;
}

/**
 * New bounds that leave out where an unused sequence stands (its start): ALTER SEQUENCE fails on
 * them unless the sequence restarts, which a used one feels (values it gave may come again).
 */
export function restartReason(name: string, b: { [key: string]: Json }, a: { [key: string]: Json }): string | undefined {
  const [start, min, max] = [BigInt(String(b.start)), BigInt(String(a.min)), BigInt(String(a.max))];
  if (a.min === b.min && a.max === b.max) return undefined;
  if (start >= min && start <= max) return undefined;
  return `restarts ${name} at ${String(a.start)} (its old start is outside the new bounds): where it stood is lost, and numbers it gave may come again`;
}

/** pg_type.typstorage of the common types: what SET STORAGE goes back to */
function defaultStorage(type: string): string | undefined {
  if (type.endsWith('[]')) return 'extended';
  const base = typeParts(type).base;
  if (['text', 'character varying', 'character', 'bytea', 'jsonb', 'json', 'xml', 'tsvector', 'tsquery', 'bit varying', 'path', 'polygon'].includes(base)) return 'extended';
  if (base === 'numeric' || base === 'inet' || base === 'cidr') return 'main';
  if (['smallint', 'integer', 'bigint', 'real', 'double precision', 'boolean', 'date', 'uuid', 'money', 'point', 'oid', 'interval',
    'timestamp without time zone', 'timestamp with time zone', 'time without time zone', 'time with time zone'].includes(base)) return 'plain';
  return undefined;
}

/**
 * A table's columns in the declared order can only be reached if the columns it keeps stay in
 * their order and the new ones come after them (ADD COLUMN puts a column last): anything else is
 * refused by name, never migrated to a different order.
 */
export function columnOrderRefusals(context: PlanContext): Refusal[] {
  const refusals: Refusal[] = [];
  for (const [identity, after] of context.desired) {
    if (after.kind !== 'table' && after.kind !== 'foreign table') continue;
    const before = context.current.get(identity);
    // the same CREATE TABLE: the same columns in the same order (most tables of a large schema)
    if (!before || before.create === after.create || context.actions.get(identity)?.type === 'replace') continue;
    const [was, now] = [tableColumns(before.create), tableColumns(after.create)];
    if (!was || !now) continue;
    const existing = new Set(was.map((c) => c.name));
    const declared = new Set(now.map((c) => c.name));
    const kept = was.map((c) => c.name).filter((n) => declared.has(n));
    const keptInDeclaredOrder = now.map((c) => c.name).filter((n) => existing.has(n));
    const name = qualifiedName(after);
    const firstNew = now.findIndex((c) => !existing.has(c.name));
    if (kept.join(',') !== keptInDeclaredOrder.join(',')) {
      refusals.push({ identity, kind: 'table', reason: `its columns are declared in another order (${keptInDeclaredOrder.join(', ')}; the table has ${kept.join(', ')}): PostgreSQL cannot reorder columns; declare them in the table's order` });
    } else if (firstNew !== -1 && now.slice(firstNew).some((c) => existing.has(c.name))) {
      const misplaced = now.slice(0, now.length).filter((c, k) => !existing.has(c.name) && now.slice(k).some((later) => existing.has(later.name)));
      for (const column of misplaced) {
        refusals.push({ identity: `column ${name}.${column.name}`, kind: 'column', reason: `it is declared between existing columns of ${name}, but ADD COLUMN puts it last: declare it after the last column (${now[now.length - 1]!.name}) in schema.sql` });
      }
    }
  }
  return refusals;
}
