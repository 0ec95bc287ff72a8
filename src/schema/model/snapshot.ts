/**
 * The schema snapshot: what a database's schema is, as data. Read from the catalogs
 * (schema/introspect/), normalised so that the same logical schema gives the same snapshot on
 * PostgreSQL 15 and on PGlite's 18, compared object by object (diff.ts) and written as schema.sql
 * (render.ts). Pure: no I/O here.
 */

/** What kind of object; the first word(s) of its identity. */
export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'collation'
  | 'type'
  | 'domain'
  | 'sequence'
  /** a sequence's OWNED BY: written after the table whose column owns it */
  | 'sequence owned by'
  | 'table'
  | 'column'
  | 'constraint'
  | 'index'
  | 'view'
  | 'materialized view'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'trigger'
  | 'event trigger'
  | 'rule'
  | 'policy'
  /** logical replication's publication: a database's, in no schema */
  | 'publication'
  /** logical replication's subscription: a database's (in the cluster's catalog), in no schema */
  | 'subscription'
  | 'comment'
  | 'privileges'
  | 'default privileges'
  /** foreign-data.ts and foreign-tables.ts: a wrapper, a server on it, a user mapping for a server, a foreign table on a server */
  | 'foreign-data wrapper'
  | 'server'
  | 'user mapping'
  | 'foreign table';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface SchemaObject {
  kind: ObjectKind;
  /**
   * The stable key of the object, the same in every database that has it: `<kind> <qualified name>`
   * with each name part as quote_ident writes it, e.g. `table public.orders`,
   * `column public.orders.total`, `function public.total(integer, text)` (routines by argument
   * types), `constraint public.orders.orders_pkey`, `comment on table public.orders`.
   */
  identity: string;
  /** the schema it lives in; null for schemas, extensions, event triggers */
  schema: string | null;
  /** its own name (a column's, a constraint's), unquoted */
  name: string;
  /** the object it belongs to and is shown under (a column's table, a trigger's table), when there is one */
  parent?: string | undefined;
  /** identities of the objects that must exist before it (pg_depend, normalised), sorted */
  dependsOn: string[];
  /** what diff compares: normalised, plain JSON, the same on every server version for the same schema */
  attributes: { [key: string]: Json };
  /**
   * The SQL that creates it, as schema.sql writes it (one or more statements, each ending with ';').
   * Empty for an object written as part of its parent (a column inside its CREATE TABLE).
   */
  create: string;
}

/** An object the model does not cover (a cast, an operator, a publication ...): listed, never passed over. */
export interface UnmodelledObject {
  /** e.g. 'cast', 'operator', 'publication' */
  kind: string;
  /** e.g. 'cast (text as public.email)' */
  identity: string;
  /** the modelled object it is a detail of (a secret option's server or user mapping) */
  of?: string;
  /**
   * A secret option's: a digest of its value, keyed for this process only (secret-options.ts), so
   * that a value changed is seen while the value itself never reaches strata
   */
  digest?: string;
}

export interface Snapshot {
  /** sorted by identity; identities are unique */
  objects: SchemaObject[];
  /** sorted by kind, then identity */
  unmodelled: UnmodelledObject[];
}
