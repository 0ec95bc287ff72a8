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
  ids: string[];
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

/** Writes `<root>/migrations/<id>/{up,down}.sql` and `<root>/{up_all,down_all}.sql`. */
export function writeCorpus(root: string, count: number): Corpus {
  const migrationsDir = path.join(root, 'migrations');
  mkdirSync(migrationsDir, { recursive: true });
  const ids: string[] = [];
  const ups: string[] = [];
  const downs: string[] = [];
  for (let index = 1; index <= count; index++) {
    const id = revisionId(index);
    const parent = index === 1 ? 'base' : revisionId(index - 1);
    const folder = path.join(migrationsDir, id);
    mkdirSync(folder);
    const up = upBody(index);
    const down = downBody(index);
    writeFileSync(path.join(folder, 'up.sql'), `--! Parent: ${parent}\n--! Message: table ${index}\n\n${up}`);
    writeFileSync(path.join(folder, 'down.sql'), down);
    ids.push(id);
    ups.push(`-- ${id}\n${up}`);
    downs.push(`-- ${id}\n${down}`);
  }
  const upAll = path.join(root, 'up_all.sql');
  const downAll = path.join(root, 'down_all.sql');
  writeFileSync(upAll, ups.join('\n'));
  writeFileSync(downAll, downs.reverse().join('\n'));
  return { migrationsDir, upAll, downAll, ids };
}
