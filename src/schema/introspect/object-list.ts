import type { Database } from '../../db/database.js';

/**
 * The user objects of a database by name only (`table public.orders`, `table column
 * public.orders.note`, `function public.f(integer)` as pg_identify_object names them): what
 * strata dev compares after each revert, on the run's connection inside its transaction. A few
 * milliseconds where a full snapshot takes tens, so a re-apply stays as fast as before; it tells
 * which objects a down.sql leaves behind or drops, not how a kept object changed.
 */
const OBJECTS_SQL = `select coalesce(json_agg(o.type || ' ' || o.identity order by o.type, o.identity), '[]'::json)
  from (
    select 'pg_namespace'::regclass as classid, oid as objid, 0 as subid from pg_namespace where oid >= 16384
    union all select 'pg_class'::regclass, oid, 0 from pg_class where oid >= 16384 and relkind in ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'f')
    union all select 'pg_class'::regclass, a.attrelid, a.attnum from pg_attribute a join pg_class c on c.oid = a.attrelid
      where a.attrelid >= 16384 and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f')
    union all select 'pg_type'::regclass, oid, 0 from pg_type where oid >= 16384 and typtype in ('e', 'd', 'r', 'm') or (oid >= 16384 and typtype = 'c' and typrelid in (select oid from pg_class where relkind = 'c'))
    union all select 'pg_proc'::regclass, oid, 0 from pg_proc where oid >= 16384
    union all select 'pg_constraint'::regclass, oid, 0 from pg_constraint where oid >= 16384 and contype <> 'n'
    union all select 'pg_trigger'::regclass, oid, 0 from pg_trigger where oid >= 16384 and not tgisinternal
    union all select 'pg_policy'::regclass, oid, 0 from pg_policy
    union all select 'pg_rewrite'::regclass, oid, 0 from pg_rewrite where oid >= 16384 and rulename <> '_RETURN'
    union all select 'pg_event_trigger'::regclass, oid, 0 from pg_event_trigger
    union all select 'pg_extension'::regclass, oid, 0 from pg_extension where oid >= 16384
    union all select 'pg_collation'::regclass, oid, 0 from pg_collation where oid >= 16384
  ) as found
  cross join lateral pg_identify_object(found.classid, found.objid, found.subid) as o
  where not exists (select 1 from pg_depend d where d.classid = found.classid and d.objid = found.objid and d.deptype in ('e', 'i'))
    and (o.schema is null or not (o.schema in ('pg_catalog', 'information_schema', 'pg_toast') or o.schema like 'pg\\_temp\\_%' or o.schema = any($1::text[])))
    and not (found.classid = 'pg_namespace'::regclass and o.identity = any($1::text[]))`;

export async function listObjects(db: Database, excludedSchemas: readonly string[]): Promise<string[]> {
  const [row] = await db.query<{ objects: unknown }>(`select (${OBJECTS_SQL}) as objects`, [excludedSchemas]);
  const value = typeof row?.objects === 'string' ? JSON.parse(row.objects) : row?.objects;
  return (value as string[] | null) ?? [];
}
