import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestDatabase } from './harness.js';

/** Whether psql is installed; a test that needs it fails in CI and skips with the reason elsewhere. */
export function hasPsql(): boolean {
  const found = spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found) {
    const reason = 'psql is not installed';
    if (process.env.CI) throw new Error(reason);
    console.warn(`SKIP: ${reason}`);
  }
  return found;
}

export interface PsqlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script as a DBA would: `psql -X -v ON_ERROR_STOP=1 -f script.sql`. */
export function runPsqlScript(url: string, script: string): Promise<PsqlResult> {
  const file = path.join(os.tmpdir(), `strata-script-${process.pid}-${Date.now().toString(36)}.sql`);
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGOPTIONS: undefined } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(file, { force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The tracking tables without what differs from run to run (times, durations, who): what
 * `strata sql` + psql must leave exactly as `strata up`/`down` would.
 */
export async function trackingRows(db: TestDatabase, schema = 'strata'): Promise<{ revisions: unknown[]; events: unknown[] }> {
  const s = `"${schema.replace(/"/g, '""')}"`;
  const revisions = await db.query(`select id, parent, message, tags, up_checksum, down_checksum, down_sql from ${s}.revisions order by id`);
  const events = await db.query(`select action, revision_id, ok, error, details from ${s}.events order by id`);
  return { revisions, events };
}

/** Every relation (with its kind and columns), type and function outside the system schemas. */
export async function catalogObjects(db: TestDatabase): Promise<Record<string, string | null>> {
  const [objects] = await db.query<Record<string, string | null>>(`
    select
      (select string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text || '(' ||
                coalesce((select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
                            from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '') || ')',
                ',' order by n.nspname, c.relname)
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema') as relations,
      (select string_agg(n.nspname || '.' || t.typname, ',' order by n.nspname, t.typname) from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema' and t.typtype in ('e', 'd', 'c') and t.typrelid = 0) as types,
      (select string_agg(n.nspname || '.' || p.proname, ',' order by n.nspname, p.proname) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema') as functions,
      (select string_agg(tgname, ',' order by tgname) from pg_trigger where not tgisinternal) as triggers`);
  return objects!;
}
