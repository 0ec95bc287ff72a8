import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';

/**
 * Table constraints (primary key, unique, check, foreign key, exclusion) and the indexes that
 * are not a constraint's. Each is written as its own statement after the tables, so foreign keys
 * between tables in a loop load. Left out, because PostgreSQL makes them along with another
 * object: a partition's copies of its parent's constraints and indexes (conparentid, pg_inherits),
 * inherited check constraints (not conislocal), and PostgreSQL 18's NOT NULL constraints
 * (contype 'n'), which are the column's notNull on every version.
 */
export const CONSTRAINTS_AND_INDEXES: CatalogFamily = {
  name: 'constraints and indexes',
  sql: () => `select json_build_object(
    'constraints', (select json_agg(json_build_array(k.oid, n.nspname, quote_ident(n.nspname), quote_ident(c.relname), c.relkind, k.conname, quote_ident(k.conname), k.contype,
        pg_get_constraintdef(k.oid), k.convalidated, case when k.contype in ('p', 'u', 'x') then k.conindid end, coalesce(i.indisreplident, false), coalesce(i.indisclustered, false))
        order by n.nspname, c.relname, k.conname)
      from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_index i on i.indexrelid = k.conindid and k.contype in ('p', 'u', 'x')
      where k.contype in ('p', 'u', 'c', 'f', 'x') and k.conparentid = 0 and k.conislocal and c.relkind in ('r', 'p', 'f') and c.relpersistence <> 't'
        and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}),
    'indexes', (select json_agg(json_build_array(i.indexrelid, n.nspname, quote_ident(n.nspname), x.relname, quote_ident(x.relname), c.relkind, quote_ident(c.relname),
        pg_get_indexdef(i.indexrelid), i.indisreplident, i.indisclustered)
        order by n.nspname, x.relname)
      from pg_index i join pg_class x on x.oid = i.indexrelid join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and c.relpersistence <> 't'
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
        and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)
        and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')})
  )`,
  read(value) {
    const v = (value ?? {}) as { constraints?: ConstraintRow[] | null; indexes?: IndexRow[] | null };
    return [...(v.constraints ?? []).map(constraintObject), ...(v.indexes ?? []).map(indexObject)];
  },
};

type ConstraintRow = [
  oid: number, schemaName: string, schema: string, table: string, relkind: string, name: string, quoted: string, type: string,
  definition: string, isValid: boolean, indexOid: number | null, isReplicaIdentity: boolean, isClustered: boolean,
];

type IndexRow = [oid: number, schemaName: string, schema: string, name: string, quoted: string, tableKind: string, table: string, definition: string, isReplicaIdentity: boolean, isClustered: boolean];

const CONSTRAINT_TYPE: Record<string, string> = { p: 'primary key', u: 'unique', c: 'check', f: 'foreign key', x: 'exclusion' };

function constraintObject(row: ConstraintRow): CatalogObject {
  const [oid, schemaName, schema, table, relkind, name, quoted, type, rawDefinition, isValid, indexOid, isReplicaIdentity, isClustered] = row;
  const qualifiedTable = `${schema}.${table}`;
  // NOT VALID is state (a later VALIDATE CONSTRAINT changes it), not part of what the constraint says
  const definition = rawDefinition.replace(/ NOT VALID$/, '');
  const statements = [`alter ${relkind === 'f' ? 'foreign table' : 'table'} ${qualifiedTable} add constraint ${quoted} ${definition}${isValid ? '' : ' not valid'};`];
  if (isReplicaIdentity) statements.push(`alter table ${qualifiedTable} replica identity using index ${quoted};`);
  if (isClustered) statements.push(`alter table ${qualifiedTable} cluster on ${quoted};`);
  return {
    kind: 'constraint', identity: `constraint ${qualifiedTable}.${quoted}`, schema: schemaName, name, parent: `${relkind === 'f' ? 'foreign table' : 'table'} ${qualifiedTable}`, dependsOn: [],
    attributes: { type: CONSTRAINT_TYPE[type] ?? type, definition, valid: isValid, replicaIdentity: isReplicaIdentity, clustered: isClustered },
    create: statements.join('\n'),
    // the index of a primary key, unique or exclusion constraint is the constraint's (what a foreign key needs)
    refs: [`pg_constraint:${oid}:0`, ...(indexOid ? [`pg_class:${indexOid}:0`] : [])],
  };
}

function indexObject(row: IndexRow): CatalogObject {
  const [oid, schemaName, schema, name, quoted, tableKind, table, rawDefinition, isReplicaIdentity, isClustered] = row;
  const qualifiedTable = `${schema}.${table}`;
  // pg_get_indexdef writes a partitioned table's index ON ONLY (an index of its own, partitions to
  // attach one by one); written without ONLY it is made on every partition, as it was
  const definition = rawDefinition.replace(/ ON ONLY /, ' ON ');
  const statements = [`${definition};`];
  if (isReplicaIdentity) statements.push(`alter table ${qualifiedTable} replica identity using index ${quoted};`);
  if (isClustered) statements.push(`alter ${tableKind === 'm' ? 'materialized view' : 'table'} ${qualifiedTable} cluster on ${quoted};`);
  return {
    kind: 'index', identity: `index ${schema}.${quoted}`, schema: schemaName, name,
    parent: `${tableKind === 'm' ? 'materialized view' : 'table'} ${qualifiedTable}`, dependsOn: [],
    attributes: { definition, replicaIdentity: isReplicaIdentity, clustered: isClustered },
    create: statements.join('\n'),
    refs: [`pg_class:${oid}:0`],
  };
}
