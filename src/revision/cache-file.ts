import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes one of strata's cache files (the revision and parse caches, the CLI's compiled code) to a
 * temporary file renamed into place, so a reader sees the old file or the new one, never half of
 * one. A cache folder that cannot be written means no cache, nothing else: it never throws.
 */
export function writeCacheFile(file: string, data: string | Uint8Array | Iterable<string>): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof data === 'string' || data instanceof Uint8Array) fs.writeFileSync(temporary, data);
    else writeChunks(temporary, data);
    fs.renameSync(temporary, file);
  } catch {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // nothing was written
    }
  }
}

const CHUNK_CHARS = 64 * 1024;

/**
 * The file as the pieces `parts` gives, written 64 kB at a time: a cache of a few MB is never
 * one string (which V8 would build, copy and keep in its heap while the file is written).
 */
function writeChunks(file: string, parts: Iterable<string>): void {
  const fd = fs.openSync(file, 'w');
  try {
    let chunk = '';
    for (const part of parts) {
      chunk += part;
      if (chunk.length >= CHUNK_CHARS) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}
