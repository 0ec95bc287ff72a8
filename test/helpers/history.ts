import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface GeneratedRevision {
  id: string;
  up: string;
  down: string;
}

/** Revision ids one minute apart from 2026-01-01 00:00 UTC: `20260101000000_r0001`, ... */
export function revisionId(index: number, slug = `r${String(index).padStart(4, '0')}`): string {
  const time = new Date(Date.UTC(2026, 0, 1, 0, index));
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const stamp = `${time.getUTCFullYear()}${pad(time.getUTCMonth() + 1)}${pad(time.getUTCDate())}${pad(time.getUTCHours())}${pad(time.getUTCMinutes())}00`;
  return `${stamp}_${slug}`;
}

/** A chain of `count` revisions whose bodies come from `body(i)` (1-based). */
export function generateHistory(count: number, body: (i: number) => { up: string; down: string; header?: string }): GeneratedRevision[] {
  const revisions: GeneratedRevision[] = [];
  for (let i = 1; i <= count; i++) {
    const id = revisionId(i);
    const parent = i === 1 ? 'base' : revisions[i - 2]!.id;
    const { up, down, header } = body(i);
    revisions.push({ id, up: `--! Parent: ${parent}\n--! Message: revision ${i}\n${header ?? ''}\n${up}`, down: `${down}` });
  }
  return revisions;
}

/** Writes revisions as folders under `<projectDir>/migrations`. */
export function writeHistory(projectDir: string, revisions: readonly GeneratedRevision[]): void {
  for (const revision of revisions) {
    const folder = path.join(projectDir, 'migrations', revision.id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'up.sql'), revision.up);
    writeFileSync(path.join(folder, 'down.sql'), revision.down);
  }
}
