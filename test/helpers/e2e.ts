import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDatabase, fixturesDir, makeProject, runCli, type CliResult, type TestDatabase } from './harness.js';

/** Helpers shared by the end-to-end tests of the core workflow and its errors. */

/**
 * A five-revision history of the tests' own (the shape of the README's example). Not the repository's
 * migrations/: a user following the README's tour adds revisions there, and the tests must not care.
 */
const EXAMPLE_DIR = path.join(fixturesDir, 'example-history');
export const EXAMPLE_IDS = readdirSync(EXAMPLE_DIR).filter((name) => /^\d{14}_/.test(name)).sort();

/** A throwaway project holding a copy of the example history as its migrations/. */
export function exampleProject(): ReturnType<typeof makeProject> {
  const project = makeProject();
  cpSync(EXAMPLE_DIR, path.join(project.dir, 'migrations'), { recursive: true });
  return project;
}

/** `migrations/<id>/up.sql` and `down.sql` for makeProject; the body starts on line 1 + the number of header lines + 1. */
export function revisionFiles(id: string, parent: string, body: string, down = '', header: string[] = []): Record<string, string> {
  return {
    [`migrations/${id}/up.sql`]: [`--! Parent: ${parent}`, ...header, '', body].join('\n'),
    [`migrations/${id}/down.sql`]: down,
  };
}

/** Drops every schema the tests (or strata) created and recreates an empty public schema. */
export async function resetDatabase(db: TestDatabase): Promise<void> {
  const schemas = await db.query<{ name: string }>(
    "select nspname as name from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'");
  for (const { name } of schemas) await db.query(`drop schema ${quoteIdent(name)} cascade`);
  await db.query('create schema public');
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What a run could have changed: every relation, type and function outside the system schemas,
 * and the tracking rows and event count of `schema`.
 */
export async function snapshot(db: TestDatabase, schema = 'strata'): Promise<Record<string, unknown>> {
  const [objects] = await db.query<Record<string, string | null>>(`
    select
      (select string_agg(nspname, ',' order by nspname) from pg_namespace
        where nspname not like 'pg\\_%' and nspname <> 'information_schema') as schemas,
      (select string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' order by n.nspname, c.relname)
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema') as relations,
      (select string_agg(relname, ',' order by relname) from pg_class where relnamespace = 'public'::regnamespace) as public_relations,
      (select string_agg(t.typname, ',' order by t.typname) from pg_type t
        where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'c') and t.typrelid = 0) as types,
      (select string_agg(p.proname, ',' order by p.proname) from pg_proc p where p.pronamespace = 'public'::regnamespace) as functions`);
  return { ...objects, ...(await trackingState(db, schema)) };
}

/** Applied ids (in order) and the number of events, or nulls when the tracking schema does not exist. */
export async function trackingState(db: TestDatabase, schema = 'strata'): Promise<{ applied: string[] | null; events: number | null }> {
  const [exists] = await db.query<{ found: boolean }>('select to_regclass($1) is not null as found', [`${quoteIdent(schema)}.revisions`]);
  if (!exists?.found) return { applied: null, events: null };
  const applied = await db.query<{ id: string }>(`select id from ${quoteIdent(schema)}.revisions order by id`);
  const [events] = await db.query<{ n: number }>(`select count(*)::int as n from ${quoteIdent(schema)}.events`);
  return { applied: applied.map((r) => r.id), events: events!.n };
}

export async function appliedIds(db: TestDatabase, schema = 'strata'): Promise<string[]> {
  return (await trackingState(db, schema)).applied ?? [];
}

export interface EventRow {
  action: string;
  revision_id: string;
  ok: boolean;
  error: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
}

export async function events(db: TestDatabase, schema = 'strata'): Promise<EventRow[]> {
  return db.query<EventRow>(`select action, revision_id, ok, error, details from ${quoteIdent(schema)}.events order by id`);
}

export async function publicRelations(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ relname: string }>(`select relname from pg_class where relnamespace = 'public'::regnamespace order by relname`);
  return rows.map((r) => r.relname);
}

/** Asserts the exit code, showing the whole output when it is not the one expected. */
export function expectExit(result: CliResult, code: number, what = 'exit code'): void {
  assert.is(result.code, code, `${what}: expected ${code}, got ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
}

/** Asserts that `text` contains every one of `parts` (literally), showing the text when one is missing. */
export function expectText(text: string, ...parts: string[]): void {
  for (const part of parts) assert.ok(text.includes(part), `expected to find\n  ${part}\nin\n${text}`);
}

export function expectNoText(text: string, ...parts: string[]): void {
  for (const part of parts) assert.ok(!text.includes(part), `did not expect\n  ${part}\nin\n${text}`);
}

/**
 * One test file's project (`files`) and database of its own: `run(...args)` runs the CLI in the
 * project against it. The database is reset before each test; both are removed after the file.
 * `db` is undefined (tests skip) when no server is reachable outside CI.
 */
export async function projectWithDatabase(prefix: string, files: Record<string, string>) {
  const db = await createTestDatabase(prefix);
  const project = makeProject(files);
  const env = db ? { DATABASE_URL: db.url } : {};
  const run = (...args: string[]) => runCli(args, { cwd: project.dir, env });
  test.after(async () => {
    project.remove();
    await db?.drop();
  });
  test.before.each(async () => {
    if (db) await resetDatabase(db);
  });
  return { db, project, env, run };
}
