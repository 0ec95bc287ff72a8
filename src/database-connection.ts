import { describeDatabase, type StrataConfig } from './config.js';
import type { Database } from './db/database.js';
import { withEmbeddedLock } from './db/embedded-lock.js';

export interface OpenedDatabase {
  db: Database;
  description: string;
  close(): Promise<void>;
}

/** The configured server, or the embedded PGlite database (loaded only then) under `.strata/`. */
export async function openDatabase(config: StrataConfig): Promise<OpenedDatabase> {
  const description = describeDatabase(config);
  if (config.databaseUrl) {
    const { connectPostgres } = await import('./db/pg-database.js');
    const db = await connectPostgres(config.databaseUrl);
    return { db, description, close: () => db.close() };
  }
  const release = await withEmbeddedLock(config.embeddedDataDir, config.lockTimeoutMs);
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
