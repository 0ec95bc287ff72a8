import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The benchmark history: N revisions, each a table with a foreign key to the previous one, an index,
 * a PL/pgSQL function and a trigger; down.sql drops exactly those, in reverse order. The same bodies,
 * concatenated, are what psql runs (`up_all.sql` in id order, `down_all.sql` newest first).
 */
export interface Corpus {
  migrationsDir: string;
  upAll: string;
  downAll: string;
  /** every revision's up, down and up again, in id order: what a round trip of the history makes the server do */
  roundTripAll: string;
  ids: string[];
}

/** What one revision of a corpus does, by its 1-based index. */
export interface RevisionBodies {
  up(index: number): string;
  down(index: number): string;
}

export function revisionId(index: number): string {
  // one second apart from 2024-01-01 00:00:00 UTC: distinct, ordered timestamps
  const time = new Date(Date.UTC(2024, 0, 1) + index * 1000).toISOString();
  const stamp = time.slice(0, 19).replace(/[-T:]/g, '');
  return `${stamp}_table_${String(index).padStart(5, '0')}`;
}

function tableName(index: number): string {
  return `t${String(index).padStart(5, '0')}`;
}

export function upBody(index: number): string {
  const t = tableName(index);
  const reference = index > 1 ? `\n  parent_id bigint references ${tableName(index - 1)} (id),` : '\n  parent_id bigint,';
  return `create table ${t} (
  id bigint generated always as identity primary key,${reference}
  name text not null,
  updated_at timestamptz not null default now()
);

create index ${t}_parent_id_idx on ${t} (parent_id);

create function ${t}_touch() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create trigger ${t}_touch before update on ${t}
  for each row execute function ${t}_touch();
`;
}

export function downBody(index: number): string {
  const t = tableName(index);
  return `drop trigger ${t}_touch on ${t};
drop function ${t}_touch();
drop index ${t}_parent_id_idx;
drop table ${t};
`;
}

/**
 * A schema of plain tables, one per revision: an identity primary key, a foreign key to the one
 * before, a check, an index; every tenth revision also a view. The 500-table schema of the
 * snapshot and dump targets (no functions or triggers, which the executor corpus has).
 */
export const tableBodies: RevisionBodies = {
  up: (index) => {
    const t = tableName(index);
    const reference = index > 1 ? `,\n  prev bigint references ${tableName(index - 1)} (id)` : '';
    const view = index % 10 === 0 ? `\ncreate view ${t}_v as select id, amount from ${t} where amount > 0;\n` : '';
    return `create table ${t} (\n  id bigint generated always as identity primary key${reference},\n  amount numeric(12,2) check (amount >= 0)\n);\n\ncreate index ${t}_amount_idx on ${t} (amount);\n${view}`;
  },
  down: (index) => `${index % 10 === 0 ? `drop view ${tableName(index)}_v;\n` : ''}drop table ${tableName(index)};\n`,
};

/** Writes `<root>/migrations/<id>/{up,down}.sql` and `<root>/{up_all,down_all,round_trip_all}.sql`. */
export function writeCorpus(root: string, count: number, bodies: RevisionBodies = { up: upBody, down: downBody }): Corpus {
  const migrationsDir = path.join(root, 'migrations');
  mkdirSync(migrationsDir, { recursive: true });
  const ids: string[] = [];
  const ups: string[] = [];
  const downs: string[] = [];
  const roundTrips: string[] = [];
  for (let index = 1; index <= count; index++) {
    const id = revisionId(index);
    const parent = index === 1 ? 'base' : revisionId(index - 1);
    const folder = path.join(migrationsDir, id);
    mkdirSync(folder);
    const up = bodies.up(index);
    const down = bodies.down(index);
    writeFileSync(path.join(folder, 'up.sql'), `--! Parent: ${parent}\n--! Message: table ${index}\n\n${up}`);
    writeFileSync(path.join(folder, 'down.sql'), down);
    ids.push(id);
    ups.push(`-- ${id}\n${up}`);
    downs.push(`-- ${id}\n${down}`);
    roundTrips.push(`-- ${id}\n${up}\n${down}\n${up}`);
  }
  const upAll = path.join(root, 'up_all.sql');
  const downAll = path.join(root, 'down_all.sql');
  writeFileSync(upAll, ups.join('\n'));
  writeFileSync(downAll, downs.reverse().join('\n'));
  const roundTripAll = path.join(root, 'round_trip_all.sql');
  writeFileSync(roundTripAll, roundTrips.join('\n'));
  return { migrationsDir, upAll, downAll, roundTripAll, ids };
}
