import type { RenameHint } from '../../src/declare/plan-migration.js';

/**
 * A rich schema as data, written as SQL, and random edits of it (the property test of the
 * generator): columns added, dropped, retyped, made NOT NULL, given defaults; indexes, checks,
 * foreign keys, views, functions, triggers, policies, comments, enum values, tables added and
 * dropped; tables, columns and enum values renamed (with the hint a user would write). Every edit
 * keeps the schema valid (what depends on a dropped thing goes with it).
 */
interface Column { name: string; type: string; notNull: boolean; default: string | null }
interface Table {
  name: string;
  columns: Column[];
  checks: Array<{ name: string; column: string }>;
  indexes: Array<{ name: string; columns: string[]; unique: boolean }>;
  policies: Array<{ name: string; bound: number }>;
  triggers: string[];
  comment: string | null;
}
export interface Model {
  labels: string[];
  increment: number;
  functions: Array<{ name: string; add: number }>;
  tables: Table[];
  fks: Array<{ name: string; table: string; column: string; ref: string }>;
  views: Array<{ name: string; table: string; columns: string[]; comment: string | null }>;
  serial: number;
}

export function baseModel(): Model {
  const column = (name: string, type: string, notNull = false, def: string | null = null): Column => ({ name, type, notNull, default: def });
  return {
    labels: ['new', 'paid', 'shipped'], increment: 1, serial: 0,
    functions: [{ name: 'bump', add: 1 }],
    tables: [
      { name: 'customers', columns: [column('id', 'integer', true), column('email', 'text', true), column('score', 'integer', false, '0')],
        checks: [{ name: 'customers_score_check', column: 'score' }], indexes: [{ name: 'customers_email', columns: ['email'], unique: true }], policies: [], triggers: [], comment: 'who buys' },
      { name: 'orders', columns: [column('id', 'integer', true), column('customer_id', 'integer'), column('state', 'app.state', false, "'new'::app.state"), column('total', 'numeric(10,2)'), column('note', 'character varying(50)')],
        checks: [], indexes: [{ name: 'orders_state', columns: ['state'], unique: false }], policies: [{ name: 'orders_visible', bound: 0 }], triggers: ['orders_touch'], comment: null },
    ],
    fks: [{ name: 'orders_customer_fk', table: 'orders', column: 'customer_id', ref: 'customers' }],
    views: [{ name: 'open_orders', table: 'orders', columns: ['id', 'state'], comment: 'not shipped' }],
  };
}

const q = (text: string) => `'${text.replace(/'/g, "''")}'`;

export function renderModel(m: Model): string {
  const sql = ['create schema app;', `create type app.state as enum (${m.labels.map(q).join(', ')});`, `create sequence app.counter increment by ${m.increment};`,
    'create function app.touch() returns trigger language plpgsql as $$ begin return new; end $$;'];
  for (const f of m.functions) sql.push(`create function app.${f.name}(x integer) returns integer language sql immutable as $$ select x + ${f.add} $$;`);
  for (const t of m.tables) {
    const columns = t.columns.map((c) => `${c.name} ${c.type}${c.default !== null ? ` default ${c.default}` : ''}${c.notNull ? ' not null' : ''}`);
    sql.push(`create table app.${t.name} (${columns.join(', ')}, primary key (id));`);
    for (const check of t.checks) sql.push(`alter table app.${t.name} add constraint ${check.name} check (${checkOf(t.columns.find((c) => c.name === check.column)!)});`);
    for (const i of t.indexes) sql.push(`create ${i.unique ? 'unique ' : ''}index ${i.name} on app.${t.name} (${i.columns.join(', ')});`);
    if (t.policies.length > 0) sql.push(`alter table app.${t.name} enable row level security;`);
    for (const p of t.policies) sql.push(`create policy ${p.name} on app.${t.name} using (id > ${p.bound});`);
    for (const trigger of t.triggers) sql.push(`create trigger ${trigger} before insert on app.${t.name} for each row execute function app.touch();`);
    if (t.comment !== null) sql.push(`comment on table app.${t.name} is ${q(t.comment)};`);
  }
  for (const fk of m.fks) sql.push(`alter table app.${fk.table} add constraint ${fk.name} foreign key (${fk.column}) references app.${fk.ref} (id);`);
  for (const v of m.views) {
    sql.push(`create view app.${v.name} as select ${v.columns.join(', ')} from app.${v.table};`);
    if (v.comment !== null) sql.push(`comment on view app.${v.name} is ${q(v.comment)};`);
  }
  return sql.join('\n');
}

function checkOf(column: Column): string {
  if (['integer', 'bigint'].includes(column.type) || column.type.startsWith('numeric')) return `${column.name} > -1000`;
  if (column.type === 'app.state') return `${column.name} is not null or true`;
  return `length(${column.name}) < 1000`;
}

const TYPES = ['integer', 'bigint', 'text', 'character varying(50)', 'numeric(10,2)', 'boolean', 'app.state'];
const WIDER: Record<string, string[]> = {
  integer: ['bigint', 'numeric(10,2)', 'text'], bigint: ['integer', 'numeric(12,2)'], text: ['character varying(50)', 'character varying(200)'],
  'character varying(50)': ['text', 'character varying(200)'], 'character varying(200)': ['text'], 'numeric(10,2)': ['numeric(12,2)', 'numeric(10,3)'], 'numeric(12,2)': ['numeric(10,2)'],
  'numeric(10,3)': ['numeric(12,3)'], 'numeric(12,3)': ['numeric(10,3)'], boolean: ['text'], 'app.state': ['text'],
};

function defaultOf(type: string, m: Model, pick: <T>(list: readonly T[]) => T): string {
  if (type === 'app.state') return `${q(pick(m.labels))}::app.state`;
  if (type === 'boolean') return 'false';
  if (type === 'text' || type.startsWith('character')) return q('x');
  if (type === 'integer' && m.functions.length > 0 && pick([true, false])) return `app.${pick(m.functions).name}(1)`;
  if (type === 'bigint') return "nextval('app.counter'::regclass)";
  return '1';
}

/** Applies `count` random edits; returns the rename hints the edits that rename need. */
export function mutate(m: Model, count: number, rand: () => number): RenameHint[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const hints: RenameHint[] = [];
  const fresh = (prefix: string) => `${prefix}${++m.serial}`;
  /** a rename of what an earlier edit renamed continues that rename */
  const renamed = (kind: 'table' | 'column', from: string, to: string) => {
    const earlier = hints.find((h) => h.kind === kind && h.to === from);
    if (earlier) earlier.to = to;
    else hints.push({ kind, from, to });
  };
  const columnUsers = (t: Table, column: string) => ({
    checks: t.checks.filter((c) => c.column === column), indexes: t.indexes.filter((i) => i.columns.includes(column)),
    views: m.views.filter((v) => v.table === t.name && v.columns.includes(column)), fks: m.fks.filter((f) => (f.table === t.name && f.column === column)),
  });
  const dropColumnUsers = (t: Table, column: string) => {
    const users = columnUsers(t, column);
    t.checks = t.checks.filter((c) => !users.checks.includes(c));
    t.indexes = t.indexes.filter((i) => !users.indexes.includes(i));
    m.views = m.views.filter((v) => !users.views.includes(v));
    m.fks = m.fks.filter((f) => !users.fks.includes(f));
  };
  const edits: Array<() => boolean> = [
    () => { // add a column at the end
      const t = pick(m.tables);
      const type = pick(TYPES);
      const hasDefault = rand() < 0.5;
      t.columns.push({ name: fresh('c'), type, notNull: hasDefault && rand() < 0.5, default: hasDefault ? defaultOf(type, m, pick) : null });
      return true;
    },
    () => { // drop the last column
      const t = pick(m.tables);
      const last = t.columns[t.columns.length - 1]!;
      if (last.name === 'id' || m.fks.some((f) => f.table === t.name && f.column === last.name)) return false;
      dropColumnUsers(t, last.name);
      t.columns.pop();
      return true;
    },
    () => { // change a column's type
      const t = pick(m.tables);
      const c = pick(t.columns);
      const to = WIDER[c.type];
      if (c.name === 'id' || !to || m.fks.some((f) => f.table === t.name && f.column === c.name) || t.indexes.some((i) => i.unique && i.columns.includes(c.name))) return false;
      c.type = pick(to);
      if (c.default !== null) c.default = defaultOf(c.type, m, pick);
      return true;
    },
    () => { // NOT NULL on or off (on only with a default, so that rows stay valid)
      const c = pick(pick(m.tables).columns);
      if (c.name === 'id') return false;
      if (c.notNull) c.notNull = false;
      else if (c.default !== null) c.notNull = true;
      else return false;
      return true;
    },
    () => { // default set, changed or dropped
      const c = pick(pick(m.tables).columns);
      if (c.name === 'id' || c.notNull) return false;
      c.default = c.default === null || rand() < 0.5 ? defaultOf(c.type, m, pick) : null;
      return true;
    },
    () => { // an index added or dropped
      const t = pick(m.tables);
      if (t.indexes.length > 0 && rand() < 0.5) t.indexes.splice(Math.floor(rand() * t.indexes.length), 1);
      else t.indexes.push({ name: fresh('ix'), columns: [pick(t.columns).name], unique: false });
      return true;
    },
    () => { // a check added or dropped
      const t = pick(m.tables);
      if (t.checks.length > 0 && rand() < 0.5) t.checks.pop();
      else {
        const c = pick(t.columns);
        if (c.type === 'boolean') return false;
        t.checks.push({ name: fresh('ck'), column: c.name });
      }
      return true;
    },
    () => { // a view added, grown, or dropped
      if (m.views.length > 0 && rand() < 0.4) {
        const v = pick(m.views);
        const t = m.tables.find((x) => x.name === v.table)!;
        const extra = t.columns.find((c) => !v.columns.includes(c.name));
        if (extra && rand() < 0.6) v.columns.push(extra.name);
        else m.views = m.views.filter((x) => x !== v);
        return true;
      }
      const t = pick(m.tables);
      m.views.push({ name: fresh('v'), table: t.name, columns: ['id', ...t.columns.slice(1).filter(() => rand() < 0.5).map((c) => c.name)], comment: rand() < 0.3 ? 'a view' : null });
      return true;
    },
    () => { // an enum value added somewhere, or one nothing uses removed
      if (rand() < 0.6 || m.labels.length < 3) {
        m.labels.splice(Math.floor(rand() * (m.labels.length + 1)), 0, fresh('s'));
        return true;
      }
      const label = pick(m.labels);
      if (m.tables.some((t) => t.columns.some((c) => c.default?.includes(`'${label}'`)))) return false;
      m.labels = m.labels.filter((l) => l !== label);
      return true;
    },
    () => { // a table added (with a foreign key to an existing one) or one dropped
      if (m.tables.length > 2 && rand() < 0.4) {
        const t = pick(m.tables.slice(2));
        m.tables = m.tables.filter((x) => x !== t);
        m.fks = m.fks.filter((f) => f.table !== t.name && f.ref !== t.name);
        m.views = m.views.filter((v) => v.table !== t.name);
        return true;
      }
      const name = fresh('t');
      const ref = pick(m.tables);
      m.tables.push({ name, columns: [{ name: 'id', type: 'integer', notNull: true, default: null }, { name: 'ref_id', type: 'integer', notNull: false, default: null }, { name: 'label', type: 'text', notNull: false, default: null }],
        checks: [], indexes: [], policies: [], triggers: rand() < 0.3 ? [fresh('tg')] : [], comment: rand() < 0.5 ? 'new' : null });
      m.fks.push({ name: fresh('fk'), table: name, column: 'ref_id', ref: ref.name });
      return true;
    },
    () => { // a table renamed
      const t = pick(m.tables);
      const name = fresh('r');
      renamed('table', `table app.${t.name}`, `table app.${name}`);
      for (const hint of hints) if (hint.kind === 'column' && hint.to.startsWith(`column app.${t.name}.`)) hint.to = `column app.${name}.${hint.to.split('.')[2]}`;
      for (const fk of m.fks) {
        if (fk.table === t.name) fk.table = name;
        if (fk.ref === t.name) fk.ref = name;
      }
      for (const v of m.views) if (v.table === t.name) v.table = name;
      t.name = name;
      return true;
    },
    () => { // a column renamed
      const t = pick(m.tables);
      const c = pick(t.columns);
      if (c.name === 'id') return false;
      const name = fresh('n');
      renamed('column', `column app.${t.name}.${c.name}`, `column app.${t.name}.${name}`);
      for (const check of t.checks) if (check.column === c.name) check.column = name;
      for (const i of t.indexes) i.columns = i.columns.map((x) => (x === c.name ? name : x));
      for (const v of m.views) if (v.table === t.name) v.columns = v.columns.map((x) => (x === c.name ? name : x));
      for (const f of m.fks) if (f.table === t.name && f.column === c.name) f.column = name;
      c.name = name;
      return true;
    },
    () => { // an enum value renamed
      const label = pick(m.labels);
      const name = fresh('e');
      const earlier = hints.find((h) => h.value?.to === label);
      if (earlier) earlier.value!.to = name;
      else hints.push({ kind: 'enum value', from: 'type app.state', to: 'type app.state', value: { from: label, to: name } });
      m.labels = m.labels.map((l) => (l === label ? name : l));
      for (const t of m.tables) for (const c of t.columns) if (c.default === `'${label}'::app.state`) c.default = `'${name}'::app.state`;
      return true;
    },
    () => { // a function's body changed, one added, or one nothing uses dropped
      if (rand() < 0.4 || m.functions.length === 0) m.functions.push({ name: fresh('f'), add: 1 });
      else {
        const f = pick(m.functions);
        if (rand() < 0.5) f.add++;
        else if (!m.tables.some((t) => t.columns.some((c) => c.default?.includes(`app.${f.name}(`)))) m.functions = m.functions.filter((x) => x !== f);
        else return false;
      }
      return true;
    },
    () => { // a policy added, changed or dropped; a trigger added or dropped; a comment changed
      const t = pick(m.tables);
      const choice = Math.floor(rand() * 3);
      if (choice === 0) {
        if (t.policies.length > 0 && rand() < 0.5) t.policies[0]!.bound++;
        else if (t.policies.length > 0) t.policies.pop();
        else t.policies.push({ name: fresh('p'), bound: 1 });
      } else if (choice === 1) {
        if (t.triggers.length > 0) t.triggers.pop();
        else t.triggers.push(fresh('tg'));
      } else t.comment = t.comment === null ? 'commented' : rand() < 0.5 ? null : `${t.comment}!`;
      return true;
    },
    () => { // the sequence's increment
      m.increment = m.increment === 1 ? 2 : 1;
      return true;
    },
  ];
  for (let done = 0, tries = 0; done < count && tries < count * 20; tries++) if (pick(edits)()) done++;
  return hints;
}

/** Hints whose old name is in the current model and whose new name is still there at the end (a later edit may have dropped it) */
export function standingHints(hints: RenameHint[], current: Model, desired: Model): RenameHint[] {
  const exists = (m: Model, identity: string, label?: string) => {
    const [kind, name] = [identity.slice(0, identity.indexOf(' ')), identity.slice(identity.indexOf(' ') + 1)];
    const parts = name.split('.');
    if (kind === 'table') return m.tables.some((t) => t.name === parts[1]);
    if (kind === 'column') return m.tables.some((t) => t.name === parts[1] && t.columns.some((c) => c.name === parts[2]));
    return label === undefined || m.labels.includes(label);
  };
  // a column renamed in a table renamed before it may be named by the table's new name
  const before = (identity: string) => {
    const table = hints.find((h) => h.kind === 'table' && identity.startsWith(`column ${h.to.slice('table '.length)}.`));
    return table ? `column ${table.from.slice('table '.length)}.${identity.split('.')[2]}` : identity;
  };
  return hints.filter((h) => exists(current, before(h.from), h.value?.from) && exists(desired, h.to, h.value?.to));
}
