import type { UnmodelledObject } from '../model/snapshot.js';
import { SQL_USER_SCHEMA } from './catalog-family.js';
import { SQL_MODELLED_SUBSCRIPTION, SQL_PASSWORD_IN_CONNECTION, SQL_SUBSCRIPTION_OF_THIS_DATABASE } from './subscriptions.js';

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
  { catalog: 'pg_language' },
  { catalog: 'pg_transform' },
  { catalog: 'pg_am' },
  { catalog: 'pg_largeobject_metadata' },
];

/**
 * This database's subscriptions that subscriptions.ts does not read, each with why; all of them
 * for a session that may not read their connections (only a superuser may).
 */
const subscriptionsSql = (superuser: boolean) => `select 'subscription', format('%I (%s)', s.subname, ${superuser ? `case
      when ${SQL_PASSWORD_IN_CONNECTION} then 'its connection holds a password: strata writes no secrets into schema.sql or a revision'
      when s.subenabled then 'enabled: strata models only a disabled subscription without a replication slot, whose migration reaches no publisher'
      else 'it has a replication slot: dropping it would drop the slot on its publisher, which a proof on a shadow must never reach' end`
    : `'its connection is readable only by a superuser'`})
    from pg_subscription s where ${SQL_SUBSCRIPTION_OF_THIS_DATABASE}${superuser ? ` and not ${SQL_MODELLED_SUBSCRIPTION}` : ''}`;

// pg_user_mapping is a superuser's to read (its options may hold passwords): its oids are read from the view pg_user_mappings
const catalogRows = ({ catalog, where }: { catalog: string; where?: string }) => catalog === 'pg_user_mapping'
  ? `select '${catalog}'::regclass as classid, umid as objid from pg_user_mappings where umid >= 16384`
  : `select '${catalog}'::regclass as classid, oid as objid from ${catalog} where oid >= 16384${where ? ` and ${where}` : ''}`;
const OBJECTS_SQL = `select o.type, o.identity
  from (${CATALOGS.map(catalogRows).join(' union all ')}) as found
  cross join lateral pg_identify_object(found.classid, found.objid, 0) as o
  where not exists (select 1 from pg_depend d where d.classid = found.classid and d.objid = found.objid and d.deptype in ('e', 'i'))
    and (o.schema is null or not (o.schema in ('pg_catalog', 'information_schema', 'pg_toast') or o.schema like 'pg\\_temp\\_%' or o.schema = any($1::text[])))`;

/**
 * Details of modelled objects that the model does not carry (a table made OF a type, a column's
 * compression, statistics target or n_distinct options (the ones ALTER COLUMN SET sets; a server
 * may keep options of its own there), a table access method other than heap, security labels):
 * named too, so a dump that would drop them says so. And what inherited-columns.ts cannot write:
 * a column without the NOT NULL of an identity column it inherits, from its parent or above (CREATE
 * TABLE gives it, and PostgreSQL 18 cannot drop it).
 */
const USER_RELATION = `c.oid >= 16384 and ${SQL_USER_SCHEMA('c.relnamespace')}
    and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')`;
const COLUMN_DETAILS: ReadonlyArray<[string, string]> = [
  ['column compression', `a.attcompression <> ''`],
  ['column statistics target', 'coalesce(a.attstattarget::int, -1) >= 0'],
  ['column options', `a.attoptions is not null and exists (select 1 from unnest(a.attoptions) as o where o like 'n\\_distinct%')`],
  ["inherited column without its parent's not null", `case when a.attinhcount > 0 and not a.attnotnull then exists (
      with recursive above(relid) as (select inhparent from pg_inherits where inhrelid = a.attrelid union select h.inhparent from pg_inherits h join above on h.inhrelid = above.relid)
      select 1 from above join pg_attribute pa on pa.attrelid = above.relid and pa.attname = a.attname where pa.attidentity <> '') else false end`],
];
/** one pass over the user tables' columns for every detail of a column, not one each (43 -> 26 ms for 8,000 columns) */
const COLUMN_DETAILS_SQL = `select d.kind, format('%s.%I', u.relid::regclass, u.attname)
    from (select c.oid as relid, a.attname, ${COLUMN_DETAILS.map(([, found], k) => `${found} as found${k}`).join(', ')}
      from pg_attribute a join pg_class c on c.oid = a.attrelid where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'm', 'f') and ${USER_RELATION}) as u
    cross join lateral (values ${COLUMN_DETAILS.map(([kind], k) => `('${kind.replace(/'/g, "''")}', u.found${k})`).join(', ')}) as d(kind, found)
    where (${COLUMN_DETAILS.map((_, k) => `u.found${k}`).join(' or ')}) and d.found`;
const DETAILS_SQL = `select 'typed table (OF type)', c.oid::regclass::text from pg_class c where c.reloftype <> 0 and c.relkind in ('r', 'p') and ${USER_RELATION}
  union all select 'table access method', format('%s using %s', c.oid::regclass, (select amname from pg_am where oid = c.relam)) from pg_class c
    where c.relkind in ('r', 'm') and c.relam <> 0 and c.relam <> (select oid from pg_am where amname = 'heap') and ${USER_RELATION}
  union all ${COLUMN_DETAILS_SQL}
  union all select 'security label', pg_describe_object(classoid, objoid, objsubid) from pg_seclabel where objoid >= 16384`;

/**
 * With privileges: grants changed on what an extension created (its functions, tables ...), which
 * the snapshot leaves out with the extension's objects; pg_init_privs holds what the extension
 * gave them (no row: the built-in default, a NULL ACL).
 */
const EXTENSION_MEMBER_ACLS_SQL = `select 'privileges on an extension member', pg_describe_object(d.classid, d.objid, 0)
  from pg_depend d
    left join pg_init_privs ip on ip.classoid = d.classid and ip.objoid = d.objid and ip.objsubid = 0 and ip.privtype = 'e'
  where d.deptype = 'e' and d.classid in ('pg_proc'::regclass, 'pg_class'::regclass, 'pg_type'::regclass, 'pg_namespace'::regclass)
    and ip.initprivs is distinct from case d.classid
      when 'pg_proc'::regclass then (select proacl from pg_proc where oid = d.objid)
      when 'pg_class'::regclass then (select relacl from pg_class where oid = d.objid)
      when 'pg_type'::regclass then (select typacl from pg_type where oid = d.objid)
      else (select nspacl from pg_namespace where oid = d.objid) end`;

export const unmodelledSql = (options: { privileges: boolean; superuser?: boolean | undefined }) => `select json_agg(json_build_array(u.type, u.identity) order by u.type, u.identity)
  from (${OBJECTS_SQL}\nunion all ${DETAILS_SQL}\nunion all ${subscriptionsSql(options.superuser === true)}${options.privileges ? `\nunion all ${EXTENSION_MEMBER_ACLS_SQL}` : ''}) as u(type, identity)`;

export function readUnmodelled(value: unknown): UnmodelledObject[] {
  return ((value as [string, string][] | null) ?? []).map(([kind, identity]) => ({ kind, identity }));
}
