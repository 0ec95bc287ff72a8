import type { CatalogFamily, CatalogObject, IntrospectOptions } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER } from './catalog-family.js';
import { publicationCreate, type PublishedTable } from './publication-sql.js';

/**
 * Publications (logical replication's sending side; a database's own, not the cluster's): FOR ALL
 * TABLES, or the tables listed (each with its column list and row filter) and the schemas listed
 * (TABLES IN SCHEMA), and the WITH options. A publication depends on what it lists: pg_depend
 * records it for its pg_publication_rel and pg_publication_namespace rows (the table, the columns
 * of its column list and of its row filter, the schema), which are refs of the publication, so
 * they resolve to it. Its owner is not read (strata models no owners).
 */

/** publish_generated_columns is PostgreSQL 18's; 15 publishes no generated column, as 18's default 'n' (none) */
const generatedColumnsSql = (options: IntrospectOptions) => (options.serverVersionNum >= 180000 ? 'p.pubgencols::text' : `'n'`);

const PUBLICATIONS_SQL = (options: IntrospectOptions) => `(select json_agg(json_build_array(p.oid, p.pubname, quote_ident(p.pubname), p.puballtables,
    p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot, ${generatedColumnsSql(options)},
    (select json_agg(json_build_array(pr.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
        ${'' /* a table other tables inherit from: FOR TABLE would list its children too, which have rows of their own */}
        c.relkind = 'r' and exists (select 1 from pg_inherits h where h.inhparent = c.oid),
        (select json_agg(quote_ident(a.attname)) from unnest(pr.prattrs::int2[]) as k(attnum) join pg_attribute a on a.attrelid = pr.prrelid and a.attnum = k.attnum),
        pg_get_expr(pr.prqual, pr.prrelid)))
      from pg_publication_rel pr join pg_class c on c.oid = pr.prrelid join pg_namespace n on n.oid = c.relnamespace where pr.prpubid = p.oid),
    (select json_agg(json_build_array(pn.oid, quote_ident(n.nspname)))
      from pg_publication_namespace pn join pg_namespace n on n.oid = pn.pnnspid where pn.pnpubid = p.oid))
    order by p.pubname)
  from pg_publication p where ${SQL_NOT_EXTENSION_MEMBER('pg_publication', 'p.oid')})`;

export const PUBLICATIONS: CatalogFamily = {
  name: 'publications',
  sql: PUBLICATIONS_SQL,
  read(value) {
    return ((value ?? []) as PublicationRow[]).map(readPublication);
  },
};

type PublicationRow = [
  oid: number, name: string, quoted: string, allTables: boolean, insert: boolean, update: boolean, del: boolean, truncate: boolean,
  viaRoot: boolean, generatedColumns: string,
  tables: Array<[oid: number, table: string, hasChildren: boolean, columns: string[] | null, where: string | null]> | null,
  schemas: Array<[oid: number, schema: string]> | null,
];

const GENERATED_COLUMNS: Record<string, string> = { n: 'none', s: 'stored' };

function readPublication(row: PublicationRow): CatalogObject {
  const [oid, name, quoted, allTables, insert, update, del, truncate, viaRoot, generated, tableRows, schemaRows] = row;
  // sorted here: SQL would sort by the database's collation, which differs between servers
  const tables: PublishedTable[] = (tableRows ?? [])
    .map(([, table, hasChildren, columns, where]) => ({ table, only: hasChildren, columns: columns === null ? null : [...columns].sort(byCodeUnits), where }))
    .sort((a, b) => byCodeUnits(a.table, b.table));
  const schemas = (schemaRows ?? []).map(([, schema]) => schema).sort(byCodeUnits);
  const publish = [insert && 'insert', update && 'update', del && 'delete', truncate && 'truncate'].filter((p): p is string => p !== false);
  const attributes = {
    allTables, tables: tables.map(({ table, columns, where }) => ({ table, columns, where })), schemas, publish,
    viaPartitionRoot: viaRoot, generatedColumns: GENERATED_COLUMNS[generated] ?? generated,
  };
  return {
    kind: 'publication', identity: `publication ${quoted}`, schema: null, name,
    dependsOn: [...tables.map((t) => `table ${t.table}`), ...schemas.map((s) => `schema ${s}`)].sort(),
    attributes, create: publicationCreate(quoted, attributes, tables),
    refs: [`pg_publication:${oid}:0`, ...(tableRows ?? []).map(([relOid]) => `pg_publication_rel:${relOid}:0`), ...(schemaRows ?? []).map(([nsOid]) => `pg_publication_namespace:${nsOid}:0`)],
  };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
