import fs from 'node:fs';
import path from 'node:path';

/** The raw contents of a migrations folder, read without interpreting it (see build-revisions.ts). */
export interface MigrationTree {
  entries: TreeEntry[];
}

export type TreeEntry =
  | { name: string; kind: 'directory'; files: Record<string, FileContent> }
  | { name: string; kind: 'file' | 'other' };

export type FileContent =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string; isPermissionDenied?: boolean }
  | { kind: 'outside'; target: string }
  | { kind: 'too-large'; bytes: number };

export type ReadTreeResult = { ok: true; tree: MigrationTree } | { ok: false; reason: 'missing' | 'unreadable'; detail: string };

/** Files above this size are refused: a migration that large belongs in COPY from a data file. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

const REVISION_FILES = ['up.sql', 'down.sql'] as const;

/** What strata needs to know of a file's metadata. */
export interface FileStat {
  size: number;
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

export function readMigrationTree(dir: string, fileSystem: TreeFileSystem = nodeFileSystem): ReadTreeResult {
  let dirents: fs.Dirent[];
  try {
    dirents = fileSystem.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable', detail: (error as Error).message };
  }
  let realDir: string;
  try {
    realDir = fileSystem.realpath(dir);
  } catch {
    realDir = dir;
  }
  const entries: TreeEntry[] = [];
  for (const dirent of dirents) {
    const name = dirent.name;
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    const isDirectory = dirent.isDirectory() || (dirent.isSymbolicLink() && isDirectorySafe(fileSystem, full));
    if (!isDirectory) {
      entries.push({ name, kind: dirent.isFile() || dirent.isSymbolicLink() ? 'file' : 'other' });
      continue;
    }
    const files: Record<string, FileContent> = {};
    for (const fileName of REVISION_FILES) files[fileName] = readRevisionFile(fileSystem, realDir, path.join(full, fileName));
    entries.push({ name, kind: 'directory', files });
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

function readRevisionFile(fileSystem: TreeFileSystem, realDir: string, file: string): FileContent {
  try {
    const link = fileSystem.lstat(file);
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
