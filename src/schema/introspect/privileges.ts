import type { CatalogFamily, CatalogObject, IntrospectOptions } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';
import { SQL_ROUTINE_ARGUMENT_TYPES, unquoted } from './routines.js';

/**
 * Grants (from the ACLs of schemas, relations, columns, routines, types and domains) and default
 * privileges, read only with `--privileges`. Normalised: what an ACL holds beyond (or short of)
 * the built-in default for its kind and owner is written as grants (and revokes); the owner's own
 * privileges are left out (ownership is not modelled), roles are names, everything is sorted.
 */

/** [target kind, target identity, schema (unquoted) or null, name, what GRANT names the target, owner, acl, acldefault's kind, column] */
const TARGETS_SQL = `
  select 'schema', 'schema ' || quote_ident(n.nspname), null, n.nspname, 'schema ' || quote_ident(n.nspname), n.nspowner, n.nspacl, 'n', null
    from pg_namespace n where n.nspacl is not null and ${SQL_USER_SCHEMA('n.oid')} and ${SQL_NOT_EXTENSION_MEMBER('pg_namespace', 'n.oid')}
  union all
  select k.kind, k.kind || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname,
      case when c.relkind = 'S' then 'sequence ' else 'table ' end || quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relowner, c.relacl,
      case when c.relkind = 'S' then 's' else 'r' end, null
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join (values ('r', 'table'), ('p', 'table'), ('v', 'view'), ('m', 'materialized view'), ('S', 'sequence'), ('f', 'foreign table')) as k(relkind, kind) on k.relkind = c.relkind
    where c.relacl is not null and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
  union all
  select 'column', 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname), n.nspname, a.attname,
      'table ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relowner, a.attacl, 'c', quote_ident(a.attname)
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where a.attacl is not null and a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f')
      and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
  union all
  select k.kind, k.kind || ' ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || ${SQL_ROUTINE_ARGUMENT_TYPES('p')} || ')', n.nspname, p.proname,
      case when p.prokind = 'p' then 'procedure ' else 'function ' end || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || ${SQL_ROUTINE_ARGUMENT_TYPES('p')} || ')',
      p.proowner, p.proacl, 'f', null
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      join (values ('f', 'function'), ('w', 'function'), ('p', 'procedure'), ('a', 'aggregate')) as k(prokind, kind) on k.prokind = p.prokind
    where p.proacl is not null and ${SQL_USER_SCHEMA('p.pronamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}
  union all
  select k.kind, k.kind || ' ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), n.nspname, t.typname,
      k.kind || ' ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), t.typowner, t.typacl, 'T', null
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
      join (values ('e', 'type'), ('c', 'type'), ('r', 'type'), ('d', 'domain')) as k(typtype, kind) on k.typtype = t.typtype
    where t.typacl is not null and (t.typtype <> 'c' or (select relkind from pg_class where oid = t.typrelid) = 'c')
      and ${SQL_USER_SCHEMA('t.typnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
  union all
  select 'foreign-data wrapper', 'foreign-data wrapper ' || quote_ident(w.fdwname), null, w.fdwname, 'foreign data wrapper ' || quote_ident(w.fdwname), w.fdwowner, w.fdwacl, 'F', null
    from pg_foreign_data_wrapper w where w.fdwacl is not null and ${SQL_NOT_EXTENSION_MEMBER('pg_foreign_data_wrapper', 'w.oid')}
  union all
  select 'server', 'server ' || quote_ident(s.srvname), null, s.srvname, 'foreign server ' || quote_ident(s.srvname), s.srvowner, s.srvacl, 'S', null
    from pg_foreign_server s where s.srvacl is not null and ${SQL_NOT_EXTENSION_MEMBER('pg_foreign_server', 's.oid')}`;

/**
 * [grantee, privilege, grantable] of `acl` not in `base`. The owner's own entries: left out
 * ('skip'; what an owner grants itself beyond the default is nothing), written as `current_user`
 * (an owner that revoked its own privileges: ownership is not modelled, and whoever loads
 * schema.sql owns what it creates), or by name (default privileges, which name their role).
 */
const SQL_ACL_MINUS = (acl: string, base: string, owner: string, ownEntries: 'skip' | 'current_user' | 'name') => `(select json_agg(json_build_array(g.grantee, g.privilege, g.grantable)) from (
    select case when x.grantee = 0 then 'public' ${ownEntries === 'current_user' ? `when x.grantee = ${owner} then 'current_user' ` : ''}else (select quote_ident(rolname) from pg_roles where oid = x.grantee) end as grantee,
        x.privilege_type as privilege, x.is_grantable as grantable
      from (select grantee, privilege_type, is_grantable from aclexplode(${acl}) except select grantee, privilege_type, is_grantable from aclexplode(${base})) as x
      ${ownEntries === 'skip' ? `where x.grantee <> ${owner}` : ''}) as g)`;

const PRIVILEGES_SQL = `(select json_agg(json_build_array(t.kind, t.identity, t.schema, t.name, t.target, t.column_name,
    ${SQL_ACL_MINUS('t.acl', 'acldefault(t.defaults::"char", t.owner)', 't.owner', 'skip')}, ${SQL_ACL_MINUS('acldefault(t.defaults::"char", t.owner)', 't.acl', 't.owner', 'current_user')})
    order by t.identity)
  from (${TARGETS_SQL}) as t(kind, identity, schema, name, target, owner, acl, defaults, column_name))`;

/**
 * pg_default_acl: a role's entry for all schemas replaces the built-in default (so it can revoke);
 * an entry for one schema only adds to it. (A column's acldefault is the empty ACL aclexplode takes;
 * '{}'::aclitem[] has no dimension and it refuses that.)
 */
const DEFAULT_PRIVILEGES_SQL = `(select json_agg(json_build_array(quote_ident(r.rolname), quote_ident(n.nspname), d.defaclobjtype,
    ${SQL_ACL_MINUS('d.defaclacl', `case when d.defaclnamespace = 0 then acldefault(case when d.defaclobjtype = 'S' then 's' else d.defaclobjtype end, d.defaclrole) else acldefault('c', d.defaclrole) end`, 'd.defaclrole', 'name')},
    ${SQL_ACL_MINUS(`case when d.defaclnamespace = 0 then acldefault(case when d.defaclobjtype = 'S' then 's' else d.defaclobjtype end, d.defaclrole) else acldefault('c', d.defaclrole) end`, 'd.defaclacl', 'd.defaclrole', 'name')})
    order by r.rolname, n.nspname nulls first, d.defaclobjtype)
  from pg_default_acl d join pg_roles r on r.oid = d.defaclrole left join pg_namespace n on n.oid = d.defaclnamespace
  where d.defaclnamespace = 0 or ${SQL_USER_SCHEMA('d.defaclnamespace')})`;

export const PRIVILEGES: CatalogFamily = {
  name: 'privileges',
  sql: (options: IntrospectOptions) => options.privileges
    ? `select json_build_object('privileges', ${PRIVILEGES_SQL}, 'defaults', ${DEFAULT_PRIVILEGES_SQL})`
    : 'select null::json',
  read(value, options) {
    if (!options.privileges || value === null || value === undefined) return [];
    const v = value as { privileges?: unknown[][] | null; defaults?: unknown[][] | null };
    return [...(v.privileges ?? []).map(readPrivileges), ...(v.defaults ?? []).map(readDefaultPrivileges)].filter((o): o is CatalogObject => o !== null);
  },
};

type Entry = [string, string, boolean];

function readPrivileges(row: unknown[]): CatalogObject | null {
  const [, identity, schema, name, target, column, granted, revoked] = row as [string, string, string | null, string, string, string | null, Entry[] | null, Entry[] | null];
  const grants = sortEntries(granted);
  const revokes = sortEntries(revoked);
  if (grants.length === 0 && revokes.length === 0) return null;
  return {
    kind: 'privileges', identity: `privileges on ${identity}`, schema, name, parent: identity, dependsOn: [identity],
    attributes: { grants: grants.map(grantText), revokes: revokes.map(revokeText) },
    create: statements(revokes, grants, (privileges) => (column ? privileges.map((p) => `${p} (${column})`) : privileges).join(', '), `on ${target}`).join('\n'),
    refs: [],
  };
}

const DEFAULT_OBJECTS: Record<string, string> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas', L: 'large objects' };

function readDefaultPrivileges(row: unknown[]): CatalogObject | null {
  const [role, schema, objectType, granted, revoked] = row as [string, string | null, string, Entry[] | null, Entry[] | null];
  const grants = sortEntries(granted);
  const revokes = sortEntries(revoked);
  if (grants.length === 0 && revokes.length === 0) return null;
  const objects = DEFAULT_OBJECTS[objectType] ?? objectType;
  const scope = `for role ${role}${schema ? ` in schema ${schema}` : ''}`;
  return {
    kind: 'default privileges', identity: `default privileges ${scope} on ${objects}`, schema: schema === null ? null : unquoted(schema), name: objects,
    dependsOn: schema ? [`schema ${schema}`] : [],
    attributes: { role, schema, objects, grants: grants.map(grantText), revokes: revokes.map(revokeText) },
    create: statements(revokes, grants, (privileges) => privileges.join(', '), `on ${objects}`).map((s) => `alter default privileges ${scope} ${s}`).join('\n'),
    refs: [],
  };
}

function grantText([grantee, privilege, grantable]: Entry): string {
  return `${privilege.toLowerCase()} to ${grantee}${grantable ? ' with grant option' : ''}`;
}

function revokeText([grantee, privilege]: Entry): string {
  return `${privilege.toLowerCase()} from ${grantee}`;
}

/** revokes first (a default privilege held with grant option is a revoke of the plain one, then the grant), one statement per grantee */
function statements(revokes: Entry[], grants: Entry[], list: (privileges: string[]) => string, on: string): string[] {
  const grouped = (entries: Entry[]) => {
    const groups = new Map<string, { grantee: string; grantable: boolean; privileges: string[] }>();
    for (const [grantee, privilege, grantable] of entries) {
      const key = `${grantee}\u0000${grantable}`;
      const group = groups.get(key) ?? groups.set(key, { grantee, grantable, privileges: [] }).get(key)!;
      group.privileges.push(privilege.toLowerCase());
    }
    return [...groups.values()];
  };
  return [
    ...grouped(revokes).map((g) => `revoke ${list(g.privileges)} ${on} from ${g.grantee};`),
    ...grouped(grants).map((g) => `grant ${list(g.privileges)} ${on} to ${g.grantee}${g.grantable ? ' with grant option' : ''};`),
  ];
}

/** sorted here, not in SQL: the order of text in SQL is the database's collation, which differs between servers */
function sortEntries(entries: Entry[] | null): Entry[] {
  const key = ([grantee, privilege, grantable]: Entry) => `${grantee}\u0000${privilege}\u0000${grantable}`;
  return [...(entries ?? [])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
