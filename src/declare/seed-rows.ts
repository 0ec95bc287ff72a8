import { quoteLiteral } from '../sql/quote.js';
import type { SchemaChange } from '../schema/model/diff.js';
import type { SchemaObject, Snapshot } from '../schema/model/snapshot.js';
import type { RenameHint } from './plan-migration.js';

/**
 * The rows a proof seeds before it applies a generated up.sql: a few per affected table (a table
 * the change alters, and the tables those reference, so that foreign keys hold), with a value of
 * each column's type made from the row's number, so that a key and the foreign keys pointing at it
 * agree; a seeded row whose key a row of the migrations' own already holds is left out (that row
 * then is the one a foreign key finds). What survives is compared through the kept columns: those
 * in both schemas (renames followed) with the same type. Pure: the proof runs the statements.
 */

export const SEED_ROWS = 3;

export interface SeedTable {
  /** the table's identity in the current schema */
  table: string;
  insert: string;
  /** false: seeded only because a table the change touches references it */
  isChanged: boolean;
}

export interface SeedPlan {
  /** in an order that puts a referenced table before the tables referencing it, where there is one */
  tables: SeedTable[];
  unseeded: Array<{ table: string; reason: string }>;
}

/** Tables of `current` that the change touches (their own properties, or an object under them), renamed ones included. */
export function affectedTables(current: Snapshot, changes: readonly SchemaChange[], renames: readonly RenameHint[]): string[] {
  const tables = new Set(current.objects.filter((o) => o.kind === 'table').map((o) => o.identity));
  const touched = new Set<string>();
  for (const change of changes) {
    const object = change.change === 'changed' ? change.after : change.object;
    for (const identity of [object.identity, object.parent]) if (identity && tables.has(identity)) touched.add(identity);
  }
  for (const rename of renames) {
    if (rename.kind === 'table') touched.add(rename.from);
    if (rename.kind === 'column' || rename.kind === 'constraint') {
      const parent = current.objects.find((o) => o.identity === rename.from)?.parent;
      if (parent) touched.add(parent);
    }
  }
  return [...touched].filter((t) => tables.has(t)).sort();
}

/**
 * `tables` and the tables they reference (by a foreign key of `current` or `desired`), as insert
 * statements. A referenced table's own foreign keys are followed only where a column of theirs
 * cannot be null; else those columns are left null, so that a chain of references does not seed
 * the whole schema.
 */
export function planSeeds(current: Snapshot, desired: Snapshot, tables: readonly string[]): SeedPlan {
  const byId = new Map(current.objects.map((o) => [o.identity, o]));
  const foreignKeys = new Map<string, SchemaObject[]>();
  for (const o of [...current.objects, ...desired.objects]) {
    if (o.kind === 'constraint' && o.attributes.type === 'foreign key' && o.parent) (foreignKeys.get(o.parent) ?? foreignKeys.set(o.parent, []).get(o.parent)!).push(o);
  }
  const changed = new Set(tables);
  const ordered: Array<{ table: string; leftNull: Set<string> }> = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (visiting.has(table)) return;
    visiting.add(table);
    const leftNull = new Set<string>();
    const columns = new Map(columnsOf(current, table).map((c) => [nameIn(c), c]));
    for (const key of foreignKeys.get(table) ?? []) {
      const found = /^FOREIGN KEY \((.*?)\) REFERENCES\s+((?:"(?:[^"]|"")+"|[^\s(".]+)\.(?:"(?:[^"]|"")+"|[^\s(".]+))\s*\(/.exec(String(key.attributes.definition));
      const target = found ? `table ${found[2]}` : undefined;
      if (!found || !target || target === table || !byId.has(target)) continue;
      const own = found[1]!.split(',').map((c) => c.trim());
      if (!changed.has(table) && own.every((c) => columns.get(c)?.attributes.notNull === false)) own.forEach((c) => leftNull.add(c));
      else visit(target);
    }
    ordered.push({ table, leftNull });
  };
  for (const table of tables) visit(table);
  const plan: SeedPlan = { tables: [], unseeded: [] };
  for (const { table, leftNull } of ordered) {
    const made = insertFor(byId.get(table)!, columnsOf(current, table).filter((c) => !leftNull.has(nameIn(c))), current);
    if (typeof made === 'string') plan.unseeded.push({ table, reason: made });
    else plan.tables.push({ table, insert: made.insert, isChanged: changed.has(table) });
  }
  return plan;
}

/** The columns of `table`, in the snapshot's (identity) order; their order in the table does not matter to an insert by name. */
export function columnsOf(snapshot: Snapshot, table: string): SchemaObject[] {
  return snapshot.objects.filter((o) => o.kind === 'column' && o.parent === table);
}

/** `public.orders` of `table public.orders`; `note` of `column public.orders.note` */
export function nameIn(object: SchemaObject): string {
  const own = object.identity.slice(object.kind.length + 1);
  if (!object.parent) return own;
  const parent = object.parent.slice(object.parent.indexOf(' ') + 1);
  return own.startsWith(`${parent}.`) ? own.slice(parent.length + 1) : own;
}

function insertFor(table: SchemaObject, columns: readonly SchemaObject[], snapshot: Snapshot): { insert: string } | string {
  if (table.attributes.partitioned) return 'a partitioned table: rows go to its partitions, which strata does not seed';
  const named: string[] = [];
  const rows: string[][] = Array.from({ length: SEED_ROWS }, () => []);
  let overriding = false;
  for (const column of columns) {
    const a = column.attributes;
    if (a.generated) continue;
    const values = Array.from({ length: SEED_ROWS }, (_, k) => valueOf(String(a.type), k, snapshot));
    if (values.some((v) => v === undefined)) {
      if (a.notNull && a.default === null && !a.identity) return `column ${nameIn(column)} is of type ${String(a.type)}, which strata makes no values of`;
      continue;
    }
    if (a.identity && (a.identity as { generated?: string }).generated === 'always') overriding = true;
    named.push(nameIn(column));
    values.forEach((v, k) => rows[k]!.push(v!));
  }
  if (named.length === 0) return 'no column strata can give a value';
  const into = `${nameIn(table)} (${named.join(', ')})`;
  // a row the migrations inserted (a first user, a list of kinds) may hold a seeded key already: it stands in for that row
  return { insert: `insert into ${into}${overriding ? ' overriding system value' : ''} values ${rows.map((r) => `(${r.join(', ')})`).join(', ')} on conflict do nothing` };
}

/**
 * `type` without its modifiers; an extension's type strata knows (citext) also without the schema
 * the catalog names it with (`public.citext`), wherever the extension was installed.
 */
function builtinName(type: string): string {
  const base = type.replace(/\(.*\)/, '').trim();
  const extension = /^(?:[a-z_][a-z0-9_$]*|"(?:[^"]|"")+")\.(citext)$/.exec(base);
  return extension ? extension[1]! : base;
}

/** Text of the value of row `k` for `type`, before the cast: numbers 1, 2, 3 (so keys and foreign keys agree), a date, a label ... */
function rawValue(type: string, k: number, snapshot: Snapshot): string | undefined {
  const n = k + 1;
  const base = builtinName(type);
  if (/^(smallint|integer|bigint|numeric|decimal|real|double precision|money|oid)$/.test(base)) return String(n);
  if (/^(text|character varying|character|varchar|char|name|citext|bpchar)$/.test(base)) return String(n);
  if (base === 'boolean') return k % 2 === 0 ? 'true' : 'false';
  if (base === 'date') return `2026-01-0${n}`;
  if (/^timestamp/.test(base)) return `2026-01-0${n} 12:00:00+00`;
  if (/^time/.test(base)) return `12:0${n}:00`;
  if (base === 'interval') return `${n} days`;
  if (base === 'uuid') return `00000000-0000-4000-8000-00000000000${n}`;
  if (base === 'json' || base === 'jsonb') return `{"seed": ${n}}`;
  if (base === 'bytea') return `\\x0${n}`;
  if (base === 'inet' || base === 'cidr') return `10.0.0.${n}`;
  const named = snapshot.objects.find((o) => (o.kind === 'type' || o.kind === 'domain') && o.identity.slice(o.kind.length + 1) === type);
  if (named?.kind === 'type' && named.attributes.type === 'enum') {
    const labels = named.attributes.labels as string[];
    return labels.length > 0 ? labels[k % labels.length] : undefined;
  }
  if (named?.kind === 'domain') return rawValue(String(named.attributes.base), k, snapshot);
  return undefined;
}

function valueOf(type: string, k: number, snapshot: Snapshot): string | undefined {
  if (type.endsWith('[]')) {
    const element = rawValue(type.slice(0, -2), k, snapshot);
    return element === undefined ? undefined : `cast(${quoteLiteral(`{"${element.replace(/["\\]/g, '\\$&')}"}`)} as ${type})`;
  }
  const raw = rawValue(type, k, snapshot);
  return raw === undefined ? undefined : `cast(${quoteLiteral(raw)} as ${type})`;
}


/**
 * A value of `type` for rows that must have one and whose own is gone (a NOT NULL column that
 * down.sql adds back after up.sql dropped it): the type's zero, empty or first value; undefined
 * for a type strata knows no such value of. `lookup` finds a type or domain by identity.
 */
export function placeholderValue(type: string, lookup: (identity: string) => SchemaObject | undefined): string | undefined {
  // a literal, which PostgreSQL reads as the column's type
  if (type.endsWith('[]')) return "'{}'";
  const base = builtinName(type);
  const zero = quoteLiteral;
  if (/^(smallint|integer|bigint|numeric|decimal|real|double precision|oid)$/.test(base)) return '0';
  if (base === 'money') return zero('0');
  if (/^(text|character varying|character|varchar|char|name|citext|bpchar)$/.test(base)) return zero('');
  if (base === 'boolean') return zero('false');
  if (base === 'date' || /^timestamp/.test(base)) return zero('epoch');
  if (/^time/.test(base)) return zero('00:00');
  if (base === 'interval') return zero('0');
  if (base === 'uuid') return zero('00000000-0000-0000-0000-000000000000');
  if (base === 'json' || base === 'jsonb') return zero('{}');
  if (base === 'bytea') return zero('');
  if (base === 'inet' || base === 'cidr') return zero('0.0.0.0');
  const named = lookup(`type ${type}`) ?? lookup(`domain ${type}`);
  if (named?.kind === 'type' && named.attributes.type === 'enum') {
    const labels = named.attributes.labels as string[];
    return labels.length > 0 ? zero(labels[0]!) : undefined;
  }
  // a domain's checks may refuse its base type's zero: the proof then says so
  if (named?.kind === 'domain') return placeholderValue(String(named.attributes.base), lookup);
  return undefined;
}
