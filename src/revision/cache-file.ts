import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes one of strata's cache files (the revision and parse caches, the CLI's compiled code) to a
 * temporary file renamed into place, so a reader sees the old file or the new one, never half of
 * one. A cache folder that cannot be written means no cache, nothing else: it never throws.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
  } catch {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // nothing was written
    }
  }
}
