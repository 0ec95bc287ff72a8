import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';

/** Who holds the embedded database: the lock file's content. */
export interface EmbeddedHolder {
  pid: number;
  /** the strata command, e.g. 'up', 'dev'; undefined in a lock file written by an older strata (only a pid) */
  command: string | undefined;
}

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * A lock file next to it (holding the owner's pid and command) keeps a second strata out; a stale
 * one (its process gone) is taken over. Another command is waited for, up to `timeoutMs`; `strata
 * dev` keeps the database until it stops, so waiting for it would only end in a timeout: that is
 * refused at once. Returns the release function.
 */
export async function withEmbeddedLock(
  dataDir: string,
  timeoutMs: number,
  command: string,
  onWait: (holder: EmbeddedHolder) => void = () => {},
): Promise<() => void> {
  let hasWaited = false;
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const lockFile = `${dataDir}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, command } satisfies EmbeddedHolder));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = parseHolder(readFileSafe(lockFile));
    if (!holder || !isAlive(holder.pid)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (holder.command === 'dev') {
      throw new StrataError('EMBEDDED_IN_USE', {
        message: `strata dev (pid ${holder.pid}) holds the embedded database, and keeps it until it stops`,
        hint: 'PGlite serves one process at a time: stop strata dev (Ctrl-C in its terminal) and run this again, or set DATABASE_URL to use a server, which both can share',
      });
    }
    if (!hasWaited && Date.now() < deadline) {
      hasWaited = true;
      onWait(holder);
    }
    if (Date.now() >= deadline) {
      throw new StrataError('LOCK_TIMEOUT', {
        message: `the embedded database is in use by another strata process (${describeHolder(holder)})`,
        hint: 'PGlite serves one process at a time: wait for it, stop it, or set DATABASE_URL to use a server',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `strata up, pid 123`, or `pid 123` for a lock file that does not say */
export function describeHolder(holder: EmbeddedHolder): string {
  return holder.command ? `strata ${holder.command}, pid ${holder.pid}` : `pid ${holder.pid}`;
}

/** `{"pid":123,"command":"up"}`, or a bare pid (older strata); undefined for anything else (e.g. a file still being written) */
function parseHolder(text: string): EmbeddedHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value === 'number') value = { pid: value };
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, command } = value as { pid?: unknown; command?: unknown };
  if (!Number.isInteger(pid) || (pid as number) <= 0) return undefined;
  return { pid: pid as number, command: typeof command === 'string' ? command : undefined };
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
