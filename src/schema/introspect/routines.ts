import type { Json } from '../model/snapshot.js';
import type { CatalogFamily, CatalogObject } from './catalog-family.js';
import { SQL_NOT_EXTENSION_MEMBER, SQL_USER_SCHEMA } from './catalog-family.js';

/**
 * Functions, procedures and aggregates (overloads distinct: identified by their input argument
 * types). Functions and procedures are written with pg_get_functiondef; aggregates, which it
 * refuses, are rebuilt from pg_aggregate.
 */

/** `<schema>.<name>` of a pg_proc oid, always qualified (regproc::text leaves out what the search_path reaches) */
const sqlFunctionName = (oid: string) =>
  `(select quote_ident(fn.nspname) || '.' || quote_ident(f.proname) from pg_proc f join pg_namespace fn on fn.oid = f.pronamespace where f.oid = ${oid})`;

/** the input argument types as format_type writes them: the key of an overload (what pg_proc's unique index holds) */
export const SQL_ROUTINE_ARGUMENT_TYPES = (proc: string) =>
  `(select coalesce(string_agg(format_type(a.type, null), ', ' order by a.position), '') from unnest(${proc}.proargtypes) with ordinality as a(type, position))`;

const ROUTINE_COLUMNS = (p: string) =>
  `${p}.oid, quote_ident(n.nspname), ${p}.proname, quote_ident(${p}.proname), ${SQL_ROUTINE_ARGUMENT_TYPES(p)}, pg_get_function_arguments(${p}.oid), ${p}.proparallel`;

const ROUTINES_SQL = `(select json_agg(json_build_array(${ROUTINE_COLUMNS('p')}, p.prokind,
    pg_get_function_result(p.oid), l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.procost, p.prorows, p.proconfig,
    case when p.prosqlbody is null then p.prosrc end, case when p.prosqlbody is not null then pg_get_function_sqlbody(p.oid) end, p.probin,
    nullif(p.prosupport, 0) is not null, ${sqlFunctionName('p.prosupport')}, pg_get_functiondef(p.oid)) order by n.nspname, p.proname, p.oid)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
  where p.prokind in ('f', 'p', 'w') and ${SQL_USER_SCHEMA('p.pronamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')})`;

const AGGREGATES_SQL = `(select json_agg(json_build_array(${ROUTINE_COLUMNS('p')}, a.aggkind, a.aggnumdirectargs,
    ${sqlFunctionName('a.aggtransfn')}, format_type(a.aggtranstype, null), a.aggtransspace, ${sqlFunctionName('a.aggfinalfn')}, a.aggfinalextra, a.aggfinalmodify,
    ${sqlFunctionName('a.aggcombinefn')}, ${sqlFunctionName('a.aggserialfn')}, ${sqlFunctionName('a.aggdeserialfn')}, a.agginitval,
    ${sqlFunctionName('a.aggmtransfn')}, ${sqlFunctionName('a.aggminvtransfn')}, case when a.aggmtranstype <> 0 then format_type(a.aggmtranstype, null) end, a.aggmtransspace,
    ${sqlFunctionName('a.aggmfinalfn')}, a.aggmfinalextra, a.aggmfinalmodify, a.aggminitval,
    (select 'operator(' || quote_ident(opn.nspname) || '.' || o.oprname || ')' from pg_operator o join pg_namespace opn on opn.oid = o.oprnamespace where o.oid = a.aggsortop))
    order by n.nspname, p.proname, p.oid)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_aggregate a on a.aggfnoid = p.oid
  where p.prokind = 'a' and ${SQL_USER_SCHEMA('p.pronamespace')} and ${SQL_NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')})`;

export const ROUTINES: CatalogFamily = {
  name: 'routines',
  sql: () => `select json_build_object('routines', ${ROUTINES_SQL}, 'aggregates', ${AGGREGATES_SQL})`,
  read(value) {
    const v = (value ?? {}) as { routines?: unknown[][] | null; aggregates?: unknown[][] | null };
    return [...(v.routines ?? []).map(readRoutine), ...(v.aggregates ?? []).map(readAggregate)];
  },
};

type RoutineRow = [number, string, string, string, string, string, string];

function readRoutine(row: unknown[]): CatalogObject {
  const [oid, schema, name, quoted, types, args, parallel] = row as RoutineRow;
  const [kind, result, language, volatility, strict, securityDefiner, leakproof, cost, rows, config, source, sqlBody, binary, hasSupport, support, definition] =
    row.slice(7) as [string, string | null, string, string, boolean, boolean, boolean, number, number, string[] | null, string | null, string | null, string | null, boolean, string | null, string];
  const objectKind = kind === 'p' ? 'procedure' : 'function';
  const attributes: { [key: string]: Json } = {
    language,
    arguments: args,
    result,
    window: kind === 'w',
    volatility: VOLATILITY[volatility] ?? volatility,
    strict,
    securityDefiner,
    leakproof,
    parallel: PARALLEL[parallel] ?? parallel,
    cost: Number(cost),
    rows: Number(rows),
    config: config ?? [],
    // a body in quotes is kept as written; a SQL-standard body (BEGIN ATOMIC) as the server deparses it
    body: sqlBody ?? source,
    sqlStandardBody: sqlBody !== null,
    // C functions: the library and its symbol
    library: binary,
    support: hasSupport ? support : null,
  };
  return {
    kind: objectKind, identity: `${objectKind} ${schema}.${quoted}(${types})`, schema: unquoted(schema), name,
    dependsOn: [`schema ${schema}`], attributes,
    // pg_get_functiondef ends the body with a newline and no ';'
    create: `${definition.trimEnd()};`,
    refs: [`pg_proc:${oid}:0`],
  };
}

function readAggregate(row: unknown[]): CatalogObject {
  const [oid, schema, name, quoted, types, args, parallel] = row as RoutineRow;
  const [aggKind, directArgs, sfunc, stype, sspace, finalfunc, finalExtra, finalModify, combinefunc, serialfunc, deserialfunc, initcond,
    msfunc, minvfunc, mstype, msspace, mfinalfunc, mfinalExtra, mfinalModify, minitcond, sortop] =
    row.slice(7) as [string, number, string, string, number, string | null, boolean, string, string | null, string | null, string | null, string | null,
      string | null, string | null, string | null, number, string | null, boolean, string, string | null, string | null];
  const isOrderedSet = aggKind !== 'n';
  // CREATE AGGREGATE's defaults, left out as pg_dump leaves them out
  const defaultModify = isOrderedSet ? 'w' : 'r';
  const options: [string, string | null][] = [
    ['sfunc', sfunc], ['stype', stype], ['sspace', sspace ? String(sspace) : null],
    ['finalfunc', finalfunc], ['finalfunc_extra', finalExtra ? 'true' : null],
    ['finalfunc_modify', finalfunc && finalModify !== defaultModify ? MODIFY[finalModify] ?? finalModify : null],
    ['combinefunc', combinefunc], ['serialfunc', serialfunc], ['deserialfunc', deserialfunc],
    ['initcond', initcond === null ? null : literal(initcond)],
    ['msfunc', msfunc], ['minvfunc', minvfunc], ['mstype', mstype], ['msspace', msspace ? String(msspace) : null],
    ['mfinalfunc', mfinalfunc], ['mfinalfunc_extra', mfinalExtra ? 'true' : null],
    ['mfinalfunc_modify', mfinalfunc && mfinalModify !== defaultModify ? MODIFY[mfinalModify] ?? mfinalModify : null],
    ['minitcond', minitcond === null ? null : literal(minitcond)],
    ['sortop', sortop],
    ['parallel', parallel === 'u' ? null : PARALLEL[parallel] ?? parallel],
  ];
  const written = options.filter((option): option is [string, string] => option[1] !== null);
  const clauses = written.map(([key, setting]) => `${key} = ${setting}`);
  if (aggKind === 'h') clauses.push('hypothetical');
  const attributes: { [key: string]: Json } = {
    aggregateKind: AGGREGATE_KIND[aggKind] ?? aggKind, arguments: args, directArguments: directArgs,
    ...Object.fromEntries(options.map(([key, setting]) => [key, setting])),
  };
  return {
    kind: 'aggregate', identity: `aggregate ${schema}.${quoted}(${types})`, schema: unquoted(schema), name,
    dependsOn: [`schema ${schema}`], attributes,
    create: `create aggregate ${schema}.${quoted}(${args === '' ? '*' : args}) (${clauses.join(', ')});`,
    refs: [`pg_proc:${oid}:0`],
  };
}

const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' };
const PARALLEL: Record<string, string> = { s: 'safe', r: 'restricted', u: 'unsafe' };
const MODIFY: Record<string, string> = { r: 'read_only', s: 'shareable', w: 'read_write' };
const AGGREGATE_KIND: Record<string, string> = { n: 'normal', o: 'ordered-set', h: 'hypothetical-set' };

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** a quote_ident'ed name back to the name, for `schema` (which is unquoted) */
export function unquoted(quoted: string): string {
  return quoted.startsWith('"') ? quoted.slice(1, -1).replace(/""/g, '"') : quoted;
}
