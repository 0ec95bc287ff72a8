import type { Database } from '../../db/database.js';

/**
 * A cheap proof that a database's catalogs are, row version for row version, what they were at an
 * earlier moment: then every definition read from them (object-list.ts) is as it was too, and
 * strata dev need not list thousands of objects after each revert to find out.
 *
 * A stamp is taken at a moment M (inside a transaction or not). Its floor is the oldest
 * transaction still running at M (its snapshot's xmin, or this transaction's own id if older).
 * Every catalog row version visible at M whose xmin precedes the floor was committed before M;
 * such a row seen later was there at M (a row deleted is gone for good). So when, later:
 *   - no catalog row has an xmin at or after the earlier floor ("fresh"), neither then nor now,
 *   - and each catalog holds as many rows as then,
 * the rows now are exactly the rows then. Row versions frozen or rewritten meanwhile (VACUUM
 * FREEZE, VACUUM FULL) would lose their xmin: a catalog whose relfrozenxid or file changed voids
 * the proof. Shared catalogs that an ordinary role cannot read row by row (roles, subscriptions,
 * user mappings, whose names or options appear in definitions) are compared by a digest of what
 * the listing reads of them. Anything else (an unreadable catalog, a stamp with fresh rows, a
 * count that differs) only means "not proven": the caller lists the objects as before.
 *
 * Costs a sequential scan of the catalogs (a fraction of a microsecond a row), where the listing
 * renders every definition (tens of microseconds an object).
 */
export interface CatalogStamp {
  /** the floor (xid8, as text) */
  floor: string;
  /** what must be equal: each catalog's row count, relfrozenxid and file; the digests */
  shape: string;
  /** catalog rows whose xmin is at or after this stamp's own floor, or, for a stamp compared with an earlier one, after that one's (0: the stamp can prove later ones) */
  fresh: number;
}

/**
 * Catalogs whose rows the object listing never reads, nor names anything by: data (statistics,
 * large objects, replication state), privileges and labels, and objects it does not list (casts,
 * conversions, operator families' members, aggregates' and transforms' details, extended
 * statistics, text search internals). pg_user_mapping is for superusers: its digest is taken from
 * the view the listing reads. Every other catalog of the database is scanned.
 */
const NOT_READ_BY_THE_LISTING = [
  'pg_statistic', 'pg_statistic_ext', 'pg_statistic_ext_data', 'pg_largeobject', 'pg_largeobject_metadata', 'pg_subscription_rel',
  'pg_init_privs', 'pg_default_acl', 'pg_seclabel', 'pg_cast', 'pg_conversion', 'pg_amop', 'pg_amproc', 'pg_aggregate', 'pg_transform',
  'pg_ts_config_map', 'pg_ts_parser', 'pg_ts_template', 'pg_language', 'pg_user_mapping',
];

const CATALOGS_SQL = `select c.relname as name, has_table_privilege(c.oid, 'select') as readable
  from pg_catalog.pg_class c where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r' and not c.relisshared
    and c.relname <> all($1::text[]) order by c.relname`;

const DIGESTS_SQL = `(select md5(coalesce(string_agg(r.oid::text || ':' || r.rolname, ',' order by r.oid), '')) from pg_catalog.pg_roles r),
  (select md5(coalesce(string_agg(concat_ws(':', u.umid, u.srvid, u.umuser, u.usename, u.umoptions::text), ',' order by u.umid), '')) from pg_catalog.pg_user_mappings u),
  (select md5(coalesce(string_agg(concat_ws(':', s.oid, s.subname, s.subowner, s.subenabled, s.subbinary, s.substream, s.subtwophasestate, s.subdisableonerr,
      s.subslotname, s.subsynccommit, s.subpublications::text), ',' order by s.oid), ''))
    from pg_catalog.pg_subscription s where s.subdbid = (select oid from pg_catalog.pg_database where datname = current_database()))`;

/** Reads stamps of one database; builds its statement once (the catalogs this role can read). */
export class CatalogStamper {
  private statement: Promise<string | undefined> | undefined;

  /**
   * A stamp of now, and whether the catalogs are provably as at `since` (a stamp with no fresh
   * rows, of the same database). undefined when this role cannot read every catalog.
   */
  async stamp(db: Database, since: CatalogStamp | undefined): Promise<{ stamp: CatalogStamp; isUnchanged: boolean } | undefined> {
    this.statement ??= this.build(db);
    const text = await this.statement;
    if (text === undefined) return undefined;
    const sinceFloor = since && since.fresh === 0 ? since.floor : null;
    const [row] = await db.query<{ floor: string; shape: unknown; fresh: string | number }>(text, [sinceFloor]);
    if (!row) return undefined;
    const shape = typeof row.shape === 'string' ? row.shape : JSON.stringify(row.shape);
    // Rows at or after the earlier floor, when one is given, else at or after this stamp's own. A
    // floor never goes back (xids are handed out in order), so none since the earlier one means
    // none since this one either; some means this stamp is not trusted as a later one's base.
    const fresh = Number(row.fresh);
    const stamp = { floor: row.floor, shape, fresh };
    const isUnchanged = sinceFloor !== null && since!.shape === shape && fresh === 0;
    return { stamp, isUnchanged };
  }

  private async build(db: Database): Promise<string | undefined> {
    const catalogs = await db.query<{ name: string; readable: boolean }>(CATALOGS_SQL, [NOT_READ_BY_THE_LISTING]);
    if (catalogs.length === 0 || catalogs.some((c) => !c.readable)) return undefined;
    // names from the server's own catalog list, quoted anyway
    // each catalog's rows, and those at or after the floor given (the earlier stamp's), else the floor now (this stamp's)
    const scans = catalogs.map((c) => `select ${literal(c.name)} as name, count(*) as total,
        count(*) filter (where age(xmin) <= (select a from threshold)) as fresh
      from pg_catalog.${identifier(c.name)}`);
    const names = catalogs.map((c) => literal(`pg_catalog.${c.name}`)).join(', ');
    return `with floor as materialized (select least(pg_snapshot_xmin(pg_current_snapshot()), pg_current_xact_id_if_assigned()) as x8),
  now_floor as materialized (select age(((x8::text::numeric % 4294967296)::text)::xid) as a from floor),
  since as materialized (select age(((($1::text)::numeric % 4294967296)::text)::xid) as a),
  threshold as materialized (select coalesce((select a from since), (select a from now_floor)) as a),
  scans as materialized (${scans.join('\n    union all ')})
select (select x8::text from floor) as floor,
  json_build_array(
    (select json_agg(json_build_array(s.name, s.total) order by s.name) from scans s),
    (select json_agg(json_build_array(c.relname, c.relfrozenxid::text, pg_relation_filenode(c.oid)) order by c.relname) from pg_catalog.pg_class c where c.oid = any(array[${names}]::regclass[])),
    ${DIGESTS_SQL}) as shape,
  (select sum(s.fresh) from scans s) as fresh`;
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function identifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
