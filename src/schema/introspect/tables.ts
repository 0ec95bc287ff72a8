import type { Json } from '../model/snapshot.js';
import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';
import { planInheritedColumns, type ColumnAsInherited, type InheritedColumns } from './inherited-columns.js';

/**
 * Tables (regular, unlogged, partitioned, partitions, inheritance children) and their columns.
 * A table's create is its CREATE TABLE with its local columns in attnum order, plus the ALTERs
 * that CREATE TABLE cannot say on PostgreSQL 15 (storage, row-level security, replica identity).
 * Columns are objects of their own (what diff compares), written inside their table's create; a
 * column in a hierarchy of tables whose default or NOT NULL its CREATE TABLE does not give it is
 * set after the tables, by its own create (inherited-columns.ts).
 * Constraints and indexes: constraints-and-indexes.ts; views: views.ts.
 */
export const TABLES: CatalogFamily = {
  name: 'tables',
  sql: () => `select json_agg(json_build_array(c.oid, c.reltype, (select typarray from pg_type where oid = c.reltype), n.nspname, quote_ident(n.nspname), c.relname, quote_ident(c.relname),
      c.relkind, c.relpersistence, case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
      case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end,
      (select json_agg(quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) order by h.inhseqno) from pg_inherits h join pg_class pc on pc.oid = h.inhparent join pg_namespace pn on pn.oid = pc.relnamespace where h.inhrelid = c.oid),
      (select json_agg(o order by o) from unnest(c.reloptions) as o), c.relrowsecurity, c.relforcerowsecurity, c.relreplident,
      (select json_agg(json_build_array(a.attnum, a.attname, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
          case when a.attcollation <> 0 and a.attcollation <> t.typcollation then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end,
          a.attnotnull, d.oid, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attstorage, t.typstorage, a.attislocal,
          case when a.attidentity <> '' then (select json_build_array(s.oid, quote_ident(sn.nspname), s.relname, quote_ident(s.relname), q.seqstart::text, q.seqincrement::text, q.seqmin::text, q.seqmax::text, q.seqcache::text, q.seqcycle)
            from pg_depend sd join pg_class s on s.oid = sd.objid join pg_namespace sn on sn.oid = s.relnamespace join pg_sequence q on q.seqrelid = s.oid
            where sd.classid = 'pg_class'::regclass and sd.refclassid = 'pg_class'::regclass and sd.refobjid = c.oid and sd.refobjsubid = a.attnum and sd.deptype = 'i' and s.relkind = 'S' limit 1) end)
        order by a.attnum)
        from pg_attribute a join pg_type t on t.oid = a.atttypid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped))
    order by n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and c.relpersistence <> 't' and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`,
  read(value) {
    const rows = (value ?? []) as TableRow[];
    const columns = rows.map(columnsOf);
    const inherited = planInheritedColumns(rows.map(([, , , , schema, , quoted, relkind, , , , parents], k) => ({
      qualified: `${schema}.${quoted}`, isPartitioned: relkind === 'p', parents: parents ?? [], columns: columns[k]!,
    })));
    const objects: CatalogObject[] = [];
    rows.forEach((row, k) => objects.push(...tableObjects(row, columns[k]!, inherited)));
    return objects;
  },
};

type TableRow = [
  oid: number, rowType: number, arrayType: number, schemaName: string, schema: string, name: string, quoted: string,
  relkind: 'r' | 'p', persistence: string, partitionKey: string | null, partitionBound: string | null, parents: string[] | null,
  options: string[] | null, rowSecurity: boolean, forceRowSecurity: boolean, replicaIdentity: string, columns: ColumnRow[] | null,
];

type ColumnRow = [
  attnum: number, name: string, quoted: string, type: string, collation: string | null, notNull: boolean,
  defaultOid: number | null, defaultExpr: string | null, identity: '' | 'a' | 'd', generated: '' | 's' | 'v',
  storage: string, typeStorage: string, isLocal: boolean, sequence: IdentitySequenceRow | null,
];

type IdentitySequenceRow = [oid: number, schema: string, name: string, quoted: string, start: string, increment: string, min: string, max: string, cache: string, cycle: boolean];

const STORAGE: Record<string, string> = { p: 'plain', e: 'external', m: 'main', x: 'extended' };
const REPLICA_IDENTITY: Record<string, string> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

function tableObjects(row: TableRow, columns: Column[], inherited: InheritedColumns<Column>): CatalogObject[] {
  const [oid, rowType, arrayType, schemaName, schema, name, quoted, relkind, persistence, partitionKey, partitionBound, parents, options, rowSecurity, forceRowSecurity, replicaIdentity] = row;
  const qualified = `${schema}.${quoted}`;
  const identity = `table ${qualified}`;
  const isPartition = partitionBound !== null;
  // a partition's parent is its only pg_inherits row
  const partitionOf = isPartition ? parents?.[0] ?? null : null;
  const inherits = isPartition ? [] : parents ?? [];

  const head = `create ${persistence === 'u' ? 'unlogged ' : ''}table ${qualified}`;
  const localColumns = columns.filter((column) => column.isLocal);
  let statement = isPartition
    ? `${head} partition of ${partitionOf} ${partitionBound}`
    : `${head} (${localColumns.length === 0 ? '' : `\n${localColumns.map((column) => `    ${column.definition(inherited)}`).join(',\n')}\n`})`;
  if (inherits.length > 0) statement += ` inherits (${inherits.join(', ')})`;
  if (partitionKey !== null) statement += ` partition by ${partitionKey}`;
  if (options && options.length > 0) statement += ` with (${options.join(', ')})`;
  const statements = [`${statement};`];
  for (const column of columns) if (column.storage !== null) statements.push(`alter table ${qualified} alter column ${column.quoted} set storage ${column.storage};`);
  if (rowSecurity) statements.push(`alter table ${qualified} enable row level security;`);
  if (forceRowSecurity) statements.push(`alter table ${qualified} force row level security;`);
  // 'index' is written with the index (or constraint) it names
  if (replicaIdentity === 'n' || replicaIdentity === 'f') statements.push(`alter table ${qualified} replica identity ${REPLICA_IDENTITY[replicaIdentity]};`);

  const table: CatalogObject = {
    kind: 'table', identity, schema: schemaName, name, dependsOn: [`schema ${schema}`],
    attributes: {
      partitioned: relkind === 'p', unlogged: persistence === 'u', partitionKey, partitionOf, partitionBound, inherits,
      options: options ?? [], rowSecurity, forceRowSecurity, replicaIdentity: REPLICA_IDENTITY[replicaIdentity] ?? replicaIdentity,
    },
    create: statements.join('\n'),
    refs: [`pg_class:${oid}:0`, `pg_type:${rowType}:0`, ...(arrayType ? [`pg_type:${arrayType}:0`] : [])],
  };
  return [table, ...columns.map((column) => column.object(identity, qualified, schemaName, oid, inherited.setAfter.get(column)))];
}

/** A table's column rows read: each column's definition for CREATE TABLE and its object. */
function columnsOf(row: TableRow): Column[] {
  const [, , , , schema, name] = row;
  return (row[16] ?? []).map((column) => new Column(column, schema, name));
}

class Column implements ColumnAsInherited {
  readonly quoted: string;
  readonly isLocal: boolean;
  readonly default: string | null;
  readonly notNull: boolean;
  readonly isGeneratedOrIdentity: boolean;
  readonly isIdentity: boolean;
  /** SET STORAGE when not the type's default (CREATE TABLE ... STORAGE is PostgreSQL 16's) */
  readonly storage: string | null;
  /** its definition in CREATE TABLE: name, type, collation; default or generation; identity */
  private readonly clauses: [string, string | null, string | null];
  private readonly attributes: { [key: string]: Json };

  constructor(private readonly row: ColumnRow, tableSchema: string, tableName: string) {
    const [, name, quoted, type, collation, notNull, , defaultExpr, identityKind, generated, storage, typeStorage, isLocal, sequence] = row;
    this.quoted = quoted;
    this.isLocal = isLocal;
    this.notNull = notNull;
    this.isIdentity = identityKind !== '';
    this.isGeneratedOrIdentity = generated !== '' || this.isIdentity;
    this.default = this.isGeneratedOrIdentity ? null : defaultExpr;
    this.storage = storage !== typeStorage ? STORAGE[storage] ?? storage : null;
    const identity = identityKind === '' ? null : identityOf(identityKind, sequence, type, tableSchema, tableName, name);
    const generation = generated === '' ? null : generated === 's' ? 'stored' : 'virtual';
    this.clauses = [
      `${quoted} ${type}${collation ? ` collate ${collation}` : ''}`,
      generation ? `generated always as (${defaultExpr}) ${generation}` : defaultExpr !== null ? `default ${defaultExpr}` : null,
      identity ? identity.clause : null,
    ];
    this.attributes = {
      type, collation, notNull,
      default: generation ? null : defaultExpr,
      generated: generation ? { kind: generation, expression: defaultExpr } : null,
      identity: identity ? identity.attributes : null,
      storage: this.storage,
    };
  }

  /** without its default or its NOT NULL when that is set after the tables (inherited-columns.ts) */
  definition(inherited: InheritedColumns<Column>): string {
    const [head, valueClause, identityClause] = this.clauses;
    const parts = [head];
    if (valueClause !== null && !inherited.defaultSetAfter.has(this)) parts.push(valueClause);
    if (identityClause !== null) parts.push(identityClause);
    if (this.notNull && !inherited.notNullSetAfter.has(this)) parts.push('not null');
    return parts.join(' ');
  }

  /** `setAfter`: what is set after the tables, when its table's CREATE TABLE does not give it its default or NOT NULL */
  object(table: string, qualifiedTable: string, schemaName: string, tableOid: number, setAfter?: { statements: string[]; after: string[] }): CatalogObject {
    const [attnum, name, quoted, , , , defaultOid, , , , , , , sequence] = this.row;
    return {
      kind: 'column', identity: `column ${qualifiedTable}.${quoted}`, schema: schemaName, name, parent: table, dependsOn: setAfter?.after ?? [],
      attributes: this.attributes, create: setAfter?.statements.join('\n') ?? '',
      refs: [`pg_class:${tableOid}:${attnum}`, ...(defaultOid !== null ? [`pg_attrdef:${defaultOid}:0`] : []), ...(sequence ? [`pg_class:${sequence[0]}:0`] : [])],
    };
  }
}

const TYPE_MAX: Record<string, string> = { smallint: '32767', integer: '2147483647', bigint: '9223372036854775807' };
const TYPE_MIN: Record<string, string> = { smallint: '-32768', integer: '-2147483648', bigint: '-9223372036854775808' };

/** GENERATED ... AS IDENTITY, with the sequence options that differ from what PostgreSQL would choose */
function identityOf(kind: 'a' | 'd', sequence: IdentitySequenceRow | null, type: string, tableSchema: string, tableName: string, columnName: string): { clause: string; attributes: Json } {
  const generated = kind === 'a' ? 'always' : 'by default';
  if (!sequence) return { clause: `generated ${generated} as identity`, attributes: { generated } };
  const [, schema, name, quoted, start, increment, min, max, cache, cycle] = sequence;
  const ascending = !increment.startsWith('-');
  const defaults = {
    start: ascending ? min : max,
    increment: '1',
    min: ascending ? '1' : TYPE_MIN[type] ?? min,
    max: ascending ? TYPE_MAX[type] ?? max : '-1',
  };
  const options: string[] = [];
  if (schema !== tableSchema || name !== `${tableName}_${columnName}_seq`) options.push(`sequence name ${schema}.${quoted}`);
  if (start !== defaults.start) options.push(`start with ${start}`);
  if (increment !== defaults.increment) options.push(`increment by ${increment}`);
  if (min !== defaults.min) options.push(`minvalue ${min}`);
  if (max !== defaults.max) options.push(`maxvalue ${max}`);
  if (cache !== '1') options.push(`cache ${cache}`);
  if (cycle) options.push('cycle');
  return {
    clause: `generated ${generated} as identity${options.length > 0 ? ` (${options.join(' ')})` : ''}`,
    attributes: { generated, sequence: `${schema}.${quoted}`, start, increment, min, max, cache, cycle },
  };
}
