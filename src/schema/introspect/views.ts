import { loadSqlParser, loadedSqlParser } from '../../sql/parser.js';
import type { CatalogFamily, CatalogObject, IntrospectOptions } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';
import { unqualifiedLikeNewerVersions } from './view-definition.js';

/** PostgreSQL 16 stopped qualifying a one-relation view's columns; older texts are brought to that form */
const isQualifyingEverything = (options: IntrospectOptions) => options.serverVersionNum < 160000;

/**
 * Views and materialized views. The query is pg_get_viewdef's default (not pretty) text, which
 * PostgreSQL documents as the form to dump: the pretty one drops parentheses a later version may
 * read differently. schema.sql holds no data, so a materialized view is made WITH NO DATA.
 * A view's refs include its _RETURN rule: pg_depend records what the query needs on the rule.
 */
export const VIEWS: CatalogFamily = {
  name: 'views',
  sql: () => `select json_agg(json_build_array(c.oid, c.reltype, (select typarray from pg_type where oid = c.reltype), n.nspname, quote_ident(n.nspname), c.relname, quote_ident(c.relname),
      c.relkind, (select json_agg(o order by o) from unnest(c.reloptions) as o), pg_get_viewdef(c.oid),
      (select json_agg(r.oid order by r.oid) from pg_rewrite r where r.ev_class = c.oid and r.rulename = '_RETURN'))
    order by n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('v', 'm') and c.relpersistence <> 't' and ${SQL_USER_SCHEMA('c.relnamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`,
  async prepare(options) {
    if (isQualifyingEverything(options)) await loadSqlParser();
  },
  read(value, options) {
    const normalise = isQualifyingEverything(options) ? (text: string) => unqualifiedLikeNewerVersions(text, loadedSqlParser('views.read')) : (text: string) => text;
    return ((value ?? []) as ViewRow[]).map((row) => viewObject(row, normalise));
  },
};

type ViewRow = [oid: number, rowType: number, arrayType: number | null, schemaName: string, schema: string, name: string, quoted: string, relkind: 'v' | 'm', options: string[] | null, definition: string, rules: number[] | null];

function viewObject(row: ViewRow, normalise: (definition: string) => string): CatalogObject {
  const [oid, rowType, arrayType, schemaName, schema, name, quoted, relkind, options, rawDefinition, rules] = row;
  const kind = relkind === 'm' ? 'materialized view' : 'view';
  // the text starts with a space and ends with ';' on every version
  const definition = normalise(rawDefinition.trim().replace(/;$/, ''));
  const withOptions = options && options.length > 0 ? ` with (${options.join(', ')})` : '';
  const create = relkind === 'm'
    ? `create materialized view ${schema}.${quoted}${withOptions} as\n${definition}\n  with no data;`
    : `create view ${schema}.${quoted}${withOptions} as\n${definition};`;
  return {
    kind, identity: `${kind} ${schema}.${quoted}`, schema: schemaName, name, dependsOn: [`schema ${schema}`],
    attributes: { definition, options: options ?? [] },
    create,
    refs: [`pg_class:${oid}:0`, `pg_type:${rowType}:0`, ...(arrayType ? [`pg_type:${arrayType}:0`] : []), ...(rules ?? []).map((rule) => `pg_rewrite:${rule}:0`)],
  };
}
