import type { UnmodelledObject } from '../model/snapshot.js';

/**
 * Objects of kinds the snapshot does not model, found so that they are named (by `check`, by the
 * conformance runner) instead of passed over in silence: user objects (oid >= 16384) of these
 * catalogs, less those an extension created and those made along with another object (the casts
 * CREATE TYPE ... AS RANGE makes for its multirange), named by pg_identify_object.
 */
const CATALOGS: ReadonlyArray<{ catalog: string; where?: string }> = [
  { catalog: 'pg_cast' },
  { catalog: 'pg_operator' },
  { catalog: 'pg_opclass' },
  { catalog: 'pg_opfamily' },
  { catalog: 'pg_ts_config' },
  { catalog: 'pg_ts_dict' },
  { catalog: 'pg_ts_parser' },
  { catalog: 'pg_ts_template' },
  { catalog: 'pg_statistic_ext' },
  { catalog: 'pg_conversion' },
  { catalog: 'pg_publication' },
  { catalog: 'pg_foreign_data_wrapper' },
  { catalog: 'pg_foreign_server' },
  { catalog: 'pg_user_mapping' },
  { catalog: 'pg_language' },
  { catalog: 'pg_transform' },
  { catalog: 'pg_am' },
  { catalog: 'pg_largeobject_metadata' },
  { catalog: 'pg_class', where: "relkind = 'f'" },
];

export const UNMODELLED_SQL = `select json_agg(json_build_array(o.type, o.identity) order by o.type, o.identity)
  from (${CATALOGS.map(({ catalog, where }) => `select '${catalog}'::regclass as classid, oid as objid from ${catalog} where oid >= 16384${where ? ` and ${where}` : ''}`).join(' union all ')}) as found
  cross join lateral pg_identify_object(found.classid, found.objid, 0) as o
  where not exists (select 1 from pg_depend d where d.classid = found.classid and d.objid = found.objid and d.deptype in ('e', 'i'))
    and (o.schema is null or not (o.schema in ('pg_catalog', 'information_schema', 'pg_toast') or o.schema like 'pg\\_temp\\_%' or o.schema = any($1::text[])))`;

export function readUnmodelled(value: unknown): UnmodelledObject[] {
  return ((value as [string, string][] | null) ?? []).map(([kind, identity]) => ({ kind, identity }));
}
