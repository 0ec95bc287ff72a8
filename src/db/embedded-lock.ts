import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { StrataError } from '../errors.js';

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * A lock file next to it (holding the owner's pid) keeps a second strata out; a stale one
 * (its process gone) is taken over. Returns the release function.
 */
export async function withEmbeddedLock(dataDir: string, timeoutMs: number, onWait: (ownerPid: number) => void = () => {}): Promise<() => void> {
  let hasWaited = false;
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const lockFile = `${dataDir}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
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
    const owner = Number(readFileSafe(lockFile));
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (!hasWaited && Date.now() < deadline) {
      hasWaited = true;
      onWait(owner);
    }
    if (Date.now() >= deadline) {
      throw new StrataError('LOCK_TIMEOUT', {
        message: `the embedded database is in use by another strata process (pid ${owner})`,
        hint: 'PGlite serves one process at a time: wait for it, stop it (e.g. strata dev), or set DATABASE_URL to use a server',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
