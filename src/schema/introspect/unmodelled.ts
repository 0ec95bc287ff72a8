import type { UnmodelledObject } from '../model/snapshot.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';

/**
 * Objects of kinds the snapshot does not model, found so that they are named (by `check`, by
 * the conformance runner) instead of passed over in silence. Each entry: a kind and how to name
 * one; user objects only (oid >= 16384, not an extension's, not made along with another object:
 * the casts CREATE TYPE ... AS RANGE makes for its multirange).
 */
const KINDS: ReadonlyArray<{ kind: string; sql: string }> = [
  { kind: 'cast', sql: `select format('cast (%s as %s)', format_type(castsource, null), format_type(casttarget, null)) from pg_cast c where c.oid >= 16384 and ${SQL_NOT_EXTENSION_MEMBER('pg_cast', 'c.oid')}
    and not exists (select 1 from pg_depend d where d.classid = 'pg_cast'::regclass and d.objid = c.oid and d.deptype = 'i')` },
  { kind: 'operator', sql: `select format('operator %s.%s(%s, %s)', quote_ident(n.nspname), o.oprname, coalesce(format_type(o.oprleft, null), 'none'), coalesce(format_type(o.oprright, null), 'none')) from pg_operator o join pg_namespace n on n.oid = o.oprnamespace where o.oid >= 16384 and ${SQL_USER_SCHEMA('o.oprnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_operator', 'o.oid')}` },
  { kind: 'operator class', sql: `select format('operator class %s.%s using %s', quote_ident(n.nspname), quote_ident(c.opcname), a.amname) from pg_opclass c join pg_namespace n on n.oid = c.opcnamespace join pg_am a on a.oid = c.opcmethod where c.oid >= 16384 and ${SQL_USER_SCHEMA('c.opcnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_opclass', 'c.oid')}` },
  { kind: 'operator family', sql: `select format('operator family %s.%s using %s', quote_ident(n.nspname), quote_ident(f.opfname), a.amname) from pg_opfamily f join pg_namespace n on n.oid = f.opfnamespace join pg_am a on a.oid = f.opfmethod where f.oid >= 16384 and ${SQL_USER_SCHEMA('f.opfnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_opfamily', 'f.oid')}` },
  { kind: 'text search configuration', sql: `select format('text search configuration %s.%s', quote_ident(n.nspname), quote_ident(c.cfgname)) from pg_ts_config c join pg_namespace n on n.oid = c.cfgnamespace where c.oid >= 16384 and ${SQL_USER_SCHEMA('c.cfgnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_ts_config', 'c.oid')}` },
  { kind: 'text search dictionary', sql: `select format('text search dictionary %s.%s', quote_ident(n.nspname), quote_ident(d.dictname)) from pg_ts_dict d join pg_namespace n on n.oid = d.dictnamespace where d.oid >= 16384 and ${SQL_USER_SCHEMA('d.dictnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_ts_dict', 'd.oid')}` },
  { kind: 'text search parser', sql: `select format('text search parser %s.%s', quote_ident(n.nspname), quote_ident(p.prsname)) from pg_ts_parser p join pg_namespace n on n.oid = p.prsnamespace where p.oid >= 16384 and ${SQL_USER_SCHEMA('p.prsnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_ts_parser', 'p.oid')}` },
  { kind: 'text search template', sql: `select format('text search template %s.%s', quote_ident(n.nspname), quote_ident(t.tmplname)) from pg_ts_template t join pg_namespace n on n.oid = t.tmplnamespace where t.oid >= 16384 and ${SQL_USER_SCHEMA('t.tmplnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_ts_template', 't.oid')}` },
  { kind: 'statistics object', sql: `select format('statistics %s.%s', quote_ident(n.nspname), quote_ident(s.stxname)) from pg_statistic_ext s join pg_namespace n on n.oid = s.stxnamespace where ${SQL_USER_SCHEMA('s.stxnamespace')}` },
  { kind: 'conversion', sql: `select format('conversion %s.%s', quote_ident(n.nspname), quote_ident(c.conname)) from pg_conversion c join pg_namespace n on n.oid = c.connamespace where c.oid >= 16384 and ${SQL_USER_SCHEMA('c.connamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_conversion', 'c.oid')}` },
  { kind: 'publication', sql: `select format('publication %s', quote_ident(pubname)) from pg_publication` },
  { kind: 'foreign data wrapper', sql: `select format('foreign data wrapper %s', quote_ident(w.fdwname)) from pg_foreign_data_wrapper w where w.oid >= 16384 and ${SQL_NOT_EXTENSION_MEMBER('pg_foreign_data_wrapper', 'w.oid')}` },
  { kind: 'foreign server', sql: `select format('server %s', quote_ident(srvname)) from pg_foreign_server` },
  { kind: 'foreign table', sql: `select format('foreign table %s.%s', quote_ident(n.nspname), quote_ident(c.relname)) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'f' and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}` },
  { kind: 'language', sql: `select format('language %s', quote_ident(l.lanname)) from pg_language l where l.oid >= 16384 and ${SQL_NOT_EXTENSION_MEMBER('pg_language', 'l.oid')}` },
  { kind: 'transform', sql: `select format('transform for %s language %s', format_type(t.trftype, null), l.lanname) from pg_transform t join pg_language l on l.oid = t.trflang where t.oid >= 16384 and ${SQL_NOT_EXTENSION_MEMBER('pg_transform', 't.oid')}` },
  { kind: 'access method', sql: `select format('access method %s', quote_ident(a.amname)) from pg_am a where a.oid >= 16384 and ${SQL_NOT_EXTENSION_MEMBER('pg_am', 'a.oid')}` },
  { kind: 'large object', sql: `select format('large object %s', oid) from pg_largeobject_metadata` },
];

export const UNMODELLED_SQL = `select json_agg(json_build_array(kind, identity)) from (${KINDS.map((k) => `select ${quote(k.kind)} as kind, identity from (${k.sql}) as found(identity)`).join('\nunion all\n')}) as unmodelled`;

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function readUnmodelled(value: unknown): UnmodelledObject[] {
  return ((value as [string, string][] | null) ?? []).map(([kind, identity]) => ({ kind, identity }));
}
