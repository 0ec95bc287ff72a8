import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The revision the dev-loop benchmarks save again and again: the newest of `migrations`, creating a
 * schema and one table whose name changes with each save (`upText(n)`).
 */
export function addEditRevision(migrations: string): { upFile: string; upText: (n: number) => string } {
  const parent = readdirSync(migrations).sort().at(-1) ?? 'base';
  const folder = path.join(migrations, '29991231235959_bench_edit');
  mkdirSync(folder);
  const upFile = path.join(folder, 'up.sql');
  const upText = (n: number) => `--! Parent: ${parent}\n--! Message: benchmark edit\n\ncreate schema bench;\ncreate table bench.t_${n} (id bigint primary key, label text not null);\n`;
  writeFileSync(upFile, upText(0));
  writeFileSync(path.join(folder, 'down.sql'), 'drop schema bench cascade;\n');
  return { upFile, upText };
}
