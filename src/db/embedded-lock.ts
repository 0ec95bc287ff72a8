import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
 * A lock file next to it says who holds it (pid and command). Taking it is atomic: the whole file is
 * written under a name of its own and then hard-linked into place, which fails when a lock is
 * already there, so no other process ever reads a half-written lock. A lock is taken over only
 * when its holder was read and is gone (or is this very pid, not held by this process: a pid reused
 * after a restart, as pid 1 in a container), and the takeover itself is atomic (see removeStale).
 * Another command is waited for, up to `timeoutMs`; `strata dev` keeps the database until it stops,
 * so waiting for it would only end in a timeout: that is refused at once. Returns the release function.
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
  if (heldHere.has(lockFile)) {
    throw new StrataError('EMBEDDED_IN_USE', {
      message: 'this process already has the embedded database open',
      hint: 'close the first strata instance (or finish its command) before opening the database again',
    });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryTake(lockFile, { pid: process.pid, command })) {
      heldHere.add(lockFile);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(lockFile);
        rmSync(lockFile, { force: true });
      };
    }
    const text = readFileSafe(lockFile);
    if (text === undefined) continue; // released between our attempt and the read: try again
    const holder = parseHolder(text);
    if (holder === undefined) {
      // not a lock this strata writes (an older strata writes the file, then its pid): stale only once old
      if (ageMs(lockFile) > UNREADABLE_LOCK_GRACE_MS) removeStale(lockFile, text);
      else await sleep(50);
      continue;
    }
    if (!isAlive(holder.pid) || holder.pid === process.pid) {
      removeStale(lockFile, text);
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
        hint: `PGlite serves one process at a time: wait for it, stop it, or set DATABASE_URL to use a server; if no such process runs (a crash on another machine sharing this folder?), delete ${lockFile}`,
      });
    }
    await sleep(100);
  }
}

/** Lock files this process holds: a lock naming this pid is ours only when it is in here. */
const heldHere = new Set<string>();
/** A lock file that is not one of ours (empty, garbage) counts as stale once this old. */
const UNREADABLE_LOCK_GRACE_MS = 2000;

/** Writes the whole lock under a name of its own, then links it into place: true when it was free. */
function tryTake(lockFile: string, holder: EmbeddedHolder): boolean {
  const draft = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(draft, JSON.stringify(holder), { flag: 'wx' });
    try {
      linkSync(draft, lockFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
      // a file system without hard links: an exclusive create, whose content others may briefly
      // read as empty (an unreadable lock is waited for, not taken over, until it is old)
      writeFileSync(lockFile, JSON.stringify(holder), { flag: 'wx' });
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * Removes the lock file if it still holds `staleText`. Two processes may find the same stale lock;
 * each moves it aside under a name of its own (a rename is atomic, so only one gets it), and puts
 * back what it moved if that was not the stale lock but a new one another process had just taken.
 */
function removeStale(lockFile: string, staleText: string): void {
  const aside = `${lockFile}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockFile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (readFileSafe(aside) !== staleText) {
      try {
        linkSync(aside, lockFile);
      } catch {
        // a third process took the lock in between: it holds it; the one we moved is gone
      }
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

/** The file's text, or undefined when it does not exist (any other error: as if empty). */
function readFileSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : '';
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
