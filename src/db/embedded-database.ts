import fs from 'node:fs';
import path from 'node:path';
import { displayPath, type StrataConfig } from '../config.js';
import { StrataError } from '../errors.js';
import { closeThen, type Database } from './database.js';
import { describeHolder, withEmbeddedLock } from './embedded-lock.js';
import type { OpenOptions } from './open-database.js';
import type { CreationSource } from './pglite-template.js';

/**
 * The embedded database (PGlite, loaded only now) under `.strata/`: one process at a time. Its lock
 * file is taken before PGlite opens the folder and released when the database is closed, so while
 * it is open no other process can reach it (Database.runLock is 'held-while-open').
 */
export async function openEmbedded(config: StrataConfig, { command, onNote = () => {}, embeddedWaitMs = config.lockTimeoutMs }: OpenOptions): Promise<Database> {
  const release = await withEmbeddedLock(config.embeddedDataDir, embeddedWaitMs, command, (holder) =>
    onNote(`waiting up to ${embeddedWaitMs / 1000} s for another strata process (${describeHolder(holder)}) to release the embedded database (PGlite serves one process at a time)`))
    .catch((error: unknown) => {
      throw storageError(config, error, 'take the embedded database\'s lock') ?? error;
    });
  try {
    const { openPgliteInWorker } = await import('./pglite-in-worker.js');
    const db = await openPgliteInWorker(config.embeddedDataDir, {
      cacheDir: config.cacheDir,
      onCreate: (source, templateDir) => onNote(creationNote(config, source, templateDir)),
    });
    return { ...db, close: () => closeThen(db, release) };
  } catch (error) {
    release();
    // PGlite says only that PostgreSQL did not start: a folder or file it cannot write is the usual cause
    const unwritable = (error as NodeJS.ErrnoException | undefined)?.code === undefined ? unwritableEntry(config.embeddedDataDir) : undefined;
    throw storageError(config, unwritable ? { code: 'EACCES' } : error, 'open the embedded database', unwritable) ?? error;
  }
}

/**
 * The first entry under the data folder (itself included) that PostgreSQL could not write: no
 * write bit (PGlite's file system checks the bits, even for root) or no write access for this user.
 */
export function unwritableEntry(dir: string): string | undefined {
  const unwritable = (file: string): boolean => {
    try {
      if ((fs.statSync(file).mode & 0o222) === 0) return true;
      fs.accessSync(file, fs.constants.W_OK);
      return false;
    } catch {
      return true;
    }
  };
  if (!fs.existsSync(dir)) return undefined;
  const folders = [dir];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    if (unwritable(folder)) return folder;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch {
      return folder;
    }
    for (const entry of entries) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) folders.push(file);
      else if (entry.isFile() && unwritable(file)) return file;
    }
  }
  return undefined;
}

/** Errors of the file system under `.strata/` (full disk, no rights, read-only) as a problem naming the folder. */
function storageError(config: StrataConfig, error: unknown, doing: string, entry?: string): StrataError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why = code === undefined ? undefined : STORAGE_ERRORS[code];
  if (why === undefined) return undefined;
  const where = displayPath(config.cwd, path.dirname(config.embeddedDataDir));
  return new StrataError('EMBEDDED_STORAGE', {
    file: where,
    message: `cannot ${doing} in ${where}: ${why} (${code})${entry === undefined ? '' : ` on ${displayPath(config.cwd, entry)}`}`,
    hint: `${code === 'ENOSPC' || code === 'EDQUOT' ? 'free some disk space' : 'give this user write access to the folder'}, or set DATABASE_URL to use a server; nothing was changed`,
  });
}

const STORAGE_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error from the disk',
};

/** The one line printed while a project's embedded database is made (the first command there). */
function creationNote(config: StrataConfig, source: CreationSource, templateDir: string | undefined): string {
  const where = displayPath(config.cwd, config.embeddedDataDir);
  const template = templateDir ? displayPath(config.cwd, templateDir) : '';
  switch (source) {
    case 'template':
      return `creating the embedded database in ${where} from the template in ${template}`;
    case 'remade-template':
      return `the template in ${template} is damaged or incomplete: making it again (a few seconds)`;
    case 'new-template':
      return `creating the embedded database in ${where}: PostgreSQL's initdb runs once for this PGlite version (a few seconds), later projects copy it from ${template}`;
    case 'uncached':
      return `creating the embedded database in ${where}: PostgreSQL's initdb takes a few seconds${config.cacheDir ? ` (${displayPath(config.cwd, config.cacheDir)} cannot be written, so it is not kept for other projects)` : ''}`;
  }
}
