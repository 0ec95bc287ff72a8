import { quoteLiteral } from '../../sql/quote.js';
import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER } from './catalog-family.js';
import { readOptions, SQL_OPTIONS, type OptionRow } from './secret-options.js';

/**
 * Foreign-data wrappers (handler, validator, options), the servers on them (type, version,
 * options) and the user mappings for a server (a role or PUBLIC, options). A wrapper an extension
 * made (postgres_fdw's) is the extension's and stays out; a server on it is the user's and needs
 * the extension. Secret options (a password ...) are left out of the objects and listed instead
 * (secret-options.ts). Owners are not modelled. Foreign tables: foreign-tables.ts.
 */
// the extensions whose functions are its handler or validator (postgres_fdw_handler): the snapshot leaves the functions out, so it needs them
const WRAPPERS_SQL = `(select json_agg(json_build_array(w.oid, w.fdwname, quote_ident(w.fdwname),
    case when w.fdwhandler <> 0 then w.fdwhandler::regproc::text end, case when w.fdwvalidator <> 0 then w.fdwvalidator::regproc::text end, ${SQL_OPTIONS('w.fdwoptions')},
    (select json_agg(distinct quote_ident(x.extname)) from pg_depend e join pg_extension x on x.oid = e.refobjid
      where e.classid = 'pg_proc'::regclass and e.objid in (w.fdwhandler, w.fdwvalidator) and e.refclassid = 'pg_extension'::regclass and e.deptype = 'e')))
  from pg_foreign_data_wrapper w where ${SQL_NOT_EXTENSION_MEMBER('pg_foreign_data_wrapper', 'w.oid')})`;

/** the extension that made a wrapper, when one did */
const WRAPPER_EXTENSION = (wrapperOid: string) => `(select quote_ident(x.extname) from pg_depend e join pg_extension x on x.oid = e.refobjid
    where e.classid = 'pg_foreign_data_wrapper'::regclass and e.objid = ${wrapperOid} and e.refclassid = 'pg_extension'::regclass and e.deptype = 'e' limit 1)`;

const SERVERS_SQL = `(select json_agg(json_build_array(s.oid, s.srvname, quote_ident(s.srvname), quote_ident(w.fdwname), s.srvtype, s.srvversion, ${WRAPPER_EXTENSION('w.oid')}, ${SQL_OPTIONS('s.srvoptions')}))
  from pg_foreign_server s join pg_foreign_data_wrapper w on w.oid = s.srvfdw where ${SQL_NOT_EXTENSION_MEMBER('pg_foreign_server', 's.oid')})`;

// pg_user_mappings, not pg_user_mapping: its options are readable by the mapping's user and the server's owner, not only by superusers
const MAPPINGS_SQL = `(select json_agg(json_build_array(m.umid, case when m.umuser = 0 then 'public' else quote_ident(m.usename) end, m.srvname, quote_ident(m.srvname), ${SQL_OPTIONS('m.umoptions')}))
  from pg_user_mappings m where ${SQL_NOT_EXTENSION_MEMBER('pg_user_mapping', 'm.umid')})`;

type WrapperRow = [oid: number, name: string, quoted: string, handler: string | null, validator: string | null, options: OptionRow[] | null, extensions: string[] | null];
type ServerRow = [oid: number, name: string, quoted: string, wrapper: string, type: string | null, version: string | null, extension: string | null, options: OptionRow[] | null];
type MappingRow = [oid: number, role: string, serverName: string, server: string, options: OptionRow[] | null];

export const FOREIGN_DATA: CatalogFamily = {
  name: 'foreign data',
  sql: () => `select json_build_object('wrappers', ${WRAPPERS_SQL}, 'servers', ${SERVERS_SQL}, 'mappings', ${MAPPINGS_SQL})`,
  read(value) {
    const v = (value ?? {}) as { wrappers?: WrapperRow[] | null; servers?: ServerRow[] | null; mappings?: MappingRow[] | null };
    return [...(v.wrappers ?? []).map(wrapperObject), ...(v.servers ?? []).map(serverObject), ...(v.mappings ?? []).map(mappingObject)];
  },
};

function wrapperObject([oid, name, quoted, handler, validator, rows, extensions]: WrapperRow): CatalogObject {
  const identity = `foreign-data wrapper ${quoted}`;
  const { options, clause, secrets } = readOptions(rows, identity);
  return {
    kind: 'foreign-data wrapper', identity, schema: null, name, dependsOn: (extensions ?? []).map((extension) => `extension ${extension}`).sort(),
    attributes: { handler, validator, options },
    create: `create foreign data wrapper ${quoted}${handler ? ` handler ${handler}` : ''}${validator ? ` validator ${validator}` : ''}${clause};`,
    refs: [`pg_foreign_data_wrapper:${oid}:0`], unmodelled: secrets,
  };
}

function serverObject([oid, name, quoted, wrapper, type, version, extension, rows]: ServerRow): CatalogObject {
  const identity = `server ${quoted}`;
  const { options, clause, secrets } = readOptions(rows, identity);
  const head = `create server ${quoted}${type !== null ? ` type ${quoteLiteral(type)}` : ''}${version !== null ? ` version ${quoteLiteral(version)}` : ''}`;
  return {
    kind: 'server', identity, schema: null, name,
    // on an extension's wrapper (which the snapshot leaves out): needs the extension
    dependsOn: extension ? [`extension ${extension}`] : [`foreign-data wrapper ${wrapper}`],
    attributes: { wrapper, type, version, options },
    create: `${head} foreign data wrapper ${wrapper}${clause};`,
    refs: [`pg_foreign_server:${oid}:0`], unmodelled: secrets,
  };
}

function mappingObject([oid, role, serverName, server, rows]: MappingRow): CatalogObject {
  const identity = `user mapping for ${role} server ${server}`;
  const { options, clause, secrets } = readOptions(rows, identity);
  return {
    kind: 'user mapping', identity, schema: null, name: `${serverName} ${role}`, dependsOn: [`server ${server}`],
    attributes: { role, server, options },
    create: `create user mapping for ${role} server ${server}${clause};`,
    refs: [`pg_user_mapping:${oid}:0`], unmodelled: secrets,
  };
}
