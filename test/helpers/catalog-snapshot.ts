import type { TestDatabase } from './harness.js';

const USER_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname !~ '^pg_(toast_)?temp_'`;

/**
 * Everything a migration can change, as comparable text: schemas, relations and their columns,
 * indexes, constraints, triggers, functions, types, views, sequences, the rows of every user
 * table (strata's own tables included), in a stable order. Oids are left out (they are not
 * part of the schema); definitions are compared as the server prints them.
 */
export async function databaseSnapshot(db: TestDatabase): Promise<Record<string, unknown>> {
  const q = async (text: string) => db.query(text);
  const relations = await q(`select n.nspname, c.relname, c.relkind::text, c.relpersistence::text
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${USER_SCHEMAS} order by 1, 2`);
  const tables = await db.query<{ nspname: string; relname: string }>(`select n.nspname, c.relname
      from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${USER_SCHEMAS} and c.relkind in ('r', 'p') order by 1, 2`);
  const rows: Record<string, unknown> = {};
  for (const t of tables) {
    const name = `"${t.nspname.replace(/"/g, '""')}"."${t.relname.replace(/"/g, '""')}"`;
    rows[`${t.nspname}.${t.relname}`] = (await q(`select coalesce(json_agg(x order by x::text), '[]') as rows from ${name} x`))[0]!.rows;
  }
  return {
    schemas: await q(`select n.nspname from pg_namespace n where ${USER_SCHEMAS} order by 1`),
    relations,
    columns: await q(`select n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull,
        a.attidentity::text, a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid) as default_value
      from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where ${USER_SCHEMAS} and a.attnum > 0 and not a.attisdropped order by 1, 2, 3`),
    indexes: await q(`select n.nspname, c.relname, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where ${USER_SCHEMAS} order by 1, 2`),
    constraints: await q(`select n.nspname, c.conrelid::regclass::text as relation, c.conname, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace where ${USER_SCHEMAS} order by 1, 2, 3`),
    triggers: await q(`select pg_get_triggerdef(t.oid) as definition
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where ${USER_SCHEMAS} and not t.tgisinternal order by 1`),
    functions: await q(`select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) as arguments, p.prokind::text,
        case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) end as definition
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${USER_SCHEMAS} order by 1, 2, 3`),
    types: await q(`select n.nspname, t.typname, t.typtype::text,
        (select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) as labels
      from pg_type t join pg_namespace n on n.oid = t.typnamespace where ${USER_SCHEMAS} order by 1, 2`),
    views: await q(`select schemaname, viewname, definition from pg_views where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2`),
    sequences: await q(`select schemaname, sequencename, last_value::text from pg_sequences order by 1, 2`),
    rows,
  };
}
