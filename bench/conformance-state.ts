import { spawn } from 'node:child_process';
import pg from 'pg';
import { connectPostgres } from '../src/db/pg-database.js';
import { takeSnapshot } from '../src/schema/introspect/take-snapshot.js';
import { renderSchema } from '../src/schema/model/render.js';
import type { Snapshot } from '../src/schema/model/snapshot.js';
import { censusDifferences, censusKindsDiffering, snapshotDifferences, takeCensus, type Census } from './conformance-census.js';
import type { Outcome } from './conformance-tally.js';

/**
 * One state of the corpus, judged on a shared cluster: load it into an empty database, snapshot,
 * write schema.sql, load that into a second empty database, snapshot again, compare; then a census
 * of both databases that does not go through strata's model (conformance-census.ts). Both files
 * are loaded as `psql -X -v ON_ERROR_STOP=1 -f` would: a statement at a time, autocommit, which
 * is how a user loads schema.sql.
 */
export interface StateVerdict {
  outcome: Exclude<Outcome, 'not run'>;
  detail: string;
  differences?: string[];
  dump?: string;
}

export interface StateContext {
  adminUrl: string;
  /** this worker's two databases (the state's, schema.sql's), empty when a state starts */
  databases: [string, string];
  privileges: boolean;
  /** bounds each statement, so a state that waits on something (a subscription's connection) cannot stall the run */
  statementTimeoutMs: number;
}

/** Judges `sql` on the context's two databases, which must be empty (as new) when it starts; it leaves them to `resetDatabase`. */
export async function judgeState(sql: string, context: StateContext): Promise<StateVerdict> {
  const [firstUrl, secondUrl] = context.databases.map((name) => databaseUrl(context.adminUrl, name)) as [string, string];
  const loaded = await runPsql(firstUrl, sql, context.statementTimeoutMs);
  if (loaded !== undefined) return { outcome: 'not loadable', detail: loaded };
  let snapshot: Snapshot;
  let dump: string;
  try {
    snapshot = await snapshotOf(firstUrl, context.privileges);
    dump = renderSchema(snapshot, { head: null });
  } catch (error) {
    return { outcome: 'wrong', detail: `the snapshot or the dump fails: ${firstLine((error as Error).message)}` };
  }
  // kinds the model does not cover, named: a refusal, as long as what it does model is not lost besides
  const refusal = snapshot.unmodelled.length === 0 ? undefined : (() => {
    const kinds = [...new Set(snapshot.unmodelled.map((u) => u.kind))].sort();
    return `refused by name: ${kinds.join(', ')} (${snapshot.unmodelled.slice(0, 3).map((u) => u.identity).join('; ')}${snapshot.unmodelled.length > 3 ? '; ...' : ''})`;
  })();
  const dumpError = await runPsql(secondUrl, dump, context.statementTimeoutMs);
  if (dumpError !== undefined) {
    // without the objects it cannot write, a dump may not load (a table on a foreign server): that is the refusal
    if (refusal) return { outcome: 'refused', detail: `${refusal}; without them the dump does not load`, dump };
    return { outcome: 'wrong', detail: `dump does not load: ${dumpError}`, dump };
  }
  let again: Snapshot;
  try {
    again = await snapshotOf(secondUrl, context.privileges);
  } catch (error) {
    return { outcome: 'wrong', detail: `the snapshot of the copy fails: ${firstLine((error as Error).message)}`, dump };
  }
  const differences = snapshotDifferences({ ...snapshot, unmodelled: [] }, { ...again, unmodelled: [] });
  if (differences.length > 0) return { outcome: 'wrong', detail: `the snapshots differ${refusal ? ` (besides what was ${refusal})` : ''}: ${differences[0]}`, differences, dump };
  if (refusal) return { outcome: 'refused', detail: `${refusal}; everything else round-trips`, dump };
  const census = await compareCensus(firstUrl, secondUrl, context.privileges);
  if (census.differences.length > 0) {
    return { outcome: 'wrong', detail: `the copy differs where the snapshot does not look, in ${census.kinds.join(', ')}: ${census.differences[0]}`, differences: census.differences, dump };
  }
  return { outcome: 'equal', detail: `${snapshot.objects.length} objects`, dump };
}

/** What a new database holds, by the census with grants: what a reused one must come back to. */
export async function pristineCensus(adminUrl: string, name: string): Promise<Census> {
  await createDatabase(adminUrl, name);
  return withClient(databaseUrl(adminUrl, name), (client) => takeCensus(client, { privileges: true }));
}

/**
 * Brings a database back to empty for the next state. Making databases costs an fsync'd copy of
 * the template and dropping them a scan of shared buffers (~0.5–1 s each on this busy machine), so
 * the databases are reused: everything a state can leave is dropped, and the result must have the
 * census of a new database (and no large objects); if it has not, the database is made anew.
 */
export async function resetDatabase(adminUrl: string, name: string, pristine: Census): Promise<{ recreated: false } | { recreated: true; why: string }> {
  const left = await withClient(databaseUrl(adminUrl, name), async (client) => {
    try {
      await emptyDatabase(client);
      const census = await takeCensus(client, { privileges: true });
      const { rows: [objects] } = await client.query<{ n: number }>('select count(*)::int as n from pg_largeobject_metadata');
      return objects!.n > 0 ? 'large objects' : censusDifferences(pristine, census, 1)[0];
    } catch (error) {
      return `emptying fails: ${firstLine((error as Error).message)}`;
    }
  }).catch((error: Error) => `cannot connect: ${firstLine(error.message)}`);
  if (left === undefined) return { recreated: false };
  await dropDatabase(adminUrl, name);
  await createDatabase(adminUrl, name);
  return { recreated: true, why: left };
}

/** Each statement names what a state may have made outside its schemas; what is in them goes with `drop schema ... cascade`. */
async function emptyDatabase(client: pg.Client): Promise<void> {
  const names = async (text: string) => (await client.query<{ name: string }>(text)).rows.map((r) => r.name);
  for (const s of await names('select quote_ident(subname) as name from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())')) {
    await client.query(`alter subscription ${s} disable`);
    await client.query(`alter subscription ${s} set (slot_name = none)`);
    // DROP SUBSCRIPTION leaves its comment in pg_description (PostgreSQL 15): the database would be made anew
    await client.query(`comment on subscription ${s} is null`);
    await client.query(`drop subscription ${s}`);
  }
  // event triggers first: one on sql_drop would run (or fail) on every drop after it
  const { rows } = await client.query<{ statement: string }>(`select statement from (
      select 1, format('drop event trigger %I', evtname) from pg_event_trigger
      union all select 2, format('drop publication %I', pubname) from pg_publication
      union all select 3, format('drop extension if exists %I cascade', extname) from pg_extension where extname <> 'plpgsql'
      union all select 4, format('drop schema if exists %I cascade', nspname) from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'
      union all select 5, format('drop foreign data wrapper if exists %I cascade', fdwname) from pg_foreign_data_wrapper where oid >= 16384
      union all select 6, format('drop cast if exists (%s as %s) cascade', format_type(castsource, null), format_type(casttarget, null)) from pg_cast where oid >= 16384
      union all select 7, format('drop language if exists %I cascade', lanname) from pg_language where oid >= 16384
      union all select 8, format('drop access method if exists %I cascade', amname) from pg_am where oid >= 16384
    ) as drops(step, statement) order by step`);
  await client.query(['begin', ...rows.map((r) => r.statement), 'select lo_unlink(oid) from pg_largeobject_metadata',
    'create schema public authorization pg_database_owner', "comment on schema public is 'standard public schema'",
    'grant usage on schema public to public', 'commit'].join(';\n'));
}

/** Revokes what the roles a state made hold in the worker's databases, so that they can be dropped. */
export async function dropOwnedBy(adminUrl: string, databases: readonly string[], roles: readonly string[]): Promise<void> {
  const present = [...(await existingRoles(adminUrl, roles))];
  if (present.length === 0) return;
  for (const name of databases) {
    await withClient(databaseUrl(adminUrl, name), (client) => client.query(`drop owned by ${present.map(quoteIdent).join(', ')} cascade`)).catch(() => {});
  }
}

export async function snapshotOf(url: string, privileges: boolean): Promise<Snapshot> {
  const db = await connectPostgres(url, 'strata-conformance');
  try {
    return await takeSnapshot(db, { excludedSchemas: ['strata'], privileges, serverVersionNum: db.serverVersionNum });
  } finally {
    await db.close();
  }
}

async function compareCensus(firstUrl: string, secondUrl: string, privileges: boolean): Promise<{ differences: string[]; kinds: string[] }> {
  const [original, copy] = await Promise.all([firstUrl, secondUrl].map((url) => withClient(url, (client) => takeCensus(client, { privileges }))));
  return { differences: censusDifferences(original!, copy!), kinds: censusKindsDiffering(original!, copy!) };
}

/**
 * The runner's sessions do not wait for their commits to reach the disk: its databases are thrown
 * away, and on this shared machine each fsync'd commit was a good part of a state's time.
 */
const FAST_COMMITS = '-c synchronous_commit=off';

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'strata-conformance', options: FAST_COMMITS });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`);
    await admin.query(`create database ${quoteIdent(name)}`);
  });
}

/** A database with a subscription cannot be dropped: its subscriptions go first (disabled, slot let go). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const { rows } = await withClient(adminUrl, (admin) => admin.query<{ name: string }>(
    'select s.subname as name from pg_subscription s join pg_database d on d.oid = s.subdbid where d.datname = $1', [name]));
  if (rows.length > 0) {
    await withClient(databaseUrl(adminUrl, name), async (client) => {
      for (const { name: subscription } of rows) {
        await client.query(`alter subscription ${quoteIdent(subscription)} disable`).catch(() => {});
        await client.query(`alter subscription ${quoteIdent(subscription)} set (slot_name = none)`).catch(() => {});
        await client.query(`drop subscription ${quoteIdent(subscription)}`);
      }
    });
  }
  await withClient(adminUrl, (admin) => admin.query(`drop database if exists ${quoteIdent(name)} with (force)`));
}

/** Drops the roles a state made, once the databases that used them are gone; the roles that existed before it are not touched. */
export async function dropRoles(adminUrl: string, roles: readonly string[]): Promise<void> {
  if (roles.length === 0) return;
  await withClient(adminUrl, async (admin) => {
    for (const role of roles) await admin.query(`drop role if exists ${quoteIdent(role)}`);
  });
}

/** Of `roles`, those the cluster has now. */
export async function existingRoles(adminUrl: string, roles: readonly string[]): Promise<Set<string>> {
  if (roles.length === 0) return new Set();
  const { rows } = await withClient(adminUrl, (admin) => admin.query<{ name: string }>('select rolname as name from pg_roles where rolname = any($1)', [roles]));
  return new Set(rows.map((r) => r.name));
}

/** Runs `script` with psql on stdin; undefined when it loaded, else psql's first error line. */
export function runPsql(url: string, script: string, statementTimeoutMs: number, singleTransaction = false): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(singleTransaction ? ['-1'] : []), '-d', url, '-f', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...process.env, PGOPTIONS: `${FAST_COMMITS} -c statement_timeout=${statementTimeoutMs} -c client_min_messages=error`, PGAPPNAME: 'strata-conformance' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdin.end(script);
    child.on('close', (code) => {
      if (code === 0) return resolve(undefined);
      const line = stderr.split('\n').find((l) => /\b(ERROR|FATAL):/.test(l)) ?? stderr.split('\n').find(Boolean) ?? `psql exited with ${code}`;
      resolve(line.replace(/^psql:<stdin>:/, 'line ').trim());
    });
  });
}

export function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
