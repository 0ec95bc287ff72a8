import { describeDatabase, type StrataConfig } from './config.js';
import type { Database } from './db/database.js';
import { withEmbeddedLock } from './db/embedded-lock.js';

export interface OpenedDatabase {
  db: Database;
  description: string;
  close(): Promise<void>;
}

/**
 * The configured server, or the embedded PGlite database (loaded only then) under `.strata/`.
 * `onWait` hears when another strata process holds the embedded database and this one waits for
 * it, for at most `embeddedWaitMs` (default: the lock timeout).
 */
export async function openDatabase(config: StrataConfig, onWait: (message: string) => void = () => {}, embeddedWaitMs = config.lockTimeoutMs): Promise<OpenedDatabase> {
  const description = describeDatabase(config);
  if (config.databaseUrl) {
    const { connectPostgres } = await import('./db/pg-database.js');
    const db = await connectPostgres(config.databaseUrl);
    return { db, description, close: () => db.close() };
  }
  const release = await withEmbeddedLock(config.embeddedDataDir, embeddedWaitMs, (pid) =>
    onWait(`waiting up to ${embeddedWaitMs / 1000} s for strata process ${pid} to release the embedded database (PGlite serves one process at a time)`));
  try {
    const { openPglite } = await import('./db/pglite-database.js');
    const db = await openPglite(config.embeddedDataDir);
    return {
      db,
      description,
      async close() {
        try {
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
