import type { Database } from '../../db/database.js';

/** An object by name (as pg_identify_object names it) and a digest of what a revert must give back of it. */
export interface ListedObject {
  /** `table public.orders`, `table column public.orders.note`, `function public.f(integer)` */
  name: string;
  /** md5 of the object's definition as the catalogs hold it (type, default, body, definition, comment ...) */
  state: string;
  /** a column's table (by name, as `name` spells it) */
  parent?: string;
}

/**
 * The user objects of a database, each with a digest of its definition: what strata dev compares
 * after each revert, on the run's connection inside its transaction. One cheap statement where a
 * full snapshot costs several times as much, so a re-apply stays fast; it tells which objects a
 * down.sql leaves behind, drops, or leaves changed (a column's type, a function's body, a
 * policy's expression, a comment), not how (strata check says that, attribute by attribute).
 * The digests compare two readings of the same database, never two databases.
 */
const OBJECTS_SQL = `select coalesce(json_agg(json_build_array(o.type || ' ' || o.identity, md5(found.state || '|' || coalesce(d.description, '')),
    case when found.subid <> 0 then (select p.type || ' ' || p.identity from pg_identify_object(found.classid, found.objid, 0) as p) end) order by o.type, o.identity), '[]'::json)
  from (
    select 'pg_namespace'::regclass as classid, oid as objid, 0 as subid, '' as state from pg_namespace where oid >= 16384
    union all select 'pg_class'::regclass, c.oid, 0, concat_ws('|', c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text, c.relreplident,
        case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) when c.relkind in ('i', 'I') then pg_get_indexdef(c.oid) end,
        (select concat_ws('|', s.seqtypid, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle) from pg_sequence s where s.seqrelid = c.oid),
        (select string_agg(i.inhparent::text, ',' order by i.inhseqno) from pg_inherits i where i.inhrelid = c.oid), pg_get_expr(c.relpartbound, c.oid),
        (select concat_ws('|', f.ftserver, f.ftoptions::text) from pg_foreign_table f where f.ftrelid = c.oid))
      from pg_class c where c.oid >= 16384 and c.relkind in ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'f')
    union all select 'pg_class'::regclass, a.attrelid, a.attnum, concat_ws('|', format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated, a.attcollation, a.attstorage,
        -- its place among the table's live columns (the rows this branch keeps)
        row_number() over (partition by a.attrelid order by a.attnum),
        (select pg_get_expr(ad.adbin, ad.adrelid) from pg_attrdef ad where ad.adrelid = a.attrelid and ad.adnum = a.attnum), a.attfdwoptions::text)
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      where a.attrelid >= 16384 and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f')
    union all select 'pg_type'::regclass, t.oid, 0, concat_ws('|', t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault, t.typcollation,
        (select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid),
        (select concat_ws('|', r.rngsubtype, r.rngsubopc, r.rngcollation, r.rngcanonical, r.rngsubdiff) from pg_range r where r.rngtypid = t.oid))
      from pg_type t where t.oid >= 16384 and (t.typtype in ('e', 'd', 'r', 'm') or (t.typtype = 'c' and t.typrelid in (select oid from pg_class where relkind = 'c')))
    union all select 'pg_proc'::regclass, p.oid, 0, concat_ws('|', p.prokind, p.prolang, p.prorettype, p.proretset, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel,
        p.procost, p.prorows, p.proconfig::text, p.proargnames::text, pg_get_expr(p.proargdefaults, 0), p.prosrc, p.probin)
      from pg_proc p where p.oid >= 16384
    union all select 'pg_constraint'::regclass, oid, 0, concat_ws('|', pg_get_constraintdef(oid), condeferrable, condeferred, convalidated) from pg_constraint where oid >= 16384 and contype <> 'n'
    union all select 'pg_trigger'::regclass, oid, 0, concat_ws('|', pg_get_triggerdef(oid), tgenabled) from pg_trigger where oid >= 16384 and not tgisinternal
    union all select 'pg_policy'::regclass, oid, 0, concat_ws('|', polcmd, polpermissive, polroles::text, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)) from pg_policy
    union all select 'pg_rewrite'::regclass, oid, 0, concat_ws('|', pg_get_ruledef(oid), ev_enabled) from pg_rewrite where oid >= 16384 and rulename <> '_RETURN'
    union all select 'pg_event_trigger'::regclass, oid, 0, concat_ws('|', evtevent, evtfoid, evtenabled, evttags::text) from pg_event_trigger
    union all select 'pg_extension'::regclass, oid, 0, concat_ws('|', extnamespace, extversion) from pg_extension where oid >= 16384
    union all select 'pg_collation'::regclass, oid, 0, concat_ws('|', collprovider, collisdeterministic, collcollate, collctype) from pg_collation where oid >= 16384
    union all select 'pg_foreign_data_wrapper'::regclass, oid, 0, concat_ws('|', fdwhandler, fdwvalidator, fdwoptions::text) from pg_foreign_data_wrapper where oid >= 16384
    union all select 'pg_foreign_server'::regclass, oid, 0, concat_ws('|', srvfdw, srvtype, srvversion, srvoptions::text) from pg_foreign_server where oid >= 16384
    -- the view, not the catalog: umoptions of pg_user_mapping is for superusers only
    union all select 'pg_user_mapping'::regclass, umid, 0, coalesce(umoptions::text, '') from pg_user_mappings where umid >= 16384
    union all select 'pg_publication'::regclass, p.oid, 0, concat_ws('|', p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot,
        (select string_agg(concat_ws(':', pr.prrelid, pr.prattrs::text, pg_get_expr(pr.prqual, pr.prrelid)), ',' order by pr.prrelid) from pg_publication_rel pr where pr.prpubid = p.oid),
        (select string_agg(pn.pnnspid::text, ',' order by pn.pnnspid) from pg_publication_namespace pn where pn.pnpubid = p.oid))
      from pg_publication p where p.oid >= 16384
    -- this database's subscriptions, by what anyone may read of them (subconninfo is a superuser's)
    union all select 'pg_subscription'::regclass, s.oid, 0, concat_ws('|', s.subenabled, s.subbinary, s.substream, s.subtwophasestate, s.subdisableonerr, s.subslotname, s.subsynccommit, s.subpublications::text)
      from pg_subscription s where s.subdbid = (select oid from pg_database where datname = current_database())
  ) as found
  cross join lateral pg_identify_object(found.classid, found.objid, found.subid) as o
  left join pg_description d on d.classoid = found.classid and d.objoid = found.objid and d.objsubid = found.subid
  where not exists (select 1 from pg_depend dep where dep.classid = found.classid and dep.objid = found.objid and dep.deptype in ('e', 'i'))
    and (o.schema is null or not (o.schema in ('pg_catalog', 'information_schema', 'pg_toast') or o.schema like 'pg\\_temp\\_%' or o.schema = any($1::text[])))
    and not (found.classid = 'pg_namespace'::regclass and o.identity = any($1::text[]))`;

export async function listObjects(db: Database, excludedSchemas: readonly string[]): Promise<ListedObject[]> {
  const [row] = await db.query<{ objects: unknown }>(`select (${OBJECTS_SQL}) as objects`, [excludedSchemas]);
  const value = typeof row?.objects === 'string' ? JSON.parse(row.objects) : row?.objects;
  return ((value as Array<[string, string, string | null]> | null) ?? []).map(([name, state, parent]) => (parent === null ? { name, state } : { name, state, parent }));
}
