import { DatabaseQueryError, serverVersionNumOf, sqlErrorInfo, type Database, type ScriptResult, type SqlErrorInfo } from './database.js';
import { loadPgliteRuntime } from './pglite-runtime.js';
import { createDataDir, hasDatabase, type CreateOptions } from './pglite-template.js';
import { BackendMessageReader } from './protocol-reader.js';

/** The settings a server reports to its clients (GUC_REPORT). */
export const REPORTED_SETTINGS = ['standard_conforming_strings', 'client_encoding', 'server_encoding', 'DateStyle', 'IntervalStyle', 'TimeZone',
  'integer_datetimes', 'is_superuser', 'session_authorization', 'application_name', 'default_transaction_read_only', 'in_hot_standby', 'server_version'];

/**
 * The server's hint for an extension it lacks says to install it where PostgreSQL runs, which no one
 * can do for the embedded database (it loads no extension but plpgsql): say what can be done instead.
 */
export function embeddedErrorInfo(info: SqlErrorInfo): SqlErrorInfo {
  const lacking = info.code === '0A000' ? /^extension "(.+)" is not available$/.exec(info.message) : null;
  if (!lacking) return info;
  return { ...info, hint: `the embedded PGlite database has no extension but plpgsql; set DATABASE_URL to a PostgreSQL server that has ${lacking[1]} (dump, check, diff and squash then make their shadow databases there)` };
}

/**
 * The embedded database: PGlite (PostgreSQL in WASM), persisted in `dataDir`, or in memory when
 * undefined. A `dataDir` without a database gets one first (see pglite-template.ts).
 */
export async function openPglite(dataDir: string | undefined, creation: CreateOptions = { cacheDir: undefined, onCreate: () => {} }): Promise<Database> {
  const runtime = await loadPgliteRuntime();
  if (dataDir && !hasDatabase(dataDir)) await createDataDir(dataDir, runtime, creation);
  const { PGlite, protocol } = runtime;
  const db = await PGlite.create(dataDir, runtime.options);
  // what the embedded server reports during scripts; its start-up report went to PGlite, so read once here
  const parameters = new Map<string, string>();
  const reported = await db.query<{ name: string; setting: string }>('select name, setting from pg_settings where name = any($1)', [REPORTED_SETTINGS]);
  for (const { name, setting } of reported.rows) parameters.set(name, setting);
  return {
    isEmbedded: true,
    // the lock file held by openEmbedded (embedded-database.ts) keeps every other process out
    runLock: 'held-while-open',
    canDeferFlush: false,
    canCancel: false,
    serverVersionNum: serverVersionNumOf(parameters.get('server_version')),
    async query<R>(text: string, values?: readonly unknown[]): Promise<R[]> {
      try {
        const result = await db.query<R>(text, values as unknown[] | undefined);
        return result.rows;
      } catch (error) {
        const info = sqlErrorInfo(error);
        if (info) throw new DatabaseQueryError(embeddedErrorInfo(info));
        throw error;
      }
    },
    async runScript(text: string): Promise<ScriptResult> {
      // streamed, not execProtocol: that one keeps every byte and every parsed row of the reply
      const reader = new BackendMessageReader((name, value) => parameters.set(name, value));
      await db.execProtocolRawStream(protocol.serialize.query(text), { onRawData: (chunk) => reader.push(chunk) });
      const result = reader.result();
      return result.ok ? result : { ...result, error: embeddedErrorInfo(result.error) };
    },
    reportedSetting: (name) => parameters.get(name),
    async backendPid() {
      const rows = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
      return rows.rows[0]!.pid;
    },
    async close() {
      await db.close();
    },
  };
}
