import type { SchemaObject, UnmodelledObject } from '../model/snapshot.js';

/**
 * One family of catalogs (relations, routines, types ...): a file of introspect/ each. A snapshot
 * reads every family in ONE statement (take-snapshot.ts puts each family's `sql` in as a scalar
 * subquery), in one REPEATABLE READ, read-only transaction.
 */
export interface IntrospectOptions {
  /** schemas never read: strata's tracking schema (system schemas and extension members are always left out) */
  excludedSchemas: readonly string[];
  /** read grants and default privileges (`--privileges`); off by default */
  privileges: boolean;
  /** server_version_num: the catalogs of PostgreSQL 15 and of PGlite's 18 differ (NOT NULL constraints, ...) */
  serverVersionNum: number;
  /**
   * The session may read every column of pg_subscription (subconninfo is a superuser's): set by
   * takeSnapshot from what the server reports (is_superuser), not by the caller.
   */
  superuser?: boolean;
}

/**
 * An object as a family reads it: a SchemaObject plus where it is in the catalogs, to resolve
 * pg_depend. `refs` are `<catalog>:<oid>:<subid>` addresses as pg_depend names them
 * (`pg_class:16390:0` for a table, `pg_class:16390:2` for its second column, `pg_proc:16401:0`
 * for a function, `pg_rewrite:16410:0` for a view's rule, `pg_attrdef:...` for a column's
 * default, `pg_type:...` for a table's row type); the catalog is `classid::regclass::text`. Refs
 * are only for this process (oids differ between databases) and never reach the snapshot.
 */
export interface CatalogObject extends SchemaObject {
  refs: string[];
  /** details of it the model does not carry (a secret option): moved to the snapshot's unmodelled list */
  unmodelled?: UnmodelledObject[];
}

export interface CatalogFamily {
  /** e.g. 'relations' */
  name: string;
  /**
   * A scalar subquery that returns ONE json value (typically `(select json_agg(...) from ...)`),
   * with `$1` (text[]) the schemas to leave out. Must leave out system schemas (pg_catalog,
   * information_schema, pg_toast, pg_temp_*) and objects that belong to an extension
   * (pg_depend deptype 'e'), see SQL_NOT_EXTENSION_MEMBER.
   */
  sql(options: IntrospectOptions): string;
  /** what `read` needs loaded first (the SQL parser), when it needs anything */
  prepare?(options: IntrospectOptions): Promise<void>;
  /** the objects, from the value `sql` returned (null when it found none) */
  read(value: unknown, options: IntrospectOptions): CatalogObject[];
}

/** Schemas a snapshot never reads. */
export const SQL_USER_SCHEMA = (namespaceOid: string) =>
  `(${namespaceOid} not in (select oid from pg_namespace where nspname in ('pg_catalog', 'information_schema', 'pg_toast') or nspname like 'pg\\_temp\\_%' or nspname like 'pg\\_toast\\_temp\\_%' or nspname = any($1::text[])))`;

/** Not an object that an extension created (`catalog` e.g. 'pg_class', `oid` e.g. 'c.oid'). */
export const SQL_NOT_EXTENSION_MEMBER = (catalog: string, oid: string) =>
  `not exists (select 1 from pg_depend e where e.classid = '${catalog}'::regclass and e.objid = ${oid} and e.deptype = 'e')`;
