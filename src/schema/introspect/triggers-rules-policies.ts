import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';
import { unquoted } from './routines.js';

/**
 * What hangs on a table: triggers (constraint triggers too, with their enabled state), rules
 * (other than a view's _RETURN rule, which is the view) and row-level security policies; and
 * event triggers, which hang on nothing.
 */

const TABLE_COLUMNS = `quote_ident(n.nspname), quote_ident(c.relname), c.relkind`;
const ON_USER_TABLE = (catalog: string, oid: string) =>
  `${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')} and ${SQL_NOT_EXTENSION_MEMBER(catalog, oid)}`;

const TRIGGERS_SQL = `(select json_agg(json_build_array(t.oid, ${TABLE_COLUMNS}, t.tgname, quote_ident(t.tgname), pg_get_triggerdef(t.oid), t.tgenabled)
    order by n.nspname, c.relname, t.tgname)
  from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
  ${'' /* a partition's clone of its parent's trigger is made along with the partition */}
  where not t.tgisinternal and t.tgparentid = 0 and ${ON_USER_TABLE('pg_trigger', 't.oid')})`;

const EVENT_TRIGGERS_SQL = `(select json_agg(json_build_array(et.oid, et.evtname, quote_ident(et.evtname), et.evtevent,
    to_json(et.evttags),
    (select quote_ident(fn.nspname) || '.' || quote_ident(f.proname) from pg_proc f join pg_namespace fn on fn.oid = f.pronamespace where f.oid = et.evtfoid), et.evtenabled)
    order by et.evtname)
  from pg_event_trigger et where ${SQL_NOT_EXTENSION_MEMBER('pg_event_trigger', 'et.oid')})`;

const RULES_SQL = `(select json_agg(json_build_array(r.oid, ${TABLE_COLUMNS}, r.rulename, quote_ident(r.rulename), pg_get_ruledef(r.oid), r.ev_enabled)
    order by n.nspname, c.relname, r.rulename)
  from pg_rewrite r join pg_class c on c.oid = r.ev_class join pg_namespace n on n.oid = c.relnamespace
  where r.rulename <> '_RETURN' and ${ON_USER_TABLE('pg_rewrite', 'r.oid')})`;

const POLICIES_SQL = `(select json_agg(json_build_array(p.oid, ${TABLE_COLUMNS}, p.polname, quote_ident(p.polname), p.polcmd, p.polpermissive,
    (select json_agg(role) from (select case when r.oid = 0 then 'public' else (select quote_ident(rolname) from pg_roles where oid = r.oid) end as role from unnest(p.polroles) as r(oid)) as roles),
    pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    order by n.nspname, c.relname, p.polname)
  from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
  where ${ON_USER_TABLE('pg_policy', 'p.oid')})`;

export const TRIGGERS_RULES_POLICIES: CatalogFamily = {
  name: 'triggers, rules and policies',
  sql: () => `select json_build_object('triggers', ${TRIGGERS_SQL}, 'eventTriggers', ${EVENT_TRIGGERS_SQL}, 'rules', ${RULES_SQL}, 'policies', ${POLICIES_SQL})`,
  read(value) {
    const v = (value ?? {}) as Record<string, unknown[][] | null>;
    return [
      ...(v.triggers ?? []).map(readTrigger),
      ...(v.eventTriggers ?? []).map(readEventTrigger),
      ...(v.rules ?? []).map(readRule),
      ...(v.policies ?? []).map(readPolicy),
    ];
  },
};

/** the identity of the relation a trigger, rule or policy is on, as the relations family names it */
function relationIdentity(schema: string, table: string, relkind: string): string {
  const kind = relkind === 'v' ? 'view' : relkind === 'm' ? 'materialized view' : relkind === 'f' ? 'foreign table' : 'table';
  return `${kind} ${schema}.${table}`;
}

/** tgenabled and ev_enabled: 'O' fires in origin and local sessions (the default), 'D' never, 'R' only as a replica, 'A' always */
const ENABLED: Record<string, string> = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' };
const ENABLE_CLAUSE: Record<string, string> = { D: 'disable', R: 'enable replica', A: 'enable always' };

type OnTableRow = [number, string, string, string, string, string, string, string];

function readTrigger(row: unknown[]): CatalogObject {
  const [oid, schema, table, relkind, name, quoted, definition, enabled] = row as OnTableRow;
  const parent = relationIdentity(schema, table, relkind);
  const statements = [`${definition};`];
  if (enabled !== 'O') statements.push(`alter table ${schema}.${table} ${ENABLE_CLAUSE[enabled]} trigger ${quoted};`);
  return {
    kind: 'trigger', identity: `trigger ${schema}.${table}.${quoted}`, schema: unquoted(schema), name, parent, dependsOn: [parent],
    attributes: { definition, enabled: ENABLED[enabled] ?? enabled }, create: statements.join('\n'), refs: [`pg_trigger:${oid}:0`],
  };
}

function readEventTrigger(row: unknown[]): CatalogObject {
  const [oid, name, quoted, event, tags, functionName, enabled] = row as [number, string, string, string, string[] | null, string, string];
  const sortedTags = [...(tags ?? [])].sort(byCodeUnits);
  const when = sortedTags.length > 0 ? ` when tag in (${sortedTags.map(literal).join(', ')})` : '';
  const statements = [`create event trigger ${quoted} on ${event}${when} execute function ${functionName}();`];
  if (enabled !== 'O') statements.push(`alter event trigger ${quoted} ${ENABLE_CLAUSE[enabled]};`);
  return {
    kind: 'event trigger', identity: `event trigger ${quoted}`, schema: null, name, dependsOn: [],
    attributes: { event, tags: sortedTags, function: functionName, enabled: ENABLED[enabled] ?? enabled },
    create: statements.join('\n'), refs: [`pg_event_trigger:${oid}:0`],
  };
}

function readRule(row: unknown[]): CatalogObject {
  const [oid, schema, table, relkind, name, quoted, definition, enabled] = row as OnTableRow;
  const parent = relationIdentity(schema, table, relkind);
  // pg_get_ruledef ends with ';' already
  const statements = [definition.trimEnd()];
  if (enabled !== 'O') statements.push(`alter table ${schema}.${table} ${ENABLE_CLAUSE[enabled]} rule ${quoted};`);
  return {
    kind: 'rule', identity: `rule ${schema}.${table}.${quoted}`, schema: unquoted(schema), name, parent, dependsOn: [parent],
    attributes: { definition: definition.trimEnd(), enabled: ENABLED[enabled] ?? enabled }, create: statements.join('\n'), refs: [`pg_rewrite:${oid}:0`],
  };
}

const POLICY_COMMAND: Record<string, string> = { '*': 'all', r: 'select', a: 'insert', w: 'update', d: 'delete' };

function readPolicy(row: unknown[]): CatalogObject {
  const [oid, schema, table, relkind, name, quoted, command, permissive, roles, using, withCheck] =
    row as [number, string, string, string, string, string, string, boolean, string[] | null, string | null, string | null];
  const parent = relationIdentity(schema, table, relkind);
  // sorted here: SQL would sort by the database's collation, which differs between servers
  const to = [...(roles ?? ['public'])].sort(byCodeUnits);
  const commandName = POLICY_COMMAND[command] ?? command;
  const clauses = [`as ${permissive ? 'permissive' : 'restrictive'}`, `for ${commandName}`, `to ${to.join(', ')}`];
  if (using !== null) clauses.push(`using (${using})`);
  if (withCheck !== null) clauses.push(`with check (${withCheck})`);
  return {
    kind: 'policy', identity: `policy ${schema}.${table}.${quoted}`, schema: unquoted(schema), name, parent, dependsOn: [parent],
    attributes: { permissive, command: commandName, roles: to, using, withCheck },
    create: `create policy ${quoted} on ${schema}.${table} ${clauses.join(' ')};`, refs: [`pg_policy:${oid}:0`],
  };
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
