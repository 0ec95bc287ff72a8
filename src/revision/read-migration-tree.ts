import fs from 'node:fs';
import path from 'node:path';
import { noRevisionCache, stampOf, type FileStamp, type FolderEntry, type RevisionCache } from './revision-cache.js';

/** The raw contents of a migrations folder, read without interpreting it (see build-revisions.ts). */
export interface MigrationTree {
  entries: TreeEntry[];
}

export type TreeEntry =
  | {
    name: string;
    kind: 'directory';
    /** what was read; empty when `cached` */
    files: Record<string, FileContent>;
    /** both files unchanged since a run hashed them (revision-cache.ts): not read, `read` reads one when asked */
    cached?: CachedFolder;
    /** the stats of files read whole, for a new cache entry */
    stamps?: Partial<Record<RevisionFileName, FileStamp>>;
  }
  | { name: string; kind: 'file' | 'other' };

export type RevisionFileName = (typeof REVISION_FILES)[number];

export interface CachedFolder {
  entry: FolderEntry;
  read(fileName: RevisionFileName): Uint8Array;
}

export type FileContent =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string; isPermissionDenied?: boolean }
  | { kind: 'outside'; target: string }
  | { kind: 'too-large'; bytes: number };

/** `not-a-folder`: the path is a file (or goes through one) */
export type ReadTreeResult = { ok: true; tree: MigrationTree } | { ok: false; reason: 'missing' | 'not-a-folder' | 'unreadable'; detail: string };

/** Files above this size are refused: a migration that large belongs in COPY from a data file. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

const REVISION_FILES = ['up.sql', 'down.sql'] as const;

/** What strata needs to know of a file's metadata (inode and times: for the revision cache, which a stat without them turns off). */
export interface FileStat {
  size: number;
  ino?: number;
  mtimeMs?: number;
  ctimeMs?: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The file-system calls strata needs, so tests can hand in another implementation. */
export interface TreeFileSystem {
  readdir(dir: string): fs.Dirent[];
  readFile(file: string): Uint8Array;
  /** followed only for symbolic links: for anything else lstat already says all */
  stat(file: string): FileStat;
  lstat(file: string): FileStat & { isSymbolicLink(): boolean };
  realpath(file: string): string;
}

export const nodeFileSystem: TreeFileSystem = {
  readdir: (dir) => fs.readdirSync(dir, { withFileTypes: true }),
  readFile: (file) => fs.readFileSync(file),
  stat: (file) => fs.statSync(file),
  lstat: (file) => fs.lstatSync(file),
  realpath: (file) => fs.realpathSync(file),
};

/**
 * `reuse` may hand back a folder's entry from an earlier reading, which is then not read at all:
 * the dev loop's, for folders its watcher said nothing about (read-folder.ts).
 */
export function readMigrationTree(
  dir: string, fileSystem: TreeFileSystem = nodeFileSystem, cache: RevisionCache = noRevisionCache, reuse: (name: string) => TreeEntry | undefined = () => undefined,
): ReadTreeResult {
  let dirents: fs.Dirent[];
  try {
    dirents = fileSystem.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'missing' : code === 'ENOTDIR' ? 'not-a-folder' : 'unreadable', detail: (error as Error).message };
  }
  let realDir: string;
  try {
    realDir = fileSystem.realpath(dir);
  } catch {
    realDir = dir;
  }
  const entries: TreeEntry[] = [];
  // a name read from a folder has no separator and is not '.' or '..': joining it is concatenation
  // (path.join normalises the whole path again, for each of the thousands of files a no-op reads)
  const normalized = path.normalize(dir);
  const prefix = normalized.endsWith(path.sep) ? normalized : normalized + path.sep;
  for (const dirent of dirents) {
    const name = dirent.name;
    if (name.startsWith('.')) continue;
    const reused = dirent.isDirectory() ? reuse(name) : undefined;
    if (reused) {
      entries.push(reused);
      continue;
    }
    const full = prefix + name;
    const isDirectory = dirent.isDirectory() || (dirent.isSymbolicLink() && isDirectorySafe(fileSystem, full));
    if (!isDirectory) {
      entries.push({ name, kind: dirent.isFile() || dirent.isSymbolicLink() ? 'file' : 'other' });
      continue;
    }
    const cached = cachedFolder(fileSystem, cache, name, full);
    if (cached) {
      entries.push({ name, kind: 'directory', files: {}, cached });
      continue;
    }
    const files: Record<string, FileContent> = {};
    const stamps: Partial<Record<RevisionFileName, FileStamp>> = {};
    for (const fileName of REVISION_FILES) files[fileName] = readRevisionFile(fileSystem, realDir, `${full}${path.sep}${fileName}`, (stamp) => (stamps[fileName] = stamp));
    entries.push({ name, kind: 'directory', files, stamps });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ok: true, tree: { entries } };
}

function isDirectorySafe(fileSystem: TreeFileSystem, file: string): boolean {
  try {
    return !fileSystem.stat(file).isFile();
  } catch {
    return false;
  }
}

/** The folder's cache entry when both files are regular files whose stats it recorded (a link is always read). */
function cachedFolder(fileSystem: TreeFileSystem, cache: RevisionCache, name: string, full: string): CachedFolder | undefined {
  if (cache === noRevisionCache) return undefined;
  const stamps: FileStamp[] = [];
  for (const fileName of REVISION_FILES) {
    let stat: ReturnType<TreeFileSystem['lstat']>;
    try {
      stat = fileSystem.lstat(`${full}${path.sep}${fileName}`);
    } catch {
      return undefined;
    }
    const stamp = stat.isFile() && !stat.isSymbolicLink() && stat.size <= MAX_FILE_BYTES ? stampOf(stat) : undefined;
    if (!stamp) return undefined;
    stamps.push(stamp);
  }
  const entry = cache.lookup(name, stamps[0]!, stamps[1]!);
  return entry && { entry, read: (fileName: RevisionFileName) => fileSystem.readFile(`${full}${path.sep}${fileName}`) };
}

function readRevisionFile(fileSystem: TreeFileSystem, realDir: string, file: string, onStamp: (stamp: FileStamp) => void = () => {}): FileContent {
  try {
    const link = fileSystem.lstat(file);
    if (!link.isSymbolicLink()) {
      const stamp = stampOf(link);
      if (stamp) onStamp(stamp);
    }
    let stat: FileStat = link;
    if (link.isSymbolicLink()) {
      const target = fileSystem.realpath(file);
      const relative = path.relative(realDir, target);
      if (relative.startsWith('..') || path.isAbsolute(relative)) return { kind: 'outside', target };
      stat = fileSystem.stat(file);
    }
    if (!stat.isFile()) return { kind: 'unreadable', reason: stat.isDirectory() ? 'it is a directory, not a file' : 'it is not a regular file (a pipe, socket or device)' };
    if (stat.size > MAX_FILE_BYTES) return { kind: 'too-large', bytes: stat.size };
    return { kind: 'bytes', bytes: fileSystem.readFile(file) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    const isPermissionDenied = code === 'EACCES' || code === 'EPERM';
    return { kind: 'unreadable', reason: isPermissionDenied ? `permission denied (${code})` : code ?? (error as Error).message, isPermissionDenied };
  }
}
