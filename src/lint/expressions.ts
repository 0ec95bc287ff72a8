/**
 * What the rules need to know of expressions and types without a database: whether a default is
 * volatile (PostgreSQL 11+ stores a non-volatile default of a new column once, in the catalog; a
 * volatile one is evaluated per row, which rewrites the table), and the base name of a type.
 * Functions strata does not know are 'unknown': the rules warn about them rather than guess.
 */
import type { ColumnDef, Node, TypeName } from 'libpg-query';
import type { Rewrite } from './lock-levels.js';

export type Volatility = 'immutable' | 'stable' | 'volatile' | 'unknown';

const VOLATILE_FUNCTIONS = new Set([
  'random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7', 'clock_timestamp',
  'timeofday', 'nextval', 'setval', 'txid_current', 'pg_current_xact_id', 'random_normal', 'gen_random_bytes', 'gen_salt',
]);
const STABLE_FUNCTIONS = new Set(['now', 'statement_timestamp', 'transaction_timestamp', 'current_setting', 'to_char', 'current_database', 'current_schema']);
const IMMUTABLE_FUNCTIONS = new Set(['lower', 'upper', 'coalesce', 'nullif', 'abs', 'length', 'concat_ws', 'md5', 'jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'array_length', 'make_interval', 'greatest', 'least', 'round', 'trim', 'btrim']);

const rank: Volatility[] = ['immutable', 'stable', 'unknown', 'volatile'];
const worst = (a: Volatility, b: Volatility): Volatility => (rank.indexOf(a) >= rank.indexOf(b) ? a : b);

/** The volatility of an expression: the worst of its parts. */
export function volatilityOf(node: Node | undefined): Volatility {
  if (!node) return 'immutable';
  if ('A_Const' in node) return 'immutable';
  if ('SQLValueFunction' in node) return 'stable'; // current_timestamp, current_user, ...
  if ('TypeCast' in node) return volatilityOf(node.TypeCast.arg);
  if ('FuncCall' in node) {
    const names = (node.FuncCall.funcname ?? []).map((n) => ('String' in n ? n.String.sval ?? '' : ''));
    const name = names.at(-1) ?? '';
    const own = VOLATILE_FUNCTIONS.has(name) ? 'volatile' : STABLE_FUNCTIONS.has(name) ? 'stable' : IMMUTABLE_FUNCTIONS.has(name) ? 'immutable' : 'unknown';
    return (node.FuncCall.args ?? []).reduce<Volatility>((v, arg) => worst(v, volatilityOf(arg)), own);
  }
  if ('A_Expr' in node) return worst(volatilityOf(node.A_Expr.lexpr), volatilityOf(node.A_Expr.rexpr));
  if ('BoolExpr' in node) return (node.BoolExpr.args ?? []).reduce<Volatility>((v, arg) => worst(v, volatilityOf(arg)), 'immutable');
  if ('A_ArrayExpr' in node) return (node.A_ArrayExpr.elements ?? []).reduce<Volatility>((v, arg) => worst(v, volatilityOf(arg)), 'immutable');
  if ('CoalesceExpr' in node) return (node.CoalesceExpr.args ?? []).reduce<Volatility>((v, arg) => worst(v, volatilityOf(arg)), 'immutable');
  if ('NullTest' in node) return volatilityOf(node.NullTest.arg);
  return 'unknown';
}

/** The type's own name, without pg_catalog: int4, varchar, timestamp, serial, json ... */
export function typeNameOf(typeName: TypeName | undefined): string {
  const names = (typeName?.names ?? []).map((n) => ('String' in n ? n.String.sval ?? '' : ''));
  return names.at(-1) ?? '';
}

/** `serial`, `bigserial`, `smallserial` (and their aliases): a sequence and a nextval default */
export function isSerialType(typeName: TypeName | undefined): boolean {
  return ['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'].includes(typeNameOf(typeName));
}

export function defaultOf(column: ColumnDef): Node | undefined {
  for (const c of column.constraints ?? []) if ('Constraint' in c && c.Constraint.contype === 'CONSTR_DEFAULT') return c.Constraint.raw_expr;
  return column.raw_default;
}

export function constraintOf(column: ColumnDef, contype: string): boolean {
  return (column.constraints ?? []).some((c) => 'Constraint' in c && c.Constraint.contype === contype);
}

/** Whether ALTER TABLE ... ADD COLUMN rewrites the table (PostgreSQL 11+: only for values computed per row). */
export function columnAddRewrites(column: ColumnDef): Rewrite {
  if (isSerialType(column.typeName) || constraintOf(column, 'CONSTR_IDENTITY') || constraintOf(column, 'CONSTR_GENERATED')) return 'yes';
  const volatility = volatilityOf(defaultOf(column));
  return volatility === 'volatile' ? 'yes' : volatility === 'unknown' ? 'maybe' : 'no';
}
