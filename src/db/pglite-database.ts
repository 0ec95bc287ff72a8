import { DatabaseQueryError, sqlErrorInfo, type Database, type ScriptResult } from './database.js';
import { loadPgliteRuntime } from './pglite-runtime.js';
import { createDataDir, hasDatabase, type CreateOptions } from './pglite-template.js';

/**
 * The embedded database: PGlite (PostgreSQL in WASM), persisted in `dataDir`, or in memory when
 * undefined. A `dataDir` without a database gets one first (see pglite-template.ts).
 */
export async function openPglite(dataDir: string | undefined, creation: CreateOptions = { cacheDir: undefined, onCreate: () => {} }): Promise<Database> {
  const runtime = await loadPgliteRuntime();
  if (dataDir && !hasDatabase(dataDir)) await createDataDir(dataDir, runtime, creation);
  const { PGlite, protocol } = runtime;
  const db = await PGlite.create(dataDir, runtime.options);
  const [version] = (await db.query<{ num: string }>(`select current_setting('server_version_num') as num`)).rows;
  return {
    kind: 'pglite',
    serverVersionNum: Number(version?.num ?? 0),
    async query<R>(text: string, values?: readonly unknown[]): Promise<R[]> {
      try {
        const result = await db.query<R>(text, values as unknown[] | undefined);
        return result.rows;
      } catch (error) {
        const info = sqlErrorInfo(error);
        if (info) throw new DatabaseQueryError(info);
        throw error;
      }
    },
    async runScript(text: string): Promise<ScriptResult> {
      const result = await db.execProtocol(protocol.serialize.query(text), { throwOnError: false });
      let completedStatements = 0;
      for (const message of result.messages) {
        if (message.name === 'commandComplete') completedStatements++;
        if (message.name === 'error') {
          const info = sqlErrorInfo(message);
          if (info) return { ok: false, error: info, completedStatements };
        }
      }
      return { ok: true };
    },
    async backendPid() {
      const rows = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
      return rows.rows[0]!.pid;
    },
    async close() {
      await db.close();
    },
  };
}
