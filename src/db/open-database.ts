import { existsSync } from 'node:fs';
import { describeDatabase, type StrataConfig } from '../config.js';
import { StrataError, type Problem } from '../errors.js';
import type { Database } from './database.js';

export interface OpenedDatabase {
  db: Database;
  description: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** the strata command that opens it (the embedded lock says so to other processes: `dev` is not waited for) */
  command: string;
  /** hears what is worth a line on stderr: waiting for another process, creating the embedded database */
  onNote?: (message: string) => void;
  /** how long to wait for another process that holds the embedded database; default: the lock timeout */
  embeddedWaitMs?: number;
  /** where the user set the URL, for the hint of one that cannot be used or reached; default DATABASE_URL (or --database-url) */
  urlSetting?: string;
}

export type OpenResult =
  | { ok: true; opened: OpenedDatabase }
  /** a server that cannot be reached, an embedded database another process holds, a folder that cannot be written */
  | { ok: false; reason: 'unavailable'; problems: Problem[] };

/**
 * No DATABASE_URL and no embedded database yet: a command that only reads, or that is refused,
 * treats it as a database where nothing was ever applied, and creates nothing (only a run that
 * goes on to write creates it).
 */
export function isEmbeddedAbsent(config: StrataConfig): boolean {
  return !config.databaseUrl && !existsSync(config.embeddedDataDir);
}

/**
 * The configured server, or the embedded PGlite database (loaded only then) under `.strata/`.
 * What a user's setup can cause comes back as data; only a bug throws.
 */
export async function openDatabase(config: StrataConfig, options: OpenOptions): Promise<OpenResult> {
  try {
    return { ok: true, opened: await open(config, options) };
  } catch (error) {
    if (error instanceof StrataError) return { ok: false, reason: 'unavailable', problems: error.problems };
    throw error;
  }
}

async function open(config: StrataConfig, options: OpenOptions): Promise<OpenedDatabase> {
  const description = describeDatabase(config);
  let db: Database;
  if (config.databaseUrl) {
    const { connectPostgres } = await import('./pg-database.js');
    db = await connectPostgres(config.databaseUrl, undefined, undefined, options.urlSetting);
  } else {
    const { openEmbedded } = await import('./embedded-database.js');
    db = await openEmbedded(config, options);
  }
  return { db, description, close: () => db.close() };
}
