import type pg from 'pg';
import type { SchemaObject, Snapshot } from '../src/schema/model/snapshot.js';

/**
 * A second opinion for the conformance runner, independent of strata's snapshot: every user object
 * in every per-database catalog with an oid (named by pg_identify_object, so oids never enter it),
 * columns, and the server's own definitions of what it can print. Two snapshots can be equal
 * because both are blind to a kind (tables, before their family exists): the census of the
 * original and of the database loaded from schema.sql then differ, and the state is wrong, as it is.
 * Ownership is left out (strata ignores it by default), so are grants unless `privileges`.
 */
export type Census = Map<string, string>;

/**
 * A census key is the kind, a tab, the identity; a server's printed definition of an object is
 * under `<kind> definition`, apart from the object's bare entry (pg_identify_object's).
 */
function kindOf(key: string): string {
  return key.slice(0, key.indexOf('\t')).replace(/ definition$/, '');
}

function shown(key: string): string {
  return key.replace('\t', ' ');
}

/** The kinds where the copy differs, in order: what a wrong state is grouped by. */
export function censusKindsDiffering(original: Census, copy: Census): string[] {
  const kinds = new Set<string>();
  for (const key of new Set([...original.keys(), ...copy.keys()])) if (original.get(key) !== copy.get(key)) kinds.add(kindOf(key));
  return [...kinds].sort();
}

/** Rows a catalog holds that are not the schema: oids in their names, or made by the server for another object. */
const SKIPPED_CATALOGS = new Set(['pg_largeobject_metadata', /* pg_identify_object does not know it; labels below */ 'pg_enum']);
const CATALOG_CONDITIONS: Record<string, string> = {
  pg_trigger: 'oid >= 16384 and not tgisinternal',
  // public comes with every new database (oid 2200); the runner may make it again between states
  pg_namespace: `(oid >= 16384 or nspname = 'public')`,
};

const USER_SCHEMA = `not in ('pg_catalog', 'information_schema', 'pg_toast')`;


function definitionsSql(): string {
  return [
    // columns: position among the living ones, type, collation, nullability, identity, generated, default
    `select 'column definition', (pg_identify_object('pg_class'::regclass, a.attrelid, a.attnum)).identity,
        concat_ws(' ', row_number() over (partition by a.attrelid order by a.attnum), format_type(a.atttypid, a.atttypmod),
          case when a.attcollation <> 0 then 'collate ' || a.attcollation::regcollation::text end,
          case when a.attnotnull then 'not null' end, nullif(a.attidentity::text, ''), nullif(a.attgenerated::text, ''),
          pg_get_expr(d.adbin, d.adrelid)) as definition
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attnum > 0 and not a.attisdropped and c.oid >= 16384 and n.nspname ${USER_SCHEMA}`,
    `select 'relation definition', c.oid::regclass::text, concat_ws(' ', c.relkind::text, c.relpersistence::text, c.relrowsecurity, c.relforcerowsecurity, c.relreplident::text,
          c.reloptions::text, case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end, pg_get_expr(c.relpartbound, c.oid),
          case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
          (select string_agg(i.inhparent::regclass::text, ',' order by i.inhseqno) from pg_inherits i where i.inhrelid = c.oid))
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid >= 16384 and n.nspname ${USER_SCHEMA}`,
    `select 'constraint definition', (pg_identify_object('pg_constraint'::regclass, oid, 0)).identity, pg_get_constraintdef(oid) || case when convalidated then '' else ' not valid' end
      from pg_constraint where oid >= 16384`,
    `select 'index definition', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) from pg_index i join pg_class c on c.oid = i.indexrelid
      join pg_namespace n on n.oid = c.relnamespace where i.indexrelid >= 16384 and n.nspname ${USER_SCHEMA}`,
    `select 'function definition', oid::regprocedure::text, case when prokind in ('f', 'p') then pg_get_functiondef(oid) else prokind::text end from pg_proc where oid >= 16384`,
    `select 'trigger definition', (pg_identify_object('pg_trigger'::regclass, oid, 0)).identity, pg_get_triggerdef(oid) || ' ' || tgenabled::text from pg_trigger where oid >= 16384 and not tgisinternal`,
    `select 'rule definition', (pg_identify_object('pg_rewrite'::regclass, oid, 0)).identity, pg_get_ruledef(oid) || ' ' || ev_enabled::text from pg_rewrite where oid >= 16384`,
    `select 'policy definition', (pg_identify_object('pg_policy'::regclass, oid, 0)).identity,
        concat_ws(' ', polcmd::text, polpermissive, polroles::regrole[]::text, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)) from pg_policy where oid >= 16384`,
    `select 'comment definition', 'on ' || (pg_identify_object(classoid, objoid, objsubid)).type || ' ' || (pg_identify_object(classoid, objoid, objsubid)).identity, description
      from pg_description where objoid >= 16384 or (classoid = 'pg_namespace'::regclass and objoid = (select oid from pg_namespace where nspname = 'public'))`,
    `select 'enum definition', enumtypid::regtype::text, string_agg(enumlabel, ',' order by enumsortorder) from pg_enum where enumtypid >= 16384 group by enumtypid`,
    `select 'sequence definition', seqrelid::regclass::text, concat_ws(' ', seqtypid::regtype, seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle) from pg_sequence where seqrelid >= 16384`,
    `select 'subscription', quote_ident(subname), subconninfo || ' ' || array_to_string(subpublications, ',')
      from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())`,
    `select 'extension definition', quote_ident(extname), extnamespace::regnamespace::text from pg_extension where oid >= 16384`,
  ].join('\nunion all\n');
}

/** The per-database catalogs with an oid column: the same on every database of a server, so read once. */
let catalogs: { name: string }[] | undefined;

/** Reads the census of the database `client` is connected to. */
export async function takeCensus(client: pg.Client, options: { privileges: boolean }): Promise<Census> {
  catalogs ??= (await client.query<{ name: string }>(`select c.relname as name from pg_class c
      join pg_attribute a on a.attrelid = c.oid and a.attname = 'oid'
      where c.relnamespace = 'pg_catalog'::regnamespace and c.relkind = 'r' and not c.relisshared order by 1`)).rows;
  const generic = catalogs
    .filter(({ name }) => !SKIPPED_CATALOGS.has(name) && (options.privileges || name !== 'pg_default_acl'))
    .map(({ name }) => `select (o).type, (o).identity, null from (select pg_identify_object('${name}'::regclass, oid, 0) as o from ${name}
        where ${CATALOG_CONDITIONS[name] ?? 'oid >= 16384'}) as x where (o).schema is null or (o).schema ${USER_SCHEMA}`);
  // the effective ACL: NULL means the built-in default, and entries are sorted (two equal ACLs can list them in another order)
  const effective = (acl: string, kind: string, owner: string) => `(select string_agg(item::text, ',' order by item::text) from unnest(coalesce(${acl}, acldefault(${kind}, ${owner}))) as item)`;
  const acls = options.privileges ? [
    `select 'acl', c.oid::regclass::text, ${effective('c.relacl', `case when c.relkind = 'S' then 's'::"char" else 'r'::"char" end`, 'c.relowner')} from pg_class c where c.oid >= 16384 and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`,
    `select 'acl', p.oid::regprocedure::text, ${effective('p.proacl', `'f'::"char"`, 'p.proowner')} from pg_proc p where p.oid >= 16384`,
    `select 'acl', 'schema ' || n.nspname, ${effective('n.nspacl', `'n'::"char"`, 'n.nspowner')} from pg_namespace n where n.nspname ${USER_SCHEMA}`,
  ] : [];
  const text = [...generic, definitionsSql(), ...acls].map((part) => `(${part})`).join('\nunion all\n');
  const { rows } = await client.query<{ kind: string; identity: string; definition: string | null }>(`select kind, identity, definition from (${text}) as census(kind, identity, definition)`);
  const census: Census = new Map();
  for (const { kind, identity, definition } of rows) census.set(`${kind}\t${identity}`, definition ?? '');
  return census;
}

/** What the copy lacks, has more of, or has otherwise; the first `limit`, in key order. */
export function censusDifferences(original: Census, copy: Census, limit = 10): string[] {
  const found: string[] = [];
  const keys = [...new Set([...original.keys(), ...copy.keys()])].sort();
  for (const key of keys) {
    if (found.length >= limit) break;
    const before = original.get(key);
    const after = copy.get(key);
    if (after === undefined) found.push(`lost: ${shown(key)}`);
    else if (before === undefined) found.push(`added: ${shown(key)}`);
    else if (before !== after) found.push(`changed: ${shown(key)}: ${oneLine(before)} -> ${oneLine(after)}`);
  }
  return found;
}

/** The first identities where two snapshots differ: missing from the copy, added, or with other attributes. */
export function snapshotDifferences(original: Snapshot, copy: Snapshot, limit = 10): string[] {
  const before = new Map(original.objects.map((o) => [o.identity, o]));
  const after = new Map(copy.objects.map((o) => [o.identity, o]));
  const found: string[] = [];
  for (const identity of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    if (found.length >= limit) break;
    const a = before.get(identity);
    const b = after.get(identity);
    if (b === undefined) found.push(`lost: ${identity}`);
    else if (a === undefined) found.push(`added: ${identity}`);
    else {
      const field = differingField(a, b);
      if (field) found.push(`changed: ${identity}: ${field}`);
    }
  }
  if (found.length < limit && JSON.stringify(original.unmodelled) !== JSON.stringify(copy.unmodelled)) found.push(`unmodelled: ${copy.unmodelled.map((u) => u.identity).join(', ')}`);
  return found;
}

function differingField(a: SchemaObject, b: SchemaObject): string | undefined {
  for (const key of new Set([...Object.keys(a.attributes), ...Object.keys(b.attributes)])) {
    const x = JSON.stringify(a.attributes[key]);
    const y = JSON.stringify(b.attributes[key]);
    if (x !== y) return `${key} ${x} -> ${y}`;
  }
  if (JSON.stringify(a.dependsOn) !== JSON.stringify(b.dependsOn)) return `dependsOn ${JSON.stringify(a.dependsOn)} -> ${JSON.stringify(b.dependsOn)}`;
  if (a.create !== b.create) return `create ${oneLine(a.create)} -> ${oneLine(b.create)}`;
  for (const key of ['kind', 'schema', 'name', 'parent'] as const) if (a[key] !== b[key]) return `${key} ${String(a[key])} -> ${String(b[key])}`;
  return undefined;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
