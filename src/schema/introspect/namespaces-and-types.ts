import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';

/**
 * Schemas, extensions, collations, types (enum, composite, range), domains (with their
 * constraints) and sequences (with OWNED BY).
 */
export const NAMESPACES_AND_TYPES: CatalogFamily = {
  name: 'namespaces and types',
  sql: () => `select json_build_object(
    'schemas', (select json_agg(json_build_array(n.oid, n.nspname, quote_ident(n.nspname)) order by n.nspname) from pg_namespace n
      where ${SQL_USER_SCHEMA('n.oid')} and ${SQL_NOT_EXTENSION_MEMBER('pg_namespace', 'n.oid')}),
    'extensions', (select json_agg(json_build_array(e.oid, e.extname, quote_ident(e.extname), quote_ident(n.nspname), e.extrelocatable) order by e.extname) from pg_extension e
      join pg_namespace n on n.oid = e.extnamespace where e.oid >= 16384),
    'collations', (select json_agg(json_build_array(c.oid, quote_ident(n.nspname), c.collname, quote_ident(c.collname), c.collprovider, c.collisdeterministic, c.collcollate, c.collctype,
        ${'' /* the ICU locale: colliculocale in 15 and 16, colllocale from 17 */}(to_jsonb(c) ->> 'colliculocale'), (to_jsonb(c) ->> 'colllocale')) order by n.nspname, c.collname)
      from pg_collation c join pg_namespace n on n.oid = c.collnamespace where c.oid >= 16384 and ${SQL_USER_SCHEMA('c.collnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_collation', 'c.oid')}),
    'enums', (select json_agg(json_build_array(t.oid, t.typarray, quote_ident(n.nspname), t.typname, quote_ident(t.typname),
        (select json_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)) order by n.nspname, t.typname)
      from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typtype = 'e' and ${SQL_USER_SCHEMA('t.typnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_type', 't.oid')}),
    'composites', (select json_agg(json_build_array(t.oid, t.typarray, t.typrelid, quote_ident(n.nspname), t.typname, quote_ident(t.typname),
        (select json_agg(json_build_array(quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
            case when a.attcollation <> 0 and a.attcollation <> (select typcollation from pg_type where oid = a.atttypid) then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end)
          order by a.attnum) from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped)) order by n.nspname, t.typname)
      from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_class c on c.oid = t.typrelid
      where t.typtype = 'c' and c.relkind = 'c' and ${SQL_USER_SCHEMA('t.typnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_type', 't.oid')}),
    'ranges', (select json_agg(json_build_array(t.oid, t.typarray, quote_ident(n.nspname), t.typname, quote_ident(t.typname), format_type(r.rngsubtype, null),
        (select quote_ident(on_.nspname) || '.' || quote_ident(oc.opcname) from pg_opclass oc join pg_namespace on_ on on_.oid = oc.opcnamespace where oc.oid = r.rngsubopc and not oc.opcdefault),
        (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = r.rngcollation and r.rngcollation <> (select typcollation from pg_type where oid = r.rngsubtype)),
        nullif(r.rngcanonical::regproc::text, '-'), nullif(r.rngsubdiff::regproc::text, '-'),
        (select quote_ident(mn.nspname) || '.' || quote_ident(m.typname) from pg_type m join pg_namespace mn on mn.oid = m.typnamespace where m.oid = r.rngmultitypid), r.rngmultitypid, (select typarray from pg_type where oid = r.rngmultitypid))
        order by n.nspname, t.typname)
      from pg_type t join pg_namespace n on n.oid = t.typnamespace join pg_range r on r.rngtypid = t.oid
      where ${SQL_USER_SCHEMA('t.typnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_type', 't.oid')}),
    'domains', (select json_agg(json_build_array(t.oid, t.typarray, quote_ident(n.nspname), t.typname, quote_ident(t.typname), format_type(t.typbasetype, t.typtypmod),
        t.typnotnull, pg_get_expr(t.typdefaultbin, 0),
        (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = t.typcollation and t.typcollation <> (select typcollation from pg_type where oid = t.typbasetype)),
        (select json_agg(json_build_array(k.oid, quote_ident(k.conname), pg_get_constraintdef(k.oid, true), k.convalidated) order by k.conname) from pg_constraint k where k.contypid = t.oid and k.contype = 'c'))
        order by n.nspname, t.typname)
      from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typtype = 'd' and ${SQL_USER_SCHEMA('t.typnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_type', 't.oid')}),
    'sequences', (select json_agg(json_build_array(c.oid, quote_ident(n.nspname), c.relname, quote_ident(c.relname), format_type(s.seqtypid, null), s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle, c.relpersistence,
        (select json_build_array(quote_ident(tn.nspname) || '.' || quote_ident(tc.relname), quote_ident(a.attname)) from pg_depend d join pg_class tc on tc.oid = d.refobjid join pg_namespace tn on tn.oid = tc.relnamespace
           join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
          where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' and d.refobjsubid > 0 limit 1))
        order by n.nspname, c.relname)
      from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_sequence s on s.seqrelid = c.oid
      where c.relkind = 'S' and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i'))
  )`,
  read(value) {
    const v = (value ?? {}) as Record<string, unknown[][] | null>;
    const objects: CatalogObject[] = [];
    for (const [oid, name, quoted] of (v.schemas ?? []) as [number, string, string][]) {
      // public is there in every new database: kept (dropping it is a change), never created
      const isPublic = name === 'public';
      objects.push({
        kind: 'schema', identity: `schema ${quoted}`, schema: null, name, dependsOn: [], attributes: {},
        create: isPublic ? '' : `create schema ${quoted};`, refs: [`pg_namespace:${oid}:0`],
      });
    }
    for (const [oid, name, quoted, schema, relocatable] of (v.extensions ?? []) as [number, string, string, string, boolean][]) {
      objects.push({
        kind: 'extension', identity: `extension ${quoted}`, schema: null, name, dependsOn: [`schema ${schema}`], attributes: { schema, relocatable },
        create: `create extension if not exists ${quoted} with schema ${schema};`, refs: [`pg_extension:${oid}:0`],
      });
    }
    for (const [oid, schema, name, quoted, provider, deterministic, collate, ctype, iculocale15, locale17] of (v.collations ?? []) as [number, string, string, string, string, boolean, string | null, string | null, string | null, string | null][]) {
      const providerName = provider === 'i' ? 'icu' : provider === 'b' ? 'builtin' : 'libc';
      const locale = providerName === 'libc' ? null : (locale17 ?? iculocale15);
      const parts = [`provider = ${providerName}`];
      if (providerName === 'libc') parts.push(`lc_collate = ${literal(collate ?? '')}`, `lc_ctype = ${literal(ctype ?? '')}`);
      else parts.push(`locale = ${literal(locale ?? '')}`);
      if (!deterministic) parts.push('deterministic = false');
      objects.push({
        kind: 'collation', identity: `collation ${schema}.${quoted}`, schema: unquoted(schema), name, dependsOn: [`schema ${schema}`],
        attributes: { provider: providerName, deterministic, ...(providerName === 'libc' ? { collate, ctype } : { locale }) },
        create: `create collation ${schema}.${quoted} (${parts.join(', ')});`, refs: [`pg_collation:${oid}:0`],
      });
    }
    for (const [oid, array, schema, name, quoted, labels] of (v.enums ?? []) as [number, number, string, string, string, string[] | null][]) {
      objects.push({
        kind: 'type', identity: `type ${schema}.${quoted}`, schema: unquoted(schema), name, dependsOn: [`schema ${schema}`],
        attributes: { type: 'enum', labels: labels ?? [] },
        create: `create type ${schema}.${quoted} as enum (${(labels ?? []).map(literal).join(', ')});`, refs: [`pg_type:${oid}:0`, `pg_type:${array}:0`],
      });
    }
    for (const [oid, array, relid, schema, name, quoted, attributes] of (v.composites ?? []) as [number, number, number, string, string, string, [string, string, string | null][] | null][]) {
      const fields = attributes ?? [];
      objects.push({
        kind: 'type', identity: `type ${schema}.${quoted}`, schema: unquoted(schema), name, dependsOn: [`schema ${schema}`],
        attributes: { type: 'composite', fields: fields.map(([field, type, collation]) => ({ name: field, type, collation })) },
        create: `create type ${schema}.${quoted} as (${fields.map(([field, type, collation]) => `${field} ${type}${collation ? ` collate ${collation}` : ''}`).join(', ')});`,
        refs: [`pg_type:${oid}:0`, `pg_type:${array}:0`, `pg_class:${relid}:0`, ...fields.map((_, k) => `pg_class:${relid}:${k + 1}`)],
      });
    }
    for (const [oid, array, schema, name, quoted, subtype, opclass, collation, canonical, subdiff, multirange, multiOid, multiArray] of (v.ranges ?? []) as [number, number, string, string, string, string, string | null, string | null, string | null, string | null, string | null, number, number][]) {
      const defaultMultirange = `${schema}.${quoteIdentLike(multirangeNameFor(name))}`;
      const options = [`subtype = ${subtype}`];
      if (opclass) options.push(`subtype_opclass = ${opclass}`);
      if (collation) options.push(`collation = ${collation}`);
      if (canonical) options.push(`canonical = ${canonical}`);
      if (subdiff) options.push(`subtype_diff = ${subdiff}`);
      if (multirange && multirange !== defaultMultirange) options.push(`multirange_type_name = ${multirange}`);
      objects.push({
        kind: 'type', identity: `type ${schema}.${quoted}`, schema: unquoted(schema), name, dependsOn: [`schema ${schema}`],
        attributes: { type: 'range', subtype, opclass, collation, canonical, subdiff, multirange },
        create: `create type ${schema}.${quoted} as range (${options.join(', ')});`,
        refs: [`pg_type:${oid}:0`, `pg_type:${array}:0`, `pg_type:${multiOid}:0`, `pg_type:${multiArray}:0`],
      });
    }
    for (const [oid, array, schema, name, quoted, base, notNull, defaultExpr, collation, checks] of (v.domains ?? []) as [number, number, string, string, string, string, boolean, string | null, string | null, [number, string, string, boolean][] | null][]) {
      const constraints = checks ?? [];
      const clauses = [
        ...(collation ? [`collate ${collation}`] : []),
        ...(defaultExpr !== null ? [`default ${defaultExpr}`] : []),
        ...(notNull ? ['not null'] : []),
        ...constraints.filter(([, , , valid]) => valid).map(([, cname, def]) => `constraint ${cname} ${def}`),
      ];
      const notValid = constraints.filter(([, , , valid]) => !valid).map(([, cname, def]) => `alter domain ${schema}.${quoted} add constraint ${cname} ${def} not valid;`);
      objects.push({
        kind: 'domain', identity: `domain ${schema}.${quoted}`, schema: unquoted(schema), name, dependsOn: [`schema ${schema}`],
        attributes: { base, notNull, default: defaultExpr, collation, constraints: constraints.map(([, cname, def, valid]) => ({ name: cname, definition: def, valid })) },
        create: [`create domain ${schema}.${quoted} as ${base}${clauses.map((c) => ` ${c}`).join('')};`, ...notValid].join('\n'),
        refs: [`pg_type:${oid}:0`, `pg_type:${array}:0`, ...constraints.map(([coid]) => `pg_constraint:${coid}:0`)],
      });
    }
    for (const [oid, schema, name, quoted, type, start, increment, min, max, cache, cycle, persistence, owner] of (v.sequences ?? []) as [number, string, string, string, string, string, string, string, string, string, boolean, string, [string, string] | null][]) {
      const identity = `sequence ${schema}.${quoted}`;
      objects.push({
        kind: 'sequence', identity, schema: unquoted(schema), name, dependsOn: [`schema ${schema}`],
        attributes: { type, start: String(start), increment: String(increment), min: String(min), max: String(max), cache: String(cache), cycle, unlogged: persistence === 'u' },
        create: `create ${persistence === 'u' ? 'unlogged ' : ''}sequence ${schema}.${quoted} as ${type} start with ${start} increment by ${increment} minvalue ${min} maxvalue ${max} cache ${cache}${cycle ? ' cycle' : ''};`,
        refs: [`pg_class:${oid}:0`],
      });
      if (owner) {
        const [table, column] = owner;
        objects.push({
          kind: 'sequence owned by', identity: `sequence owned by ${schema}.${quoted}`, schema: unquoted(schema), name, parent: identity,
          dependsOn: [`column ${table}.${column}`], attributes: { table, column },
          create: `alter sequence ${schema}.${quoted} owned by ${table}.${column};`, refs: [],
        });
      }
    }
    return objects;
  },
};

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** a quote_ident'ed name back to the name, for `schema` (which is unquoted) */
function unquoted(quoted: string): string {
  return quoted.startsWith('"') ? quoted.slice(1, -1).replace(/""/g, '"') : quoted;
}

/** PostgreSQL's default multirange name: the range's name with 'range' replaced by 'multirange', else '_multirange' appended */
function multirangeNameFor(range: string): string {
  const at = range.indexOf('range');
  return at >= 0 ? `${range.slice(0, at)}multi${range.slice(at)}` : `${range}_multirange`;
}

function quoteIdentLike(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
