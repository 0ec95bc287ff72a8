import type { Json, UnmodelledObject } from '../model/snapshot.js';
import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';
import { readOptions, SQL_OPTIONS, type OptionRow } from './secret-options.js';

/**
 * Foreign tables and their columns. A foreign table's create is its CREATE FOREIGN TABLE: the
 * columns in attnum order (type, column options, collation, default or generation, NOT NULL), its
 * server and its options. Its columns are `column` objects parented to it, as a table's are; its
 * CHECK constraints are read with the other constraints (constraints-and-indexes.ts). It holds no
 * rows here and takes no index. Not modelled, and listed instead: a foreign table that is a
 * partition or inherits (its columns are written as its own), and secret options (secret-options.ts).
 */
export const FOREIGN_TABLES: CatalogFamily = {
  name: 'foreign tables',
  sql: () => `select json_agg(json_build_array(c.oid, c.reltype, (select typarray from pg_type where oid = c.reltype), n.nspname, quote_ident(n.nspname), c.relname, quote_ident(c.relname),
      quote_ident(s.srvname), ${SQL_OPTIONS('f.ftoptions')}, c.relispartition or exists (select 1 from pg_inherits h where h.inhrelid = c.oid),
      (select json_agg(json_build_array(a.attnum, a.attname, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
          case when a.attcollation <> 0 and a.attcollation <> t.typcollation then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end,
          a.attnotnull, d.oid, pg_get_expr(d.adbin, d.adrelid), a.attgenerated, ${SQL_OPTIONS('a.attfdwoptions')})
        order by a.attnum)
        from pg_attribute a join pg_type t on t.oid = a.atttypid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped))
    order by n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_foreign_table f on f.ftrelid = c.oid join pg_foreign_server s on s.oid = f.ftserver
    where c.relkind = 'f' and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`,
  read(value) {
    return ((value ?? []) as ForeignTableRow[]).flatMap(foreignTableObjects);
  },
};

type ForeignTableRow = [
  oid: number, rowType: number, arrayType: number | null, schemaName: string, schema: string, name: string, quoted: string,
  server: string, options: OptionRow[] | null, inherits: boolean, columns: ColumnRow[] | null,
];

type ColumnRow = [
  attnum: number, name: string, quoted: string, type: string, collation: string | null, notNull: boolean,
  defaultOid: number | null, defaultExpr: string | null, generated: '' | 's' | 'v', options: OptionRow[] | null,
];

function foreignTableObjects(row: ForeignTableRow): CatalogObject[] {
  const [oid, rowType, arrayType, schemaName, schema, name, quoted, server, optionRows, inherits, columnRows] = row;
  const qualified = `${schema}.${quoted}`;
  const identity = `foreign table ${qualified}`;
  const { options, clause, secrets } = readOptions(optionRows, identity);
  const columns = (columnRows ?? []).map((column) => columnOf(column, identity, qualified, schemaName, oid));
  const unmodelled: UnmodelledObject[] = [...secrets];
  if (inherits) unmodelled.push({ kind: 'foreign table partition or inheritance', identity: qualified });
  const list = columns.length === 0 ? '' : `\n${columns.map((c) => `    ${c.definition}`).join(',\n')}\n`;
  const table: CatalogObject = {
    kind: 'foreign table', identity, schema: schemaName, name, dependsOn: [`schema ${schema}`, `server ${server}`],
    attributes: { server, options },
    create: `create foreign table ${qualified} (${list}) server ${server}${clause};`,
    refs: [`pg_class:${oid}:0`, `pg_type:${rowType}:0`, ...(arrayType ? [`pg_type:${arrayType}:0`] : [])],
    unmodelled,
  };
  return [table, ...columns.map((c) => c.object)];
}

function columnOf(row: ColumnRow, table: string, qualifiedTable: string, schemaName: string, tableOid: number): { definition: string; object: CatalogObject } {
  const [attnum, name, quoted, type, collation, notNull, defaultOid, defaultExpr, generatedKind, optionRows] = row;
  const identity = `column ${qualifiedTable}.${quoted}`;
  const { options, clause, secrets } = readOptions(optionRows, identity);
  const generated = generatedKind === '' ? null : generatedKind === 's' ? 'stored' : 'virtual';
  const parts = [`${quoted} ${type}${clause}`];
  if (collation) parts.push(`collate ${collation}`);
  if (generated) parts.push(`generated always as (${defaultExpr}) ${generated}`);
  else if (defaultExpr !== null) parts.push(`default ${defaultExpr}`);
  if (notNull) parts.push('not null');
  const attributes: { [key: string]: Json } = {
    type, collation, notNull,
    default: generated ? null : defaultExpr,
    generated: generated ? { kind: generated, expression: defaultExpr } : null,
    identity: null, storage: null, options,
  };
  return {
    definition: parts.join(' '),
    object: {
      kind: 'column', identity, schema: schemaName, name, parent: table, dependsOn: [], attributes, create: '',
      refs: [`pg_class:${tableOid}:${attnum}`, ...(defaultOid !== null ? [`pg_attrdef:${defaultOid}:0`] : [])],
      unmodelled: secrets,
    },
  };
}
